package dev.baton.render.vk;

import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;

/**
 * What every lease holds, Vulkan ({@link Lease}) or GL ({@link GlEndpoint.GlLease}): the outcome of
 * the acquire that produced it and what the previous release left. Reused by its endpoint for every
 * acquire (no allocation per frame), so it belongs to that endpoint's thread.
 */
public abstract class LeaseState {
    AcquireStatus status = AcquireStatus.TIMEOUT;
    long fenceValue;
    ByteBuffer privateData;
    /** True from an ACQUIRED acquire until its release. */
    boolean held;

    LeaseState() {}

    /** Records an acquire's outcome; held only if it was ACQUIRED. */
    void setOutcome(AcquireStatus newStatus, long newFenceValue, ByteBuffer newPrivateData) {
        status = newStatus;
        fenceValue = newFenceValue;
        privateData = newPrivateData;
        held = newStatus == AcquireStatus.ACQUIRED;
    }

    /**
     * ACQUIRED, TIMEOUT or ABANDONED. Anything but ACQUIRED means the surface is not ours.
     *
     * @return the outcome of the acquire
     */
    public AcquireStatus status() {
        return status;
    }

    /** {@return true if {@link #status()} is {@code ACQUIRED}: the surface is ours until release} */
    public boolean acquired() {
        return status == AcquireStatus.ACQUIRED;
    }

    /** {@return the fence value the previous releaser's work signals; the holder's work must wait for it} */
    public long fenceValue() {
        return fenceValue;
    }

    /**
     * Read-only private data stored by the previous release, valid until the endpoint's next acquire.
     *
     * @return the data between position and limit
     */
    public ByteBuffer privateData() {
        return privateData;
    }
}
