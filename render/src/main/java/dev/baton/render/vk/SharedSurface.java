package dev.baton.render.vk;

import dev.baton.render.InteropCapabilities;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import dev.baton.sync.HostBridge;
import dev.baton.sync.KeyedMutex;
import dev.baton.sync.Timeline;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * A surface shared by several Vulkan participants and guarded by its own {@link KeyedMutex}: the
 * first participant allocates it (exportable OPAQUE_FD memory, dedicated allocation), the others
 * import it (a fresh fd each, after a UUID check) or, in the host-copy tier, keep their own image.
 * Each participant gets a {@link SurfaceEndpoint} holding its mutex handle.
 *
 * <p>Threading: create and close on one thread while no render thread uses the surface (creation
 * touches every participant's device once). In between, each endpoint belongs to its device's
 * thread. The handoff record below is written only by the current mutex owner and read by the
 * next owner after its acquire; the mutex orders the two.
 */
public final class SharedSurface implements AutoCloseable {
    /** Options with defaults; all timeouts in nanoseconds and finite. */
    public record Options(long initialKey, int maxPrivateDataBytes, long copyTimeoutNanos, long teardownTimeoutNanos, String tierOverride) {
        public static Options defaults() {
            return new Options(0, 64, 2_000_000_000L, 5_000_000_000L, null);
        }

        public Options withTier(String tierName) {
            return new Options(initialKey, maxPrivateDataBytes, copyTimeoutNanos, teardownTimeoutNanos, tierName);
        }
    }

    private final String name;
    private final SyncTier tier;
    private final String tierReason;
    private final Options options;
    private final KeyedMutex mutex; // closed last, after every endpoint closed its handle
    private final List<SurfaceEndpoint> endpoints = new ArrayList<>();
    /** Pending forwards per surface: a handful are in flight at most (one per handoff not yet executed). */
    private static final int BRIDGE_CAPACITY = 64;
    /** A forward whose source did not reach its value in this long is reported and dropped. */
    private static final long BRIDGE_REQUEST_TIMEOUT_NANOS = 30_000_000_000L;
    private static final long BRIDGE_ENQUEUE_TIMEOUT_NANOS = 5_000_000_000L;

    private final HostBridge bridge; // host-bridge tier only
    private volatile String bridgeFailure; // the first forward the bridge could not make, or null
    private GlEndpoint glEndpoint;   // null without a GL participant
    private GlSide pendingGl;        // createForGl: the GL side attachGl still has to make
    private boolean glClosed;        // closeGlIfIdle closed the GL endpoint already
    private boolean closed;

    // Handoff record (see class comment).
    /** The participant whose work signals the current fence value. */
    volatile Participant lastSignaller;
    /** Binary tier: the endpoint whose outgoing semaphore is signalled and not yet waited. */
    volatile SurfaceEndpoint pendingBinary;
    /** Host-copy tier: the participant whose host memory holds the latest pixels. */
    volatile Participant contentHolder;

    private SharedSurface(String name, SyncTierSelector.Choice choice, Options options) {
        this.name = name;
        this.tier = choice.tier();
        this.tierReason = choice.reason();
        this.options = options;
        this.mutex = KeyedMutex.create(options.initialKey(), options.maxPrivateDataBytes());
        this.bridge = tier == SyncTier.HOST_BRIDGE
                ? new HostBridge(BRIDGE_CAPACITY, BRIDGE_REQUEST_TIMEOUT_NANOS, BRIDGE_ENQUEUE_TIMEOUT_NANOS, this::bridgeFailed)
                : null;
    }

    /**
     * Creates a {@code width x height} RGBA8 surface shared by {@code participants} (the first one
     * allocates). The tier is chosen from their capabilities unless {@code options.tierOverride()}
     * names one. All-or-nothing: on failure everything made so far is closed.
     */
    public static SharedSurface create(String name, int width, int height, List<DeviceContext> participants, Options options) {
        return create(name, width, height, participants, null, options);
    }

    /** A GL participant: the context that owns its endpoint, and what that context offers. */
    public record GlSide(GlContext context, GlInfo info) {
        /** The GL context's interop capabilities, for tier selection. */
        public InteropCapabilities capabilities() {
            return InteropCapabilities.forGl("GL " + info.renderer().split(" \\(")[0], GlInfo.hex(info.driverUuid()),
                    GlInfo.hex(info.deviceUuid()), info.memoryObjectFd());
        }
    }

    /**
     * Like {@link #create(String, int, int, List, Options)}, plus an OpenGL participant (may be null)
     * whose endpoint is {@link #glEndpoint()}. With a GL participant, call this, {@link #close()} and
     * every {@link GlEndpoint} method on the GL context's owner thread.
     */
    public static SharedSurface create(String name, int width, int height, List<DeviceContext> participants, GlSide gl, Options options) {
        if (gl != null) {
            gl.context().checkOwner();
        }
        SharedSurface surface = createForGl(name, width, height, participants, gl, options);
        if (gl != null) {
            try {
                surface.attachGl();
            } catch (RuntimeException | Error e) {
                surface.close();
                throw e;
            }
        }
        return surface;
    }

    /**
     * The Vulkan half of {@link #create(String, int, int, List, GlSide, Options)}, for callers whose GL
     * thread must not wait for device work: chooses the tier with {@code gl}'s capabilities (may be
     * null) and builds every Vulkan participant, including the initial layout transitions, which wait
     * for each device. The GL endpoint is not made yet: call {@link #attachGl()} on the GL context's
     * owner thread before the surface is used. Any thread; all-or-nothing.
     */
    public static SharedSurface createForGl(String name, int width, int height, List<DeviceContext> participants, GlSide gl,
                                            Options options) {
        if (participants.isEmpty()) {
            throw new IllegalArgumentException("surface " + name + " has no Vulkan participant: pass at least one DeviceContext,"
                    + " which allocates the memory (GL only imports)");
        }
        List<InteropCapabilities> caps = new ArrayList<>();
        for (DeviceContext d : participants) {
            caps.add(capabilitiesOf(d));
        }
        if (gl != null) {
            caps.add(gl.capabilities());
        }
        SyncTierSelector.Choice choice = SyncTierSelector.choose(caps, options.tierOverride());
        SharedSurface surface = new SharedSurface(name, choice, options);
        surface.pendingGl = gl;
        try {
            surface.build(width, height, participants);
            return surface;
        } catch (RuntimeException | Error e) {
            surface.close();
            throw e;
        }
    }

    /**
     * Makes the GL endpoint of a surface from {@link #createForGl}: imports the memory into the GL
     * context (or, host-copy, makes GL's own texture). Short, waits for no GPU work. GL context's
     * owner thread; all-or-nothing (on failure the surface stays without a GL endpoint).
     *
     * @throws IllegalStateException if the surface was made without a GL side, or already has its endpoint
     */
    public void attachGl() {
        GlSide gl = pendingGl;
        if (gl == null || glEndpoint != null || closed) {
            throw new IllegalStateException("surface " + name + " has no GL endpoint to attach: make it with createForGl and a GlSide,"
                    + " and attach once, before close");
        }
        gl.context().checkOwner();
        SurfaceImage image = endpoints.get(0).image();
        KeyedMutex.Handle handle = mutex.open("GL");
        try {
            glEndpoint = GlEndpoint.create(this, gl.context(), gl.info(), image, image.width(), image.height(), handle);
        } catch (RuntimeException | Error e) {
            handle.close();
            throw e;
        }
        pendingGl = null;
    }

    /**
     * For a teardown the GL thread must not wait on: polls GL's fences and, once GL's last fence on
     * this surface completed, closes the GL endpoint (the importer goes first) and returns true; after
     * that {@link #close()} waits only for Vulkan devices and may run on any thread. Returns false,
     * never blocking, while GL work is pending. True at once without a GL endpoint. GL owner thread.
     */
    public boolean closeGlIfIdle() {
        if (glEndpoint == null || glClosed) {
            return true;
        }
        if (!glEndpoint.idle()) {
            return false;
        }
        glEndpoint.close();
        glClosed = true;
        return true;
    }

    /** What this device context can actually do (the fd extensions it enabled), for tier selection. */
    static InteropCapabilities capabilitiesOf(DeviceContext d) {
        PhysicalDeviceInfo i = d.info();
        boolean memory = d.hasExtension(DeviceContext.EXTERNAL_MEMORY_FD);
        boolean semaphores = d.hasExtension(DeviceContext.EXTERNAL_SEMAPHORE_FD);
        return new InteropCapabilities(d.name(), i.driverUuidHex(), i.deviceUuidHex(),
                memory && i.memoryExport(), memory && i.memoryImport(),
                semaphores && i.binarySemaphoreExport(), semaphores && i.binarySemaphoreImport(),
                semaphores && i.timelineSemaphoreExport(), semaphores && i.timelineSemaphoreImport());
    }

    private void build(int width, int height, List<DeviceContext> participants) {
        int n = participants.size();
        SurfaceImage exported = null;
        VulkanTimeline sharedTimeline = null;
        for (int i = 0; i < n; i++) {
            DeviceContext d = participants.get(i);
            String endpointName = name + "@" + d.name();
            SurfaceImage image = null;
            VulkanTimeline timeline = null;
            KeyedMutex.Handle handle = null;
            try {
                if (tier == SyncTier.HOST_COPY) {
                    image = SurfaceImage.createPrivate(d, width, height);
                } else if (i == 0) {
                    image = exported = SurfaceImage.createExportable(d, width, height);
                } else {
                    image = SurfaceImage.importFrom(d, exported);
                }
                if (tier == SyncTier.SHARED_TIMELINE && i > 0) {
                    timeline = VulkanTimeline.importFd(d, endpointName, sharedTimeline.exportFd());
                } else {
                    // exported only when someone imports it: a lone participant has nothing to share
                    timeline = VulkanTimeline.create(d, endpointName, 0, tier == SyncTier.SHARED_TIMELINE && n > 1);
                    if (i == 0) {
                        sharedTimeline = timeline;
                    }
                }
                handle = mutex.open(d.name());
            } catch (RuntimeException e) {
                if (handle != null) {
                    handle.close();
                }
                if (timeline != null) {
                    timeline.close();
                }
                if (image != null) {
                    image.close();
                }
                throw e;
            }
            SurfaceEndpoint endpoint = new SurfaceEndpoint(this, i, d, image, timeline, handle, n);
            endpoints.add(endpoint);
            if (tier == SyncTier.HOST_COPY) {
                endpoint.staging = HostBuffer.create(d, width * height * 4);
            }
            if (tier == SyncTier.BINARY_SEMAPHORE) {
                endpoint.outgoing = Semaphores.createBinary(d, true);
                endpoint.incoming[i] = endpoint.outgoing;
            }
        }
        if (tier == SyncTier.BINARY_SEMAPHORE) {
            // Each endpoint imports every other endpoint's outgoing semaphore once (a fresh fd each).
            for (SurfaceEndpoint consumer : endpoints) {
                for (SurfaceEndpoint producer : endpoints) {
                    if (producer != consumer) {
                        consumer.incoming[producer.index()] = Semaphores.importBinary(consumer.device(),
                                Semaphores.exportFd(producer.device(), producer.outgoing));
                    }
                }
            }
        }
        for (SurfaceEndpoint e : endpoints) {
            e.recordHandoffCommands();
            VkCommandBuffer init = e.device().allocateCommandBuffer();
            try {
                Commands.begin(init, org.lwjgl.vulkan.VK10.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
                e.recordInitialTransition(init);
                Commands.end(init);
                e.device().submitAndWaitIdle(init);
            } finally {
                e.device().freeCommandBuffer(init);
            }
        }
    }

    /** Host-bridge tier: forward {@code value} from the source timeline to the destination timeline. */
    void forward(Timeline from, long value, Timeline to) throws InterruptedException {
        bridge.forward(from, value, to);
    }

    /** Bridge thread: a forward failed, so the waiting participant's GPU will not start; remember why. */
    private void bridgeFailed(Timeline from, long value, Timeline to, long waitedNanos, Throwable cause) {
        if (bridgeFailure == null && !closed) {
            bridgeFailure = "host bridge could not forward value " + Long.toUnsignedString(value) + " from " + from.name() + " to "
                    + to.name() + " after " + waitedNanos / 1_000_000 + " ms"
                    + (cause == null ? ": the source never reached it" : ": " + cause);
        }
    }

    /**
     * The first handoff the host bridge could not forward (the source's GPU never reached the value,
     * or its device was lost), or null. After one, the receiving participant's next submit waits
     * forever: recreate the surface. Any thread.
     */
    public String bridgeFailure() {
        return bridgeFailure;
    }

    public String name() {
        return name;
    }

    public SyncTier tier() {
        return tier;
    }

    /** Why {@link #tier()} was chosen, in one sentence. */
    public String tierReason() {
        return tierReason;
    }

    long copyTimeoutNanos() {
        return options.copyTimeoutNanos();
    }

    /** The participants' endpoints, in the order of the list given to {@link #create}. */
    public List<SurfaceEndpoint> endpoints() {
        return List.copyOf(endpoints);
    }

    public SurfaceEndpoint endpoint(int index) {
        return endpoints.get(index);
    }

    /** Diagnostic: the key the next acquire must hold (see {@link KeyedMutex#storedKey()}). Any thread. */
    public long storedKey() {
        return mutex.storedKey();
    }

    /** Diagnostic: the owning participant's name, or null while unowned. Any thread. */
    public String ownerName() {
        return mutex.ownerName();
    }

    /** True once the surface's mutex was abandoned (its owner's device was lost or closed). Any thread. */
    public boolean isAbandoned() {
        return mutex.isAbandoned();
    }

    /**
     * Diagnostic: how many acquires are blocked on this surface's mutex right now (see
     * {@link KeyedMutex#waiterCount()}); 0 whenever nobody waits, since timeouts leave nothing queued.
     * Any thread, never blocks.
     */
    public int waiterCount() {
        return mutex.waiterCount();
    }

    /** Tests: the surface's mutex, to open extra handles on it. */
    KeyedMutex mutex() {
        return mutex;
    }

    /** The GL participant's endpoint, or null when the surface has none. */
    public GlEndpoint glEndpoint() {
        return glEndpoint;
    }

    /**
     * Waits (finitely, {@code teardownTimeoutNanos}) for every endpoint's last submit, stops the
     * bridge, then closes endpoints in reverse order so importers go before the exporter. Idempotent.
     *
     * @throws IllegalStateException if some GPU work did not finish in time (objects are leaked
     *                               rather than destroyed while in use)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted = false;
        List<String> stuck = new ArrayList<>();
        if (glEndpoint != null && !glClosed) {
            try {
                if (!glEndpoint.awaitIdle(options.teardownTimeoutNanos())) {
                    stuck.add(glEndpoint.toString());
                }
            } catch (InterruptedException ie) {
                interrupted = true;
                stuck.add(glEndpoint + " (interrupted)");
            }
        }
        for (SurfaceEndpoint e : endpoints) {
            try {
                if (!e.awaitIdle(options.teardownTimeoutNanos())) {
                    stuck.add(e.toString());
                }
            } catch (InterruptedException ie) {
                interrupted = true;
                stuck.add(e + " (interrupted)");
            } catch (RuntimeException lost) {
                // device lost while waiting: its objects can be destroyed
            }
        }
        if (bridge != null) {
            bridge.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!stuck.isEmpty()) {
            throw new IllegalStateException("surface " + name + ": GPU work did not finish within "
                    + options.teardownTimeoutNanos() / 1_000_000 + " ms on " + stuck + "; not destroying objects still in use"
                    + " (they leak): find the submit that waits for a value nobody signals, or raise Options.teardownTimeoutNanos");
        }
        if (glEndpoint != null && !glClosed) {
            glEndpoint.close();   // the importer goes before the Vulkan exporter
        }
        for (int i = endpoints.size() - 1; i >= 0; i--) {
            endpoints.get(i).close();
        }
        mutex.close();
    }

    @Override
    public String toString() {
        return name + " [" + tier + "]";
    }
}
