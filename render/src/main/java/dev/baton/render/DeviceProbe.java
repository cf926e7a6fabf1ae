package dev.baton.render;

import static org.lwjgl.vulkan.VK12.*;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * A self-contained probe of every Vulkan physical device: creates a throwaway {@code VkInstance},
 * reads identity and OPAQUE_FD interop support, destroys the instance. Used by {@code ./baton
 * devices}; no device is created. Any thread; each call makes its own instance.
 *
 * <p>Interop support is asked for exactly the surfaces Baton shares: a 2D {@code R8G8B8A8_UNORM}
 * image, OPTIMAL tiling, usage transfer src/dst + sampled + color attachment.
 */
public final class DeviceProbe {
    /** Debian packages that provide the Vulkan loader and CPU drivers (lavapipe). */
    public static final String PACKAGES = "libvulkan1 mesa-vulkan-drivers";

    private static final int VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT = 0x200;
    private static final int IMAGE_USAGE = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT
            | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;

    private DeviceProbe() {}

    /** Vulkan cannot be used: no loader, no driver (ICD), or no physical device. */
    public static final class VulkanUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public VulkanUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Export/import support for one external handle type. */
    public record ExternalSupport(boolean exportable, boolean importable, boolean dedicatedOnly) {
        public static final ExternalSupport NONE = new ExternalSupport(false, false, false);

        @Override
        public String toString() {
            if (!exportable && !importable) {
                return "none";
            }
            return (exportable && importable ? "export+import" : exportable ? "export only" : "import only")
                    + (dedicatedOnly ? " (dedicated only)" : "");
        }
    }

    /**
     * One physical device, immutable.
     *
     * @param driverId {@code VkDriverId}, 0 if the device is below Vulkan 1.2
     * @param apiVersion packed {@code VK_MAKE_API_VERSION}
     */
    public record PhysicalDeviceCaps(
            int index,
            String name,
            int deviceType,
            int driverId,
            String driverName,
            String driverInfo,
            int apiVersion,
            byte[] driverUuid,
            byte[] deviceUuid,
            ExternalSupport imageOpaqueFd,
            ExternalSupport imageDmaBuf,
            ExternalSupport binarySemaphoreOpaqueFd,
            ExternalSupport timelineSemaphoreOpaqueFd) {

        public PhysicalDeviceCaps {
            driverUuid = driverUuid.clone();
            deviceUuid = deviceUuid.clone();
        }

        @Override
        public byte[] driverUuid() {
            return driverUuid.clone();
        }

        @Override
        public byte[] deviceUuid() {
            return deviceUuid.clone();
        }

        /** A short driver label: "lavapipe", "SwiftShader", "RADV", ... or the driver name. */
        public String driverLabel() {
            switch (driverId) {
                case 1: return "AMD proprietary";
                case 2: return "AMD open source";
                case 3: return "RADV";
                case 4: return "NVIDIA";
                case 5: return "Intel proprietary";
                case 6: return "ANV";
                case 10: return "SwiftShader";
                case 13: return "lavapipe";
                case 7: return "Imagination";
                case 8: return "Qualcomm";
                case 9: return "ARM";
                case 11: return "GGP";
                case 12: return "Broadcom";
                case 14: return "MoltenVK";
                case 18: return "Turnip";
                case 19: return "V3DV";
                case 20: return "PanVK";
                case 22: return "Venus";
                case 23: return "Dozen";
                case 24: return "NVK";
                default: return driverName.isEmpty() ? "unknown driver" : driverName;
            }
        }

        /** {@code major.minor.patch}. */
        public String apiVersionString() {
            return VK_API_VERSION_MAJOR(apiVersion) + "." + VK_API_VERSION_MINOR(apiVersion) + "." + VK_API_VERSION_PATCH(apiVersion);
        }

        public String deviceTypeString() {
            switch (deviceType) {
                case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
                case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
                case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
                case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
                default: return "other";
            }
        }

        /** This device as a {@link TierChoice} participant. */
        public TierChoice.Caps toTierCaps(String label) {
            return new TierChoice.Caps(label, driverUuid, deviceUuid,
                    imageOpaqueFd.exportable(), imageOpaqueFd.importable(),
                    binarySemaphoreOpaqueFd.exportable(), binarySemaphoreOpaqueFd.importable(),
                    timelineSemaphoreOpaqueFd.exportable(), timelineSemaphoreOpaqueFd.importable());
        }

        public static String hex(byte[] uuid) {
            return HexFormat.of().formatHex(uuid);
        }
    }

    /**
     * Probes all physical devices.
     *
     * @throws VulkanUnavailableException if the loader is missing, instance creation fails, or there
     *     are no physical devices; the message names the packages to install
     */
    public static List<PhysicalDeviceCaps> probe() {
        try {
            VK.getFunctionProvider(); // loads libvulkan.so.1 (or throws) before any vk* call
        } catch (RuntimeException | LinkageError e) {
            throw new VulkanUnavailableException("cannot load the Vulkan loader libvulkan.so.1 (" + e
                    + "); install " + PACKAGES, e);
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkApplicationInfo app = VkApplicationInfo.calloc(stack).sType$Default()
                    .pApplicationName(stack.UTF8("baton-devices")).apiVersion(VK_API_VERSION_1_2);
            VkInstanceCreateInfo info = VkInstanceCreateInfo.calloc(stack).sType$Default().pApplicationInfo(app);
            PointerBuffer handle = stack.mallocPointer(1);
            int result = vkCreateInstance(info, null, handle);
            if (result < 0) {
                throw new VulkanUnavailableException("vkCreateInstance failed with " + VkResults.name(result)
                        + ": no Vulkan driver (ICD) is installed or usable; install " + PACKAGES
                        + " (or check VK_DRIVER_FILES / VK_ICD_FILENAMES)", null);
            }
            VkInstance instance = new VkInstance(handle.get(0), info);
            try {
                IntBuffer count = stack.mallocInt(1);
                VkResults.check(vkEnumeratePhysicalDevices(instance, count, null), "vkEnumeratePhysicalDevices");
                if (count.get(0) == 0) {
                    throw new VulkanUnavailableException("the Vulkan loader found no physical device; install " + PACKAGES, null);
                }
                PointerBuffer devices = stack.mallocPointer(count.get(0));
                VkResults.check(vkEnumeratePhysicalDevices(instance, count, devices), "vkEnumeratePhysicalDevices");
                List<PhysicalDeviceCaps> result2 = new ArrayList<>();
                for (int i = 0; i < count.get(0); i++) {
                    result2.add(probeDevice(i, new VkPhysicalDevice(devices.get(i), instance)));
                }
                return List.copyOf(result2);
            } finally {
                vkDestroyInstance(instance, null);
            }
        }
    }

    private static PhysicalDeviceCaps probeDevice(int index, VkPhysicalDevice device) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkPhysicalDeviceProperties basic = VkPhysicalDeviceProperties.malloc(stack);
            vkGetPhysicalDeviceProperties(device, basic);
            int apiVersion = basic.apiVersion();
            boolean vulkan12 = VK_API_VERSION_MINOR(apiVersion) >= 2 || VK_API_VERSION_MAJOR(apiVersion) > 1;
            Set<String> extensions = deviceExtensions(device, stack);

            VkPhysicalDeviceIDProperties ids = VkPhysicalDeviceIDProperties.calloc(stack).sType$Default();
            VkPhysicalDeviceDriverProperties driver = VkPhysicalDeviceDriverProperties.calloc(stack).sType$Default();
            VkPhysicalDeviceProperties2 props = VkPhysicalDeviceProperties2.calloc(stack).sType$Default().pNext(ids);
            if (vulkan12) {
                props.pNext(driver); // only chained where the struct is core, to stay valid on 1.1 devices
            }
            vkGetPhysicalDeviceProperties2(device, props);
            byte[] driverUuid = new byte[VK_UUID_SIZE];
            byte[] deviceUuid = new byte[VK_UUID_SIZE];
            ids.driverUUID().get(0, driverUuid);
            ids.deviceUUID().get(0, deviceUuid);

            boolean memoryFd = extensions.contains("VK_KHR_external_memory_fd");
            boolean semaphoreFd = extensions.contains("VK_KHR_external_semaphore_fd");
            ExternalSupport opaqueFd = memoryFd ? imageSupport(device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT) : ExternalSupport.NONE;
            ExternalSupport dmaBuf = memoryFd && extensions.contains("VK_EXT_external_memory_dma_buf")
                    ? imageSupport(device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT) : ExternalSupport.NONE;
            ExternalSupport binary = semaphoreFd ? semaphoreSupport(device, VK_SEMAPHORE_TYPE_BINARY) : ExternalSupport.NONE;
            boolean timelines = vulkan12 || extensions.contains("VK_KHR_timeline_semaphore");
            ExternalSupport timeline = semaphoreFd && timelines ? semaphoreSupport(device, VK_SEMAPHORE_TYPE_TIMELINE) : ExternalSupport.NONE;

            return new PhysicalDeviceCaps(index, basic.deviceNameString(), basic.deviceType(),
                    vulkan12 ? driver.driverID() : 0, vulkan12 ? driver.driverNameString() : "", vulkan12 ? driver.driverInfoString() : "",
                    apiVersion, driverUuid, deviceUuid, opaqueFd, dmaBuf, binary, timeline);
        }
    }

    private static Set<String> deviceExtensions(VkPhysicalDevice device, MemoryStack stack) {
        IntBuffer count = stack.mallocInt(1);
        VkResults.check(vkEnumerateDeviceExtensionProperties(device, (String) null, count, null), "vkEnumerateDeviceExtensionProperties");
        VkExtensionProperties.Buffer properties = VkExtensionProperties.malloc(count.get(0), stack);
        VkResults.check(vkEnumerateDeviceExtensionProperties(device, (String) null, count, properties), "vkEnumerateDeviceExtensionProperties");
        Set<String> names = new HashSet<>();
        for (VkExtensionProperties p : properties) {
            names.add(p.extensionNameString());
        }
        return names;
    }

    private static ExternalSupport imageSupport(VkPhysicalDevice device, int handleType) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkPhysicalDeviceExternalImageFormatInfo external = VkPhysicalDeviceExternalImageFormatInfo.calloc(stack).sType$Default()
                    .handleType(handleType);
            VkPhysicalDeviceImageFormatInfo2 info = VkPhysicalDeviceImageFormatInfo2.calloc(stack).sType$Default().pNext(external)
                    .format(VK_FORMAT_R8G8B8A8_UNORM).type(VK_IMAGE_TYPE_2D).tiling(VK_IMAGE_TILING_OPTIMAL).usage(IMAGE_USAGE);
            VkExternalImageFormatProperties externalProps = VkExternalImageFormatProperties.calloc(stack).sType$Default();
            VkImageFormatProperties2 props = VkImageFormatProperties2.calloc(stack).sType$Default().pNext(externalProps);
            int result = vkGetPhysicalDeviceImageFormatProperties2(device, info, props);
            if (result == VK_ERROR_FORMAT_NOT_SUPPORTED) {
                return ExternalSupport.NONE; // this combination cannot be external at all
            }
            VkResults.check(result, "vkGetPhysicalDeviceImageFormatProperties2");
            int features = externalProps.externalMemoryProperties().externalMemoryFeatures();
            return new ExternalSupport((features & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) != 0,
                    (features & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0,
                    (features & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT) != 0);
        }
    }

    private static ExternalSupport semaphoreSupport(VkPhysicalDevice device, int semaphoreType) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkSemaphoreTypeCreateInfo type = VkSemaphoreTypeCreateInfo.calloc(stack).sType$Default().semaphoreType(semaphoreType);
            VkPhysicalDeviceExternalSemaphoreInfo info = VkPhysicalDeviceExternalSemaphoreInfo.calloc(stack).sType$Default()
                    .pNext(type).handleType(VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT);
            VkExternalSemaphoreProperties props = VkExternalSemaphoreProperties.calloc(stack).sType$Default();
            vkGetPhysicalDeviceExternalSemaphoreProperties(device, info, props);
            int features = props.externalSemaphoreFeatures();
            return new ExternalSupport((features & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0,
                    (features & VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT) != 0, false);
        }
    }
}
