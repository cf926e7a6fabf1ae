package dev.baton.app.serve;

import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.ipc.DeviceMemoryAllocator;
import dev.baton.render.ipc.SurfaceAllocator;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import java.util.function.Consumer;

/**
 * What lets the window sample producers' frames without a copy, chosen by capability: the window's GL
 * imports OPAQUE_FD memory ({@code GL_EXT_memory_object_fd}) and a Vulkan device in this process has
 * exactly GL's driver and device UUIDs (lavapipe for llvmpipe here) and exports image memory. Then the
 * broker allocates the surfaces of every producer of that same driver and device as exportable image
 * memory on that device ({@link DeviceMemoryAllocator}), the producer imports it into its device and
 * the window into GL; every other producer keeps the host memfd. {@link #open} returns null where
 * nothing matches, and serve works as before.
 *
 * <p>Close after the broker (the device allocates on the broker's loop thread).
 */
final class WindowMemory implements AutoCloseable {
    private final VulkanInstance vulkan;
    private final DeviceContext device;
    private final SurfaceAllocator allocator;

    private WindowMemory(VulkanInstance vulkan, DeviceContext device) {
        this.vulkan = vulkan;
        this.device = device;
        this.allocator = new DeviceMemoryAllocator(device, SurfaceAllocator.hostMemfd());
    }

    /**
     * Finds a Vulkan device of the window's GL driver and device. Call on the context's owner thread.
     *
     * @param context the window's GL context
     * @param log where the one line saying what was chosen goes
     * @return the allocator's owner, or null when GL cannot import or no Vulkan device matches (host memfds only)
     */
    static WindowMemory open(GlContext context, Consumer<String> log) {
        GlInfo gl;
        try {
            gl = GlInfo.query(context);
        } catch (RuntimeException e) {
            log.accept("serve: window GL not queried (" + e.getMessage() + "); producers' frames are uploaded");
            return null;
        }
        if (!gl.memoryObjectFd()) {
            log.accept("serve: window GL " + gl.renderer() + " lacks GL_EXT_memory_object_fd; producers' frames are uploaded");
            return null;
        }
        VulkanInstance vulkan = null;
        try {
            vulkan = VulkanInstance.create(false);
            for (PhysicalDeviceInfo d : vulkan.physicalDevices()) {
                if (d.memoryExport() && gl.canImportOpaqueFdFrom(d.driverUuid(), d.deviceUuid())) {
                    DeviceContext dev = DeviceContext.builder(vulkan).name("serve-window-memory").physicalDeviceIndex(d.index()).build();
                    log.accept("serve: producers on " + d.name() + " (the window GL's driver and device) draw into device memory that the"
                            + " window samples in place; others use the host memfd");
                    return new WindowMemory(vulkan, dev);
                }
            }
            log.accept("serve: no Vulkan device shares the window GL's driver and device (" + gl.renderer() + "); producers' frames"
                    + " are uploaded");
        } catch (RuntimeException e) {
            log.accept("serve: no device memory for the window (" + e.getMessage() + "); producers' frames are uploaded");
        }
        if (vulkan != null) {
            vulkan.close();
        }
        return null;
    }

    /** {@return the broker's allocator: device memory for the window's driver, the host memfd otherwise} */
    SurfaceAllocator allocator() {
        return allocator;
    }

    @Override
    public void close() {
        device.close();
        vulkan.close();
    }
}
