package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK12.*;

import dev.baton.render.InteropCapabilities;
import java.util.HexFormat;
import java.util.Set;

/**
 * Immutable facts about one Vulkan physical device, gathered once by {@link VulkanInstance}.
 *
 * @param index                   position in {@code vkEnumeratePhysicalDevices} order
 * @param name                    {@code deviceName}, e.g. {@code llvmpipe (LLVM 15.0.6, 256 bits)}
 * @param deviceType              a {@code VkPhysicalDeviceType}; see {@link #deviceTypeString()}
 * @param driverName              {@code VkPhysicalDeviceDriverProperties.driverName}
 * @param driverInfo              {@code VkPhysicalDeviceDriverProperties.driverInfo}
 * @param driverId                a {@code VkDriverId}
 * @param apiVersion              packed Vulkan version the device supports
 * @param driverUuidHex           {@code VkPhysicalDeviceIDProperties.driverUUID} as hex
 * @param deviceUuidHex           {@code VkPhysicalDeviceIDProperties.deviceUUID} as hex
 * @param extensions              device extension names
 * @param memoryExport            OPAQUE_FD export of an RGBA8 optimal image's memory
 * @param memoryImport            OPAQUE_FD import of the same
 * @param memoryDedicatedOnly     the driver demands a dedicated allocation for such memory
 * @param binarySemaphoreExport   binary semaphores exportable as OPAQUE_FD
 * @param binarySemaphoreImport   binary semaphores importable as OPAQUE_FD
 * @param timelineSemaphoreExport timeline semaphores exportable as OPAQUE_FD
 * @param timelineSemaphoreImport timeline semaphores importable as OPAQUE_FD
 * @param dmaBufExport            DMA_BUF export of an RGBA8 optimal image's memory (reported, not used by Baton)
 * @param dmaBufImport            DMA_BUF import of the same
 * @param dmaBufDedicatedOnly     the driver demands a dedicated allocation for DMA_BUF memory
 * @param hostMemoryImport        {@code VK_EXT_external_memory_host} can import host memory for a linear RGBA8
 *                                image with Baton's usage (zero copy between different drivers)
 * @param driverVersion           {@code VkPhysicalDeviceProperties.driverVersion}, packed the driver's way (0: unknown);
 *                                see {@link #driverVersionString()}
 */
public record PhysicalDeviceInfo(
        int index,
        String name,
        int deviceType,
        String driverName,
        String driverInfo,
        int driverId,
        int apiVersion,
        String driverUuidHex,
        String deviceUuidHex,
        Set<String> extensions,
        boolean memoryExport,
        boolean memoryImport,
        boolean memoryDedicatedOnly,
        boolean binarySemaphoreExport,
        boolean binarySemaphoreImport,
        boolean timelineSemaphoreExport,
        boolean timelineSemaphoreImport,
        boolean dmaBufExport,
        boolean dmaBufImport,
        boolean dmaBufDedicatedOnly,
        boolean hostMemoryImport,
        int driverVersion) {

    /**
     * Copies the extension set.
     *
     * @param index position in {@code vkEnumeratePhysicalDevices} order
     * @param name {@code deviceName}, e.g. {@code llvmpipe (LLVM 15.0.6, 256 bits)}
     * @param deviceType a {@code VkPhysicalDeviceType}; see {@link #deviceTypeString()}
     * @param driverName {@code VkPhysicalDeviceDriverProperties.driverName}
     * @param driverInfo {@code VkPhysicalDeviceDriverProperties.driverInfo}
     * @param driverId a {@code VkDriverId}
     * @param apiVersion packed Vulkan version the device supports
     * @param driverUuidHex {@code VkPhysicalDeviceIDProperties.driverUUID} as hex
     * @param deviceUuidHex {@code VkPhysicalDeviceIDProperties.deviceUUID} as hex
     * @param extensions device extension names
     * @param memoryExport OPAQUE_FD export of an RGBA8 optimal image's memory
     * @param memoryImport OPAQUE_FD import of the same
     * @param memoryDedicatedOnly the driver demands a dedicated allocation for such memory
     * @param binarySemaphoreExport binary semaphores exportable as OPAQUE_FD
     * @param binarySemaphoreImport binary semaphores importable as OPAQUE_FD
     * @param timelineSemaphoreExport timeline semaphores exportable as OPAQUE_FD
     * @param timelineSemaphoreImport timeline semaphores importable as OPAQUE_FD
     * @param dmaBufExport DMA_BUF export of an RGBA8 optimal image's memory (reported, not used by Baton)
     * @param dmaBufImport DMA_BUF import of the same
     * @param dmaBufDedicatedOnly the driver demands a dedicated allocation for DMA_BUF memory
     * @param hostMemoryImport {@code VK_EXT_external_memory_host} can import host memory for a linear
     *     RGBA8 image with Baton's usage
     * @param driverVersion {@code VkPhysicalDeviceProperties.driverVersion}, packed the driver's way (0: unknown)
     */
    public PhysicalDeviceInfo {
        extensions = Set.copyOf(extensions);
    }

    /**
     * Without the packed driver version (descriptions made by hand, as in tests): no host memory
     * import, driver version 0 (unknown).
     *
     * @param index position in {@code vkEnumeratePhysicalDevices} order
     * @param name {@code deviceName}, e.g. {@code llvmpipe (LLVM 15.0.6, 256 bits)}
     * @param deviceType a {@code VkPhysicalDeviceType}; see {@link #deviceTypeString()}
     * @param driverName {@code VkPhysicalDeviceDriverProperties.driverName}
     * @param driverInfo {@code VkPhysicalDeviceDriverProperties.driverInfo}
     * @param driverId a {@code VkDriverId}
     * @param apiVersion packed Vulkan version the device supports
     * @param driverUuidHex {@code VkPhysicalDeviceIDProperties.driverUUID} as hex
     * @param deviceUuidHex {@code VkPhysicalDeviceIDProperties.deviceUUID} as hex
     * @param extensions device extension names
     * @param memoryExport OPAQUE_FD export of an RGBA8 optimal image's memory
     * @param memoryImport OPAQUE_FD import of the same
     * @param memoryDedicatedOnly the driver demands a dedicated allocation for such memory
     * @param binarySemaphoreExport binary semaphores exportable as OPAQUE_FD
     * @param binarySemaphoreImport binary semaphores importable as OPAQUE_FD
     * @param timelineSemaphoreExport timeline semaphores exportable as OPAQUE_FD
     * @param timelineSemaphoreImport timeline semaphores importable as OPAQUE_FD
     * @param dmaBufExport DMA_BUF export of an RGBA8 optimal image's memory (reported, not used by Baton)
     * @param dmaBufImport DMA_BUF import of the same
     * @param dmaBufDedicatedOnly the driver demands a dedicated allocation for DMA_BUF memory
     */
    public PhysicalDeviceInfo(int index, String name, int deviceType, String driverName, String driverInfo, int driverId, int apiVersion,
                              String driverUuidHex, String deviceUuidHex, Set<String> extensions, boolean memoryExport, boolean memoryImport,
                              boolean memoryDedicatedOnly, boolean binarySemaphoreExport, boolean binarySemaphoreImport,
                              boolean timelineSemaphoreExport, boolean timelineSemaphoreImport, boolean dmaBufExport, boolean dmaBufImport,
                              boolean dmaBufDedicatedOnly) {
        this(index, name, deviceType, driverName, driverInfo, driverId, apiVersion, driverUuidHex, deviceUuidHex, extensions, memoryExport,
                memoryImport, memoryDedicatedOnly, binarySemaphoreExport, binarySemaphoreImport, timelineSemaphoreExport,
                timelineSemaphoreImport, dmaBufExport, dmaBufImport, dmaBufDedicatedOnly, false, 0);
    }

    /**
     * {@link #driverVersion()} decoded: NVIDIA packs it 10.8.8.6 bits, Intel's Windows driver 18.14,
     * every other driver as a Vulkan version (major.minor.patch); empty when unknown.
     *
     * @return the dotted version, or an empty string when {@link #driverVersion()} is 0
     */
    public String driverVersionString() {
        if (driverVersion == 0) {
            return "";
        }
        if (driverId == VK_DRIVER_ID_NVIDIA_PROPRIETARY) {
            return (driverVersion >>> 22) + "." + ((driverVersion >>> 14) & 0xFF) + "." + ((driverVersion >>> 6) & 0xFF) + "."
                    + (driverVersion & 0x3F);
        }
        if (driverId == VK_DRIVER_ID_INTEL_PROPRIETARY_WINDOWS) {
            return (driverVersion >>> 14) + "." + (driverVersion & 0x3FFF);
        }
        return (driverVersion >>> 22) + "." + ((driverVersion >>> 12) & 0x3FF) + "." + (driverVersion & 0xFFF);
    }

    /** {@return {@link #apiVersion()} as {@code major.minor.patch}} */
    public String apiVersionString() {
        return (apiVersion >>> 22) + "." + ((apiVersion >>> 12) & 0x3FF) + "." + (apiVersion & 0xFFF);
    }

    /** {@return a new array of the 16 bytes of {@link #driverUuidHex()}} */
    public byte[] driverUuid() {
        return HexFormat.of().parseHex(driverUuidHex);
    }

    /** {@return a new array of the 16 bytes of {@link #deviceUuidHex()}} */
    public byte[] deviceUuid() {
        return HexFormat.of().parseHex(deviceUuidHex);
    }

    /**
     * True for a driver that rasterizes on the CPU: device type CPU, or lavapipe / SwiftShader by
     * driver ID (both report CPU, but the ID is what the spec guarantees to identify a driver).
     *
     * @return whether this device rasterizes on the CPU
     */
    public boolean cpuDriver() {
        return deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU || driverId == VK_DRIVER_ID_MESA_LLVMPIPE
                || driverId == VK_DRIVER_ID_GOOGLE_SWIFTSHADER;
    }

    /**
     * {@code VkPhysicalDeviceType} in words: {@code integrated GPU}, {@code discrete GPU},
     * {@code virtual GPU}, {@code CPU} or {@code other}.
     *
     * @return the type in words
     */
    public String deviceTypeString() {
        switch (deviceType) {
            case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
            case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
            case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
            case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
            default: return "other";
        }
    }

    /**
     * A short driver label from {@link #driverId()}, such as {@code lavapipe}, {@code SwiftShader}
     * or {@code RADV}; the driver name for ids it does not know.
     *
     * @return the label
     */
    public String driverLabel() {
        switch (driverId) {
            case VK_DRIVER_ID_AMD_PROPRIETARY: return "AMD proprietary";
            case VK_DRIVER_ID_AMD_OPEN_SOURCE: return "AMDVLK";
            case VK_DRIVER_ID_MESA_RADV: return "RADV";
            case VK_DRIVER_ID_NVIDIA_PROPRIETARY: return "NVIDIA";
            case VK_DRIVER_ID_INTEL_PROPRIETARY_WINDOWS: return "Intel proprietary";
            case VK_DRIVER_ID_INTEL_OPEN_SOURCE_MESA: return "ANV";
            case VK_DRIVER_ID_IMAGINATION_PROPRIETARY: return "Imagination";
            case VK_DRIVER_ID_QUALCOMM_PROPRIETARY: return "Qualcomm";
            case VK_DRIVER_ID_ARM_PROPRIETARY: return "ARM";
            case VK_DRIVER_ID_GOOGLE_SWIFTSHADER: return "SwiftShader";
            case VK_DRIVER_ID_GGP_PROPRIETARY: return "GGP";
            case VK_DRIVER_ID_BROADCOM_PROPRIETARY: return "Broadcom";
            case VK_DRIVER_ID_MESA_LLVMPIPE: return "lavapipe";
            case VK_DRIVER_ID_MOLTENVK: return "MoltenVK";
            case VK_DRIVER_ID_MESA_TURNIP: return "Turnip";
            case VK_DRIVER_ID_MESA_V3DV: return "V3DV";
            case VK_DRIVER_ID_MESA_PANVK: return "PanVK";
            case VK_DRIVER_ID_MESA_VENUS: return "Venus";
            case VK_DRIVER_ID_MESA_DOZEN: return "Dozen";
            case VK_DRIVER_ID_MESA_NVK: return "NVK";
            default: return driverName.isEmpty() ? "unknown driver" : driverName;
        }
    }

    /** {@return the GPU-free view used by {@link dev.baton.render.SyncTierSelector}, named {@code "<name> #<index>"}} */
    public InteropCapabilities capabilities() {
        return capabilities(name + " #" + index);
    }

    /**
     * Like {@link #capabilities()} with another participant name (it appears in tier reasons). These
     * are the physical device's facts; a {@link DeviceContext} that enables the fd extensions (it does
     * whenever they exist) has the same capabilities.
     *
     * @param participantName the name for reasons
     * @return the capabilities
     */
    public InteropCapabilities capabilities(String participantName) {
        return new InteropCapabilities(participantName, driverUuidHex, deviceUuidHex, memoryExport, memoryImport,
                binarySemaphoreExport, binarySemaphoreImport, timelineSemaphoreExport, timelineSemaphoreImport,
                hostMemoryImport);
    }

    /** {@return one line for {@code ./baton devices}} */
    public String summary() {
        return String.format("#%d %s [%s %s, Vulkan %s] driverUUID %s deviceUUID %s; memory fd export %s import %s; "
                        + "binary semaphore fd export %s import %s; timeline semaphore fd export %s import %s",
                index, name, driverName, driverInfo, apiVersionString(), driverUuidHex, deviceUuidHex,
                yes(memoryExport), yes(memoryImport), yes(binarySemaphoreExport), yes(binarySemaphoreImport),
                yes(timelineSemaphoreExport), yes(timelineSemaphoreImport));
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }
}
