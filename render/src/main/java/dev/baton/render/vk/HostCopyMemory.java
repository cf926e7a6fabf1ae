package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.MemorySharing;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlFenceTimeline;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlLocalTexture;
import java.nio.ByteBuffer;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * {@link MemorySharing#HOST_COPY}: every participant keeps an image of its own and a host buffer. A
 * writer's submit ends by reading its image back into its buffer; the next owner, once its CPU waited
 * for that submit (the {@link dev.baton.render.HandoffSync#HOST_WAIT host wait} this choice goes
 * with), copies those bytes into its own buffer and its next submit uploads them first. GL reads back
 * and uploads synchronously. Works between any two drivers.
 */
final class HostCopyMemory implements SurfaceMemory {
    /**
     * Host memory holding the surface's latest pixels (the surface format, tightly packed), or null before the first
     * write: the handoff record of this choice, written by the mutex owner at the end of its access and
     * read by the next owner after its acquire (the keyed mutex orders the two).
     */
    private volatile ByteBuffer latest;
    private final ImageSpec spec;
    private final int bytesPerPixel;

    HostCopyMemory(ImageSpec spec) {
        this.spec = spec;
        this.bytesPerPixel = spec.format().bytesPerPixel();
    }

    @Override
    public MemorySharing kind() {
        return MemorySharing.HOST_COPY;
    }

    @Override
    public VulkanView vulkan(DeviceContext device, int index, int width, int height) {
        SurfaceImage image = SurfaceImage.createPrivate(device, spec, width, height);
        try {
            return new View(device, image, HostBuffer.create(device, Math.multiplyExact(width * height, bytesPerPixel)));
        } catch (RuntimeException | Error e) {
            image.close();
            throw e;
        }
    }

    @Override
    public GlView gl(GlContext context, GlInfo info, int width, int height) {
        return new Gl(new GlLocalTexture(context, width, height, spec.format()));
    }

    /** Copies the latest pixels into {@code to} unless they are already there; returns the bytes copied. */
    private long copyLatestInto(ByteBuffer to) {
        ByteBuffer from = latest;
        if (from == null || from == to) {
            return 0;
        }
        // Address-to-address copy: no buffer views allocated per handoff.
        int bytes = Math.min(from.capacity(), to.capacity());
        MemoryUtil.memCopy(MemoryUtil.memAddress0(from), MemoryUtil.memAddress0(to), bytes);
        return bytes;
    }

    private final class View implements VulkanView {
        private final DeviceContext device;
        private final SurfaceImage image;
        /** Staging for upload (before our work) and read-back (after it). */
        private final HostBuffer staging;
        private VkCommandBuffer prologue;
        private VkCommandBuffer prologueUpload;
        private VkCommandBuffer epilogue;
        /** This access must upload new pixels from staging first. */
        private boolean upload;
        private boolean closed;

        View(DeviceContext device, SurfaceImage image, HostBuffer staging) {
            this.device = device;
            this.image = image;
            this.staging = staging;
        }

        @Override
        public SurfaceImage image() {
            return image;
        }

        @Override
        public void recordAccessCommands() {
            long img = image.handle();
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            int flags = VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
            long buffer = staging.handle();
            long transfer = VK_PIPELINE_STAGE_2_COPY_BIT;
            prologue = device.allocateCommandBuffer();
            epilogue = device.allocateCommandBuffer();
            Commands.begin(prologue, flags);
            recordAcquire(prologue);
            Commands.end(prologue);
            prologueUpload = device.allocateCommandBuffer();
            Commands.begin(prologueUpload, flags);
            Commands.imageBarrier(prologueUpload, img, all, readWrite, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
            Commands.bufferBarrier(prologueUpload, buffer, all | VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT | VK_ACCESS_2_HOST_WRITE_BIT,
                    transfer, VK_ACCESS_2_TRANSFER_READ_BIT);
            Commands.copyBufferToImage(prologueUpload, buffer, img, 0, 0, image.width(), image.height());
            Commands.imageBarrier(prologueUpload, img, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT, all, readWrite,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
            Commands.end(prologueUpload);
            Commands.begin(epilogue, flags);
            recordRelease(epilogue);
            Commands.end(epilogue);
        }

        @Override
        public void recordAcquire(VkCommandBuffer cmd) {
            // Our previous submit's read-back copy (and the user's work) precede this one on our queue.
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            Commands.imageBarrier(cmd, image.handle(), all, readWrite, all, readWrite,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        }

        @Override
        public void recordRelease(VkCommandBuffer cmd) {
            // Read the image back into our staging buffer, for the next owner's CPU once our fence value is reached.
            long img = image.handle();
            long buffer = staging.handle();
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            long transfer = VK_PIPELINE_STAGE_2_COPY_BIT;
            Commands.imageBarrier(cmd, img, all, readWrite, transfer, VK_ACCESS_2_TRANSFER_READ_BIT,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
            Commands.bufferBarrier(cmd, buffer, all, readWrite, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT);
            Commands.copyImageToBuffer(cmd, img, buffer, image.width(), image.height());
            Commands.bufferBarrier(cmd, buffer, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                    VK_ACCESS_2_HOST_READ_BIT);
        }

        @Override
        public VkCommandBuffer uploadPrologue() {
            return upload ? prologueUpload : null; // the upload ends with a barrier to every later command
        }

        @Override
        public void recordInitialTransition(VkCommandBuffer cmd) {
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, all, readWrite,
                    VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        }

        @Override
        public long beginAccess() {
            long bytes = copyLatestInto(staging.mapped());
            upload = bytes != 0;
            return bytes;
        }

        @Override
        public VkCommandBuffer prologue() {
            return upload ? prologueUpload : prologue;
        }

        @Override
        public VkCommandBuffer epilogue() {
            return epilogue;
        }

        @Override
        public long submitCopiedBytes() {
            long imageBytes = (long) bytesPerPixel * image.width() * image.height(); // whole image each way
            return upload ? 2 * imageBytes : imageBytes;          // epilogue read-back, plus the upload
        }

        @Override
        public void endAccess() {
            latest = staging.mapped(); // valid once this submit's fence value is reached
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            device.freeCommandBuffer(prologue);
            device.freeCommandBuffer(prologueUpload);
            device.freeCommandBuffer(epilogue);
            staging.close();
            image.close();
        }
    }

    private final class Gl implements GlView {
        private final GlLocalTexture local;
        private final ByteBuffer hostPixels; // our pixels after a write
        private boolean closed;

        Gl(GlLocalTexture local) {
            this.local = local;
            this.hostPixels = MemoryUtil.memAlloc(local.width() * local.height() * bytesPerPixel);
        }

        @Override
        public int texture() {
            return local.texture();
        }

        @Override
        public int framebuffer() {
            return local.framebuffer();
        }

        @Override
        public int width() {
            return local.width();
        }

        @Override
        public int height() {
            return local.height();
        }

        @Override
        public long beginAccess() {
            ByteBuffer from = latest;
            if (from != null && from != hostPixels) {
                local.upload(from);
                return hostPixels.capacity();
            }
            return 0;
        }

        @Override
        public boolean releaseSignals(boolean written) {
            return written; // GL's copy is its own: reading it leaves the others' pixels as they were
        }

        @Override
        public long endAccess(GlFenceTimeline timeline, long value) {
            local.readback(hostPixels);     // synchronous: done when it returns
            timeline.signalFromHost(value);
            latest = hostPixels;
            return hostPixels.capacity();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            local.close();
            MemoryUtil.memFree(hostPixels);
        }
    }
}
