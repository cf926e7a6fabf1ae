package dev.baton.render.vk;

import dev.baton.render.MemorySharing;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlFenceTimeline;
import dev.baton.render.gl.GlInfo;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * How one surface's pixels reach each participant: one implementation per {@link MemorySharing}
 * choice ({@link DeviceMemoryImport}, {@link HostCopyMemory}, {@link HostMemoryImport}), modelled on Dawn's
 * {@code SharedTextureMemory}. The surface makes one per surface and asks it for each participant's
 * {@linkplain VulkanView view}; an access begins when the keyed mutex and the {@link SurfaceSync} say
 * the previous owner's work is done or waited for, and ends when the owner's work is submitted.
 *
 * <p>Adding a way of sharing memory: one class implementing this, its case in {@link #create}, and its
 * rule in {@link dev.baton.render.SyncTierSelector}.
 *
 * <p>Threading: created and its views made on the surface's creating thread; each view belongs to
 * its participant's thread afterwards. State shared between views (who holds the latest pixels) is
 * written only by the keyed mutex's owner and read by the next owner after its acquire.
 */
interface SurfaceMemory {
    /** The implementation of {@code kind} for one surface whose images are made with {@code spec}. */
    static SurfaceMemory create(MemorySharing kind, String surfaceName, ImageSpec spec) {
        switch (kind) {
            case DEVICE_MEMORY:
                return new DeviceMemoryImport(spec);
            case HOST_COPY:
                return new HostCopyMemory(spec);
            case HOST_MEMORY:
                return new HostMemoryImport(surfaceName, spec);
            default:
                throw new AssertionError(kind);
        }
    }

    MemorySharing kind();

    /**
     * The view of Vulkan participant {@code index} (0 allocates; called in index order).
     * All-or-nothing: on failure nothing of it is left.
     */
    VulkanView vulkan(DeviceContext device, int index, int width, int height);

    /** The view of the GL participant, after every Vulkan view exists. All-or-nothing; GL owner thread. */
    GlView gl(GlContext context, GlInfo info, int width, int height);

    /** One Vulkan participant's image and the commands that begin and end each of its accesses. */
    interface VulkanView extends AutoCloseable {
        SurfaceImage image();

        /** Allocates and records the command buffers submitted around every access, once. */
        void recordAccessCommands();

        /** Records the one-off setup into {@code cmd}: UNDEFINED to GENERAL and whatever the sharing needs. */
        void recordInitialTransition(VkCommandBuffer cmd);

        /**
         * An access begins (after the sync allowed it): brings the previous writer's pixels if this way
         * of sharing must. Never blocks, never allocates.
         *
         * @return bytes the host copied for it (0 when nothing moves)
         */
        long beginAccess();

        /** The command buffer to submit before the owner's work in this access. */
        VkCommandBuffer prologue();

        /** The command buffer to submit after the owner's work. */
        VkCommandBuffer epilogue();

        /**
         * Records into {@code cmd} what {@link #prologue()} does in an access that moves no pixels in: the
         * same in every access, so an owner may record it once into its own command buffer.
         */
        void recordAcquire(VkCommandBuffer cmd);

        /** Records into {@code cmd} what {@link #epilogue()} does (the same in every access). */
        void recordRelease(VkCommandBuffer cmd);

        /**
         * The command buffer to submit before the owner's work when the owner recorded
         * {@link #recordAcquire} itself: what this access must move in first (host copy's upload of
         * another participant's pixels), or null when nothing moves.
         */
        VkCommandBuffer uploadPrologue();

        /** Bytes the GPU copies in this access's submit (upload and read-back); 0 when nothing moves. */
        long submitCopiedBytes();

        /** This access's work was submitted: its pixels are the surface's latest once its fence value is reached. */
        void endAccess();

        /** Frees what the view made; the GPU must be done with it. Idempotent. */
        @Override
        void close();
    }

    /** The GL participant's texture and what begins and ends its accesses. GL owner thread. */
    interface GlView extends AutoCloseable {
        int texture();

        int framebuffer();

        int width();

        int height();

        /** The lease became ready (the previous writer's work is complete): bring its pixels if needed; returns the bytes copied. */
        long beginAccess();

        /** Whether a release after touching the texture hands on a new fence value: {@code written} says GL wrote it. */
        boolean releaseSignals(boolean written);

        /**
         * Ends a signalling access: makes {@code timeline} reach {@code value} once GL's work on the texture is
         * done; returns the bytes copied to hand GL's pixels on (0 where the memory is shared).
         */
        long endAccess(GlFenceTimeline timeline, long value);

        @Override
        void close();
    }
}
