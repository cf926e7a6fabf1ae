package dev.baton.render.vk;

import dev.baton.sync.AcquireStatus;
import dev.baton.sync.DeviceRemovedException;
import java.nio.ByteBuffer;

/**
 * The result of {@link SurfaceEndpoint#acquire}: whether the surface is ours and, if so, what the
 * next submit must wait for. One preallocated Lease per endpoint, reused for every acquire (no
 * allocation per frame); it is valid until {@link #release} and belongs to the endpoint's thread.
 *
 * <p>While the lease is held the endpoint's image is in {@code VK_IMAGE_LAYOUT_GENERAL}, owned by the
 * device's queue family; recorded work must leave it in GENERAL. Submit with
 * {@link DeviceContext#submit(org.lwjgl.vulkan.VkCommandBuffer, Lease)} (at most once per lease), then
 * release: the release happens at submit time with the fence value that submit signals, and no CPU
 * waits for the GPU (keyed-mutex rule 10).
 */
public final class Lease extends LeaseState {
    private final SurfaceEndpoint endpoint;
    /** What the surface's sync says the next submit must wait for: a VkSemaphore (0: nothing), its value and stage. */
    long syncWaitSemaphore;
    long syncWaitValue;
    long syncWaitStage;
    /** Fence value of the submit made under this lease, or 0 if none yet. */
    long submittedValue;
    /** An extra timeline wait for the next submit (e.g. the application's own work), or null. */
    VulkanTimeline extraWait;
    long extraWaitValue;

    Lease(SurfaceEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    void reset(AcquireStatus newStatus, long newFenceValue, ByteBuffer newPrivateData) {
        setOutcome(newStatus, newFenceValue, newPrivateData);
        syncWaitSemaphore = 0;
        submittedValue = 0;
        extraWait = null;
    }

    /** Set by the surface's {@link SurfaceSync} when an access begins: the next submit waits on {@code semaphore}. */
    void waitFor(long semaphore, long value, long stageMask) {
        syncWaitSemaphore = semaphore;
        syncWaitValue = value;
        syncWaitStage = stageMask;
    }

    /** {@return the endpoint's {@code VkImage} handle, in GENERAL layout while the lease is held} */
    public long image() {
        return endpoint.image().handle();
    }

    /** {@return the endpoint this lease belongs to} */
    public SurfaceEndpoint endpoint() {
        return endpoint;
    }

    /** {@return the fence value the submit under this lease signals on the endpoint's timeline (0 before submit)} */
    public long submittedValue() {
        return submittedValue;
    }

    /**
     * Releases the surface to {@code nextKey}. After a submit it stores that submit's fence value;
     * without one it passes the previous obligations on unchanged.
     *
     * @param privateData copied; may be null
     * @param nextKey the key the next owner acquires with
     * @throws DeviceRemovedException if the endpoint's device was lost (the lease is dropped: the
     *     surface is abandoned, nothing is left to release)
     * @throws IllegalStateException if the lease is not held
     */
    public void release(long nextKey, ByteBuffer privateData) {
        checkHeld();
        if (endpoint.device().isLost()) {
            held = false;
            endpoint.checkUsable("release");
        }
        long value = submittedValue != 0 ? submittedValue : fenceValue;
        endpoint.handle().release(nextKey, value, privateData);
        held = false;
    }

    /**
     * Makes the submit under this lease also wait until {@code timeline} (on the same device) reaches
     * {@code value}, e.g. the application's own earlier work or a test's gate.
     *
     * @param timeline a timeline of the endpoint's own device
     * @param value the value to wait for
     */
    public void alsoWaitFor(VulkanTimeline timeline, long value) {
        checkHeld();
        if (timeline.device() != endpoint.device()) {
            throw new IllegalArgumentException(timeline + " belongs to device " + timeline.device().name() + ", but the lease of "
                    + endpoint + " submits on " + endpoint.device().name() + ": wait only for a timeline of the endpoint's own device");
        }
        extraWait = timeline;
        extraWaitValue = value;
    }

    /** Submits via {@link DeviceContext#submit(org.lwjgl.vulkan.VkCommandBuffer, Lease)}. */
    long submitOn(DeviceContext device, org.lwjgl.vulkan.VkCommandBuffer commandBuffer) {
        checkHeld();
        if (device != endpoint.device()) {
            throw new IllegalArgumentException("lease of " + endpoint + " submitted on " + device.name()
                    + ": submit it on the endpoint's own device (lease.endpoint().device())");
        }
        if (submittedValue != 0) {
            throw new IllegalStateException("lease of " + endpoint + " was already submitted (fence value " + submittedValue
                    + "); one submit per lease: put all the frame's work in one command buffer, or release and acquire again");
        }
        submittedValue = endpoint.submit(this, commandBuffer);
        return submittedValue;
    }

    private void checkHeld() {
        if (!held) {
            throw new IllegalStateException("lease of " + endpoint + " is not held (status " + status + "): use a lease only"
                    + " between an acquire that returned ACQUIRED and its release; check acquired() first");
        }
    }
}
