package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.system.MemoryUtil.NULL;
import static org.lwjgl.vulkan.EXTDebugUtils.*;
import static org.lwjgl.vulkan.EXTExternalMemoryDmaBuf.*;
import static org.lwjgl.vulkan.EXTLayerSettings.VK_LAYER_SETTING_TYPE_BOOL32_EXT;
import static org.lwjgl.vulkan.EXTLayerSettings.VK_STRUCTURE_TYPE_LAYER_SETTINGS_CREATE_INFO_EXT;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;
import static org.lwjgl.vulkan.VK12.*;

import dev.baton.render.SyncTierSelector;
import dev.baton.render.VkResults;
import dev.baton.render.VulkanUnavailableException;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * One {@code VkInstance} (API 1.3), optionally under the Khronos validation layer with
 * synchronization validation, plus a debug-utils messenger that counts and records every warning
 * and error the layer reports.
 *
 * <p>Thread-safety: creation and {@link #close()} on one thread, after every {@link DeviceContext}
 * made from it is closed. The query methods are safe from any thread; the message counters are
 * updated from whatever thread the driver reports on.
 */
public final class VulkanInstance implements AutoCloseable {
    /** The validation layer's name. */
    public static final String VALIDATION_LAYER = "VK_LAYER_KHRONOS_validation";
    private static final int MAX_RECORDED_MESSAGES = 200;

    private final VkInstance instance;
    private final long messenger; // VkDebugUtilsMessengerEXT
    private final VkDebugUtilsMessengerCallbackEXT callback;
    private final boolean validation;
    private final List<PhysicalDeviceInfo> devices;
    private final AtomicInteger messageCount = new AtomicInteger();
    private final List<String> messages = Collections.synchronizedList(new ArrayList<>());
    private boolean closed;

    /**
     * Creates an instance without validation.
     *
     * @return the instance, owned by the caller
     * @throws VulkanUnavailableException if there is no loader, no usable driver or no physical device
     */
    public static VulkanInstance create() {
        return create(false);
    }

    /**
     * Creates an instance.
     *
     * @param validation enable {@value #VALIDATION_LAYER} with synchronization validation and count its
     *                   messages; fails if the layer is not installed (install {@code vulkan-validationlayers}
     *                   or run through {@code ./baton}, which points {@code VK_LAYER_PATH} at a newer build)
     * @return the instance, owned by the caller
     * @throws VulkanUnavailableException if {@code libvulkan.so.1} cannot be loaded, {@code vkCreateInstance}
     *                   finds no usable driver, or no physical device is listed; the message names the packages
     * @throws dev.baton.render.VulkanException for any other failed Vulkan call
     */
    public static VulkanInstance create(boolean validation) {
        return new VulkanInstance(validation);
    }

    /** {@return true if the Vulkan loader can be loaded and lists {@value #VALIDATION_LAYER}} */
    public static boolean validationLayerAvailable() {
        try {
            requireLoader();
        } catch (VulkanUnavailableException e) {
            return false;
        }
        try (MemoryStack stack = stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            VkResults.check(vkEnumerateInstanceLayerProperties(count, null), "vkEnumerateInstanceLayerProperties");
            VkLayerProperties.Buffer props = VkLayerProperties.malloc(count.get(0), stack);
            VkResults.check(vkEnumerateInstanceLayerProperties(count, props), "vkEnumerateInstanceLayerProperties");
            for (VkLayerProperties p : props) {
                if (p.layerNameString().equals(VALIDATION_LAYER)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Loads {@code libvulkan.so.1} through LWJGL before any {@code vk*} call: a missing loader makes
     * LWJGL's {@code VK} class fail to initialize, which would otherwise surface as an opaque
     * {@link ExceptionInInitializerError} or {@link NoClassDefFoundError}.
     */
    private static void requireLoader() {
        try {
            VK.getFunctionProvider();
        } catch (RuntimeException | LinkageError e) {
            throw VulkanUnavailableException.loaderMissing(e);
        }
    }

    private VulkanInstance(boolean validation) {
        this.validation = validation;
        requireLoader();
        if (validation && !validationLayerAvailable()) {
            throw new IllegalStateException(VALIDATION_LAYER + " is not installed: apt-get install vulkan-validationlayers, "
                    + "or run through ./baton (it points VK_LAYER_PATH at chromium-common's newer layer)");
        }
        VkDebugUtilsMessengerCallbackEXT cb = null;
        VkInstance created = null;
        try (MemoryStack stack = stackPush()) {
            VkApplicationInfo app = VkApplicationInfo.calloc(stack).sType$Default()
                    .pApplicationName(stack.UTF8("baton")).pEngineName(stack.UTF8("baton"))
                    .apiVersion(VK13.VK_API_VERSION_1_3);
            PointerBuffer layers = null;
            PointerBuffer extensions = null;
            long next = NULL;
            if (validation) {
                layers = stack.pointers(stack.UTF8(VALIDATION_LAYER));
                extensions = stack.pointers(stack.UTF8(VK_EXT_DEBUG_UTILS_EXTENSION_NAME));
                cb = VkDebugUtilsMessengerCallbackEXT.create(this::onMessage);
                VkDebugUtilsMessengerCreateInfoEXT messengerInfo = messengerInfo(stack, cb);
                // New-style layer settings (the layer in chromium-common ignores VK_LAYER_ENABLES):
                // synchronization validation on, core and object-lifetime checks stay on by default.
                VkLayerSettingEXT.Buffer settings = VkLayerSettingEXT.calloc(1, stack);
                settings.get(0).pLayerName(stack.UTF8(VALIDATION_LAYER)).pSettingName(stack.UTF8("validate_sync"))
                        .type(VK_LAYER_SETTING_TYPE_BOOL32_EXT).pValues(MemoryUtil.memByteBuffer(stack.ints(VK_TRUE))).valueCount(1);
                VkLayerSettingsCreateInfoEXT layerSettings = VkLayerSettingsCreateInfoEXT.calloc(stack)
                        .sType(VK_STRUCTURE_TYPE_LAYER_SETTINGS_CREATE_INFO_EXT).pSettings(settings);
                messengerInfo.pNext(layerSettings.address());
                next = messengerInfo.address();
            }
            VkInstanceCreateInfo info = VkInstanceCreateInfo.calloc(stack).sType$Default().pNext(next)
                    .pApplicationInfo(app).ppEnabledLayerNames(layers).ppEnabledExtensionNames(extensions);
            PointerBuffer handle = stack.mallocPointer(1);
            int result = vkCreateInstance(info, null, handle);
            if (result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED) {
                throw VulkanUnavailableException.noDriver(result); // what the loader returns without a usable ICD
            }
            VkResults.check(result, "vkCreateInstance");
            created = new VkInstance(handle.get(0), info);
            long messengerHandle = NULL;
            if (validation) {
                LongBuffer pMessenger = stack.mallocLong(1);
                VkResults.check(vkCreateDebugUtilsMessengerEXT(created, messengerInfo(stack, cb), null, pMessenger),
                        "vkCreateDebugUtilsMessengerEXT");
                messengerHandle = pMessenger.get(0);
            }
            this.instance = created;
            this.callback = cb;
            this.messenger = messengerHandle;
            this.devices = List.copyOf(enumerate());
            if (devices.isEmpty()) {
                throw VulkanUnavailableException.noPhysicalDevice();
            }
        } catch (RuntimeException e) {
            // All-or-nothing: undo what was made before rethrowing.
            if (created != null) {
                vkDestroyInstance(created, null);
            }
            if (cb != null) {
                cb.free();
            }
            throw e;
        }
    }

    private static VkDebugUtilsMessengerCreateInfoEXT messengerInfo(MemoryStack stack, VkDebugUtilsMessengerCallbackEXT cb) {
        return VkDebugUtilsMessengerCreateInfoEXT.calloc(stack).sType$Default()
                .messageSeverity(VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
                .messageType(VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT
                        | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT)
                .pfnUserCallback(cb);
    }

    private int onMessage(int severity, int types, long pCallbackData, long pUserData) {
        VkDebugUtilsMessengerCallbackDataEXT data = VkDebugUtilsMessengerCallbackDataEXT.create(pCallbackData);
        String text = data.pMessageString();
        // The loader reports ICD manifests for GPUs this machine does not have as GENERAL warnings
        // (e.g. intel/radeon manifests installed by mesa-vulkan-drivers): not ours, not a validation finding.
        if ((types & VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT) == 0 && (types & VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT) == 0
                && data.pMessageIdNameString() == null) {
            return VK_FALSE;
        }
        messageCount.incrementAndGet();
        if (messages.size() < MAX_RECORDED_MESSAGES) {
            String level = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) != 0 ? "ERROR" : "WARNING";
            messages.add(level + " [" + Thread.currentThread().getName() + "] " + text + objectNames(data));
        }
        return VK_FALSE;
    }

    /** The debug-utils names of the objects a message is about (Baton names its own with validation on), or "". */
    private static String objectNames(VkDebugUtilsMessengerCallbackDataEXT data) {
        VkDebugUtilsObjectNameInfoEXT.Buffer objects = data.pObjects();
        StringBuilder names = new StringBuilder();
        for (int i = 0; objects != null && i < objects.remaining(); i++) {
            String name = objects.get(objects.position() + i).pObjectNameString();
            if (name != null) {
                names.append(names.length() == 0 ? " [objects: " : ", ").append(name);
            }
        }
        return names.length() == 0 ? "" : names.append(']').toString();
    }

    private List<PhysicalDeviceInfo> enumerate() {
        try (MemoryStack stack = stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            VkResults.check(vkEnumeratePhysicalDevices(instance, count, null), "vkEnumeratePhysicalDevices");
            PointerBuffer handles = stack.mallocPointer(count.get(0));
            VkResults.check(vkEnumeratePhysicalDevices(instance, count, handles), "vkEnumeratePhysicalDevices");
            List<PhysicalDeviceInfo> result = new ArrayList<>();
            for (int i = 0; i < count.get(0); i++) {
                result.add(describe(i, new VkPhysicalDevice(handles.get(i), instance)));
            }
            return result;
        }
    }

    static PhysicalDeviceInfo describe(int index, VkPhysicalDevice device) {
        try (MemoryStack stack = stackPush()) {
            VkPhysicalDeviceIDProperties ids = VkPhysicalDeviceIDProperties.calloc(stack).sType$Default();
            VkPhysicalDeviceDriverProperties driver = VkPhysicalDeviceDriverProperties.calloc(stack).sType$Default();
            ids.pNext(driver.address());
            VkPhysicalDeviceProperties2 props = VkPhysicalDeviceProperties2.calloc(stack).sType$Default().pNext(ids.address());
            vkGetPhysicalDeviceProperties2(device, props);

            Set<String> extensions = new HashSet<>();
            IntBuffer count = stack.mallocInt(1);
            VkResults.check(vkEnumerateDeviceExtensionProperties(device, (String) null, count, null), "vkEnumerateDeviceExtensionProperties");
            VkExtensionProperties.Buffer ext = VkExtensionProperties.malloc(count.get(0), stack);
            VkResults.check(vkEnumerateDeviceExtensionProperties(device, (String) null, count, ext), "vkEnumerateDeviceExtensionProperties");
            for (VkExtensionProperties e : ext) {
                extensions.add(e.extensionNameString());
            }

            boolean memoryFd = extensions.contains("VK_KHR_external_memory_fd");
            int memoryFeatures = memoryFd ? imageMemoryFeatures(device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT, VK_IMAGE_TILING_OPTIMAL) : 0;
            int dmaBufFeatures = memoryFd && extensions.contains(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME)
                    ? imageMemoryFeatures(device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT, VK_IMAGE_TILING_OPTIMAL) : 0;
            // Host memory backs a linear image (HostMemoryImport): the driver must say it can import that.
            int hostFeatures = extensions.contains(DeviceContext.EXTERNAL_MEMORY_HOST)
                    ? imageMemoryFeatures(device, EXTExternalMemoryHost.VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, VK_IMAGE_TILING_LINEAR)
                    : 0;
            int binary = extensions.contains("VK_KHR_external_semaphore_fd") ? semaphoreFeatures(device, VK_SEMAPHORE_TYPE_BINARY) : 0;
            int timeline = extensions.contains("VK_KHR_external_semaphore_fd") ? semaphoreFeatures(device, VK_SEMAPHORE_TYPE_TIMELINE) : 0;
            return new PhysicalDeviceInfo(index, props.properties().deviceNameString(), props.properties().deviceType(),
                    driver.driverNameString(), driver.driverInfoString(), driver.driverID(), props.properties().apiVersion(),
                    HexFormat.of().formatHex(bytes(ids.driverUUID())), HexFormat.of().formatHex(bytes(ids.deviceUUID())),
                    extensions,
                    (memoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) != 0,
                    (memoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0,
                    (memoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT) != 0,
                    (binary & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0,
                    (binary & VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT) != 0,
                    (timeline & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0,
                    (timeline & VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT) != 0,
                    (dmaBufFeatures & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) != 0,
                    (dmaBufFeatures & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0,
                    (dmaBufFeatures & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT) != 0,
                    (hostFeatures & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0,
                    props.properties().driverVersion());
        }
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    /** {@code VkExternalMemoryFeatureFlags} for memory of a shared surface image with the given handle type and tiling. */
    private static int imageMemoryFeatures(VkPhysicalDevice device, int handleType, int tiling) {
        try (MemoryStack stack = stackPush()) {
            VkPhysicalDeviceExternalImageFormatInfo external = VkPhysicalDeviceExternalImageFormatInfo.calloc(stack).sType$Default()
                    .handleType(handleType);
            VkPhysicalDeviceImageFormatInfo2 info = VkPhysicalDeviceImageFormatInfo2.calloc(stack).sType$Default().pNext(external.address())
                    .format(SurfaceImage.FORMAT).type(VK_IMAGE_TYPE_2D).tiling(tiling).usage(SurfaceImage.USAGE);
            VkExternalImageFormatProperties externalProps = VkExternalImageFormatProperties.calloc(stack).sType$Default();
            VkImageFormatProperties2 props = VkImageFormatProperties2.calloc(stack).sType$Default().pNext(externalProps.address());
            int result = vkGetPhysicalDeviceImageFormatProperties2(device, info, props);
            if (result == VK_ERROR_FORMAT_NOT_SUPPORTED) {
                return 0;
            }
            VkResults.check(result, "vkGetPhysicalDeviceImageFormatProperties2");
            return externalProps.externalMemoryProperties().externalMemoryFeatures();
        }
    }

    /** {@code VkExternalSemaphoreFeatureFlags} for OPAQUE_FD semaphores of the given {@code VkSemaphoreType}. */
    private static int semaphoreFeatures(VkPhysicalDevice device, int semaphoreType) {
        try (MemoryStack stack = stackPush()) {
            VkSemaphoreTypeCreateInfo type = VkSemaphoreTypeCreateInfo.calloc(stack).sType$Default().semaphoreType(semaphoreType);
            VkPhysicalDeviceExternalSemaphoreInfo info = VkPhysicalDeviceExternalSemaphoreInfo.calloc(stack).sType$Default()
                    .pNext(type.address()).handleType(VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT);
            VkExternalSemaphoreProperties props = VkExternalSemaphoreProperties.calloc(stack).sType$Default();
            vkGetPhysicalDeviceExternalSemaphoreProperties(device, info, props);
            return props.externalSemaphoreFeatures();
        }
    }

    /** The handle, for {@link DeviceContext}. */
    VkInstance handle() {
        checkOpen();
        return instance;
    }

    /** The physical device with the given enumeration index. */
    VkPhysicalDevice physicalDevice(int index) {
        checkOpen();
        try (MemoryStack stack = stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            VkResults.check(vkEnumeratePhysicalDevices(instance, count, null), "vkEnumeratePhysicalDevices");
            PointerBuffer handles = stack.mallocPointer(count.get(0));
            VkResults.check(vkEnumeratePhysicalDevices(instance, count, handles), "vkEnumeratePhysicalDevices");
            return new VkPhysicalDevice(handles.get(index), instance);
        }
    }

    /** {@return every physical device, in enumeration order. Immutable} */
    public List<PhysicalDeviceInfo> physicalDevices() {
        return devices;
    }

    /** One row of {@link #interopReport()}: the tier two physical devices would use, and why. */
    public record PairTier(PhysicalDeviceInfo a, PhysicalDeviceInfo b, SyncTierSelector.Choice choice) {}

    /**
     * For {@code ./baton devices}: every unordered pair of physical devices (and each device with itself).
     *
     * @return one row per pair, immutable
     */
    public List<PairTier> interopReport() {
        List<PairTier> rows = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            for (int j = i; j < devices.size(); j++) {
                PhysicalDeviceInfo a = devices.get(i);
                PhysicalDeviceInfo b = devices.get(j);
                rows.add(new PairTier(a, b, SyncTierSelector.choose(a.capabilities(), b.capabilities())));
            }
        }
        return List.copyOf(rows);
    }

    /** {@return true if this instance runs under the validation layer} */
    public boolean validationEnabled() {
        return validation;
    }

    /** {@return warnings and errors reported by the validation layer so far (0 without validation)} */
    public int validationMessageCount() {
        return messageCount.get();
    }

    /** {@return a copy of the first recorded messages (at most 200)} */
    public List<String> validationMessages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    /** Throws if the validation layer reported anything; call at shutdown (after closing the devices). */
    public void assertNoValidationMessages() {
        int n = messageCount.get();
        if (n != 0) {
            throw new IllegalStateException("the validation layer reported " + n + " message(s); fix the Vulkan usage each"
                    + " names (the first ones follow):\n  " + String.join("\n  ", validationMessages()));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("VulkanInstance is closed: create a new one (VulkanInstance.create), and close"
                    + " it only after every DeviceContext made from it");
        }
    }

    /** Destroys the messenger and the instance. Idempotent. Close every {@link DeviceContext} first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (messenger != NULL) {
            vkDestroyDebugUtilsMessengerEXT(instance, messenger, null);
        }
        vkDestroyInstance(instance, null);
        if (callback != null) {
            callback.free();
        }
    }

}
