package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.linux.MMAN;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * The copy tier across processes for transfer work (the benchmark's timed clears and reads), on a
 * device that cannot import host memory: this device's own optimal image and host-visible, coherent
 * staging buffer, and this process's mapping of the broker's sealed memfd. Each access: the CPU copies
 * the memfd into the staging buffer ({@link #copyInFromMemfd}); one submit uploads the staging buffer
 * into the image, runs the caller's work and reads the image back into the staging buffer
 * ({@link #submit}); once that submit's value is reached the CPU copies the staging buffer into the
 * memfd ({@link #copyOutToMemfd}), and only then may the next owner read it. Per access
 * {@code 4 * width * height * 4} bytes move: two CPU copies and two GPU copies, as an in-process
 * host-copy access moves the whole image in and out (it does not know whether the access wrote).
 *
 * <p>The upload and read-back are prerecorded once, so an access records and allocates nothing. The
 * caller's work must leave the image in GENERAL (it starts in GENERAL). One owner thread (the
 * device's); close after the GPU is done.
 */
public final class HostCopyMemfdTransfers implements AutoCloseable {
    private final DeviceContext device;
    private final SurfaceImage image;
    private final HostBuffer staging;
    private final long mapping;
    private final long mappingBytes;
    private final long frameBytes;
    private final VkCommandBuffer upload;
    private final VkCommandBuffer readBack;
    private boolean closed;

    private HostCopyMemfdTransfers(DeviceContext device, SurfaceImage image, HostBuffer staging, long mapping, long mappingBytes,
                                   VkCommandBuffer upload, VkCommandBuffer readBack) {
        this.device = device;
        this.image = image;
        this.staging = staging;
        this.mapping = mapping;
        this.mappingBytes = mappingBytes;
        this.frameBytes = (long) image.width() * image.height() * 4;
        this.upload = upload;
        this.readBack = readBack;
    }

    /**
     * Maps {@code fd} (read-write, shared), makes this device's image (moved to GENERAL; waits for the
     * queue once: setup only) and staging buffer, and records the upload and read-back.
     *
     * @param device the device (one that cannot import host memory; any device works)
     * @param fd the broker's memfd (not kept; the caller owns and closes it)
     * @param allocationBytes its size, as SURFACE_CREATED said (at least {@code width*height*4})
     * @param width frame width in pixels
     * @param height frame height in pixels
     * @return the transfers, owned by the caller
     * @throws IllegalStateException with a one-line reason if the memfd is too small or cannot be mapped
     */
    public static HostCopyMemfdTransfers open(DeviceContext device, int fd, long allocationBytes, int width, int height) {
        long frame = BrokerPages.checkFrame(allocationBytes, width, height);
        if (frame > Integer.MAX_VALUE) {
            throw new IllegalStateException(width + "x" + height + " is too large for one staging buffer");
        }
        long mapping = 0;
        SurfaceImage image = null;
        HostBuffer staging = null;
        VkCommandBuffer up = null;
        VkCommandBuffer back = null;
        try {
            mapping = BrokerPages.map(fd, allocationBytes);
            image = SurfaceImage.createPrivate(device, width, height);
            TimedWork.initializeImage(device, image.handle(), false);
            staging = HostBuffer.create(device, (int) frame);
            up = device.allocateCommandBuffer();
            back = device.allocateCommandBuffer();
            recordUpload(up, image.handle(), staging.handle(), width, height);
            recordReadBack(back, image.handle(), staging.handle(), width, height);
            HostCopyMemfdTransfers t = new HostCopyMemfdTransfers(device, image, staging, mapping, allocationBytes, up, back);
            mapping = 0; // owned by t
            image = null;
            staging = null;
            up = null;
            back = null;
            return t;
        } finally {
            if (up != null) {
                device.freeCommandBuffer(up);
            }
            if (back != null) {
                device.freeCommandBuffer(back);
            }
            if (staging != null) {
                staging.close();
            }
            if (image != null) {
                image.close();
            }
            if (mapping != 0) {
                MMAN.nmunmap(0L, mapping, allocationBytes);
            }
        }
    }

    /** Staging to image, after the CPU's write of the staging buffer and the previous access's use of both. */
    private static void recordUpload(VkCommandBuffer cmd, long image, long buffer, int width, int height) {
        long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
        long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
        long copy = VK_PIPELINE_STAGE_2_COPY_BIT;
        Commands.begin(cmd, VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT);
        // The CPU wrote the staging buffer before this submit (vkQueueSubmit orders host writes made before it).
        Commands.bufferBarrier(cmd, buffer, all | VK_PIPELINE_STAGE_2_HOST_BIT, readWrite | VK_ACCESS_2_HOST_WRITE_BIT, copy,
                VK_ACCESS_2_TRANSFER_READ_BIT);
        Commands.imageBarrier(cmd, image, all, readWrite, copy, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_IMAGE_LAYOUT_GENERAL,
                VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        Commands.copyBufferToImage(cmd, buffer, image, 0, 0, width, height);
        Commands.imageBarrier(cmd, image, copy, VK_ACCESS_2_TRANSFER_WRITE_BIT, all, readWrite, VK_IMAGE_LAYOUT_GENERAL,
                VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        Commands.end(cmd);
    }

    /** Image to staging after the caller's work, made visible to the host reads that follow the submit's value. */
    private static void recordReadBack(VkCommandBuffer cmd, long image, long buffer, int width, int height) {
        long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
        long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
        long copy = VK_PIPELINE_STAGE_2_COPY_BIT;
        Commands.begin(cmd, VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT);
        Commands.imageBarrier(cmd, image, all, readWrite, copy, VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_LAYOUT_GENERAL,
                VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        Commands.bufferBarrier(cmd, buffer, all, readWrite, copy, VK_ACCESS_2_TRANSFER_WRITE_BIT);
        Commands.copyImageToBuffer(cmd, image, buffer, width, height);
        Commands.bufferBarrier(cmd, buffer, copy, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
        Commands.end(cmd);
    }

    /**
     * Copies the broker's pages into the staging buffer with the CPU. Call only once the previous
     * owner reported its value reached (its frame is in the pages) and this device's previous submit
     * completed (its read-back is done with the staging buffer). Allocates nothing.
     *
     * @return the bytes copied ({@code width*height*4})
     */
    public long copyInFromMemfd() {
        MemoryUtil.memCopy(mapping, MemoryUtil.memAddress0(staging.mapped()), frameBytes);
        return frameBytes;
    }

    /**
     * Copies the staging buffer into the broker's pages with the CPU. Call only once this device's
     * submit reached its value. Allocates nothing.
     *
     * @return the bytes copied ({@code width*height*4})
     */
    public long copyOutToMemfd() {
        MemoryUtil.memCopy(MemoryUtil.memAddress0(staging.mapped()), mapping, frameBytes);
        return frameBytes;
    }

    /**
     * One submit: the upload, {@code work} (on {@link #image()}, GENERAL in and out), the read-back;
     * signals {@code timeline} to {@code value}. No wait, no allocation. Owning thread only.
     *
     * @param work recorded work on the image
     * @param timeline a timeline of this device
     * @param value the value to signal
     */
    public void submit(VkCommandBuffer work, VulkanTimeline timeline, long value) {
        device.beginBatch();
        device.addCommandBuffer(upload);
        device.addCommandBuffer(work);
        device.addCommandBuffer(readBack);
        device.addSignal(timeline.handle(), value);
        device.flushBatch();
    }

    /** {@return this device's image the work runs on (GENERAL)} */
    public SurfaceImage image() {
        return image;
    }

    /** {@return the staging buffer (the frame after {@link #copyInFromMemfd}, or after a submit's read-back completed)} */
    public HostBuffer staging() {
        return staging;
    }

    /** {@return bytes one access's submit copies on the GPU (upload and read-back)} */
    public long gpuCopiedBytesPerAccess() {
        return 2 * frameBytes;
    }

    /** {@return bytes one access copies with the CPU (memfd in, memfd out)} */
    public long hostCopiedBytesPerAccess() {
        return 2 * frameBytes;
    }

    /** Frees the command buffers, the staging buffer and the image and unmaps the memfd. Idempotent; the GPU must be done. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.freeCommandBuffer(upload);
        device.freeCommandBuffer(readBack);
        staging.close();
        image.close();
        MMAN.nmunmap(0L, mapping, mappingBytes);
    }
}
