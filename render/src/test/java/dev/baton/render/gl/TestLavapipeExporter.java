package dev.baton.render.gl;

import static org.lwjgl.system.MemoryUtil.NULL;
import static org.lwjgl.vulkan.EXTDebugUtils.*;
import static org.lwjgl.vulkan.KHRExternalMemoryFd.*;
import static org.lwjgl.vulkan.VK11.*;

import dev.baton.render.ExportedImageMemory;
import dev.baton.render.VkResults;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * Test-only: a lavapipe image exported as OPAQUE_FD, with just enough Vulkan to write a pattern into
 * it and read it back. The real exporter is the Vulkan owner's; this exists so GL import can be
 * pixel-checked before that merges. Synchronization here is {@code vkQueueWaitIdle} (test setup only).
 *
 * <p>Runs under VK_LAYER_KHRONOS_validation when the layer is installed; {@link #validationMessages()}
 * collects warnings and errors.
 */
final class TestLavapipeExporter implements AutoCloseable, ExportedImageMemory {
    static final int USAGE = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT
            | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;

    private final int width;
    private final int height;
    private final int format; // VkFormat, R8G8B8A8_UNORM or B8G8R8A8_UNORM
    private final List<String> validationMessages = new ArrayList<>();
    private VkInstance instance;
    private long messenger; // VkDebugUtilsMessengerEXT
    private VkDebugUtilsMessengerCallbackEXT callback;
    private VkPhysicalDevice physicalDevice;
    private VkDevice device;
    private VkQueue queue;
    private int queueFamily;
    private long commandPool; // VkCommandPool
    private long image; // VkImage, OPTIMAL, exportable
    private long memory; // VkDeviceMemory, dedicated, exportable as OPAQUE_FD
    private long allocationSize;
    private int memoryTypeIndex;
    private int fd = -1; // the exported OPAQUE_FD; importers get dups
    private final byte[] driverUuid = new byte[VK_UUID_SIZE];
    private final byte[] deviceUuid = new byte[VK_UUID_SIZE];
    private String deviceName;
    /** The layout the image was left in when handed to the external (GL) side. */
    private int externalLayout = VK_IMAGE_LAYOUT_UNDEFINED;

    /**
     * @param wantDriverUuid, wantDeviceUuid pick the physical device with these UUIDs (GL's), so the
     *     test runs on the Vulkan twin of the GL renderer
     */
    TestLavapipeExporter(int width, int height, byte[] wantDriverUuid, byte[] wantDeviceUuid) {
        this(width, height, VK_FORMAT_R8G8B8A8_UNORM, wantDriverUuid, wantDeviceUuid);
    }

    TestLavapipeExporter(int width, int height, int vkFormat, byte[] wantDriverUuid, byte[] wantDeviceUuid) {
        this.width = width;
        this.height = height;
        this.format = vkFormat;
        try {
            createInstance();
            pickPhysicalDevice(wantDriverUuid, wantDeviceUuid);
            createDevice();
            createExportedImage();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private static void check(int result, String call) {
        VkResults.check(result, call);
    }

    private void createInstance() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            boolean validation = hasInstanceLayer(stack, "VK_LAYER_KHRONOS_validation");
            VkApplicationInfo app = VkApplicationInfo.calloc(stack).sType$Default()
                    .pApplicationName(stack.UTF8("baton-gl-test")).apiVersion(VK_API_VERSION_1_1);
            VkInstanceCreateInfo info = VkInstanceCreateInfo.calloc(stack).sType$Default().pApplicationInfo(app);
            if (validation) {
                info.ppEnabledLayerNames(stack.pointers(stack.UTF8("VK_LAYER_KHRONOS_validation")));
                info.ppEnabledExtensionNames(stack.pointers(stack.UTF8(VK_EXT_DEBUG_UTILS_EXTENSION_NAME)));
            }
            PointerBuffer handle = stack.mallocPointer(1);
            check(vkCreateInstance(info, null, handle), "vkCreateInstance");
            instance = new VkInstance(handle.get(0), info);
            if (validation) {
                callback = VkDebugUtilsMessengerCallbackEXT.create((severity, types, data, user) -> {
                    String message = VkDebugUtilsMessengerCallbackDataEXT.create(data).pMessageString();
                    synchronized (validationMessages) {
                        validationMessages.add(message);
                    }
                    return VK_FALSE;
                });
                VkDebugUtilsMessengerCreateInfoEXT messengerInfo = VkDebugUtilsMessengerCreateInfoEXT.calloc(stack).sType$Default()
                        .messageSeverity(VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
                        .messageType(VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT)
                        .pfnUserCallback(callback);
                LongBuffer pMessenger = stack.mallocLong(1);
                check(vkCreateDebugUtilsMessengerEXT(instance, messengerInfo, null, pMessenger), "vkCreateDebugUtilsMessengerEXT");
                messenger = pMessenger.get(0);
            }
        }
    }

    private static boolean hasInstanceLayer(MemoryStack stack, String name) {
        IntBuffer count = stack.mallocInt(1);
        check(vkEnumerateInstanceLayerProperties(count, null), "vkEnumerateInstanceLayerProperties");
        VkLayerProperties.Buffer layers = VkLayerProperties.malloc(count.get(0), stack);
        check(vkEnumerateInstanceLayerProperties(count, layers), "vkEnumerateInstanceLayerProperties");
        for (VkLayerProperties layer : layers) {
            if (layer.layerNameString().equals(name)) {
                return true;
            }
        }
        return false;
    }

    private void pickPhysicalDevice(byte[] wantDriverUuid, byte[] wantDeviceUuid) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            check(vkEnumeratePhysicalDevices(instance, count, null), "vkEnumeratePhysicalDevices");
            PointerBuffer devices = stack.mallocPointer(count.get(0));
            check(vkEnumeratePhysicalDevices(instance, count, devices), "vkEnumeratePhysicalDevices");
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < devices.capacity(); i++) {
                VkPhysicalDevice candidate = new VkPhysicalDevice(devices.get(i), instance);
                VkPhysicalDeviceIDProperties ids = VkPhysicalDeviceIDProperties.calloc(stack).sType$Default();
                VkPhysicalDeviceProperties2 props = VkPhysicalDeviceProperties2.calloc(stack).sType$Default().pNext(ids);
                vkGetPhysicalDeviceProperties2(candidate, props);
                byte[] driver = new byte[VK_UUID_SIZE];
                byte[] dev = new byte[VK_UUID_SIZE];
                ids.driverUUID().get(0, driver);
                ids.deviceUUID().get(0, dev);
                seen.add(props.properties().deviceNameString());
                if (Arrays.equals(driver, wantDriverUuid) && Arrays.equals(dev, wantDeviceUuid)) {
                    physicalDevice = candidate;
                    deviceName = props.properties().deviceNameString();
                    System.arraycopy(driver, 0, driverUuid, 0, VK_UUID_SIZE);
                    System.arraycopy(dev, 0, deviceUuid, 0, VK_UUID_SIZE);
                    return;
                }
            }
            throw new IllegalStateException("no Vulkan device has GL's UUIDs (devices: " + seen
                    + "); install mesa-vulkan-drivers (lavapipe) to pair with llvmpipe");
        }
    }

    private void createDevice() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, count, null);
            VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.malloc(count.get(0), stack);
            vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, count, families);
            queueFamily = -1;
            for (int i = 0; i < families.capacity(); i++) {
                if ((families.get(i).queueFlags() & VK_QUEUE_GRAPHICS_BIT) != 0) {
                    queueFamily = i;
                    break;
                }
            }
            if (queueFamily < 0) {
                throw new IllegalStateException("no graphics queue on " + deviceName);
            }
            VkDeviceQueueCreateInfo.Buffer queues = VkDeviceQueueCreateInfo.calloc(1, stack);
            queues.get(0).sType$Default().queueFamilyIndex(queueFamily).pQueuePriorities(stack.floats(1f));
            VkDeviceCreateInfo info = VkDeviceCreateInfo.calloc(stack).sType$Default().pQueueCreateInfos(queues)
                    .ppEnabledExtensionNames(stack.pointers(stack.UTF8(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME)));
            PointerBuffer handle = stack.mallocPointer(1);
            check(vkCreateDevice(physicalDevice, info, null, handle), "vkCreateDevice");
            device = new VkDevice(handle.get(0), physicalDevice, info);
            vkGetDeviceQueue(device, queueFamily, 0, handle);
            queue = new VkQueue(handle.get(0), device);
            VkCommandPoolCreateInfo poolInfo = VkCommandPoolCreateInfo.calloc(stack).sType$Default()
                    .flags(VK_COMMAND_POOL_CREATE_TRANSIENT_BIT).queueFamilyIndex(queueFamily);
            LongBuffer pool = stack.mallocLong(1);
            check(vkCreateCommandPool(device, poolInfo, null, pool), "vkCreateCommandPool");
            commandPool = pool.get(0);
        }
    }

    private void createExportedImage() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkExternalMemoryImageCreateInfo external = VkExternalMemoryImageCreateInfo.calloc(stack).sType$Default()
                    .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT);
            VkImageCreateInfo info = VkImageCreateInfo.calloc(stack).sType$Default().pNext(external)
                    .imageType(VK_IMAGE_TYPE_2D).format(format)
                    .extent(e -> e.set(width, height, 1)).mipLevels(1).arrayLayers(1)
                    .samples(VK_SAMPLE_COUNT_1_BIT).tiling(VK_IMAGE_TILING_OPTIMAL).usage(USAGE)
                    .sharingMode(VK_SHARING_MODE_EXCLUSIVE).initialLayout(VK_IMAGE_LAYOUT_UNDEFINED);
            LongBuffer pImage = stack.mallocLong(1);
            check(vkCreateImage(device, info, null, pImage), "vkCreateImage");
            image = pImage.get(0);

            VkMemoryRequirements requirements = VkMemoryRequirements.malloc(stack);
            vkGetImageMemoryRequirements(device, image, requirements);
            allocationSize = requirements.size();
            VkMemoryDedicatedAllocateInfo dedicated = VkMemoryDedicatedAllocateInfo.calloc(stack).sType$Default().image(image);
            VkExportMemoryAllocateInfo export = VkExportMemoryAllocateInfo.calloc(stack).sType$Default()
                    .pNext(dedicated.address()).handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT);
            memoryTypeIndex = memoryType(requirements.memoryTypeBits(), VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
            VkMemoryAllocateInfo allocate = VkMemoryAllocateInfo.calloc(stack).sType$Default().pNext(export)
                    .allocationSize(allocationSize).memoryTypeIndex(memoryTypeIndex);
            LongBuffer pMemory = stack.mallocLong(1);
            check(vkAllocateMemory(device, allocate, null, pMemory), "vkAllocateMemory(exportable)");
            memory = pMemory.get(0);
            check(vkBindImageMemory(device, image, memory, 0), "vkBindImageMemory");

            VkMemoryGetFdInfoKHR getFd = VkMemoryGetFdInfoKHR.calloc(stack).sType$Default().memory(memory)
                    .handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT);
            IntBuffer pFd = stack.mallocInt(1);
            check(vkGetMemoryFdKHR(device, getFd, pFd), "vkGetMemoryFdKHR");
            fd = pFd.get(0);
        }
    }

    private int memoryType(int typeBits, int wantFlags) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkPhysicalDeviceMemoryProperties props = VkPhysicalDeviceMemoryProperties.malloc(stack);
            vkGetPhysicalDeviceMemoryProperties(physicalDevice, props);
            for (int i = 0; i < props.memoryTypeCount(); i++) {
                if ((typeBits & (1 << i)) != 0 && (props.memoryTypes(i).propertyFlags() & wantFlags) == wantFlags) {
                    return i;
                }
            }
        }
        throw new IllegalStateException("no memory type with flags 0x" + Integer.toHexString(wantFlags) + " in bits 0x"
                + Integer.toHexString(typeBits));
    }

    /** Records commands with {@code recorder}, submits, and waits idle (test setup: simplicity over speed). */
    private void submitAndWait(java.util.function.Consumer<VkCommandBuffer> recorder) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkCommandBufferAllocateInfo allocate = VkCommandBufferAllocateInfo.calloc(stack).sType$Default()
                    .commandPool(commandPool).level(VK_COMMAND_BUFFER_LEVEL_PRIMARY).commandBufferCount(1);
            PointerBuffer pCmd = stack.mallocPointer(1);
            check(vkAllocateCommandBuffers(device, allocate, pCmd), "vkAllocateCommandBuffers");
            VkCommandBuffer cmd = new VkCommandBuffer(pCmd.get(0), device);
            check(vkBeginCommandBuffer(cmd, VkCommandBufferBeginInfo.calloc(stack).sType$Default()
                    .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)), "vkBeginCommandBuffer");
            recorder.accept(cmd);
            check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
            VkSubmitInfo submit = VkSubmitInfo.calloc(stack).sType$Default().pCommandBuffers(pCmd);
            check(vkQueueSubmit(queue, submit, VK_NULL_HANDLE), "vkQueueSubmit");
            check(vkQueueWaitIdle(queue), "vkQueueWaitIdle");
            vkFreeCommandBuffers(device, commandPool, pCmd);
        }
    }

    private void barrier(VkCommandBuffer cmd, int oldLayout, int newLayout, int srcAccess, int dstAccess,
            int srcFamily, int dstFamily, int srcStage, int dstStage) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkImageMemoryBarrier.Buffer barrier = VkImageMemoryBarrier.calloc(1, stack);
            barrier.get(0).sType$Default().srcAccessMask(srcAccess).dstAccessMask(dstAccess)
                    .oldLayout(oldLayout).newLayout(newLayout)
                    .srcQueueFamilyIndex(srcFamily).dstQueueFamilyIndex(dstFamily).image(image)
                    .subresourceRange(r -> r.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1));
            vkCmdPipelineBarrier(cmd, srcStage, dstStage, 0, null, null, barrier);
        }
    }

    /**
     * Clears the whole image to {@code background} (RGBA bytes), uploads {@code rect} (tightly packed
     * RGBA8, {@code rectWidth x rectHeight}) at ({@code x}, {@code y}), then releases the image to
     * {@code VK_QUEUE_FAMILY_EXTERNAL} in {@code VK_IMAGE_LAYOUT_GENERAL} for GL, and waits idle.
     *
     * <p>vkCmdClearColorImage clears whole subresources (it has no rectangles), so the odd-offset
     * sub-rectangle is written with vkCmdCopyBufferToImage, which also lets every texel differ.
     */
    void writePatternAndReleaseToExternal(byte[] background, int x, int y, int rectWidth, int rectHeight, ByteBuffer rect) {
        boolean hasRect = rect != null && rectWidth > 0 && rectHeight > 0;
        try (StagingBuffer staging = new StagingBuffer(Math.max(4L, rectWidth * rectHeight * 4L))) {
            if (hasRect) {
                MemoryUtil.memCopy(MemoryUtil.memAddress(rect), staging.mapped, (long) rectWidth * rectHeight * 4);
            }
            submitAndWait(cmd -> {
                try (MemoryStack stack = MemoryStack.stackPush()) {
                    barrier(cmd, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0, VK_ACCESS_TRANSFER_WRITE_BIT,
                            VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
                    VkClearColorValue color = VkClearColorValue.calloc(stack);
                    for (int c = 0; c < 4; c++) {
                        color.float32(c, (background[c] & 0xFF) / 255f);
                    }
                    VkImageSubresourceRange.Buffer range = VkImageSubresourceRange.calloc(1, stack);
                    range.get(0).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1);
                    vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, color, range);
                    barrier(cmd, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                            VK_ACCESS_TRANSFER_WRITE_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED,
                            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
                    if (hasRect) {
                        VkBufferImageCopy.Buffer region = VkBufferImageCopy.calloc(1, stack);
                        region.get(0).bufferOffset(0).bufferRowLength(0).bufferImageHeight(0)
                                .imageSubresource(s -> s.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).layerCount(1))
                                .imageOffset(o -> o.set(x, y, 0)).imageExtent(e -> e.set(rectWidth, rectHeight, 1));
                        vkCmdCopyBufferToImage(cmd, staging.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, region);
                    }
                    // Release to GL: GL has no layouts of its own, it reads memory as GENERAL would.
                    barrier(cmd, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_GENERAL, VK_ACCESS_TRANSFER_WRITE_BIT, 0,
                            queueFamily, VK_QUEUE_FAMILY_EXTERNAL, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT);
                }
            });
            externalLayout = VK_IMAGE_LAYOUT_GENERAL;
        }
    }

    /** Clears the whole image to {@code background} and releases it to GL (see above). */
    void clearAndReleaseToExternal(byte[] background) {
        writePatternAndReleaseToExternal(background, 0, 0, 0, 0, null);
    }

    /**
     * Acquires the image back from {@code VK_QUEUE_FAMILY_EXTERNAL} (after GL finished writing: the
     * caller did glFinish), copies it to a host buffer, waits, and returns tightly packed RGBA8 rows.
     * Leaves the image released to external again, in GENERAL.
     */
    byte[] acquireFromExternalAndRead() {
        long size = (long) width * height * 4;
        try (StagingBuffer staging = new StagingBuffer(size)) {
            int oldLayout = externalLayout == VK_IMAGE_LAYOUT_UNDEFINED ? VK_IMAGE_LAYOUT_UNDEFINED : VK_IMAGE_LAYOUT_GENERAL;
            submitAndWait(cmd -> {
                try (MemoryStack stack = MemoryStack.stackPush()) {
                    barrier(cmd, oldLayout, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, 0, VK_ACCESS_TRANSFER_READ_BIT,
                            VK_QUEUE_FAMILY_EXTERNAL, queueFamily, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
                    VkBufferImageCopy.Buffer region = VkBufferImageCopy.calloc(1, stack);
                    region.get(0).imageSubresource(s -> s.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).layerCount(1))
                            .imageExtent(e -> e.set(width, height, 1));
                    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, staging.buffer, region);
                    barrier(cmd, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_IMAGE_LAYOUT_GENERAL, 0, 0,
                            queueFamily, VK_QUEUE_FAMILY_EXTERNAL, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT);
                    VkBufferMemoryBarrier.Buffer hostRead = VkBufferMemoryBarrier.calloc(1, stack);
                    hostRead.get(0).sType$Default().srcAccessMask(VK_ACCESS_TRANSFER_WRITE_BIT).dstAccessMask(VK_ACCESS_HOST_READ_BIT)
                            .srcQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED).dstQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED)
                            .buffer(staging.buffer).size(VK_WHOLE_SIZE);
                    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, null, hostRead, null);
                }
            });
            externalLayout = VK_IMAGE_LAYOUT_GENERAL;
            byte[] pixels = new byte[(int) size];
            MemoryUtil.memByteBuffer(staging.mapped, (int) size).get(pixels);
            return pixels;
        }
    }

    /** A host-visible, coherent, mapped transfer buffer. */
    private final class StagingBuffer implements AutoCloseable {
        final long buffer; // VkBuffer
        final long bufferMemory; // VkDeviceMemory, HOST_VISIBLE | HOST_COHERENT
        final long mapped; // host address

        StagingBuffer(long size) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                VkBufferCreateInfo info = VkBufferCreateInfo.calloc(stack).sType$Default().size(size)
                        .usage(VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT).sharingMode(VK_SHARING_MODE_EXCLUSIVE);
                LongBuffer handle = stack.mallocLong(1);
                check(vkCreateBuffer(device, info, null, handle), "vkCreateBuffer");
                buffer = handle.get(0);
                VkMemoryRequirements requirements = VkMemoryRequirements.malloc(stack);
                vkGetBufferMemoryRequirements(device, buffer, requirements);
                VkMemoryAllocateInfo allocate = VkMemoryAllocateInfo.calloc(stack).sType$Default().allocationSize(requirements.size())
                        .memoryTypeIndex(memoryType(requirements.memoryTypeBits(),
                                VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT));
                check(vkAllocateMemory(device, allocate, null, handle), "vkAllocateMemory(staging)");
                bufferMemory = handle.get(0);
                check(vkBindBufferMemory(device, buffer, bufferMemory, 0), "vkBindBufferMemory");
                PointerBuffer pointer = stack.mallocPointer(1);
                check(vkMapMemory(device, bufferMemory, 0, VK_WHOLE_SIZE, 0, pointer), "vkMapMemory");
                mapped = pointer.get(0);
            }
        }

        @Override
        public void close() {
            vkDestroyBuffer(device, buffer, null);
            vkFreeMemory(device, bufferMemory, null); // unmaps implicitly
        }
    }

    String deviceName() {
        return deviceName;
    }

    /** Validation-layer warnings and errors so far (empty without the layer). */
    List<String> validationMessages() {
        synchronized (validationMessages) {
            return List.copyOf(validationMessages);
        }
    }

    boolean validationEnabled() {
        return messenger != NULL;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int vkFormat() {
        return format;
    }

    @Override
    public boolean linearTiling() {
        return false;
    }

    @Override
    public int vkUsage() {
        return USAGE;
    }

    @Override
    public int vkCreateFlags() {
        return 0;
    }

    @Override
    public int memoryTypeIndex() {
        return memoryTypeIndex;
    }

    @Override
    public long allocationSizeBytes() {
        return allocationSize;
    }

    @Override
    public byte[] driverUuid() {
        return driverUuid.clone();
    }

    @Override
    public byte[] deviceUuid() {
        return deviceUuid.clone();
    }

    @Override
    public int dupFd() {
        return Fds.dup(fd);
    }

    /** Destroys in reverse order of creation; call after GL has closed its import. Idempotent. */
    @Override
    public void close() {
        Fds.close(fd);
        fd = -1;
        if (device != null) {
            vkDeviceWaitIdle(device);
            if (image != VK_NULL_HANDLE) {
                vkDestroyImage(device, image, null);
                image = VK_NULL_HANDLE;
            }
            if (memory != VK_NULL_HANDLE) {
                vkFreeMemory(device, memory, null);
                memory = VK_NULL_HANDLE;
            }
            if (commandPool != VK_NULL_HANDLE) {
                vkDestroyCommandPool(device, commandPool, null);
                commandPool = VK_NULL_HANDLE;
            }
            vkDestroyDevice(device, null);
            device = null;
        }
        if (instance != null) {
            if (messenger != NULL) {
                vkDestroyDebugUtilsMessengerEXT(instance, messenger, null);
                messenger = NULL;
            }
            vkDestroyInstance(instance, null);
            instance = null;
        }
        if (callback != null) {
            callback.free();
            callback = null;
        }
    }
}
