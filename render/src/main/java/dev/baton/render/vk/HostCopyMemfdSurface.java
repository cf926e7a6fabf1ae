package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.linux.MMAN;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * The copy tier across processes: a surface in the broker's sealed memfd for a device that cannot
 * import host memory (it reports no {@code VK_EXT_external_memory_host} import for a linear image or a
 * buffer; SwiftShader here). The scene draws into this device's own optimal image, the same submit
 * copies it ({@code vkCmdCopyImageToBuffer}) into this device's own host-visible, coherent buffer, and
 * once the caller saw the submit's fence value reached, {@link #finishOnHost()} copies those
 * {@code width*height*4} bytes with the CPU into this process's mapping of the broker's memfd.
 *
 * <p>Safety: no memory of this device leaves the process, and the only shared pages are the broker's
 * memfd, sealed SHRINK | GROW | SEAL, which nobody can truncate under either mapping. Per frame: one
 * GPU copy (image to this device's buffer) and one CPU copy (buffer to the broker's pages), both
 * {@code width*height*4} bytes. One owner thread (the device's); close after the GPU is done.
 */
public final class HostCopyMemfdSurface implements MemfdSurface {
    private final DeviceContext device;
    private final int width;
    private final int height;
    private final SurfaceImage image;  // private, optimal
    private final long view;           // VkImageView
    private final HostBuffer staging;  // this device's host-visible, coherent buffer
    private final long mapping;        // the broker's memfd, mapped read-write, shared
    private final long mappingBytes;
    private final long frameBytes;
    private boolean initialised;
    private boolean closed;

    private HostCopyMemfdSurface(DeviceContext device, int width, int height, SurfaceImage image, long view, HostBuffer staging,
                                 long mapping, long mappingBytes) {
        this.device = device;
        this.width = width;
        this.height = height;
        this.image = image;
        this.view = view;
        this.staging = staging;
        this.mapping = mapping;
        this.mappingBytes = mappingBytes;
        this.frameBytes = (long) width * height * 4;
    }

    /**
     * Maps {@code fd} ({@code allocationBytes}, read-write, shared) and makes this device's image and
     * staging buffer for a {@code width x height} RGBA8 frame. The fd is not kept; the caller owns it.
     *
     * @param device the producer's device
     * @param fd the broker's memfd
     * @param allocationBytes its size, as SURFACE_CREATED said (at least {@code width*height*4})
     * @param width frame width in pixels
     * @param height frame height in pixels
     * @return the surface, owned by the caller
     * @throws IllegalStateException with a one-line reason if the memfd is too small or cannot be mapped
     */
    public static HostCopyMemfdSurface open(DeviceContext device, int fd, long allocationBytes, int width, int height) {
        long frame = BrokerPages.checkFrame(allocationBytes, width, height);
        if (frame > Integer.MAX_VALUE) {
            throw new IllegalStateException(width + "x" + height + " is too large for one staging buffer");
        }
        long mapping = 0;
        SurfaceImage image = null;
        long view = VK_NULL_HANDLE;
        HostBuffer staging = null;
        try {
            mapping = BrokerPages.map(fd, allocationBytes);
            image = SurfaceImage.createPrivate(device, width, height);
            view = image.createColorView();
            staging = HostBuffer.create(device, (int) frame);
            HostCopyMemfdSurface s = new HostCopyMemfdSurface(device, width, height, image, view, staging, mapping, allocationBytes);
            mapping = 0; // owned by s
            image = null;
            view = VK_NULL_HANDLE;
            staging = null;
            return s;
        } finally {
            if (staging != null) {
                staging.close();
            }
            if (view != VK_NULL_HANDLE) {
                vkDestroyImageView(device.vkDevice(), view, null);
            }
            if (image != null) {
                image.close();
            }
            if (mapping != 0) {
                MMAN.nmunmap(0L, mapping, allocationBytes);
            }
        }
    }

    @Override
    public long imageView() {
        return view;
    }

    /** {@return the image the scene draws into} */
    public SurfaceImage image() {
        return image;
    }

    /**
     * Records the image's move out of UNDEFINED (first frame) and the dependency on the previous
     * frame's copy out of it (a write-after-read on the image).
     */
    @Override
    public void recordStartOfFrame(VkCommandBuffer cmd) {
        int oldLayout = initialised ? VK_IMAGE_LAYOUT_GENERAL : VK_IMAGE_LAYOUT_UNDEFINED;
        initialised = true;
        Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT,
                VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT,
                oldLayout, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
    }

    /**
     * Records the copy of the drawn image into this device's staging buffer, after the previous
     * frame's host read of that buffer, and the barrier that makes the copy visible to host reads.
     */
    @Override
    public void recordEndOfFrame(VkCommandBuffer cmd) {
        Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_WRITE_BIT,
                VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL,
                VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        // The previous frame's finishOnHost read the buffer before this submit (same thread, program order).
        Commands.bufferBarrier(cmd, staging.handle(), VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT,
                VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT);
        Commands.copyImageToBuffer(cmd, image.handle(), staging.handle(), width, height);
        Commands.bufferBarrier(cmd, staging.handle(), VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    }

    /**
     * Copies the frame from this device's staging buffer (coherent: no invalidate needed) into the
     * broker's pages. Call only after the frame's fence value was reached.
     *
     * @return {@code width*height*4}, the bytes copied
     */
    @Override
    public long finishOnHost() {
        MemoryUtil.memCopy(MemoryUtil.memAddress0(staging.mapped()), mapping, frameBytes);
        return frameBytes;
    }

    @Override
    public long gpuCopiedBytesPerFrame() {
        return frameBytes;
    }

    @Override
    public long hostCopiedBytesPerFrame() {
        return frameBytes;
    }

    @Override
    public boolean importsBrokerMemory() {
        return false;
    }

    /** Destroys the view, image and staging buffer and unmaps the broker's memfd. Idempotent; the GPU must be done. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        vkDestroyImageView(device.vkDevice(), view, null);
        image.close();
        staging.close();
        MMAN.nmunmap(0L, mapping, mappingBytes);
    }
}
