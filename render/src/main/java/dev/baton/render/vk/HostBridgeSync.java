package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;

import dev.baton.render.HandoffSync;
import dev.baton.sync.HostBridge;
import dev.baton.sync.Timeline;
import java.util.List;

/**
 * {@link HandoffSync#HOST_BRIDGE}: each participant has its own timeline. Once the owner of fence
 * value {@code v} releases, a host thread waits for {@code v} on the owner's timeline and signals it on
 * the next owner's; the next owner's submit waits on its own timeline and may be queued before the
 * forward (wait-before-signal). GL's releases are GL fences on its
 * {@link dev.baton.render.gl.GlFenceTimeline}, forwarded the same way; GL itself checks the writer's
 * timeline from the host.
 *
 * <p>The host thread is the source's: one {@link HostBridge} per device (or GL context) whose values
 * are forwarded, shared by every surface ({@link HostBridges}). The forward starts at release, when the
 * releaser knows the value, if the next owner is known then: on a surface of two participants it is the
 * other one. With three or more participants the key names the next owner only when it acquires, so
 * the forward is queued then, from the acquirer's thread ({@link #beginAccess}).
 */
final class HostBridgeSync implements SurfaceSync {
    private final SharedSurface surface;
    private volatile String failure; // the first forward the bridge could not make, or null
    private volatile List<SurfaceEndpoint> vulkan = List.of();
    private volatile Target[] targets = new Target[0]; // one per Vulkan endpoint, same order
    // The bridges this surface uses, by source (a DeviceContext, a GL context); copy-on-write, so the
    // handoff path looks them up without a lock or an allocation. Guarded by this for writes.
    private volatile Object[] sources = new Object[0];
    private volatile HostBridges.Ref[] bridges = new HostBridges.Ref[0];
    private boolean closed; // guarded by this
    // The handoff record: which participant the last release already forwarded to, and the value.
    // Written by the mutex owner before it releases, read by the next owner after it acquired: the
    // keyed mutex orders the two.
    private Participant forwardedTo;
    private long forwardedValue;

    HostBridgeSync(SharedSurface surface) {
        this.surface = surface;
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
    public void connect(List<SurfaceEndpoint> endpoints) {
        Target[] t = new Target[endpoints.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = new Target(endpoints.get(i));
            HostBridges.route(t[i], this::bridgeFailed);
        }
        targets = t;
        vulkan = List.copyOf(endpoints);
        for (SurfaceEndpoint e : endpoints) {
            bridgeFor(e); // every Vulkan participant may signal: start (or share) its device's bridge now
        }
    }

    @Override
    public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) throws InterruptedException {
        if (signaller != null && signaller != acquirer && !(forwardedTo == acquirer && forwardedValue == fenceValue)) {
            // Not forwarded at release (three or more participants, or that forward was refused):
            // queue it now. Our submit waits on our own timeline for the value the bridge signals.
            bridgeFor(signaller).forward(signaller.signalTimeline(), fenceValue, targetOf(acquirer));
        }
        if (fenceValue != 0) {
            lease.waitFor(acquirer.timeline().handle(), fenceValue, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        return true;
    }

    @Override
    public SurfaceEndpoint releasing(Participant releaser, long value) {
        forwardedTo = null;
        if (value == 0 || surface.lastSignaller != releaser) {
            return null; // nothing new: the value's signaller forwarded it when it released
        }
        SurfaceEndpoint next = soleOther(releaser);
        if (next == null || next.device().isLost()) {
            // GL (it checks our timeline itself), the next owner known only at its acquire, or a lost
            // participant: its own pending signals never complete, so no value above them may be sent.
            return null;
        }
        forwardedValue = value; // the next owner's acquire finds it and does not queue a second forward
        forwardedTo = next;
        return next;
    }

    @Override
    public void forward(Participant releaser, long value, SurfaceEndpoint to) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    bridgeFor(releaser).forward(releaser.signalTimeline(), value, targetOf(to));
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // only while the ring is full: a release cannot be undone, so keep trying
                }
            }
        } catch (RuntimeException refused) {
            // closing, or the ring stayed full for its timeout: the next owner's wait cannot be met
            bridgeFailed(releaser.signalTimeline(), value, targetOf(to), 0L, refused);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The one other participant of a two-participant surface if it is a Vulkan one, else null. No allocation. */
    private SurfaceEndpoint soleOther(Participant releaser) {
        List<SurfaceEndpoint> endpoints = vulkan;
        GlEndpoint gl = surface.liveGlEndpoint();
        if (endpoints.size() + (gl == null ? 0 : 1) != 2) {
            return null;
        }
        for (int i = 0; i < endpoints.size(); i++) {
            SurfaceEndpoint e = endpoints.get(i);
            if (e != releaser) {
                return e;
            }
        }
        return null; // the other one is GL
    }

    private Timeline targetOf(SurfaceEndpoint e) {
        Target[] t = targets;
        for (int i = 0; i < t.length; i++) {
            if (t[i].endpoint == e) {
                return t[i];
            }
        }
        throw new IllegalStateException(e + " is not a participant of surface " + surface.name());
    }

    /**
     * What the bridge signals for one endpoint: its timeline, but never past one of its own GPU signals
     * still pending (VUID-VkSemaphoreSignalInfo-value-03259). In a handoff that cannot happen: the value
     * forwarded to a participant comes from work that waited for that participant's own last value. It
     * can after a loss, when the participant's last submit never completes; then the forward is dropped
     * (the surface is abandoned already, and teardown releases that participant's queue).
     */
    private static final class Target implements Timeline {
        final SurfaceEndpoint endpoint;

        Target(SurfaceEndpoint endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public String name() {
            return endpoint.timeline().name();
        }

        @Override
        public long completedValue() {
            return endpoint.timeline().completedValue();
        }

        @Override
        public boolean awaitValue(long value, long timeoutNanos) throws InterruptedException {
            return endpoint.timeline().awaitValue(value, timeoutNanos);
        }

        @Override
        public void signalFromHost(long value) {
            VulkanTimeline t = endpoint.timeline();
            long own = endpoint.lastSubmittedValue();
            if (Long.compareUnsigned(own, value) < 0 && Long.compareUnsigned(t.completedValue(), own) < 0) {
                return; // its own signal of `own` is still pending and below `value`: only after a loss
            }
            t.signalFromHost(value);
        }

        @Override
        public String toString() {
            return name();
        }
    }

    private static Object sourceOf(Participant p) {
        if (p instanceof SurfaceEndpoint e) {
            return e.device();
        }
        if (p instanceof GlEndpoint g) {
            return g.context();
        }
        return p;
    }

    private static String nameOf(Object source) {
        return source instanceof DeviceContext d ? d.name() : "gl@" + Integer.toHexString(System.identityHashCode(source));
    }

    /** The bridge of {@code p}'s device (or GL context), shared on first use. No allocation once shared. */
    private HostBridge bridgeFor(Participant p) {
        Object source = sourceOf(p);
        Object[] s = sources;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == source) {
                return bridges[i].bridge;
            }
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("surface " + surface.name() + " is closed: no forward from " + p);
            }
            s = sources;
            for (int i = 0; i < s.length; i++) {
                if (s[i] == source) {
                    return bridges[i].bridge;
                }
            }
            HostBridges.Ref ref = HostBridges.share(source, nameOf(source));
            Object[] grownSources = java.util.Arrays.copyOf(s, s.length + 1);
            HostBridges.Ref[] grownBridges = java.util.Arrays.copyOf(bridges, s.length + 1);
            grownSources[s.length] = source;
            grownBridges[s.length] = ref;
            bridges = grownBridges; // before sources: a reader that finds the source finds its bridge
            sources = grownSources;
            return ref.bridge;
        }
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
            // the failure hook: release the waiter, abandon the surface
            surface.forwardFailed(to instanceof Target t ? t.endpoint.timeline() : to, value);
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

    /**
     * Waits until every forward this surface may have queued was made or reported, so its timelines
     * can be destroyed: the shared bridges serve other surfaces too and are not stopped here.
     */
    @Override
    public boolean drain(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        HostBridges.Ref[] b = bridges;
        for (HostBridges.Ref ref : b) {
            if (!ref.bridge.awaitServed(ref.bridge.acceptedCount(), Math.max(0L, deadline - System.nanoTime()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        HostBridges.Ref[] b;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            b = bridges;
        }
        for (Target t : targets) {
            HostBridges.unroute(t);
        }
        for (HostBridges.Ref ref : b) {
            ref.release();
        }
    }
}
