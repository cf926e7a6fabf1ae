package dev.baton.render.vk;

import dev.baton.render.InteropCapabilities;
import java.util.HexFormat;
import java.util.Set;

/**
 * Immutable facts about one Vulkan physical device, gathered once by {@link VulkanInstance}.
 *
 * @param index                   position in {@code vkEnumeratePhysicalDevices} order
 * @param name                    {@code deviceName}, e.g. {@code llvmpipe (LLVM 15.0.6, 256 bits)}
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
 */
public record PhysicalDeviceInfo(
        int index,
        String name,
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
        boolean timelineSemaphoreImport) {

    public PhysicalDeviceInfo {
        extensions = Set.copyOf(extensions);
    }

    /** {@code major.minor.patch}. */
    public String apiVersionString() {
        return (apiVersion >>> 22) + "." + ((apiVersion >>> 12) & 0x3FF) + "." + (apiVersion & 0xFFF);
    }

    public byte[] driverUuid() {
        return HexFormat.of().parseHex(driverUuidHex);
    }

    public byte[] deviceUuid() {
        return HexFormat.of().parseHex(deviceUuidHex);
    }

    /** The GPU-free view used by {@link dev.baton.render.SyncTierSelector}. */
    public InteropCapabilities capabilities() {
        return new InteropCapabilities(name + " #" + index, driverUuidHex, deviceUuidHex, memoryExport, memoryImport,
                binarySemaphoreExport, binarySemaphoreImport, timelineSemaphoreExport, timelineSemaphoreImport);
    }

    /** One line for {@code ./baton devices}. */
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
