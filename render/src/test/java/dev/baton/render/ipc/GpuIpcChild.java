package dev.baton.render.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.VkResults;
import dev.baton.render.vk.BrokerSurfaces;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.ExternalBinarySemaphore;
import dev.baton.render.vk.HostBuffer;
import dev.baton.render.vk.Lease;
import dev.baton.render.vk.RawSubmission;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * The GPU child processes of {@link BinarySemaphoreProcessesTest} and {@link SharedTimelineProcessesTest}
 * (test code, not a product main): the binary-semaphore or shared-timeline tier across processes, with
 * the surface's memory the producer's own device memory, which the broker relays (policy TRUSTED)
 * without mapping it. A last argument {@code timeline} exchanges one exported timeline semaphore in
 * place of the two binary semaphores (sync choice 3): each side's GPU waits on it for the fence value
 * the other released with and signals the value it releases with; otherwise as below.
 * <ul>
 *   <li>{@code producer SOCKET DEVICE FRAMES W H}: with the Lease API of an in-process render thread
 *       ({@link BrokerSurfaces#offerWithBinarySemaphores}: an image and two binary semaphores, ready:
 *       producer signals, consumer waits; done: consumer signals, producer waits, offered once as memory
 *       choice 2, sync choice 2), FRAMES times: acquire key 0, clear the image to {@link #color} of the
 *       frame, submit under the lease (its GPU waits on "done" after the first frame and signals
 *       "ready"), release to key 1 with the frame number as private data at submit time. Finally
 *       acquires once more (the consumer's last release) and exits.</li>
 *   <li>{@code consumer SOCKET DEVICE FRAMES W H}: waits for the granted surface, imports the memory
 *       and both semaphores, then FRAMES times: acquire key 1, its GPU waits on "ready" (no host wait
 *       for the producer: no FENCE_REACHED is ever sent), copies the image into its own buffer,
 *       signals "done", releases to key 0; then reads its copy back and checks every pixel against
 *       the colour of the frame number the producer released with. Prints {@code RESULT}.</li>
 * </ul>
 * Both run under the validation layer (synchronization validation on) and print its message count.
 */
public final class GpuIpcChild {
    private GpuIpcChild() {
    }

    /** The clear colour of frame {@code f} as RGBA8 bytes in a little-endian int: never the same two frames running. */
    static int color(long f) {
        int r = (int) (f * 37 % 251) + 2;
        int g = (int) (f * 101 % 241) + 7;
        int b = (int) (f * 13 % 239) + 11;
        return r | g << 8 | b << 16 | 0xFF << 24;
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String socket = args[1];
        int device = Integer.parseInt(args[2]);
        int frames = Integer.parseInt(args[3]);
        int width = Integer.parseInt(args[4]);
        int height = Integer.parseInt(args[5]);
        boolean timeline = args.length > 6 && args[6].equals("timeline");
        int code;
        try (VulkanInstance vk = VulkanInstance.create(true)) {
            try (DeviceContext dev = DeviceContext.builder(vk).physicalDeviceIndex(device).name(mode).build()) {
                code = mode.equals("producer") ? produce(dev, socket, frames, width, height, timeline)
                        : consume(dev, socket, frames, width, height, timeline);
            }
            System.out.println("VALIDATION " + vk.validationMessageCount() + (vk.validationEnabled() ? "" : " (layer not enabled)"));
            for (String m : vk.validationMessages()) {
                System.out.println("  " + m);
            }
        }
        System.out.flush();
        System.exit(code);
    }

    static final long TIMEOUT = TimeUnit.SECONDS.toNanos(20);

    /**
     * The tests' run: a consumer child, then a producer child, through {@code broker}, {@code frames}
     * frames of {@code width x height} on {@code device} ({@code extra}: none for binary semaphores,
     * {@code "timeline"} for the shared timeline); asserts that every pixel of every frame arrived and
     * that both children's validation layers reported nothing.
     */
    static void handFramesAcross(Broker broker, int device, int frames, int width, int height, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(broker.socketPath(), String.valueOf(device), String.valueOf(frames),
                String.valueOf(width), String.valueOf(height)));
        args.addAll(List.of(extra));
        try (IpcTestSupport.Child consumer = new IpcTestSupport.Child(GpuIpcChild.class, with("consumer", args))) {
            consumer.awaitLine("CONNECTED");
            try (IpcTestSupport.Child producer = new IpcTestSupport.Child(GpuIpcChild.class, with("producer", args))) {
                consumer.awaitLine("GRANTED");
                String result = consumer.awaitLine("RESULT");
                String validation = consumer.awaitLine("VALIDATION");
                assertEquals(0, consumer.awaitExit(60), "consumer: " + consumer.lines);
                assertEquals("RESULT delivered " + frames + " torn 0 stale 0 invalid 0", result, "every pixel of every frame: " + consumer.lines);
                assertEquals("VALIDATION 0", validation, "the consumer's validation layer: " + consumer.lines);
                String produced = producer.awaitLine("PRODUCED");
                String producerValidation = producer.awaitLine("VALIDATION");
                assertEquals(0, producer.awaitExit(60), "producer: " + producer.lines);
                assertEquals("PRODUCED " + frames, produced);
                assertEquals("VALIDATION 0", producerValidation, "the producer's validation layer: " + producer.lines);
                System.out.println("consumer printed " + consumer.lines + "; producer printed " + producer.lines);
            }
        }
    }

    private static String[] with(String mode, List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.add(0, mode);
        return all.toArray(new String[0]);
    }

    /** How one side's GPU waits for the other's and signals its own: the exported or imported semaphores. */
    private interface Sync extends AutoCloseable {
        /** Adds the wait for the other side's work released with fence value {@code value}. */
        void waitFor(RawSubmission submit, long value);

        /** Adds the signal of this side's work released with fence value {@code value}. */
        void signal(RawSubmission submit, long value);

        @Override
        void close();
    }

    /** Binary semaphores: wait on {@code waits}, signal {@code signals} (each signalled and waited once per handoff). */
    private static Sync binary(ExternalBinarySemaphore waits, ExternalBinarySemaphore signals) {
        return new Sync() {
            @Override
            public void waitFor(RawSubmission submit, long value) {
                submit.waitBinary(waits.handle());
            }

            @Override
            public void signal(RawSubmission submit, long value) {
                submit.signalBinary(signals.handle());
            }

            @Override
            public void close() {
                waits.close();
                signals.close();
            }
        };
    }

    /** The shared timeline: wait on it for the other side's value, signal this side's value on it. */
    private static Sync shared(VulkanTimeline shared) {
        return new Sync() {
            @Override
            public void waitFor(RawSubmission submit, long value) {
                submit.waitTimeline(shared, value);
            }

            @Override
            public void signal(RawSubmission submit, long value) {
                submit.signalTimeline(shared, value);
            }

            @Override
            public void close() {
                shared.close();
            }
        };
    }

    /**
     * The producer, with the in-process Lease API: {@link BrokerSurfaces#offerWithBinarySemaphores} or
     * {@link BrokerSurfaces#offerWithSharedTimeline} offers this device's own image and its semaphores
     * once; then acquire, clear, submit under the lease (which waits on the consumer's signal and
     * signals this side's), release at submit time.
     */
    private static int produce(DeviceContext dev, String socket, int frames, int width, int height, boolean shared) throws Exception {
        String name = shared ? "st-producer" : "bs-producer";
        try (BrokerClient c = BrokerClient.connect(socket, name, TIMEOUT);
             BrokerSurfaces broker = BrokerSurfaces.over(c, TIMEOUT, 4, name)) {
            SharedSurface s = shared ? broker.offerWithSharedTimeline(dev, width, height, 0L, TIMEOUT)
                    : broker.offerWithBinarySemaphores(dev, width, height, 0L, TIMEOUT);
            System.out.println("OFFERED surface " + s.name() + " (" + s.tier() + ")");
            SurfaceEndpoint endpoint = s.endpoint(0);
            VkCommandBuffer cmd = dev.allocateCommandBuffer();
            ByteBuffer data = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            try {
                for (int frame = 0; frame < frames; frame++) {
                    Lease lease = endpoint.acquire(0L, TIMEOUT);
                    if (!lease.acquired()) {
                        System.out.println("FAILED acquire of frame " + frame + ": " + lease.status() + " " + broker.failure());
                        return 3;
                    }
                    // The command buffer's previous use is done (its own timeline; the consumer's wait is on the GPU).
                    if (!endpoint.timeline().awaitValue(endpoint.lastSubmittedValue(), TIMEOUT)) {
                        System.out.println("FAILED own GPU did not finish frame " + (frame - 1));
                        return 3;
                    }
                    VkResults.check(vkResetCommandBuffer(cmd, 0), "vkResetCommandBuffer");
                    try (MemoryStack stack = MemoryStack.stackPush()) {
                        VkResults.check(vkBeginCommandBuffer(cmd, VkCommandBufferBeginInfo.calloc(stack).sType$Default()
                                .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)), "vkBeginCommandBuffer");
                        int rgba = color(frame);
                        VkClearColorValue clear = VkClearColorValue.calloc(stack);
                        // A union: UNORM takes the float members (each an exact multiple of 1/255).
                        clear.float32(0, (rgba & 0xFF) / 255f).float32(1, (rgba >>> 8 & 0xFF) / 255f)
                                .float32(2, (rgba >>> 16 & 0xFF) / 255f).float32(3, 1f);
                        VkImageSubresourceRange.Buffer range = VkImageSubresourceRange.calloc(1, stack);
                        range.get(0).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1);
                        // The lease's prologue acquires the image from the consumer's device (queue family EXTERNAL),
                        // its epilogue releases it back: the same submit as in process.
                        vkCmdClearColorImage(cmd, lease.image(), VK_IMAGE_LAYOUT_GENERAL, clear, range);
                    }
                    VkResults.check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
                    dev.submit(cmd, lease); // waits for the consumer's previous copy on its GPU, signals this frame's
                    data.putLong(0, frame);
                    data.clear();
                    lease.release(1L, data); // at submit time
                    if (broker.failure() != null) {
                        System.out.println("FAILED release of frame " + frame + ": " + broker.failure());
                        return 3;
                    }
                }
                // The consumer's last release: it is done with the image before this process leaves.
                Lease last = endpoint.acquire(0L, TIMEOUT);
                if (!last.acquired()) {
                    System.out.println("FAILED final acquire: " + last.status() + " " + broker.failure());
                    return 3;
                }
                last.release(0L, null); // nothing submitted: the same obligations go back to this key
                System.out.println("PRODUCED " + frames);
                return 0;
            } finally {
                vkDeviceWaitIdle(dev.vkDevice());
                dev.freeCommandBuffer(cmd);
                s.close();
            }
        }
    }

    private static int consume(DeviceContext dev, String socket, int frames, int width, int height, boolean shared) throws Exception {
        try (BrokerClient c = BrokerClient.connect(socket, shared ? "st-consumer" : "bs-consumer", TIMEOUT)) {
            System.out.println("CONNECTED client " + c.clientId());
            BrokerClient.Surface s = c.awaitGrant(TIMEOUT);
            if (s == null) {
                System.out.println("FAILED no surface granted: " + c.brokerGoneReason());
                return 3;
            }
            if (s.syncFdCount() != (shared ? 1 : 2) || s.memoryFdCount() != 1 || s.syncChoice != (shared ? Protocol.SYNC_SHARED_TIMELINE
                    : Protocol.SYNC_BINARY_SEMAPHORES)) {
                System.out.println("FAILED surface " + s.surfaceId + " has " + s.memoryFdCount() + " memory and " + s.syncFdCount() + " sync fds");
                return 3;
            }
            System.out.println("GRANTED surface " + s.surfaceId);
            long delivered = 0, torn = 0, stale = 0, invalid = 0;
            try (SurfaceImage image = SurfaceImage.importFrom(dev, s.exportedImageMemory());
                 Sync l = shared ? shared(VulkanTimeline.importFd(dev, "consumer/shared", Fds.dup(s.syncFd(0))))
                         : binary(ExternalBinarySemaphore.importFd(dev, Fds.dup(s.syncFd(0))),
                                 ExternalBinarySemaphore.importFd(dev, Fds.dup(s.syncFd(1))));
                 HostBuffer readback = HostBuffer.create(dev, width * height * 4);
                 VulkanTimeline timeline = VulkanTimeline.create(dev, "consumer/timeline", 0, false)) {
                VkCommandBuffer cmd = dev.allocateCommandBuffer();
                RawSubmission submit = new RawSubmission(dev);
                ByteBuffer pixels = readback.mapped().order(ByteOrder.LITTLE_ENDIAN);
                try {
                    for (int i = 0; i < frames; i++) {
                        if (c.acquire(s, 1L, TIMEOUT) != AcquireStatus.ACQUIRED) {
                            System.out.println("FAILED acquire " + i + ": " + c.brokerGoneReason());
                            return 3;
                        }
                        long frame = c.privateData().order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                        long fence = c.fenceValue() + 1;
                        VkResults.check(vkResetCommandBuffer(cmd, 0), "vkResetCommandBuffer");
                        try (MemoryStack stack = MemoryStack.stackPush()) {
                            VkResults.check(vkBeginCommandBuffer(cmd, VkCommandBufferBeginInfo.calloc(stack).sType$Default()
                                    .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)), "vkBeginCommandBuffer");
                            barrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_COPY_BIT,
                                    VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_EXTERNAL, dev.queueFamilyIndex(), stack);
                            VkBufferImageCopy.Buffer region = VkBufferImageCopy.calloc(1, stack);
                            region.get(0).imageSubresource(r -> r.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).layerCount(1));
                            region.get(0).imageExtent().set(width, height, 1);
                            vkCmdCopyImageToBuffer(cmd, image.handle(), VK_IMAGE_LAYOUT_GENERAL, readback.handle(), region);
                            VkBufferMemoryBarrier2.Buffer b = VkBufferMemoryBarrier2.calloc(1, stack);
                            b.get(0).sType$Default().srcStageMask(VK_PIPELINE_STAGE_2_COPY_BIT).srcAccessMask(VK_ACCESS_2_TRANSFER_WRITE_BIT)
                                    .dstStageMask(VK_PIPELINE_STAGE_2_HOST_BIT).dstAccessMask(VK_ACCESS_2_HOST_READ_BIT)
                                    .srcQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED).dstQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED)
                                    .buffer(readback.handle()).size(VK_WHOLE_SIZE);
                            vkCmdPipelineBarrier2(cmd, VkDependencyInfo.calloc(stack).sType$Default().pBufferMemoryBarriers(b));
                            barrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_NONE,
                                    VK_ACCESS_2_NONE, VK_IMAGE_LAYOUT_GENERAL, dev.queueFamilyIndex(), VK_QUEUE_FAMILY_EXTERNAL, stack);
                        }
                        VkResults.check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
                        // The GPU waits for the producer's GPU on the imported semaphore: no host wait for it.
                        submit.begin();
                        l.waitFor(submit, c.fenceValue());
                        submit.commandBuffer(cmd);
                        l.signal(submit, fence);
                        submit.signalTimeline(timeline, i + 1).submit();
                        if (!c.release(s, 0L, fence, null)) { // at submit time
                            System.out.println("FAILED release " + i + ": " + c.brokerGoneReason());
                            return 3;
                        }
                        // Only to check the pixels here: this device's own copy.
                        if (!timeline.awaitValue(i + 1, TIMEOUT)) {
                            System.out.println("FAILED own GPU did not finish copy " + i);
                            return 3;
                        }
                        int expected = color(frame);
                        int previous = color(frame - 1);
                        int match = 0, old = 0;
                        for (int p = 0; p < width * height; p++) {
                            int v = pixels.getInt(p * 4);
                            if (v == expected) {
                                match++;
                            } else if (v == previous) {
                                old++;
                            }
                        }
                        if (frame != i) {
                            invalid++;
                        } else if (match == width * height) {
                            delivered++;
                        } else if (old == width * height) {
                            stale++;
                        } else if (match + old == width * height) {
                            torn++;
                        } else {
                            invalid++;
                        }
                    }
                } finally {
                    vkDeviceWaitIdle(dev.vkDevice());
                    dev.freeCommandBuffer(cmd);
                }
            }
            System.out.println("RESULT delivered " + delivered + " torn " + torn + " stale " + stale + " invalid " + invalid);
            return 0;
        }
    }

    private static void barrier(VkCommandBuffer cmd, long image, long srcStage, long srcAccess, long dstStage, long dstAccess, int oldLayout,
            int srcFamily, int dstFamily, MemoryStack stack) {
        VkImageMemoryBarrier2.Buffer b = VkImageMemoryBarrier2.calloc(1, stack);
        b.get(0).sType$Default().srcStageMask(srcStage).srcAccessMask(srcAccess).dstStageMask(dstStage).dstAccessMask(dstAccess)
                .oldLayout(oldLayout).newLayout(VK_IMAGE_LAYOUT_GENERAL).srcQueueFamilyIndex(srcFamily).dstQueueFamilyIndex(dstFamily)
                .image(image).subresourceRange(r -> r.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1));
        vkCmdPipelineBarrier2(cmd, VkDependencyInfo.calloc(stack).sType$Default().pImageMemoryBarriers(b));
    }
}
