package dev.baton.render.vk;

import dev.baton.render.MemorySharing;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlInfo;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * The memory choice of a surface a broker in another process allocated, as its producer's one Vulkan
 * participant sees it: the broker's sealed memfd imported as host memory ({@link MemorySharing#HOST_MEMORY}),
 * copied into it ({@link MemorySharing#HOST_COPY}), or the broker's device memory imported
 * ({@link MemorySharing#DEVICE_MEMORY}); which one the {@link MemfdSurface} opened says. Its one view
 * prerecords the frame's start and end ({@link MemfdSurface#recordStartOfFrame},
 * {@link MemfdSurface#recordEndOfFrame}) as the access's prologue and epilogue, after the one-off move
 * out of UNDEFINED, so a {@link Lease}'s submit brackets the owner's work exactly as in process. What a
 * host copy moves after the GPU is done ({@link MemfdSurface#finishOnHost}) runs where the fence value
 * is reported, not here.
 */
final class BrokerMemory implements SurfaceMemory {
    private final MemfdSurface pages;
    private final MemorySharing kind;

    BrokerMemory(MemfdSurface pages) {
        this.pages = pages;
        this.kind = pages instanceof DeviceMemorySurface ? MemorySharing.DEVICE_MEMORY
                : pages.importsBrokerMemory() ? MemorySharing.HOST_MEMORY : MemorySharing.HOST_COPY;
    }

    @Override
    public MemorySharing kind() {
        return kind;
    }

    @Override
    public VulkanView vulkan(DeviceContext device, int index, int width, int height) {
        if (index != 0) {
            throw new IllegalArgumentException("a surface of a broker has one participant in this process, not " + (index + 1));
        }
        return new View(device, pages);
    }

    @Override
    public GlView gl(GlContext context, GlInfo info, int width, int height) {
        throw new UnsupportedOperationException("a surface of a broker has no GL participant in the producer's process");
    }

    /** The producer's view: the memfd surface and the two command buffers every access submits around the owner's work. */
    private static final class View implements VulkanView {
        private final DeviceContext device;
        private final MemfdSurface pages;
        private VkCommandBuffer prologue;
        private VkCommandBuffer epilogue;
        private boolean closed;

        View(DeviceContext device, MemfdSurface pages) {
            this.device = device;
            this.pages = pages;
        }

        @Override
        public SurfaceImage image() {
            return pages.image();
        }

        /** After {@link #recordInitialTransition}: the steady-state start and end of a frame, the same in every access. */
        @Override
        public void recordAccessCommands() {
            prologue = device.allocateCommandBuffer();
            epilogue = device.allocateCommandBuffer();
            // SIMULTANEOUS_USE: a consumer that gave a late frame up releases before the GPU finished it, so the next
            // access may resubmit these while the previous submit is still pending.
            int flags = org.lwjgl.vulkan.VK10.VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
            Commands.begin(prologue, flags);
            pages.recordStartOfFrame(prologue);
            Commands.end(prologue);
            Commands.begin(epilogue, flags);
            pages.recordEndOfFrame(epilogue);
            Commands.end(epilogue);
        }

        /** The first start of a frame: the move out of UNDEFINED, once. */
        @Override
        public void recordInitialTransition(VkCommandBuffer cmd) {
            pages.recordStartOfFrame(cmd);
        }

        @Override
        public long beginAccess() {
            return 0; // the producer overwrites the whole frame: nothing comes in
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
        public void recordAcquire(VkCommandBuffer cmd) {
            pages.recordStartOfFrame(cmd);
        }

        @Override
        public void recordRelease(VkCommandBuffer cmd) {
            pages.recordEndOfFrame(cmd);
        }

        @Override
        public VkCommandBuffer uploadPrologue() {
            return null;
        }

        @Override
        public long submitCopiedBytes() {
            return pages.gpuCopiedBytesPerFrame();
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
            pages.close();
        }
    }
}
