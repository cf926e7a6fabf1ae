package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkQueue;

/**
 * A submit without a {@link SharedSurface}: arbitrary timeline and binary semaphore waits and
 * signals around prerecorded command buffers. For baselines that measure what the keyed mutex
 * costs on top of the raw Vulkan synchronization (and for the naive {@code vkQueueWaitIdle} way).
 * Reuses the device's preallocated batch: no allocation per submit.
 *
 * <p>Threading: the device's owning thread only, like every submit to its queue. Up to 8 waits,
 * 8 signals and 4 command buffers per submit.
 */
public final class RawSubmission {
    private final DeviceContext device;
    private final VkQueue queue;

    /**
     * A reusable submit on {@code device}'s queue.
     *
     * @param device the device; its owning thread uses this
     */
    public RawSubmission(DeviceContext device) {
        this.device = device;
        try (MemoryStack stack = stackPush()) {
            PointerBuffer p = stack.mallocPointer(1);
            vkGetDeviceQueue(device.vkDevice(), device.queueFamilyIndex(), device.queueIndex(), p); // the queue Baton submits to (adopted: the one the app named)
            this.queue = new VkQueue(p.get(0), device.vkDevice());
        }
    }

    /**
     * Starts a new submit, forgetting anything added before.
     *
     * @return this
     */
    public RawSubmission begin() {
        device.beginBatch();
        return this;
    }

    /**
     * The submit's commands wait until {@code timeline} (of this device) reaches {@code value}.
     *
     * @param timeline a timeline of this device
     * @param value the value to wait for
     * @return this
     */
    public RawSubmission waitTimeline(VulkanTimeline timeline, long value) {
        device.addWait(timeline.handle(), value, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        return this;
    }

    /**
     * The submit waits on (and un-signals) binary {@code VkSemaphore semaphore} of this device.
     *
     * @param semaphore a binary {@code VkSemaphore}
     * @return this
     */
    public RawSubmission waitBinary(long semaphore) {
        device.addWait(semaphore, 0, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        return this;
    }

    /**
     * The submit signals {@code timeline} to {@code value} when its commands complete.
     *
     * @param timeline a timeline of this device
     * @param value the value to signal
     * @return this
     */
    public RawSubmission signalTimeline(VulkanTimeline timeline, long value) {
        device.addSignal(timeline.handle(), value);
        return this;
    }

    /**
     * The submit signals binary {@code VkSemaphore semaphore} of this device.
     *
     * @param semaphore a binary {@code VkSemaphore}
     * @return this
     */
    public RawSubmission signalBinary(long semaphore) {
        device.addSignal(semaphore, 0);
        return this;
    }

    /**
     * Adds a command buffer to the submit.
     *
     * @param commandBuffer recorded work of this device
     * @return this
     */
    public RawSubmission commandBuffer(VkCommandBuffer commandBuffer) {
        device.addCommandBuffer(commandBuffer);
        return this;
    }

    /**
     * Flushes the submit ({@code vkQueueSubmit2}).
     *
     * @throws dev.baton.render.DeviceLostException if the device is lost
     */
    public void submit() {
        device.flushBatch();
    }

    /**
     * {@code vkQueueWaitIdle}: the naive way's CPU wait. Unbounded by Vulkan's definition; only for
     * baselines whose caller has a watchdog.
     */
    public void waitIdle() {
        device.checkLoss(vkQueueWaitIdle(queue), "vkQueueWaitIdle", null);
    }
}
