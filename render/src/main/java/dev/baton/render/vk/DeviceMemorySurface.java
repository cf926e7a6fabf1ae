package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.ExportedImageMemory;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * A surface whose memory is exportable Vulkan image memory that another process (the broker)
 * allocated on a device of this device's driver and sent as an OPAQUE_FD: imported here as device
 * memory ({@link SurfaceImage#importFrom}, which checks the UUIDs and the memory requirements), drawn
 * into in place; the broker's GL imports the same memory and samples it. Nothing is copied.
 *
 * <p>Ownership: the memory is shared with another API (GL) in another process, so every frame
 * acquires the image from {@code VK_QUEUE_FAMILY_EXTERNAL} and releases it back, in layout GENERAL,
 * as {@code EXT_external_objects} asks of a Vulkan side sharing an image with GL without semaphores
 * (the host bridge: the reader waits on the host for the submit's fence value, reported by
 * FENCE_REACHED). The first frame starts from UNDEFINED (nothing was written before). One owner thread
 * (the device's); close after the GPU is done.
 */
public final class DeviceMemorySurface implements MemfdSurface {
    private final DeviceContext device;
    private final SurfaceImage image;
    private final long view;
    private boolean initialised;
    private boolean closed;

    private DeviceMemorySurface(DeviceContext device, SurfaceImage image, long view) {
        this.device = device;
        this.image = image;
        this.view = view;
    }

    /**
     * Whether {@code device} can import OPAQUE_FD image memory (it then says so in HELLO).
     *
     * @param device the producer's device
     * @return true if {@link #importFrom} can serve a surface of a broker device with its UUIDs
     */
    public static boolean importsDeviceMemory(DeviceContext device) {
        return device.info().memoryImport();
    }

    /**
     * Imports {@code memory} (a fresh fd from its {@link ExportedImageMemory#dupFd()}) into {@code device}.
     *
     * @param device the producer's device
     * @param memory the broker's exported image memory, as SURFACE_CREATED described it
     * @return the surface, owned by the caller
     * @throws IllegalArgumentException if the UUIDs or memory requirements differ from the exporter's
     */
    public static DeviceMemorySurface importFrom(DeviceContext device, ExportedImageMemory memory) {
        return withView(device, SurfaceImage.importFrom(device, memory));
    }

    /**
     * A {@code width x height} RGBA8 image of {@code device}'s own, allocated exportable (OPAQUE_FD,
     * dedicated): the producer's side of a surface whose memory it offers the broker (binary semaphores
     * across processes, {@link BrokerSurfaces#offerWithBinarySemaphores}); {@link #image()} exports it.
     *
     * @param device the producer's device (it must export OPAQUE_FD image memory)
     * @param width width in pixels
     * @param height height in pixels
     * @return the surface, owned by the caller
     */
    public static DeviceMemorySurface createExportable(DeviceContext device, int width, int height) {
        return withView(device, SurfaceImage.createExportable(device, width, height));
    }

    private static DeviceMemorySurface withView(DeviceContext device, SurfaceImage image) {
        try {
            return new DeviceMemorySurface(device, image, image.createColorView());
        } catch (RuntimeException e) {
            image.close();
            throw e;
        }
    }

    @Override
    public SurfaceImage image() {
        return image;
    }

    @Override
    public long imageView() {
        return view;
    }

    /** Acquires the image from the external family (from UNDEFINED on the first frame) for colour writes. */
    @Override
    public void recordStartOfFrame(VkCommandBuffer cmd) {
        long dstAccess = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT; // whatever the owner records
        if (!initialised) {
            initialised = true;
            Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                    VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, dstAccess, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_GENERAL,
                    VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
            return;
        }
        // Acquire half of the transfer from GL (the source scope of an acquire is ignored).
        Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, dstAccess, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL,
                VK_QUEUE_FAMILY_EXTERNAL, device.queueFamilyIndex());
    }

    /** Releases the image to the external family in GENERAL, its colour writes made available. */
    @Override
    public void recordEndOfFrame(VkCommandBuffer cmd) {
        Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_WRITE_BIT,
                VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL,
                device.queueFamilyIndex(), VK_QUEUE_FAMILY_EXTERNAL);
    }

    @Override
    public long finishOnHost() {
        return 0;
    }

    @Override
    public long gpuCopiedBytesPerFrame() {
        return 0;
    }

    @Override
    public long hostCopiedBytesPerFrame() {
        return 0;
    }

    @Override
    public boolean importsBrokerMemory() {
        return true;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        vkDestroyImageView(device.vkDevice(), view, null);
        image.close();
    }
}
