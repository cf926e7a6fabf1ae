package dev.baton.render.vk;

import dev.baton.render.HandoffSync;
import java.util.List;

/**
 * How the next owner of one surface waits for the previous owner's work: one implementation per
 * {@link HandoffSync} choice ({@link SharedTimelineSync}, {@link BinarySemaphoreSync},
 * {@link HostBridgeSync}, {@link HostWaitSync}), modelled on Dawn's {@code SharedFence}: an access
 * begins with what to wait for (a semaphore and value put on the {@link Lease}) and ends by adding what
 * the owner's submit signals, so the endpoints never branch on the kind.
 *
 * <p>Every participant's submits signal the surface's fence values on its own {@link VulkanTimeline}
 * (made by {@link #createTimeline}); what differs is how the next owner's GPU (or CPU) comes to wait
 * for that value. GL participants have no semaphores here: they check the previous signaller's
 * {@link Participant#signalTimeline()} from the host, whatever the choice, and the choices that admit
 * GL ({@link HostBridgeSync}, {@link HostWaitSync}) read GL's timeline like any other.
 *
 * <p>Adding a way to wait: one class implementing this, its case in {@link #create}, and its rule in
 * {@link dev.baton.render.SyncTierSelector}.
 *
 * <p>Threading: created and {@link #connect connected} on the surface's creating thread; the access
 * methods run on the acquiring endpoint's thread while it owns the surface's keyed mutex.
 */
interface SurfaceSync {
    /** The implementation of {@code kind} for {@code surface}. */
    static SurfaceSync create(HandoffSync kind, SharedSurface surface) {
        switch (kind) {
            case SHARED_TIMELINE:
                return new SharedTimelineSync();
            case BINARY_SEMAPHORE:
                return new BinarySemaphoreSync();
            case GL_SEMAPHORE:
                return new GlSemaphoreSync();
            case HOST_BRIDGE:
                return new HostBridgeSync(surface);
            case HOST_WAIT:
                return new HostWaitSync(surface.copyTimeoutNanos());
            default:
                throw new AssertionError(kind);
        }
    }

    HandoffSync kind();

    /**
     * The timeline Vulkan participant {@code index} of {@code participantCount} signals on (called in
     * index order). All-or-nothing.
     */
    VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount);

    /** After every Vulkan endpoint exists: exchanges what they share (semaphores). On failure, {@link #closeEndpoint} frees it. */
    void connect(List<SurfaceEndpoint> endpoints);

    /**
     * An access by {@code acquirer} begins: it acquired fence value {@code fenceValue}, last signalled
     * by {@code signaller} (null before the first signal). Puts what its next submit must wait for on
     * {@code lease} ({@link Lease#waitFor}). Never blocks except in {@link HostWaitSync}.
     *
     * @return false if the previous owner's work did not finish in time (host wait only): the caller
     *     gives the surface back unchanged and reports a timeout
     */
    boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) throws InterruptedException;

    /** An access ends: adds what {@code owner}'s submit must signal besides its timeline to its device's open batch. */
    void addSignals(SurfaceEndpoint owner);

    /** {@code owner}'s submit was flushed: the surface's current fence value is signalled by it. */
    void endAccess(SurfaceEndpoint owner);

    /**
     * {@code releaser} is about to release the keyed mutex with fence value {@code value}: the moment the
     * value is known, for choices that start the next owner's wait then. Returns the participant to
     * {@link #forward} it to (the host bridge, when the next owner is known), or null. Called on the
     * releaser's thread while it still owns the mutex, for every release; never blocks, never throws,
     * allocates nothing.
     */
    default SurfaceEndpoint releasing(Participant releaser, long value) {
        return null;
    }

    /**
     * Starts the wait {@link #releasing} announced: right after the keyed mutex's release, so that the
     * next owner is woken first (a plain release), or just before it when the releaser then waits for
     * the surface to come back (release-then-wait). A forward that cannot be queued takes the failure
     * hook (the surface is abandoned, the waiter released). Releaser's thread; allocates nothing.
     */
    default void forward(Participant releaser, long value, SurfaceEndpoint to) {}

    /** Frees what this sync made for {@code endpoint}; its GPU must be done. Idempotent. */
    void closeEndpoint(SurfaceEndpoint endpoint);

    /**
     * Failure hook: participant {@code failed} will never signal {@code value} (its device was lost
     * after it released that value, or the host bridge could not forward it), so every surviving
     * Vulkan endpoint whose queue may wait for it must be released, or its queue waits forever and
     * teardown times out. The default host-signals {@code value} on each survivor's timeline (the one
     * its submits wait on: its own with the host bridge, the shared payload with a shared timeline),
     * via {@link SharedSurface#releaseWaiter}. Choices whose waits cannot be host-signalled or are
     * host-side already override it. Any thread (the lost device's, the bridge's); never blocks;
     * idempotent.
     */
    default void releaseWaiters(List<SurfaceEndpoint> endpoints, Participant failed, long value) {
        for (SurfaceEndpoint e : endpoints) {
            if (e != failed) {
                SharedSurface.releaseWaiter(e, value);
            }
        }
    }

    /** The first handoff this sync could not complete on its own (host bridge), or null. Any thread. */
    default String failure() {
        return null;
    }

    /**
     * Teardown, after every participant's GPU work finished: waits (at most {@code timeoutNanos}) until
     * nothing on the host still refers to this surface's timelines (forwards queued on a shared bridge).
     *
     * @return false if that did not happen in time: the timelines must then not be destroyed
     */
    default boolean drain(long timeoutNanos) throws InterruptedException {
        return true;
    }

    /** Stops whatever this sync runs on the host for this surface (its share of the bridges). Idempotent. */
    default void close() {}
}
