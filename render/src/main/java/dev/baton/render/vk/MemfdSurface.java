package dev.baton.render.vk;

import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * A producer's view of a surface whose memory is a memfd another process (the broker) created and
 * sealed: how this process's device gets each frame into those pages. Two implementations, chosen by
 * what the driver reports ({@link #open}), never by its name:
 * <ul>
 *   <li>{@link HostMemorySurface}: the device imports the mapping as host memory
 *       ({@code VK_EXT_external_memory_host}) and draws (or copies on its GPU) straight into the
 *       broker's pages; {@link #finishOnHost()} has nothing to do;</li>
 *   <li>{@link HostCopyMemfdSurface}: the device cannot import host memory for an image or a buffer
 *       (SwiftShader here), so it draws into its own image, copies it on its GPU into its own
 *       host-visible buffer, and {@link #finishOnHost()} copies those bytes into the broker's pages
 *       once the frame's fence is reached.</li>
 * </ul>
 * A frame: {@link #recordStartOfFrame}, the scene into {@link #imageView()}, {@link #recordEndOfFrame},
 * submit, wait for that submit's fence value, {@link #finishOnHost()}; only then are the pixels in the
 * broker's pages, so only then does the producer report the fence value reached. One owner thread
 * (the device's); close after the GPU is done.
 */
public interface MemfdSurface extends AutoCloseable {
    /** {@return the image the scene draws into (the broker's pages themselves where the device draws in place)} */
    SurfaceImage image();

    /** {@return a 2D colour view of the image the scene draws into (GENERAL layout between frames)} */
    long imageView();

    /**
     * Records what must precede the frame's commands (layout and the dependency on the previous frame),
     * for work of any stage and access: a {@link Lease}'s owner may draw, clear or copy.
     *
     * @param cmd the frame's command buffer, recording
     */
    void recordStartOfFrame(VkCommandBuffer cmd);

    /**
     * Records what follows the frame's commands (writes of any stage): the GPU copy, if any, and the
     * barrier that makes the writes visible to host reads once the submit's fence value is reached.
     *
     * @param cmd the frame's command buffer, recording
     */
    void recordEndOfFrame(VkCommandBuffer cmd);

    /**
     * After the frame's submit reached its fence value (the caller waited for it): puts the frame into
     * the broker's pages if the GPU did not. Allocates nothing.
     *
     * @return bytes this call copied with the CPU (0 where the GPU wrote the broker's pages itself)
     */
    long finishOnHost();

    /** {@return bytes the GPU copies per frame (0 when it draws straight into the pages it hands over)} */
    long gpuCopiedBytesPerFrame();

    /** {@return bytes the CPU copies per frame into the broker's pages ({@link #finishOnHost()})} */
    long hostCopiedBytesPerFrame();

    /** {@return whether the device imports the broker's pages (false: it host-copies into them)} */
    boolean importsBrokerMemory();

    /** Releases everything; idempotent; the GPU must be done. */
    @Override
    void close();

    /**
     * Whether {@code device} can import a host mapping for a {@code width x height} RGBA8 surface: as a
     * linear colour attachment or as a transfer-destination buffer ({@code VK_EXT_external_memory_host}).
     *
     * @param device the producer's device
     * @param width frame width in pixels
     * @param height frame height in pixels
     * @return true if {@link HostMemorySurface#importMemfd} can serve it, false if only a host copy can
     */
    static boolean importsHostMemory(DeviceContext device, int width, int height) {
        if (!device.hasExtension(DeviceContext.EXTERNAL_MEMORY_HOST)) {
            return false;
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            return HostMemorySurface.linearRenderable(device, width, height, stack) || HostMemorySurface.bufferImportable(device, stack);
        }
    }

    /**
     * Opens the broker's memfd on {@code device}: imported as host memory where the device can
     * ({@link #importsHostMemory}), else through a host copy. The fd is not kept (the mapping holds the
     * pages); the caller still owns and closes it.
     *
     * @param device the producer's device
     * @param fd the broker's sealed memfd
     * @param allocationBytes its size, as SURFACE_CREATED said (checked against the frame's size)
     * @param width frame width in pixels
     * @param height frame height in pixels
     * @return the surface, owned by the caller
     * @throws IllegalStateException with a one-line reason if the memfd cannot be used
     */
    static MemfdSurface open(DeviceContext device, int fd, long allocationBytes, int width, int height) {
        return importsHostMemory(device, width, height)
                ? HostMemorySurface.importMemfd(device, fd, allocationBytes, width, height)
                : HostCopyMemfdSurface.open(device, fd, allocationBytes, width, height);
    }
}
