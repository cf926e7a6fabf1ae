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
 *
 * <p>A ping-pong or a producer ring that waits for the surface again at once after releasing it uses
 * {@link #releaseAndAcquire}: the release and the queueing for the next key are one step of the keyed
 * mutex, so the peer's release hands the surface straight back.
 *
 * <p>By default the submit brackets the owner's command buffer with two more, prerecorded by the
 * surface: the acquire commands (queue-family ownership transfer from the external family) before it
 * and the release commands after it. A render thread can record those into its own command buffer
 * instead, so the submit carries one command buffer: {@link #recordAcquireBarriers} at its start and
 * {@link #recordReleaseBarriers} at its end (per access), or {@link SurfaceEndpoint#recordAcquireBarriers}
 * and {@link SurfaceEndpoint#recordReleaseBarriers} once into command buffers it reuses, then
 * {@link #barriersPrerecorded()} under each lease. With memory copied through the host (host-copy),
 * the release commands include the read-back into host memory, and the upload of another participant's
 * pixels stays a command buffer of its own that the submit adds only in the accesses that need it (so
 * that the owner's command buffers stay the same in every access and can be recorded once).
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
    /** The work submitted under this lease begins (ends) with the endpoint's acquire (release) commands itself. */
    boolean ownAcquire;
    boolean ownRelease;

    Lease(SurfaceEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    void reset(AcquireStatus newStatus, long newFenceValue, ByteBuffer newPrivateData) {
        setOutcome(newStatus, newFenceValue, newPrivateData);
        syncWaitSemaphore = 0;
        submittedValue = 0;
        extraWait = null;
        ownAcquire = false;
        ownRelease = false;
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
        long value = releaseValue("release");
        SurfaceEndpoint next = endpoint.releasing(value);
        endpoint.handle().release(nextKey, value, privateData);
        held = false;
        if (next != null) {
            endpoint.forward(value, next); // after the release: the next owner wakes first
        }
    }

    /**
     * What every release ({@link #release}, {@link #releaseAndAcquire}) checks first; returns the fence
     * value it stores: the submit's, or without one the previous obligations unchanged.
     */
    private long releaseValue(String operation) {
        checkHeld();
        if (endpoint.device().isLost()) {
            held = false;
            endpoint.checkUsable(operation);
        }
        return submittedValue != 0 ? submittedValue : fenceValue;
    }

    /**
     * Release-then-wait, as {@code KeReleaseMutex(mutex, Wait = TRUE)} followed by a wait: releases to
     * {@code releaseKey} exactly as {@link #release} does (with this lease's submit's fence value, or the
     * previous obligations unchanged without a submit) and, in the same critical section of the keyed
     * mutex, queues this endpoint for {@code acquireKey}, so the peer's release hands the surface
     * straight back; then waits up to {@code timeoutNanos} and begins the access as
     * {@link SurfaceEndpoint#acquire} does (whatever the surface's sync needs at the start of an access).
     * Owning thread of the endpoint; allocates nothing.
     *
     * <p>Outcomes are those of {@link SurfaceEndpoint#acquire}: this same lease, ACQUIRED (held again, for
     * the new access), TIMEOUT (0 polls) or ABANDONED. In every outcome but an argument error the
     * release has happened.
     *
     * @param releaseKey the key the next owner acquires with
     * @param privateData copied; may be null
     * @param acquireKey the key to wait for afterwards
     * @param timeoutNanos how long to wait for {@code acquireKey}, in nanoseconds; 0 polls
     * @return this lease, reused for the new access: check {@link #status()}
     * @throws IllegalArgumentException if {@code timeoutNanos} is negative or {@code privateData} is longer
     *     than the surface's maximum; nothing happens and the lease is still held
     * @throws IllegalStateException if the lease is not held (nothing happens), or the endpoint was
     *     {@linkplain SurfaceEndpoint#abandon() abandoned} (the lease is dropped)
     * @throws DeviceRemovedException if the endpoint's device was (or gets) lost (the lease is dropped)
     * @throws InterruptedException if the thread was interrupted on entry and the call would block (then
     *     nothing happens: the lease is still held), or while waiting (released; nothing acquired)
     */
    public Lease releaseAndAcquire(long releaseKey, ByteBuffer privateData, long acquireKey, long timeoutNanos)
            throws InterruptedException {
        long value = releaseValue("releaseAndAcquire");
        SurfaceEndpoint next = endpoint.releasing(value);
        if (next != null) {
            endpoint.forward(value, next); // before: this thread waits in the release, the next owner's GPU must not
        }
        return endpoint.releaseAndAcquire(releaseKey, value, privateData, acquireKey, timeoutNanos);
    }

    /**
     * Records into {@code commandBuffer}, at the start of this access's work, what begins every access
     * of the endpoint's image (the queue-family ownership transfer that acquires it; with host-copy,
     * the barrier against this queue's earlier work), and makes {@link DeviceContext#submit(
     * org.lwjgl.vulkan.VkCommandBuffer, Lease)} leave out its separate acquire command buffer. Record it
     * before any command on the image; submit {@code commandBuffer} under this lease. Owning thread.
     *
     * @param commandBuffer a command buffer of the endpoint's device, recording
     * @throws IllegalStateException if the lease is not held
     */
    public void recordAcquireBarriers(org.lwjgl.vulkan.VkCommandBuffer commandBuffer) {
        checkHeld();
        endpoint.recordAcquireBarriers(commandBuffer);
        ownAcquire = true;
    }

    /**
     * Records into {@code commandBuffer}, after this access's last command on the image, what ends every
     * access (the ownership transfer that releases it to the external family; with host-copy, the
     * read-back into host memory), and makes the submit leave out its separate release command buffer.
     * The image must be in GENERAL. Owning thread.
     *
     * @param commandBuffer the command buffer this lease submits, recording
     * @throws IllegalStateException if the lease is not held
     */
    public void recordReleaseBarriers(org.lwjgl.vulkan.VkCommandBuffer commandBuffer) {
        checkHeld();
        endpoint.recordReleaseBarriers(commandBuffer);
        ownRelease = true;
    }

    /**
     * Says that the command buffer submitted under this lease already begins with
     * {@link SurfaceEndpoint#recordAcquireBarriers} and ends with {@link SurfaceEndpoint#recordReleaseBarriers}
     * (recorded once and reused), so the submit adds neither separate command buffer. Saying so of a
     * command buffer without them breaks the handoff's synchronization (the validation layer reports it).
     *
     * @throws IllegalStateException if the lease is not held
     */
    public void barriersPrerecorded() {
        checkHeld();
        ownAcquire = true;
        ownRelease = true;
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
