package dev.baton.render.vk;

import dev.baton.render.HandoffSync;
import dev.baton.render.InteropCapabilities;
import dev.baton.render.MemorySharing;
import dev.baton.render.SurfaceFormat;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import dev.baton.sync.KeyedMutex;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * A surface shared by several Vulkan participants and guarded by its own {@link KeyedMutex}. It makes
 * two choices, from its participants' capabilities ({@link SyncTierSelector}): how its memory is
 * shared, a {@link SurfaceMemory} (the first participant allocates exportable OPAQUE_FD memory and the
 * others import it, or each keeps its own image and pixels are copied through host memory), and how
 * the next owner waits, a {@link SurfaceSync} (shared timeline, binary semaphores, host bridge, host
 * wait). Each participant gets a {@link SurfaceEndpoint} holding its mutex handle; the endpoints ask
 * the two choice objects and never branch on the tier.
 *
 * <p>Threading: create and close on one thread while no render thread uses the surface (creation
 * touches every participant's device once). In between, each endpoint belongs to its device's
 * thread. The handoff record below is written only by the current mutex owner and read by the
 * next owner after its acquire; the mutex orders the two.
 */
public final class SharedSurface implements AutoCloseable {
    /**
     * Options with defaults; all timeouts in nanoseconds and finite.
     *
     * @param initialKey the key the first acquire must name
     * @param maxPrivateDataBytes the most private data one release may pass
     * @param copyTimeoutNanos how long a host copy waits for the previous writer's GPU
     * @param teardownTimeoutNanos how long {@link SharedSurface#close()} waits for each endpoint's last submit
     * @param tierOverride a tier name such as {@code host-bridge}, or null to choose from capabilities
     * @param format the surface's pixel format; checked against every participant's driver before anything is allocated
     * @param usage {@code VkImageUsageFlags} the application needs on every participant's image (Baton adds
     *     TRANSFER_SRC|TRANSFER_DST, and with a GL participant every further usage all participants support)
     */
    public record Options(long initialKey, int maxPrivateDataBytes, long copyTimeoutNanos, long teardownTimeoutNanos, String tierOverride,
                          SurfaceFormat format, int usage) {
        /**
         * Checks the format is present.
         *
         * @param initialKey the key the first acquire must name
         * @param maxPrivateDataBytes the most private data one release may pass
         * @param copyTimeoutNanos how long a host copy waits for the previous writer's GPU
         * @param teardownTimeoutNanos how long close waits for each endpoint's last submit
         * @param tierOverride a tier name, or null to choose
         * @param format the surface's pixel format
         * @param usage {@code VkImageUsageFlags} every participant's image must have
         */
        public Options {
            if (format == null) {
                throw new IllegalArgumentException("Options.format is null: pass a SurfaceFormat such as SurfaceFormat.RGBA8");
            }
        }

        /**
         * Options of an RGBA8 surface with {@link SurfaceImage#USAGE}, as before formats existed.
         *
         * @param initialKey the key the first acquire must name
         * @param maxPrivateDataBytes the most private data one release may pass
         * @param copyTimeoutNanos how long a host copy waits for the previous writer's GPU
         * @param teardownTimeoutNanos how long close waits for each endpoint's last submit
         * @param tierOverride a tier name, or null to choose
         */
        public Options(long initialKey, int maxPrivateDataBytes, long copyTimeoutNanos, long teardownTimeoutNanos, String tierOverride) {
            this(initialKey, maxPrivateDataBytes, copyTimeoutNanos, teardownTimeoutNanos, tierOverride, SurfaceFormat.RGBA8, SurfaceImage.USAGE);
        }

        /**
         * Initial key 0, 64 bytes of private data, a 2 s copy timeout, a 5 s teardown timeout, the tier chosen from capabilities,
         * RGBA8 with {@link SurfaceImage#USAGE}.
         *
         * @return the defaults
         */
        public static Options defaults() {
            return new Options(0, 64, 2_000_000_000L, 5_000_000_000L, null);
        }

        /**
         * These options with a forced tier.
         *
         * @param tierName a tier name such as {@code host-bridge}, or null to choose
         * @return new options
         */
        public Options withTier(String tierName) {
            return new Options(initialKey, maxPrivateDataBytes, copyTimeoutNanos, teardownTimeoutNanos, tierName, format, usage);
        }

        /**
         * These options with another pixel format.
         *
         * @param surfaceFormat the format
         * @return new options
         */
        public Options withFormat(SurfaceFormat surfaceFormat) {
            return new Options(initialKey, maxPrivateDataBytes, copyTimeoutNanos, teardownTimeoutNanos, tierOverride, surfaceFormat, usage);
        }

        /**
         * These options with another image usage.
         *
         * @param imageUsage {@code VkImageUsageFlags} every participant's image must have
         * @return new options
         */
        public Options withUsage(int imageUsage) {
            return new Options(initialKey, maxPrivateDataBytes, copyTimeoutNanos, teardownTimeoutNanos, tierOverride, format, imageUsage);
        }
    }

    private final String name;
    private final SyncTier tier;
    private final String tierReason;
    private List<SyncTier> feasibleTiers = List.of();
    private final Options options;
    private final KeyedMutex mutex; // closed last, after every endpoint closed its handle
    private final List<SurfaceEndpoint> endpoints = new ArrayList<>();
    private final SurfaceMemory memory;
    private final SurfaceSync sync;
    private volatile GlEndpoint glEndpoint;   // null without a GL participant
    private GlSide pendingGl;        // createForGl: the GL side attachGl still has to make
    private volatile boolean glClosed;        // closeGlIfIdle closed the GL endpoint already
    private volatile boolean closed;

    // Handoff record (see class comment); the choices keep their own parts of it.
    /** The participant whose work signals the current fence value, or null before the first signal. */
    volatile Participant lastSignaller;

    private SharedSurface(String name, SyncTierSelector.Choice choice, Options options, ImageSpec spec) {
        this.name = name;
        this.tier = choice.tier();
        this.tierReason = choice.reason();
        this.options = options;
        this.mutex = KeyedMutex.create(options.initialKey(), options.maxPrivateDataBytes());
        this.memory = SurfaceMemory.create(tier.memory(), name, spec);
        this.sync = SurfaceSync.create(tier.sync(), this);
    }

    /** A surface whose keyed mutex another process owns (see {@link #ofBroker}); {@link #mutex} is null. */
    private SharedSurface(String name, SyncTier tier, String reason, Options options, SurfaceMemory memory, SurfaceSync sync) {
        this.name = name;
        this.tier = tier;
        this.tierReason = reason;
        this.options = options;
        this.mutex = null;
        this.memory = memory;
        this.sync = sync;
        this.feasibleTiers = List.of(tier);
    }

    /**
     * The producer's side of a surface a broker in another process allocated and whose keyed mutex it
     * owns ({@link BrokerSurfaces#open}): one Vulkan endpoint on {@code device}, whose handle is the
     * broker connection ({@code port}); its memory and sync are {@code memory} and {@code sync}. Made
     * as {@link #build} makes an endpoint, including the initial layout transition (which waits for the
     * device). All-or-nothing: on failure what was made is closed (the port included).
     */
    static SharedSurface ofBroker(String name, SyncTier tier, String reason, Options options, SurfaceMemory memory, SurfaceSync sync,
                                  DeviceContext device, int width, int height, java.util.function.Function<VulkanTimeline, MutexPort> port) {
        SharedSurface surface = new SharedSurface(name, tier, reason, options, memory, sync);
        SurfaceEndpoint e = surface.addEndpoint(0, device, width, height, name + "@" + device.name(), 1, port);
        try {
            sync.connect(surface.endpoints);
            initialTransition(e); // before the access commands: they record the steady state
            e.recordHandoffCommands();
            return surface;
        } catch (RuntimeException | Error failure) {
            surface.close();
            throw failure;
        }
    }

    /**
     * Creates a {@code width x height} surface of {@code options.format()} shared by {@code participants}
     * (the first one allocates). The tier is chosen from their capabilities unless
     * {@code options.tierOverride()} names one. The format and usage are checked against every
     * participant's driver before anything is allocated. All-or-nothing: on failure everything made
     * so far is closed.
     *
     * @param name for messages and mutex handles
     * @param width width in pixels
     * @param height height in pixels
     * @param participants the Vulkan participants, the allocating one first; endpoint {@code i} is participant {@code i}'s
     * @param options keys, private-data size, timeouts, tier override, format and usage
     * @return the surface, owned by the caller
     * @throws IllegalArgumentException if a participant's driver lacks the format or usage (the message
     *     names the participant and what it lacks)
     */
    public static SharedSurface create(String name, int width, int height, List<DeviceContext> participants, Options options) {
        return create(name, width, height, participants, null, options);
    }

    /** A GL participant: the context that owns its endpoint, and what that context offers. */
    public record GlSide(GlContext context, GlInfo info) {
        /** {@return the GL context's interop capabilities, for tier selection} */
        public InteropCapabilities capabilities() {
            return InteropCapabilities.forGl("GL " + info.renderer().split(" \\(")[0], GlInfo.hex(info.driverUuid()),
                    GlInfo.hex(info.deviceUuid()), info.memoryObjectFd(), dev.baton.render.gl.GlExternalSemaphore.isAvailable(info));
        }
    }

    /**
     * Like {@link #create(String, int, int, List, Options)}, plus an OpenGL participant (may be null)
     * whose endpoint is {@link #glEndpoint()}. With a GL participant, call this, {@link #close()} and
     * every {@link GlEndpoint} method on the GL context's owner thread.
     *
     * @param name for messages and mutex handles
     * @param width width in pixels
     * @param height height in pixels
     * @param participants the Vulkan participants, the allocating one first
     * @param gl the GL participant, or null
     * @param options keys, private-data size, timeouts, tier override
     * @return the surface, owned by the caller
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
     *
     * @param name for messages and mutex handles
     * @param width width in pixels
     * @param height height in pixels
     * @param participants the Vulkan participants, the allocating one first
     * @param gl the GL participant whose capabilities count in the tier choice, or null
     * @param options keys, private-data size, timeouts, tier override, format and usage
     * @return the surface, owned by the caller; with {@code gl}, not usable until {@link #attachGl()}
     * @throws IllegalArgumentException if there is no Vulkan participant, or a requested tier is not
     *     feasible for these participants
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
        if (gl != null && !options.format().glImportable()) {
            throw new IllegalArgumentException("surface " + name + ": the GL participant cannot take a " + options.format()
                    + " surface: desktop GL has no sized internal format with the B, G, R, A memory order for memory objects"
                    + " (GL_BGRA8_EXT is OpenGL ES only); use RGBA8 or RGBA8_SRGB with GL and swizzle where the image is presented");
        }
        SyncTierSelector.Choice choice = SyncTierSelector.choose(caps, options.tierOverride());
        List<SyncTier> feasible = SyncTierSelector.feasible(caps);
        return buildOrFallBack(name, width, height, participants, gl, options, choice, feasible);
    }

    /**
     * Builds with {@code choice}; where only building shows that a choice does not work (host memory
     * laid out differently, an exportable timeline the driver then refuses to create), builds with the
     * next choice and says why in {@link #tierReason()}. A forced tier never falls back.
     */
    private static SharedSurface buildOrFallBack(String name, int width, int height, List<DeviceContext> participants, GlSide gl,
                                                 Options options, SyncTierSelector.Choice choice, List<SyncTier> feasible) {
        boolean forced = options.tierOverride() != null && !options.tierOverride().isBlank();
        try {
            return build(name, width, height, participants, gl, options, choice).feasible(feasible);
        } catch (HostMemoryImport.Unsuitable e) {
            // Only building the images shows whether the drivers agree on a linear layout: copy instead.
            SyncTier copy = SyncTier.of(MemorySharing.HOST_COPY, HandoffSync.HOST_WAIT);
            if (forced) {
                throw new IllegalArgumentException("sync tier " + choice.tier() + " was requested but " + e.getMessage()
                        + "; drop the override or pick " + copy, e);
            }
            List<SyncTier> withoutHostMemory = new ArrayList<>(feasible);
            withoutHostMemory.remove(choice.tier());
            return buildOrFallBack(name, width, height, participants, gl, options, new SyncTierSelector.Choice(copy,
                    choice.reason() + "; but " + e.getMessage() + ", so pixels are copied through host memory"), withoutHostMemory);
        } catch (SharedTimelineSync.ExportFailed e) {
            // The driver said timelines are exportable but refused to make one (seen on AMD,
            // Vulkan-ValidationLayers #5947): take the next tier rather than fail the surface.
            List<SyncTier> rest = new ArrayList<>();
            for (SyncTier t : feasible) {
                if (t.sync() != HandoffSync.SHARED_TIMELINE) {
                    rest.add(t);
                }
            }
            SyncTier next = null;
            for (SyncTier t : rest) {
                if (t.memory() == choice.tier().memory()) {
                    next = t;
                    break;
                }
            }
            if (next == null && !rest.isEmpty()) {
                next = rest.get(0);
            }
            if (forced || next == null) {
                throw new IllegalStateException("surface " + name + ": " + e.getMessage() + (forced
                        ? "; sync tier " + choice.tier() + " was requested: drop the override to fall back"
                        : "; no other tier is feasible for these participants"), e);
            }
            return buildOrFallBack(name, width, height, participants, gl, options, new SyncTierSelector.Choice(next,
                    choice.reason() + "; but " + e.getMessage() + " although the driver reports timelines exportable, so the next tier, "
                    + next + ", is used"), rest);
        }
    }

    /** The create info of every participant's image for {@code memory}, checked against every driver. */
    private static ImageSpec specFor(MemorySharing memory, String name, int width, int height, List<DeviceContext> participants,
                                     boolean gl, Options options) {
        switch (memory) {
            case DEVICE_MEMORY:
                return ImageSpec.forDeviceMemory(name, participants, options.format(), options.usage(), width, height, gl);
            case HOST_COPY:
                return ImageSpec.forPrivateImages(name, participants, options.format(), options.usage(), width, height);
            case HOST_MEMORY:
                // linear images in host memory: HostMemoryImport checks each driver and falls back to copying
                return new ImageSpec(options.format(), options.usage() | ImageSpec.BATON_USAGE, 0, true);
            default:
                throw new AssertionError(memory);
        }
    }

    /** Makes the surface with {@code choice}, all-or-nothing. */
    private static SharedSurface build(String name, int width, int height, List<DeviceContext> participants, GlSide gl, Options options,
                                       SyncTierSelector.Choice choice) {
        ImageSpec spec = specFor(choice.tier().memory(), name, width, height, participants, gl != null, options);
        SharedSurface surface = new SharedSurface(name, choice, options, spec);
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
            glEndpoint = GlEndpoint.create(this, gl.context(), gl.info(), image.width(), image.height(), handle);
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
     *
     * @return whether the GL endpoint is closed (or there is none)
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
                semaphores && (i.timelineSemaphoreExport() || SharedTimelineSync.simulateBrokenExportForTest),
                semaphores && (i.timelineSemaphoreImport() || SharedTimelineSync.simulateBrokenExportForTest),
                d.hasExtension(DeviceContext.EXTERNAL_MEMORY_HOST) && i.hostMemoryImport());
    }

    private void build(int width, int height, List<DeviceContext> participants) {
        int n = participants.size();
        for (int i = 0; i < n; i++) {
            DeviceContext d = participants.get(i);
            addEndpoint(i, d, width, height, name + "@" + d.name(), n, timeline -> MutexPort.local(mutex.open(d.name())));
        }
        sync.connect(endpoints);
        for (SurfaceEndpoint e : endpoints) {
            e.recordHandoffCommands();
            initialTransition(e);
        }
    }

    /**
     * Makes participant {@code index}'s endpoint on {@code d}: its memory view, its timeline, then its
     * mutex handle ({@code port}, given the timeline). All-or-nothing: on failure what was made is closed.
     */
    private SurfaceEndpoint addEndpoint(int index, DeviceContext d, int width, int height, String endpointName, int participants,
                                        java.util.function.Function<VulkanTimeline, MutexPort> port) {
        SurfaceMemory.VulkanView view = null;
        VulkanTimeline timeline = null;
        MutexPort handle = null;
        try {
            view = memory.vulkan(d, index, width, height);
            timeline = sync.createTimeline(d, endpointName, index, participants);
            handle = port.apply(timeline);
        } catch (RuntimeException | Error e) {
            if (handle != null) {
                handle.close();
            }
            if (timeline != null) {
                timeline.close();
            }
            if (view != null) {
                view.close();
            }
            throw e;
        }
        SurfaceEndpoint e = new SurfaceEndpoint(this, index, d, view, timeline, handle);
        endpoints.add(e);
        return e;
    }

    /** Records and submits {@code e}'s one-off setup (UNDEFINED to GENERAL and what the memory needs), and waits for its device. */
    private static void initialTransition(SurfaceEndpoint e) {
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

    SurfaceMemory memory() {
        return memory;
    }

    SurfaceSync sync() {
        return sync;
    }

    /**
     * Loss listener of each endpoint's device (any thread, once per device): the surface cannot go on
     * without that participant, and if the loss came after its release the fence value it passed on
     * will never be reached, so the contents are undefined. Abandons the mutex (blocked acquires wake
     * with ABANDONED; an owner may finish its access) and releases the survivors' queues that may wait
     * for the lost participant's last value ({@link SurfaceSync#releaseWaiters}). Never blocks.
     */
    void participantLost(SurfaceEndpoint lost) {
        if (closed) {
            return;
        }
        if (mutex != null) {
            mutex.abandon(); // a broker's surface: the endpoint's port abandoned it (its loss listener ran first)
        }
        long value = lost.lastSubmittedValue();
        if (value != 0) {
            sync.releaseWaiters(endpoints, lost, value);
        }
    }

    /**
     * Failure hook for the host bridge (bridge thread): it could not forward {@code value} to
     * {@code to} (the source's device was lost or never reached it), so the participant waiting on
     * {@code to} is released and the surface abandoned, as for a lost participant. Never blocks.
     */
    void forwardFailed(dev.baton.sync.Timeline to, long value) {
        if (closed || mutex == null) {
            return;
        }
        mutex.abandon();
        for (SurfaceEndpoint e : endpoints) {
            if (e.timeline() == to) {
                releaseWaiter(e, value);
            }
        }
    }

    /**
     * Host-signals {@code value} on {@code survivor}'s timeline so its queued submit that waits for
     * it runs (its pixels are undefined, but the surface is abandoned) and teardown can wait for its
     * queue. Only when that cannot reorder its own signals: its timeline already reached every value
     * it submitted, or its last submit is the one waiting for {@code value} (it signals
     * {@code value + 1}). A survivor whose earlier submit still waits for an older value of the
     * failed participant (a deeper wait-before-signal chain) is left to the bounded teardown.
     * A participant that is itself lost is released too: a really lost device answers
     * {@code VK_ERROR_DEVICE_LOST} (ignored here), and one whose loss was only reported (the CPU drivers
     * here, or a late report) must drain before its objects are destroyed. Any thread; never blocks.
     */
    static void releaseWaiter(SurfaceEndpoint survivor, long value) {
        try {
            long own = survivor.lastSubmittedValue();
            long reached = survivor.timeline().completedValue();
            if (Long.compareUnsigned(reached, value) >= 0) {
                return;
            }
            if (own == value + 1 || Long.compareUnsigned(reached, own) >= 0) {
                survivor.timeline().signalFromHost(value);
            }
        } catch (RuntimeException alsoLost) {
            // the survivor's own device failed meanwhile: its loss listener handles it
        }
    }

    /** True once {@link #close()} began: failures reported after that are teardown noise. */
    boolean isClosing() {
        return closed;
    }

    /**
     * The first handoff the host bridge could not forward (the source's GPU never reached the value,
     * or its device was lost), or null. After one the surface is abandoned and the receiving
     * participant's timeline was host-signalled so its queue drains ({@link SurfaceSync#releaseWaiters}):
     * recreate the surface. Any thread.
     *
     * @return the failure in a sentence, or null
     */
    public String bridgeFailure() {
        return sync.failure();
    }

    /** {@return the name given at creation} */
    public String name() {
        return name;
    }

    /** {@return the sync tier every handoff of this surface uses} */
    public SyncTier tier() {
        return tier;
    }

    /** {@return the surface's pixel format, the one every participant's image has} */
    public SurfaceFormat format() {
        return options.format();
    }

    /** {@return how this surface's memory is shared (the tier's first choice)} */
    public MemorySharing memorySharing() {
        return memory.kind();
    }

    /** {@return how this surface's next owner waits (the tier's second choice)} */
    public HandoffSync handoffSync() {
        return sync.kind();
    }

    private SharedSurface feasible(List<SyncTier> tiers) {
        feasibleTiers = List.copyOf(tiers);
        return this;
    }

    /**
     * Every tier these participants could share a surface with, best first: what a tier switch may
     * offer ({@link Options#withTier}). Any thread.
     *
     * @return the feasible tiers, best first (immutable)
     */
    public List<SyncTier> feasibleTiers() {
        return feasibleTiers;
    }

    /** {@return why {@link #tier()} was chosen, in one sentence} */
    public String tierReason() {
        return tierReason;
    }

    long copyTimeoutNanos() {
        return options.copyTimeoutNanos();
    }

    /** {@return the participants' endpoints, in the order of the list given to {@link #create}} */
    public List<SurfaceEndpoint> endpoints() {
        return List.copyOf(endpoints);
    }

    /**
     * The endpoint of the participant at {@code index} of the creation list.
     *
     * @param index the participant's index
     * @return its endpoint
     */
    public SurfaceEndpoint endpoint(int index) {
        return endpoints.get(index);
    }

    /**
     * Diagnostic: the key the next acquire must hold (see {@link KeyedMutex#storedKey()}). Any thread.
     *
     * @return the key
     */
    public long storedKey() {
        return localMutex("storedKey").storedKey();
    }

    /**
     * Diagnostic: the owning participant's name, or null while unowned. Any thread.
     *
     * @return the name, or null
     */
    public String ownerName() {
        return localMutex("ownerName").ownerName();
    }

    /** {@return true once the surface's mutex was abandoned (its owner's device was lost or closed). Any thread} */
    public boolean isAbandoned() {
        return mutex != null ? mutex.isAbandoned() : endpoints.isEmpty() || endpoints.get(0).handle().isAbandoned();
    }

    /** {@return whether this surface's keyed mutex lives in a broker's process ({@link BrokerSurfaces})} */
    public boolean ofBroker() {
        return mutex == null;
    }

    private KeyedMutex localMutex(String diagnostic) {
        if (mutex == null) {
            throw new IllegalStateException(diagnostic + " of " + name + ": its keyed mutex lives in the broker's process"
                    + " (a surface of BrokerSurfaces); ask the broker (./baton serve logs it)");
        }
        return mutex;
    }

    /**
     * Diagnostic: how many acquires are blocked on this surface's mutex right now (see
     * {@link KeyedMutex#waiterCount()}); 0 whenever nobody waits, since timeouts leave nothing queued.
     * Any thread, never blocks.
     *
     * @return the number of blocked acquires
     */
    public int waiterCount() {
        return localMutex("waiterCount").waiterCount();
    }

    /** Tests: the surface's mutex, to open extra handles on it. */
    KeyedMutex mutex() {
        return mutex;
    }

    /** The GL endpoint while it takes part (attached, not closed), else null. Any thread. */
    GlEndpoint liveGlEndpoint() {
        GlEndpoint gl = glEndpoint;
        return gl == null || glClosed ? null : gl;
    }

    /** {@return the GL participant's endpoint, or null when the surface has none} */
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
        if (stuck.isEmpty()) {
            try {
                if (!sync.drain(options.teardownTimeoutNanos())) {
                    stuck.add("the host bridge's forwards to it");
                }
            } catch (InterruptedException ie) {
                interrupted = true;
                stuck.add("the host bridge's forwards to it (interrupted)");
            }
        }
        sync.close();
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
        if (mutex != null) {
            mutex.close();
        }
    }

    @Override
    public String toString() {
        return name + " [" + tier + "]";
    }
}
