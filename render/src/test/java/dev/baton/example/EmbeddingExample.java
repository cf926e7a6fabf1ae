package dev.baton.example;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.EXTDebugUtils.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.SyncTier;
import dev.baton.render.vk.DeviceAdoption;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.Lease;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.SurfaceEndpoint;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * Baton inside an application that owns its Vulkan objects: the application creates the instance
 * and two devices with plain LWJGL, Baton adopts them and shares one surface between them, the
 * producer clears it to a colour per frame and hands it over with the frame number as private data,
 * the consumer copies it into its own buffer and checks every pixel. Baton is closed first; the
 * application's devices are still usable after it and the application destroys them.
 */
public final class EmbeddingExample {
    static final int WIDTH = 64;
    static final int HEIGHT = 48;
    static final int FRAMES = 6;
    static final long PRODUCER_KEY = 0; // the surface's initial key
    static final long CONSUMER_KEY = 1;
    static final long TIMEOUT_NANOS = 5_000_000_000L;

    /** What a run did: the tier Baton chose, frames whose pixels were checked, validation messages. */
    public record Result(SyncTier tier, int framesChecked, int validationMessages) {}

    public static void main(String[] args) throws InterruptedException {
        System.out.println(run(args.length > 0 ? args[0] : "llvmpipe", true));
    }

    public static Result run(String deviceName, boolean validate) throws InterruptedException {
        // 1. The application's instance: Vulkan 1.3 (Baton needs it), optionally validated.
        AtomicInteger messages = new AtomicInteger();
        VkDebugUtilsMessengerCallbackEXT callback = VkDebugUtilsMessengerCallbackEXT.create((severity, types, data, user) -> {
            System.err.println("validation: " + VkDebugUtilsMessengerCallbackDataEXT.create(data).pMessageString());
            messages.incrementAndGet();
            return VK_FALSE;
        });
        VkInstance instance;
        long messenger = VK_NULL_HANDLE;
        try (MemoryStack stack = stackPush()) {
            VkApplicationInfo app = VkApplicationInfo.calloc(stack).sType$Default().apiVersion(VK_API_VERSION_1_3);
            VkInstanceCreateInfo info = VkInstanceCreateInfo.calloc(stack).sType$Default().pApplicationInfo(app);
            if (validate) {
                info.ppEnabledLayerNames(stack.pointers(stack.UTF8("VK_LAYER_KHRONOS_validation")))
                        .ppEnabledExtensionNames(stack.pointers(stack.UTF8(VK_EXT_DEBUG_UTILS_EXTENSION_NAME)));
            }
            PointerBuffer p = stack.mallocPointer(1);
            check(vkCreateInstance(info, null, p), "vkCreateInstance");
            instance = new VkInstance(p.get(0), info);
            if (validate) {
                VkDebugUtilsMessengerCreateInfoEXT m = VkDebugUtilsMessengerCreateInfoEXT.calloc(stack).sType$Default()
                        .messageSeverity(VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
                        .messageType(VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT).pfnUserCallback(callback);
                LongBuffer pm = stack.mallocLong(1);
                check(vkCreateDebugUtilsMessengerEXT(instance, m, null, pm), "vkCreateDebugUtilsMessengerEXT");
                messenger = pm.get(0);
            }
        }
        VkPhysicalDevice gpu = physicalDevice(instance, deviceName);
        int family = queueFamily(gpu);

        // 2. Two devices of the application's, created as it always does, adopted by Baton while the
        //    VkDeviceCreateInfo is at hand (Baton reads the extensions and features it enabled).
        VkDevice producerVk;
        VkDevice consumerVk;
        DeviceContext producer;
        DeviceContext consumer;
        try (MemoryStack stack = stackPush()) {
            VkDeviceCreateInfo info = deviceCreateInfo(stack, gpu, family);
            producerVk = createDevice(gpu, info);
            consumerVk = createDevice(gpu, info);
            DeviceAdoption.Report report = DeviceContext.adopt(producerVk, info).queue(family, 0).check();
            System.out.println("best tier " + report.bestTier() + "; limits: " + report.limits());
            producer = DeviceContext.adopt(producerVk, info).queue(family, 0).name("app-producer").build();
            consumer = DeviceContext.adopt(consumerVk, info).queue(family, 0).name("app-consumer").build();
        }

        // 3. The application's own command buffers, and a host-visible buffer the consumer reads into.
        long producerPool = commandPool(producerVk, family);
        long consumerPool = commandPool(consumerVk, family);
        VkCommandBuffer draw = commandBuffer(producerVk, producerPool);
        VkCommandBuffer read = commandBuffer(consumerVk, consumerPool);
        long[] readback = hostBuffer(consumerVk, gpu, WIDTH * HEIGHT * 4); // {VkBuffer, VkDeviceMemory}
        ByteBuffer pixels = map(consumerVk, readback[1], WIDTH * HEIGHT * 4);

        // 4. One surface shared by both devices; endpoint 0 is the producer's, 1 the consumer's.
        SharedSurface surface = SharedSurface.create("app-frames", WIDTH, HEIGHT, List.of(producer, consumer),
                SharedSurface.Options.defaults());
        SurfaceEndpoint producerEnd = surface.endpoint(0);
        SurfaceEndpoint consumerEnd = surface.endpoint(1);
        ByteBuffer frameNumber = ByteBuffer.allocateDirect(Long.BYTES);
        int checked = 0;
        for (int i = 1; i <= FRAMES; i++) {
            long frame = i;
            // Producer: clear to this frame's colour, submit through Baton, release to the consumer
            // with the frame number as private data (the fence value travels with it).
            Lease lease = producerEnd.acquire(PRODUCER_KEY, TIMEOUT_NANOS);
            if (!lease.acquired()) {
                throw new IllegalStateException("producer acquire: " + lease.status());
            }
            record(draw, cmd -> clear(cmd, lease.image(), frame));
            producer.submit(draw, lease);
            lease.release(CONSUMER_KEY, frameNumber.putLong(0, frame));

            // Consumer: its GPU waits for the producer's fence, copies the image into its buffer.
            Lease got = consumerEnd.acquire(CONSUMER_KEY, TIMEOUT_NANOS);
            if (!got.acquired()) {
                throw new IllegalStateException("consumer acquire: " + got.status());
            }
            long sentFrame = got.privateData().getLong(got.privateData().position());
            record(read, cmd -> copyToBuffer(cmd, got.image(), readback[0]));
            long done = consumer.submit(read, got);
            got.release(PRODUCER_KEY, null);
            if (!consumerEnd.timeline().awaitValue(done, TIMEOUT_NANOS)) { // only to check pixels: a real consumer does not wait
                throw new IllegalStateException("the consumer's copy did not finish in 5 s");
            }
            checkPixels(pixels, sentFrame);
            checked++;
        }

        // 5. Baton goes first; it frees what it made and leaves the devices alone.
        SyncTier tier = surface.tier();
        surface.close();
        producer.close();
        consumer.close();

        // 6. The application's device still works: fill its buffer on its queue and wait on a fence.
        record(read, cmd -> {
            vkCmdFillBuffer(cmd, readback[0], 0, VK_WHOLE_SIZE, 0x5A5A5A5A);
            hostReadBarrier(cmd, readback[0]);
        });
        submitAndWait(consumerVk, family, read);
        if (pixels.getInt(0) != 0x5A5A5A5A) {
            throw new IllegalStateException("the application's device did not run its own work after Baton closed");
        }
        check(vkDeviceWaitIdle(producerVk), "vkDeviceWaitIdle");

        // 7. The application destroys what it created.
        vkUnmapMemory(consumerVk, readback[1]);
        vkDestroyBuffer(consumerVk, readback[0], null);
        vkFreeMemory(consumerVk, readback[1], null);
        vkDestroyCommandPool(producerVk, producerPool, null);
        vkDestroyCommandPool(consumerVk, consumerPool, null);
        vkDestroyDevice(producerVk, null);
        vkDestroyDevice(consumerVk, null);
        if (messenger != VK_NULL_HANDLE) {
            vkDestroyDebugUtilsMessengerEXT(instance, messenger, null);
        }
        vkDestroyInstance(instance, null);
        callback.free();
        return new Result(tier, checked, messages.get());
    }

    /** Timeline semaphores and synchronization2 on, and the fd extensions wherever the driver has them. */
    static VkDeviceCreateInfo deviceCreateInfo(MemoryStack stack, VkPhysicalDevice gpu, int family) {
        IntBuffer count = stack.mallocInt(1);
        vkEnumerateDeviceExtensionProperties(gpu, (String) null, count, null);
        VkExtensionProperties.Buffer offered = VkExtensionProperties.malloc(count.get(0), stack);
        vkEnumerateDeviceExtensionProperties(gpu, (String) null, count, offered);
        PointerBuffer names = stack.mallocPointer(2);
        for (VkExtensionProperties e : offered) {
            String name = e.extensionNameString();
            if (name.equals("VK_KHR_external_memory_fd") || name.equals("VK_KHR_external_semaphore_fd")) {
                names.put(stack.UTF8(name));
            }
        }
        names.flip();
        VkPhysicalDeviceVulkan13Features f13 = VkPhysicalDeviceVulkan13Features.calloc(stack).sType$Default().synchronization2(true);
        VkPhysicalDeviceVulkan12Features f12 = VkPhysicalDeviceVulkan12Features.calloc(stack).sType$Default()
                .timelineSemaphore(true).pNext(f13.address());
        VkDeviceQueueCreateInfo.Buffer queues = VkDeviceQueueCreateInfo.calloc(1, stack);
        queues.get(0).sType$Default().queueFamilyIndex(family).pQueuePriorities(stack.floats(1f));
        return VkDeviceCreateInfo.calloc(stack).sType$Default().pNext(f12.address())
                .pQueueCreateInfos(queues).ppEnabledExtensionNames(names);
    }

    static VkDevice createDevice(VkPhysicalDevice gpu, VkDeviceCreateInfo info) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer p = stack.mallocPointer(1);
            check(vkCreateDevice(gpu, info, null, p), "vkCreateDevice");
            return new VkDevice(p.get(0), gpu, info);
        }
    }

    static VkPhysicalDevice physicalDevice(VkInstance instance, String nameContains) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            check(vkEnumeratePhysicalDevices(instance, count, null), "vkEnumeratePhysicalDevices");
            PointerBuffer handles = stack.mallocPointer(count.get(0));
            check(vkEnumeratePhysicalDevices(instance, count, handles), "vkEnumeratePhysicalDevices");
            VkPhysicalDeviceProperties props = VkPhysicalDeviceProperties.malloc(stack);
            for (int i = 0; i < count.get(0); i++) {
                VkPhysicalDevice d = new VkPhysicalDevice(handles.get(i), instance);
                vkGetPhysicalDeviceProperties(d, props);
                if (props.deviceNameString().contains(nameContains)) {
                    return d;
                }
            }
        }
        throw new IllegalStateException("no Vulkan device named '" + nameContains + "' (lavapipe: install mesa-vulkan-drivers)");
    }

    static int queueFamily(VkPhysicalDevice gpu) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            vkGetPhysicalDeviceQueueFamilyProperties(gpu, count, null);
            VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.malloc(count.get(0), stack);
            vkGetPhysicalDeviceQueueFamilyProperties(gpu, count, families);
            for (int i = 0; i < families.capacity(); i++) {
                if ((families.get(i).queueFlags() & VK_QUEUE_GRAPHICS_BIT) != 0) {
                    return i;
                }
            }
        }
        throw new IllegalStateException("no graphics queue family");
    }

    static long commandPool(VkDevice device, int family) {
        try (MemoryStack stack = stackPush()) {
            VkCommandPoolCreateInfo info = VkCommandPoolCreateInfo.calloc(stack).sType$Default()
                    .flags(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT).queueFamilyIndex(family);
            LongBuffer p = stack.mallocLong(1);
            check(vkCreateCommandPool(device, info, null, p), "vkCreateCommandPool");
            return p.get(0);
        }
    }

    static VkCommandBuffer commandBuffer(VkDevice device, long pool) {
        try (MemoryStack stack = stackPush()) {
            VkCommandBufferAllocateInfo info = VkCommandBufferAllocateInfo.calloc(stack).sType$Default()
                    .commandPool(pool).level(VK_COMMAND_BUFFER_LEVEL_PRIMARY).commandBufferCount(1);
            PointerBuffer p = stack.mallocPointer(1);
            check(vkAllocateCommandBuffers(device, info, p), "vkAllocateCommandBuffers");
            return new VkCommandBuffer(p.get(0), device);
        }
    }

    /** {VkBuffer, VkDeviceMemory}: a transfer-destination buffer in host-visible, coherent memory. */
    static long[] hostBuffer(VkDevice device, VkPhysicalDevice gpu, int size) {
        try (MemoryStack stack = stackPush()) {
            VkBufferCreateInfo info = VkBufferCreateInfo.calloc(stack).sType$Default().size(size)
                    .usage(VK_BUFFER_USAGE_TRANSFER_DST_BIT).sharingMode(VK_SHARING_MODE_EXCLUSIVE);
            LongBuffer pBuffer = stack.mallocLong(1);
            check(vkCreateBuffer(device, info, null, pBuffer), "vkCreateBuffer");
            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetBufferMemoryRequirements(device, pBuffer.get(0), req);
            VkPhysicalDeviceMemoryProperties mem = VkPhysicalDeviceMemoryProperties.malloc(stack);
            vkGetPhysicalDeviceMemoryProperties(gpu, mem);
            int wanted = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
            int type = -1;
            for (int i = 0; i < mem.memoryTypeCount() && type < 0; i++) {
                if ((req.memoryTypeBits() & (1 << i)) != 0 && (mem.memoryTypes(i).propertyFlags() & wanted) == wanted) {
                    type = i;
                }
            }
            VkMemoryAllocateInfo alloc = VkMemoryAllocateInfo.calloc(stack).sType$Default()
                    .allocationSize(req.size()).memoryTypeIndex(type);
            LongBuffer pMemory = stack.mallocLong(1);
            check(vkAllocateMemory(device, alloc, null, pMemory), "vkAllocateMemory");
            check(vkBindBufferMemory(device, pBuffer.get(0), pMemory.get(0), 0), "vkBindBufferMemory");
            return new long[] {pBuffer.get(0), pMemory.get(0)};
        }
    }

    static ByteBuffer map(VkDevice device, long memory, int size) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer p = stack.mallocPointer(1);
            check(vkMapMemory(device, memory, 0, size, 0, p), "vkMapMemory");
            return p.getByteBuffer(0, size);
        }
    }

    /** Records {@code body} into {@code cmd} as a one-time submit. */
    static void record(VkCommandBuffer cmd, java.util.function.Consumer<VkCommandBuffer> body) {
        try (MemoryStack stack = stackPush()) {
            check(vkResetCommandBuffer(cmd, 0), "vkResetCommandBuffer");
            check(vkBeginCommandBuffer(cmd, VkCommandBufferBeginInfo.calloc(stack).sType$Default()
                    .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)), "vkBeginCommandBuffer");
            body.accept(cmd);
            check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
        }
    }

    /** The colour of {@code frame}: each channel k/255, so the UNORM bytes are exact. */
    static int[] rgba(long frame) {
        return new int[] {(int) (frame * 40 % 256), (int) (255 - frame * 30 % 256), (int) (frame * 70 % 256), 255};
    }

    /** Inside a lease the image is in GENERAL; Baton's barriers around the submit do the rest. */
    static void clear(VkCommandBuffer cmd, long image, long frame) {
        try (MemoryStack stack = stackPush()) {
            int[] c = rgba(frame);
            VkClearColorValue color = VkClearColorValue.calloc(stack)
                    .float32(0, c[0] / 255f).float32(1, c[1] / 255f).float32(2, c[2] / 255f).float32(3, c[3] / 255f);
            VkImageSubresourceRange range = VkImageSubresourceRange.calloc(stack)
                    .aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1);
            vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_GENERAL, color, range);
        }
    }

    /** Copies the image into the buffer and makes the copy visible to the host. */
    static void copyToBuffer(VkCommandBuffer cmd, long image, long buffer) {
        try (MemoryStack stack = stackPush()) {
            VkBufferImageCopy.Buffer region = VkBufferImageCopy.calloc(1, stack);
            region.get(0).imageSubresource(s -> s.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).layerCount(1))
                    .imageExtent(e -> e.width(WIDTH).height(HEIGHT).depth(1));
            vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_GENERAL, buffer, region);
        }
        hostReadBarrier(cmd, buffer);
    }

    /** Makes the transfer writes to {@code buffer} visible to host reads after the submit completes. */
    static void hostReadBarrier(VkCommandBuffer cmd, long buffer) {
        try (MemoryStack stack = stackPush()) {
            VkBufferMemoryBarrier2.Buffer toHost = VkBufferMemoryBarrier2.calloc(1, stack);
            toHost.get(0).sType$Default().srcStageMask(VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT).srcAccessMask(VK_ACCESS_2_TRANSFER_WRITE_BIT)
                    .dstStageMask(VK_PIPELINE_STAGE_2_HOST_BIT).dstAccessMask(VK_ACCESS_2_HOST_READ_BIT)
                    .srcQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED).dstQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED)
                    .buffer(buffer).size(VK_WHOLE_SIZE);
            vkCmdPipelineBarrier2(cmd, VkDependencyInfo.calloc(stack).sType$Default().pBufferMemoryBarriers(toHost));
        }
    }

    static void checkPixels(ByteBuffer pixels, long frame) {
        int[] c = rgba(frame);
        for (int i = 0; i < WIDTH * HEIGHT; i++) {
            for (int ch = 0; ch < 4; ch++) {
                int got = pixels.get(i * 4 + ch) & 0xFF;
                if (got != c[ch]) {
                    throw new IllegalStateException("frame " + frame + ": pixel " + i + " channel " + ch + " is " + got
                            + ", expected " + c[ch]);
                }
            }
        }
    }

    /** The application's own submit on its queue (Baton is closed, so the queue is the application's alone). */
    static void submitAndWait(VkDevice device, int family, VkCommandBuffer cmd) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer pQueue = stack.mallocPointer(1);
            vkGetDeviceQueue(device, family, 0, pQueue);
            VkQueue queue = new VkQueue(pQueue.get(0), device);
            LongBuffer pFence = stack.mallocLong(1);
            check(vkCreateFence(device, VkFenceCreateInfo.calloc(stack).sType$Default(), null, pFence), "vkCreateFence");
            VkSubmitInfo submit = VkSubmitInfo.calloc(stack).sType$Default().pCommandBuffers(stack.pointers(cmd));
            check(vkQueueSubmit(queue, submit, pFence.get(0)), "vkQueueSubmit");
            check(vkWaitForFences(device, pFence, true, TIMEOUT_NANOS), "vkWaitForFences");
            vkDestroyFence(device, pFence.get(0), null);
        }
    }

    static void check(int result, String call) {
        if (result != VK_SUCCESS) {
            throw new IllegalStateException(call + " failed: VkResult " + result);
        }
    }
}
