package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.VkResults;
import java.nio.LongBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * A small, fixed piece of GPU work on one image, bracketed by two timestamp queries, prerecorded
 * into a ring of command buffers so a measured loop records nothing and allocates nothing. Used by
 * the benchmark as a producer's "render" ({@link Kind#CLEAR}) or a consumer's "sample"
 * ({@link Kind#READ}: copy a 4x4 pixel corner into a host buffer), and by the host-memory baseline
 * ({@link Kind#CLEAR_THEN_READBACK}, {@link Kind#UPLOAD_THEN_READ}).
 *
 * <p>Every command buffer of slot {@code s}: reset queries {@code 2s, 2s+1}; timestamp {@code 2s} at
 * TOP_OF_PIPE (after the submit's semaphore waits were satisfied); the work; timestamp {@code 2s+1}
 * after all commands. With {@code ownershipTransfers}, the work is wrapped in queue-family ownership
 * transfers from and to {@code VK_QUEUE_FAMILY_EXTERNAL} in GENERAL layout, as a shared surface does
 * (for baselines that share an image without a {@link SharedSurface}; call {@link #initializeImage}
 * once first).
 *
 * <p>Threading: owned by the device's thread. Resubmit a slot only after its previous submit
 * completed, and read its timestamps only then ({@link #startTicks}/{@link #endTicks} do not wait).
 */
public final class TimedWork implements AutoCloseable {
    /** What the work between the two timestamps does. */
    public enum Kind {
        /** Clear the whole image to a colour. */
        CLEAR,
        /** Copy the 4x4 top-left pixels of the image into this work's host buffer. */
        READ,
        /** Clear, then copy the whole image into this work's host buffer (readback). */
        CLEAR_THEN_READBACK,
        /** Copy this work's host buffer into the whole image (upload), then read 4x4 pixels back into it. */
        UPLOAD_THEN_READ
    }

    /** Pixels read by {@link Kind#READ}, per side. */
    public static final int READ_SIDE_PIXELS = 4;

    private final DeviceContext device;
    private final Kind kind;
    private final int width;
    private final int height;
    private final long queryPool; // VkQueryPool (TIMESTAMP), 2 queries per slot
    private final VkCommandBuffer[] commandBuffers;
    private final HostBuffer hostBuffer;
    private final long validMask;
    private boolean closed;

    private TimedWork(DeviceContext device, Kind kind, int width, int height, long queryPool, int slots, HostBuffer hostBuffer,
                      long validMask) {
        this.device = device;
        this.kind = kind;
        this.width = width;
        this.height = height;
        this.queryPool = queryPool;
        this.commandBuffers = new VkCommandBuffer[slots];
        this.hostBuffer = hostBuffer;
        this.validMask = validMask;
    }

    /**
     * Records {@code slots} command buffers of {@code kind} on {@code image} (a {@code width x height}
     * RGBA8 image in GENERAL layout on {@code device}).
     *
     * @param device the device
     * @param image the {@code VkImage}
     * @param width width in pixels
     * @param height height in pixels
     * @param kind what the work does
     * @param slots how many command buffers (submits in flight)
     * @param ownershipTransfers wrap the work in ownership transfers from and to the external queue family
     * @return the work, owned by the caller
     * @throws IllegalStateException if the device's queue family has no timestamp support
     */
    public static TimedWork create(DeviceContext device, long image, int width, int height, Kind kind, int slots,
                                   boolean ownershipTransfers) {
        return create(device, image, width, height, kind, slots, ownershipTransfers, null);
    }

    /**
     * Records {@code slots} command buffers of {@code kind} on {@code endpoint}'s image that also carry
     * the endpoint's acquire and release commands ({@link SurfaceEndpoint#recordAcquireBarriers} first,
     * {@link SurfaceEndpoint#recordReleaseBarriers} last, outside the two timestamps, so the timestamps
     * bracket the same work as {@link #create}'s), for submits under a lease that says
     * {@link Lease#barriersPrerecorded()}: one command buffer per handoff instead of three.
     *
     * @param endpoint the surface endpoint whose image the work runs on
     * @param kind what the work does
     * @param slots how many command buffers (submits in flight)
     * @return the work, owned by the caller
     * @throws IllegalStateException if the device's queue family has no timestamp support
     */
    public static TimedWork createWithLeaseBarriers(SurfaceEndpoint endpoint, Kind kind, int slots) {
        SurfaceImage image = endpoint.image();
        return create(endpoint.device(), image.handle(), image.width(), image.height(), kind, slots, false, endpoint);
    }

    private static TimedWork create(DeviceContext device, long image, int width, int height, Kind kind, int slots,
                                    boolean ownershipTransfers, SurfaceEndpoint leaseBarriers) {
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be >= 1, got " + slots);
        }
        int validBits = timestampValidBits(device);
        if (validBits == 0) {
            throw new IllegalStateException(device.name() + ": its queue family has no timestamp support (timestampValidBits 0)");
        }
        long pool;
        try (MemoryStack stack = stackPush()) {
            VkQueryPoolCreateInfo info = VkQueryPoolCreateInfo.calloc(stack).sType$Default()
                    .queryType(VK_QUERY_TYPE_TIMESTAMP).queryCount(2 * slots);
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateQueryPool(device.vkDevice(), info, null, p), "vkCreateQueryPool on " + device.name());
            pool = p.get(0);
        }
        HostBuffer buffer = null;
        TimedWork work = null;
        try {
            int bytes = kind == Kind.READ ? READ_SIDE_PIXELS * READ_SIDE_PIXELS * 4 : width * height * 4;
            if (kind != Kind.CLEAR) {
                buffer = HostBuffer.create(device, bytes);
            }
            work = new TimedWork(device, kind, width, height, pool, slots, buffer,
                    validBits >= 64 ? -1L : (1L << validBits) - 1);
            for (int s = 0; s < slots; s++) {
                work.commandBuffers[s] = device.allocateCommandBuffer();
                work.record(s, image, ownershipTransfers, leaseBarriers);
            }
            return work;
        } catch (RuntimeException e) {
            if (work != null) {
                work.close();
            } else {
                vkDestroyQueryPool(device.vkDevice(), pool, null);
                if (buffer != null) {
                    buffer.close();
                }
            }
            throw e;
        }
    }

    static int timestampValidBits(DeviceContext device) {
        try (MemoryStack stack = stackPush()) {
            java.nio.IntBuffer count = stack.mallocInt(1);
            VkPhysicalDevice pd = device.vkDevice().getPhysicalDevice();
            vkGetPhysicalDeviceQueueFamilyProperties(pd, count, null);
            VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.malloc(count.get(0), stack);
            vkGetPhysicalDeviceQueueFamilyProperties(pd, count, families);
            return families.get(device.queueFamilyIndex()).timestampValidBits();
        }
    }

    private void record(int slot, long image, boolean ownershipTransfers, SurfaceEndpoint leaseBarriers) {
        VkCommandBuffer c = commandBuffers[slot];
        Commands.begin(c, 0);
        if (leaseBarriers != null) {
            leaseBarriers.recordAcquireBarriers(c);
        }
        vkCmdResetQueryPool(c, queryPool, 2 * slot, 2);
        vkCmdWriteTimestamp2(c, VK_PIPELINE_STAGE_2_TOP_OF_PIPE_BIT, queryPool, 2 * slot);
        long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
        long rw = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
        int general = VK_IMAGE_LAYOUT_GENERAL;
        int ignored = VK_QUEUE_FAMILY_IGNORED;
        int family = device.queueFamilyIndex();
        if (ownershipTransfers) {
            Commands.imageBarrier(c, image, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, all, rw, general, general,
                    VK_QUEUE_FAMILY_EXTERNAL, family);
        }
        long transfer = VK_PIPELINE_STAGE_2_COPY_BIT | VK_PIPELINE_STAGE_2_CLEAR_BIT;
        // Order against whatever touched the image before (earlier submits on this queue).
        Commands.imageBarrier(c, image, all, rw, transfer, VK_ACCESS_2_TRANSFER_READ_BIT | VK_ACCESS_2_TRANSFER_WRITE_BIT,
                general, general, ignored, ignored);
        if (kind == Kind.CLEAR || kind == Kind.CLEAR_THEN_READBACK) {
            try (MemoryStack stack = stackPush()) {
                VkClearColorValue color = VkClearColorValue.calloc(stack).float32(0, 0.25f).float32(1, 0.5f).float32(2, 0.75f).float32(3, 1f);
                VkImageSubresourceRange range = VkImageSubresourceRange.calloc(stack).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1);
                vkCmdClearColorImage(c, image, general, color, range);
            }
        }
        if (kind == Kind.UPLOAD_THEN_READ) {
            Commands.bufferBarrier(c, hostBuffer.handle(), VK_PIPELINE_STAGE_2_HOST_BIT | all, VK_ACCESS_2_HOST_WRITE_BIT | rw,
                    VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
            Commands.copyBufferToImage(c, hostBuffer.handle(), image, 0, 0, width, height);
        }
        if (kind != Kind.CLEAR) {
            Commands.imageBarrier(c, image, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                    VK_ACCESS_2_TRANSFER_READ_BIT, general, general, ignored, ignored);
            Commands.bufferBarrier(c, hostBuffer.handle(), all | VK_PIPELINE_STAGE_2_HOST_BIT, rw | VK_ACCESS_2_HOST_READ_BIT,
                    VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT);
            boolean whole = kind == Kind.CLEAR_THEN_READBACK;
            Commands.copyImageToBuffer(c, image, hostBuffer.handle(), whole ? width : READ_SIDE_PIXELS, whole ? height : READ_SIDE_PIXELS);
            Commands.bufferBarrier(c, hostBuffer.handle(), VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                    VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
        }
        if (ownershipTransfers) {
            Commands.imageBarrier(c, image, all, rw, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, general, general,
                    family, VK_QUEUE_FAMILY_EXTERNAL);
        }
        vkCmdWriteTimestamp2(c, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, queryPool, 2 * slot + 1);
        if (leaseBarriers != null) {
            leaseBarriers.recordReleaseBarriers(c);
        }
        Commands.end(c);
    }

    /**
     * One-off setup for baselines that share an image without a {@link SharedSurface}: UNDEFINED to
     * GENERAL, then (if {@code releaseToExternal}) ownership released to {@code VK_QUEUE_FAMILY_EXTERNAL}.
     * Waits for the queue to drain: never call it in a measured loop.
     *
     * @param device the device
     * @param image the {@code VkImage}, in UNDEFINED layout
     * @param releaseToExternal also release ownership to the external queue family
     */
    public static void initializeImage(DeviceContext device, long image, boolean releaseToExternal) {
        VkCommandBuffer init = device.allocateCommandBuffer();
        try {
            Commands.begin(init, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            long rw = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            Commands.imageBarrier(init, image, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, all, rw,
                    VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
            if (releaseToExternal) {
                Commands.imageBarrier(init, image, all, rw, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                        VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, device.queueFamilyIndex(), VK_QUEUE_FAMILY_EXTERNAL);
            }
            Commands.end(init);
            device.submitAndWaitIdle(init);
        } finally {
            device.freeCommandBuffer(init);
        }
    }

    /**
     * The prologue and epilogue command buffers a shared-memory tier's lease submits around the work:
     * the same queue-family ownership barriers as {@link SurfaceEndpoint}'s (acquire from, then release
     * to, {@code VK_QUEUE_FAMILY_EXTERNAL}, layout GENERAL, all commands, memory read/write), recorded
     * once with SIMULTANEOUS_USE and submitted in their own command buffers, outside the work's
     * timestamps. For baselines that must submit exactly what a leased submit does without a
     * {@link SharedSurface}: submit {@code prologue, work, epilogue} in one batch, with the work
     * created without {@code ownershipTransfers} and the image set up by {@link #initializeImage}.
     *
     * <p>Threading: owned by the device's thread. Close only when the GPU is done with them.
     */
    public static final class LeaseBarriers implements AutoCloseable {
        private final DeviceContext device;
        private final VkCommandBuffer prologue;
        private final VkCommandBuffer epilogue;
        private boolean closed;

        private LeaseBarriers(DeviceContext device, VkCommandBuffer prologue, VkCommandBuffer epilogue) {
            this.device = device;
            this.prologue = prologue;
            this.epilogue = epilogue;
        }

        /**
         * Records both command buffers for {@code image} (GENERAL, released to EXTERNAL) on {@code device}.
         * They are recorded once with simultaneous use, so one pair serves every lease of the image.
         *
         * @param device the device that owns {@code image}; the command buffers come from its pool
         * @param image the {@code VkImage}, in layout GENERAL
         * @return the pair, owned by the caller (close it once its submits completed)
         */
        public static LeaseBarriers record(DeviceContext device, long image) {
            int family = device.queueFamilyIndex();
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            int flags = VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
            VkCommandBuffer prologue = device.allocateCommandBuffer();
            VkCommandBuffer epilogue;
            try {
                epilogue = device.allocateCommandBuffer();
            } catch (RuntimeException e) {
                device.freeCommandBuffer(prologue);
                throw e;
            }
            Commands.begin(prologue, flags);
            Commands.imageBarrier(prologue, image, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, all, readWrite,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_EXTERNAL, family);
            Commands.end(prologue);
            Commands.begin(epilogue, flags);
            Commands.imageBarrier(epilogue, image, all, readWrite, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, family, VK_QUEUE_FAMILY_EXTERNAL);
            Commands.end(epilogue);
            return new LeaseBarriers(device, prologue, epilogue);
        }

        /** {@return the command buffer that acquires the image from {@code VK_QUEUE_FAMILY_EXTERNAL}: submit it before the work} */
        public VkCommandBuffer prologue() {
            return prologue;
        }

        /** {@return the command buffer that releases the image to {@code VK_QUEUE_FAMILY_EXTERNAL}: submit it after the work} */
        public VkCommandBuffer epilogue() {
            return epilogue;
        }

        /** Frees both command buffers. Idempotent; the GPU must be done with them. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            device.freeCommandBuffer(prologue);
            device.freeCommandBuffer(epilogue);
        }
    }

    /**
     * The prerecorded command buffer of {@code slot}.
     *
     * @param slot 0 to {@code slots() - 1}
     * @return the command buffer
     */
    public VkCommandBuffer commandBuffer(int slot) {
        return commandBuffers[slot];
    }

    /** {@return the number of prerecorded command buffers} */
    public int slots() {
        return commandBuffers.length;
    }

    /** {@return what the work does} */
    public Kind kind() {
        return kind;
    }

    /** {@return the device the work runs on} */
    public DeviceContext device() {
        return device;
    }

    /** {@return the host buffer the work reads back into or uploads from; null for {@link Kind#CLEAR}} */
    public HostBuffer hostBuffer() {
        return hostBuffer;
    }

    /**
     * Raw device ticks of {@code slot}'s first timestamp; the slot's last submit must have completed.
     *
     * @param slot the slot
     * @return the ticks
     */
    public long startTicks(int slot) {
        return read(2 * slot);
    }

    /**
     * Raw device ticks of {@code slot}'s last timestamp; the slot's last submit must have completed.
     *
     * @param slot the slot
     * @return the ticks
     */
    public long endTicks(int slot) {
        return read(2 * slot + 1);
    }

    private long read(int query) {
        // By address, not through a LongBuffer: the buffer wrapper is an allocation that escape analysis
        // removes only in some compilations, and the bench charges the measuring thread's allocations to
        // the handoff.
        try (MemoryStack stack = stackPush()) {
            long value = stack.nmalloc(8, 8);
            int result = device.checkLoss(nvkGetQueryPoolResults(device.vkDevice(), queryPool, query, 1, 8, value, 8,
                    VK_QUERY_RESULT_64_BIT), "vkGetQueryPoolResults", null);
            if (result != VK_SUCCESS) {
                throw new IllegalStateException(device.name() + ": timestamp query " + query
                        + " is not available yet; read it only after the submit that wrote it completed");
            }
            return MemoryUtil.memGetLong(value) & validMask;
        }
    }

    /** Frees the command buffers, the query pool and the host buffer. Idempotent; GPU must be done. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (VkCommandBuffer c : commandBuffers) {
            device.freeCommandBuffer(c);
        }
        vkDestroyQueryPool(device.vkDevice(), queryPool, null);
        if (hostBuffer != null) {
            hostBuffer.close();
        }
    }
}
