package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;

import dev.baton.render.HandoffSync;
import dev.baton.sync.HostBridge;
import dev.baton.sync.Timeline;
import java.util.List;

/**
 * {@link HandoffSync#HOST_BRIDGE}: each participant has its own timeline. When an endpoint acquires
 * fence value {@code v} last signalled by another participant, a {@link HostBridge} thread waits for
 * {@code v} on the signaller's timeline and signals it on the acquirer's; the acquirer's submit waits on
 * its own timeline and may be queued before the forward (wait-before-signal). GL's releases are GL
 * fences on its {@link dev.baton.render.gl.GlFenceTimeline}, forwarded the same way.
 */
final class HostBridgeSync implements SurfaceSync {
    /** Pending forwards per surface: a handful are in flight at most (one per handoff not yet executed). */
    private static final int BRIDGE_CAPACITY = 64;
    /** A forward whose source did not reach its value in this long is reported and dropped. */
    private static final long BRIDGE_REQUEST_TIMEOUT_NANOS = 30_000_000_000L;
    private static final long BRIDGE_ENQUEUE_TIMEOUT_NANOS = 5_000_000_000L;

    private final SharedSurface surface;
    private final HostBridge bridge;
    private volatile String failure; // the first forward the bridge could not make, or null

    HostBridgeSync(SharedSurface surface) {
        this.surface = surface;
        this.bridge = new HostBridge(BRIDGE_CAPACITY, BRIDGE_REQUEST_TIMEOUT_NANOS, BRIDGE_ENQUEUE_TIMEOUT_NANOS, this::bridgeFailed);
    }

    @Override
    public HandoffSync kind() {
        return HandoffSync.HOST_BRIDGE;
    }

    @Override
    public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
        return VulkanTimeline.create(device, name, 0, false);
    }

    @Override
    public void connect(List<SurfaceEndpoint> endpoints) {}

    @Override
    public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) throws InterruptedException {
        if (signaller != null && signaller != acquirer) {
            // Wait-before-signal: our submit waits on our own timeline for a value a host thread
            // signals once the source's GPU (or GL fence) reached it.
            bridge.forward(signaller.signalTimeline(), fenceValue, acquirer.timeline());
        }
        if (fenceValue != 0) {
            lease.waitFor(acquirer.timeline().handle(), fenceValue, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        return true;
    }

    @Override
    public void addSignals(SurfaceEndpoint owner) {}

    @Override
    public void endAccess(SurfaceEndpoint owner) {}

    @Override
    public void closeEndpoint(SurfaceEndpoint endpoint) {}

    /** Bridge thread: a forward failed, so the waiting participant's GPU will not start; remember why. */
    private void bridgeFailed(Timeline from, long value, Timeline to, long waitedNanos, Throwable cause) {
        if (!(cause instanceof java.util.concurrent.CancellationException)) {
            surface.forwardFailed(to, value); // the failure hook: release the waiter, abandon the surface
        }
        if (failure == null && !surface.isClosing()) {
            failure = "host bridge could not forward value " + Long.toUnsignedString(value) + " from " + from.name() + " to "
                    + to.name() + " after " + waitedNanos / 1_000_000 + " ms"
                    + (cause == null ? ": the source never reached it" : ": " + cause);
        }
    }

    @Override
    public String failure() {
        return failure;
    }

    @Override
    public void close() {
        bridge.close();
    }
}
