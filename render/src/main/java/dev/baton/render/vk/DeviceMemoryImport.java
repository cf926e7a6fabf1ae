package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.MemorySharing;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlFenceTimeline;
import dev.baton.render.gl.GlImportedTexture;
import dev.baton.render.gl.GlInfo;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * {@link MemorySharing#DEVICE_MEMORY}: participant 0 allocates exportable OPAQUE_FD memory (dedicated
 * allocation) and every other participant imports it (a fresh fd each, after a UUID check); GL imports
 * it with {@code GL_EXT_memory_object_fd}. Every access is bracketed by a queue-family ownership
 * transfer from and to {@code VK_QUEUE_FAMILY_EXTERNAL}; nothing is copied.
 */
final class DeviceMemoryImport implements SurfaceMemory {
    private final ImageSpec spec;
    private SurfaceImage exported; // participant 0's image, which the others import

    DeviceMemoryImport(ImageSpec spec) {
        this.spec = spec;
    }

    @Override
    public MemorySharing kind() {
        return MemorySharing.DEVICE_MEMORY;
    }

    @Override
    public VulkanView vulkan(DeviceContext device, int index, int width, int height) {
        SurfaceImage image;
        if (index == 0) {
            image = exported = SurfaceImage.createExportable(device, spec, width, height);
        } else {
            image = SurfaceImage.importFrom(device, exported);
        }
        return new View(device, image, VK_QUEUE_FAMILY_EXTERNAL, null);
    }

    @Override
    public GlView gl(GlContext context, GlInfo info, int width, int height) {
        return new Gl(GlImportedTexture.importFrom(context, info, exported));
    }

    /**
     * A view of an image whose memory other drivers or devices access too: each access acquires the
     * image from {@code externalFamily} and releases it back; nothing is copied. Also used by
     * {@link HostMemoryImport}.
     */
    static final class View implements VulkanView {
        private final DeviceContext device;
        private final SurfaceImage image;
        private final int externalFamily; // VK_QUEUE_FAMILY_EXTERNAL, or VK_QUEUE_FAMILY_FOREIGN_EXT across drivers
        private final Runnable afterClose; // frees what backs the memory (a host mapping), or null
        private VkCommandBuffer prologue;
        private VkCommandBuffer epilogue;
        private boolean closed;

        View(DeviceContext device, SurfaceImage image, int externalFamily, Runnable afterClose) {
            this.device = device;
            this.image = image;
            this.externalFamily = externalFamily;
            this.afterClose = afterClose;
        }

        @Override
        public SurfaceImage image() {
            return image;
        }

        @Override
        public void recordAccessCommands() {
            // SIMULTANEOUS_USE: a later handoff may resubmit these while an earlier submit is still pending.
            int flags = VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
            prologue = device.allocateCommandBuffer();
            epilogue = device.allocateCommandBuffer();
            Commands.begin(prologue, flags);
            recordAcquire(prologue);
            Commands.end(prologue);
            Commands.begin(epilogue, flags);
            recordRelease(epilogue);
            Commands.end(epilogue);
        }

        // Queue-family ownership transfer from/to the external family around the owner's work; the layout
        // stays GENERAL. The semaphore/timeline wait orders execution; these barriers make the memory
        // available/visible.
        @Override
        public void recordAcquire(VkCommandBuffer cmd) {
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT,
                    readWrite, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, externalFamily, device.queueFamilyIndex());
        }

        @Override
        public void recordRelease(VkCommandBuffer cmd) {
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, readWrite, VK_PIPELINE_STAGE_2_NONE,
                    VK_ACCESS_2_NONE, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, device.queueFamilyIndex(), externalFamily);
        }

        @Override
        public VkCommandBuffer uploadPrologue() {
            return null; // the memory is the same: nothing moves
        }

        @Override
        public void recordInitialTransition(VkCommandBuffer cmd) {
            long img = image.handle();
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            Commands.imageBarrier(cmd, img, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, all, readWrite,
                    VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
            Commands.imageBarrier(cmd, img, all, readWrite, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, device.queueFamilyIndex(), externalFamily);
        }

        @Override
        public long beginAccess() {
            return 0; // the memory is the same: the acquire transfer in the prologue makes it visible
        }

        @Override
        public VkCommandBuffer prologue() {
            return prologue;
        }

        @Override
        public VkCommandBuffer epilogue() {
            return epilogue;
        }

        @Override
        public long submitCopiedBytes() {
            return 0;
        }

        @Override
        public void endAccess() {}

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            device.freeCommandBuffer(prologue);
            device.freeCommandBuffer(epilogue);
            image.close();
            if (afterClose != null) {
                afterClose.run();
            }
        }
    }

    private static final class Gl implements GlView {
        private final GlImportedTexture texture;

        Gl(GlImportedTexture texture) {
            this.texture = texture;
        }

        @Override
        public int texture() {
            return texture.texture();
        }

        @Override
        public int framebuffer() {
            return texture.framebuffer();
        }

        @Override
        public int width() {
            return texture.width();
        }

        @Override
        public int height() {
            return texture.height();
        }

        @Override
        public long beginAccess() {
            return 0; // the memory is shared: nothing to bring
        }

        @Override
        public boolean releaseSignals(boolean written) {
            return true; // reading the shared texture must finish before the next writer starts
        }

        @Override
        public long endAccess(GlFenceTimeline timeline, long value) {
            timeline.signalAfterSubmittedWork(value); // fence + glFlush
            return 0;
        }

        @Override
        public void close() {
            texture.close();
        }
    }
}
