package dev.baton.render.scene;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;

import dev.baton.render.VkResults;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.render.vk.SurfaceImage;
import java.util.List;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkCommandBufferBeginInfo;

/**
 * Records a {@link Scene} into a producer's ring of surface endpoints on one device: an image view
 * and a command buffer per slot, recorded fresh each frame.
 *
 * <p>Thread contract: the device's owning thread only. {@link #record} allocates nothing. Close
 * after the ring's last submit completed ({@link #awaitSubmitted}) and before the surfaces close.
 */
public final class RingRenderer implements AutoCloseable {
    private final DeviceContext device;
    private final List<SurfaceEndpoint> ring;
    private final SceneRenderer scene;
    private final long[] views;                // VkImageView per slot
    private final VkCommandBuffer[] commands;  // per slot
    private boolean closed;

    /** Builds views, command buffers and the scene's pipelines, frame stamp included. All-or-nothing. */
    public RingRenderer(DeviceContext device, List<SurfaceEndpoint> ring, Scene scene) {
        this(device, ring, scene, true);
    }

    /** Like {@link #RingRenderer(DeviceContext, List, Scene)}; {@code stamp} false leaves the frame stamp out. */
    public RingRenderer(DeviceContext device, List<SurfaceEndpoint> ring, Scene scene, boolean stamp) {
        this.device = device;
        this.ring = List.copyOf(ring);
        this.views = new long[ring.size()];
        this.commands = new VkCommandBuffer[ring.size()];
        SurfaceImage first = ring.get(0).image();
        SceneRenderer renderer = new SceneRenderer(device.vkDevice(), scene, first.vkFormat(), first.width(), first.height(),
                VK_IMAGE_LAYOUT_GENERAL, stamp);   // a lease holds the image in GENERAL
        this.scene = renderer;
        try {
            for (int i = 0; i < ring.size(); i++) {
                views[i] = ring.get(i).image().createColorView();
                commands[i] = device.allocateCommandBuffer();
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Records frame {@code frame} for slot {@code slot} and returns the command buffer to submit
     * under that slot's lease. Waits (at most {@code timeoutNanos}) for the slot's previous submit,
     * which normally finished long ago.
     *
     * @throws IllegalStateException if the slot's previous submit did not finish in time
     */
    public VkCommandBuffer record(int slot, long frame, float timeSeconds, int producer, long timeoutNanos) throws InterruptedException {
        SurfaceEndpoint endpoint = ring.get(slot);
        if (!endpoint.timeline().awaitValue(endpoint.lastSubmittedValue(), timeoutNanos)) {
            throw new IllegalStateException(endpoint + ": the previous frame in this slot did not finish within "
                    + timeoutNanos / 1_000_000 + " ms; is the device hung?");
        }
        VkCommandBuffer cmd = commands[slot];
        VkResults.check(vkResetCommandBuffer(cmd, 0), "vkResetCommandBuffer");
        try (MemoryStack stack = stackPush()) {
            VkResults.check(vkBeginCommandBuffer(cmd, VkCommandBufferBeginInfo.calloc(stack).sType$Default()
                    .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)), "vkBeginCommandBuffer");
        }
        scene.record(cmd, views[slot], frame, timeSeconds, producer);
        VkResults.check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
        return cmd;
    }

    /**
     * Waits (finitely, per slot) until every slot's last submit completed; false if one did not. A
     * device marked lost is still waited for: work queued before the loss may still run (an injected
     * loss, or a driver that reports loss early), and its command buffers must outlive it. A wait the
     * driver answers with VK_ERROR_DEVICE_LOST counts as finished.
     */
    public boolean awaitSubmitted(long timeoutNanos) throws InterruptedException {
        boolean all = true;
        for (SurfaceEndpoint e : ring) {
            try {
                all &= e.timeline().awaitValue(e.lastSubmittedValue(), timeoutNanos);
            } catch (dev.baton.render.DeviceLostException lost) {
                // the driver says nothing more will run
            }
        }
        return all;
    }

    /** Frees command buffers, views and pipelines. Idempotent; owning thread; GPU work must be done. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scene.close();
        for (int i = 0; i < views.length; i++) {
            if (commands[i] != null) {
                device.freeCommandBuffer(commands[i]);
            }
            if (views[i] != VK_NULL_HANDLE) {
                vkDestroyImageView(device.vkDevice(), views[i], null);
            }
        }
    }
}
