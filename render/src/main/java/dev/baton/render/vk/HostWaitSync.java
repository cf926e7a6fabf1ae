package dev.baton.render.vk;

import dev.baton.render.HandoffSync;
import java.util.List;

/**
 * {@link HandoffSync#HOST_WAIT}: each participant has its own timeline, and an acquire of fence value
 * {@code v} last signalled by another participant returns only once that participant's timeline
 * reached {@code v} (bounded by the surface's copy timeout): the acquirer's CPU has to read the pixels
 * ({@link HostCopyMemory}), so nothing is left for its GPU to wait for. GL's releases signal its
 * timeline from the host after a synchronous read-back.
 */
final class HostWaitSync implements SurfaceSync {
    private final long timeoutNanos;

    HostWaitSync(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public HandoffSync kind() {
        return HandoffSync.HOST_WAIT;
    }

    @Override
    public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
        return VulkanTimeline.create(device, name, 0, false);
    }

    @Override
    public void connect(List<SurfaceEndpoint> endpoints) {}

    @Override
    public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) throws InterruptedException {
        if (signaller == null || signaller == acquirer) {
            return true; // our own queue orders our previous submit before the next
        }
        return signaller.signalTimeline().awaitValue(fenceValue, timeoutNanos);
    }

    @Override
    public void addSignals(SurfaceEndpoint owner) {}

    @Override
    public void endAccess(SurfaceEndpoint owner) {}

    @Override
    public void closeEndpoint(SurfaceEndpoint endpoint) {}

    /** Nothing to release: no queue waits for another participant here; the host waits in {@link #beginAccess} are bounded. */
    @Override
    public void releaseWaiters(List<SurfaceEndpoint> endpoints, Participant failed, long value) {}
}
