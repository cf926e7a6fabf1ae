package dev.baton.app.demo;

import dev.baton.render.SyncTier;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.scene.Scene;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.VulkanInstance;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's producers and the compositor's view of them: builds each producer's device and ring of
 * surfaces (shared with the compositor's GL context), runs it on its own thread, and tears it down
 * importers first. Also what the window's controls call: add, remove, restart, switch tier.
 *
 * <p>The compositor never waits for one producer's setup or teardown. A new producer's device and
 * the Vulkan side of its surfaces are built on a setup thread; {@link #update()} then imports them
 * into GL (short, no GPU wait) and starts the producer. A producer being replaced (restart, tier
 * switch) keeps its tile until its replacement joins. A removed producer is asked to stop and then
 * retired a step per {@link #update()}: its GL fences are polled (never waited on) until its
 * thread ended and GL's last fence on each surface completed, then its GL imports are closed on
 * this thread and the Vulkan side (surfaces, device) is destroyed on a teardown thread.
 *
 * <p>Threading: every method on the compositor's GL thread (it owns the GL context every surface's
 * GL endpoint lives in). Producers run on their own threads and are only touched through their
 * volatile controls; setup and teardown threads hand over through {@link Setup}'s volatile fields.
 */
final class DemoSession implements AutoCloseable {
    /** How long a stopping producer may take before it is interrupted, and again before it is given up on. */
    private static final long STOP_TIMEOUT_NANOS = 5_000_000_000L;
    /** How long GL's last fences may stay pending after a producer stopped before its surfaces are leaked. */
    private static final long GL_IDLE_TIMEOUT_NANOS = 5_000_000_000L;
    private static final long CLOSE_TIMEOUT_NANOS = 30_000_000_000L;

    private final VulkanInstance vulkan;
    private final GlInfo glInfo;
    private final DemoOptions options;
    private final SharedSurface.GlSide glSide;
    private final List<ProducerFeed> feeds = new ArrayList<>();
    private final Map<ProducerFeed, Thread> threads = new HashMap<>();
    private final List<Setup> setups = new ArrayList<>();
    private final List<Retiring> retiring = new ArrayList<>();
    private final ExecutorService teardown = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "baton-teardown");
        t.setDaemon(true);   // a stuck driver call must not keep the JVM alive after shutdown
        return t;
    });
    private final AtomicInteger teardownsQueued = new AtomicInteger();   // Vulkan sides handed to the teardown thread, not yet freed
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final Map<Integer, SyncTier> bestTiers = new HashMap<>(); // producer index -> tier chosen unforced
    private volatile long slowDriverNanos;   // tests: extra time each setup and Vulkan teardown takes
    private int nextIndex;
    private String lastSetupFailure;
    private boolean closed;

    DemoSession(VulkanInstance vulkan, GlContext gl, GlInfo glInfo, DemoOptions options) {
        this.vulkan = vulkan;
        this.glInfo = glInfo;
        this.options = options;
        this.glSide = new SharedSurface.GlSide(gl, glInfo);
    }

    /**
     * A producer being built on its own setup thread; it joins {@link #feeds()} on a later
     * {@link #update()}. GL thread, except the volatile fields the setup thread writes.
     */
    static final class Setup {
        final int index;
        final String name;
        final String tier;
        /** The feed this one takes the place of when it joins (restart, tier switch), or null. */
        final ProducerFeed replaces;
        private final Thread thread;
        private volatile DeviceContext device;          // written by the setup thread before it ends
        private volatile List<SharedSurface> ring;
        private volatile String failure;
        private ProducerFeed joined;

        private Setup(int index, String tier, ProducerFeed replaces, Runnable body) {
            this.index = index;
            this.name = "producer-" + index;
            this.tier = tier;
            this.replaces = replaces;
            this.thread = new Thread(body, "baton-setup-" + name);
            this.thread.setDaemon(true);
        }

        /** The running feed once this producer joined, else null. */
        ProducerFeed feed() {
            return joined;
        }

        /** Why the setup failed, or null. */
        String failure() {
            return failure;
        }
    }

    /** A stopped producer whose resources are freed a step at a time. GL thread. */
    private static final class Retiring {
        final ProducerFeed feed;
        final Thread thread;
        final long since = System.nanoTime();
        long stoppedAt = -1;
        boolean interrupted;

        Retiring(ProducerFeed feed, Thread thread) {
            this.feed = feed;
            this.thread = thread;
        }
    }

    /** The running producers' feeds, in tile order. */
    List<ProducerFeed> feeds() {
        return feeds;
    }

    /** Producers still being built (for the window's "starting" lines). */
    List<Setup> setups() {
        return setups;
    }

    /** How many removed or replaced producers are still being torn down. */
    int retiringCount() {
        return retiring.size();
    }

    /** True while any producer is being built or torn down (on any thread). */
    boolean busy() {
        return !setups.isEmpty() || !retiring.isEmpty() || teardownsQueued.get() > 0;
    }

    GlInfo glInfo() {
        return glInfo;
    }

    /** Problems met while tearing producers down (threads that would not stop, GPU work that did not finish). */
    List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    /** The last setup that failed (its message), or null; cleared by {@link #clearSetupFailure()}. */
    String lastSetupFailure() {
        return lastSetupFailure;
    }

    void clearSetupFailure() {
        lastSetupFailure = null;
    }

    /**
     * Tests: from now on each producer's setup (after its device exists) and each Vulkan teardown
     * take {@code nanos} longer, like a slow driver, since the drivers here create and destroy
     * devices in a few milliseconds. Their threads sleep; the compositor must not notice.
     */
    void simulateSlowDriver(long nanos) {
        slowDriverNanos = nanos;
    }

    private void slowDriverPause() {
        long nanos = slowDriverNanos;
        if (nanos > 0) {
            LockSupport.parkNanos(nanos);
        }
    }

    /** Starts building a new producer with the next index; {@code tier} overrides the tier (null: best available). */
    Setup addProducer(String tier) {
        return startSetup(nextIndex++, tier, null);
    }

    /**
     * Builds a replacement for {@code feed} (after a kill, or to change its tier) with a fresh device
     * and surfaces; {@code feed} keeps its tile, and keeps running if it still can, until the
     * replacement joins. A second request while one is being built returns the first.
     */
    Setup restart(ProducerFeed feed, String tier) {
        if (!feeds.contains(feed)) {
            throw new IllegalArgumentException(feed.producer.name + " is not running");
        }
        for (Setup s : setups) {
            if (s.replaces == feed) {
                return s;
            }
        }
        return startSetup(feed.producer.index, tier, feed);
    }

    private Setup startSetup(int index, String tier, ProducerFeed replaces) {
        Setup[] self = new Setup[1];
        Setup setup = new Setup(index, tier, replaces, () -> build(self[0]));
        self[0] = setup;
        setups.add(setup);
        setup.thread.start();   // happens-before: the setup thread sees the Setup's final fields
        return setup;
    }

    /** Setup thread: the device and the Vulkan side of the ring. All-or-nothing. */
    private void build(Setup setup) {
        DeviceContext device = null;
        List<SharedSurface> ring = new ArrayList<>();
        try {
            device = buildDevice(setup.name);
            slowDriverPause();
            for (int k = 0; k < options.ring(); k++) {
                ring.add(SharedSurface.createForGl(setup.name + "/surface-" + k, options.width(), options.height(), List.of(device),
                        glSide, SharedSurface.Options.defaults().withTier(setup.tier)));
            }
            setup.ring = List.copyOf(ring);
            setup.device = device;
        } catch (RuntimeException | Error e) {
            for (int k = ring.size() - 1; k >= 0; k--) {
                ring.get(k).close();
            }
            if (device != null) {
                device.close();
            }
            setup.failure = setup.name + ": " + (e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /**
     * Picks the producer's physical device: the {@code --device} filter, else the device whose UUIDs
     * equal the compositor's GL context (memory is shared, no copies), else the first usable one.
     */
    private DeviceContext buildDevice(String name) {
        DeviceContext.Builder builder = DeviceContext.builder(vulkan).name(name);
        if (options.device() != null) {
            // An index, a label of ./baton devices or an unambiguous name part; refused when it fits several.
            try {
                builder.device(options.device());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--device: " + e.getMessage(), e);
            }
            return builder.build();
        }
        String glDriver = GlInfo.hex(glInfo.driverUuid());
        String glDevice = GlInfo.hex(glInfo.deviceUuid());
        for (PhysicalDeviceInfo info : vulkan.physicalDevices()) {
            if (info.driverUuidHex().equals(glDriver) && info.deviceUuidHex().equals(glDevice)) {
                return builder.physicalDeviceIndex(info.index()).build();
            }
        }
        return builder.build();
    }

    /** GL thread: a finished setup's surfaces are imported into GL and its producer starts. Short. */
    private void join(Setup setup) {
        List<SharedSurface> ring = setup.ring;
        DeviceContext device = setup.device;
        try {
            for (SharedSurface s : ring) {
                s.attachGl();
            }
        } catch (RuntimeException | Error e) {
            // nothing was submitted to GL yet: the imports close at once, the rest off this thread
            for (SharedSurface s : ring) {
                s.closeGlIfIdle();
            }
            closeLater(() -> closeVulkanSide(setup.name, ring, device));
            lastSetupFailure = setup.name + ": " + e.getMessage();
            return;
        }
        if (setup.tier == null) {
            bestTiers.put(setup.index, ring.get(0).tier());
        }
        Producer producer = new Producer(setup.index, Scene.forProducer(setup.index), device, ring, options.fps(),
                options.acquireTimeoutNanos(), options.stamp());
        ProducerFeed feed = new ProducerFeed(producer, ring);
        Thread thread = new Thread(producer, "baton-" + setup.name);
        thread.setDaemon(true);   // a stuck driver call must not keep the JVM alive after shutdown
        int position = setup.replaces == null ? -1 : feeds.indexOf(setup.replaces);
        if (position >= 0) {
            retire(position);
            feeds.add(position, feed);
        } else {
            // setups finish in any order: keep tiles in producer order
            int at = 0;
            while (at < feeds.size() && feeds.get(at).producer.index < setup.index) {
                at++;
            }
            feeds.add(at, feed);
        }
        threads.put(feed, thread);
        setup.joined = feed;
        thread.start();   // happens-before: the producer thread now owns the device
    }

    /** Stops a producer; its surfaces and device are freed over the next updates, off the frame path. */
    void removeProducer(ProducerFeed feed) {
        int position = feeds.indexOf(feed);
        if (position >= 0) {
            retire(position);
        }
    }

    private void retire(int position) {
        ProducerFeed feed = feeds.remove(position);
        Thread thread = threads.remove(feed);
        feed.releaseAll();   // a producer blocked on a surface the compositor holds can then see the stop
        feed.producer.requestStop();
        retiring.add(new Retiring(feed, thread));
    }

    /**
     * One compositor step: joins finished setups, advances every feed, and moves each retiring
     * producer's teardown on without waiting. Never blocks.
     *
     * @return true if any feed displayed a newer frame or the set of feeds changed
     */
    boolean update() throws InterruptedException {
        boolean changed = false;
        for (int i = 0; i < setups.size(); i++) {
            Setup s = setups.get(i);
            if (s.thread.isAlive()) {
                continue;
            }
            setups.remove(i--);
            if (s.failure != null) {
                lastSetupFailure = s.failure;
            } else {
                join(s);
                changed = true;
            }
        }
        for (ProducerFeed feed : feeds) {
            changed |= feed.update();
        }
        for (int i = 0; i < retiring.size(); i++) {
            if (advance(retiring.get(i))) {
                retiring.remove(i--);
                changed = true;
            }
        }
        return changed;
    }

    /** One non-blocking step of a retiring producer's teardown; true once nothing is left to do here. */
    private boolean advance(Retiring r) {
        ProducerFeed feed = r.feed;
        // Keep GL's fences moving: the producer's last submits may wait (through the host bridge) for
        // the fences of our releases, and GL fences (unlike EGL ones) only signal when polled here.
        feed.pollFences();
        long now = System.nanoTime();
        if (r.thread.isAlive()) {
            if (!r.interrupted && now - r.since > STOP_TIMEOUT_NANOS) {
                r.interrupted = true;
                r.thread.interrupt();
            } else if (now - r.since > 2 * STOP_TIMEOUT_NANOS) {
                // Its device may be inside a driver call: destroying the device now could crash the process.
                problems.add(feed.producer.name + " did not stop within " + 2 * STOP_TIMEOUT_NANOS / 1_000_000 + " ms; its device is left open");
                return true;
            }
            return false;
        }
        if (feed.producer.leakedRenderer()) {
            problems.add(feed.producer.name + ": its last frames did not finish; its renderer and device are left open");
            return true;
        }
        if (r.stoppedAt < 0) {
            r.stoppedAt = now;
        }
        boolean idle = true;
        for (SharedSurface s : feed.ring) {
            idle &= s.closeGlIfIdle();
        }
        if (!idle) {
            if (now - r.stoppedAt > GL_IDLE_TIMEOUT_NANOS) {
                problems.add(feed.producer.name + ": GL's last fences did not complete within " + GL_IDLE_TIMEOUT_NANOS / 1_000_000
                        + " ms; its surfaces and device are left open");
                return true;
            }
            return false;
        }
        // GL's imports are gone (importers first): the rest waits only for the producer's device.
        DeviceContext device = feed.producer.device();
        closeLater(() -> closeVulkanSide(feed.producer.name, feed.ring, device));
        return true;
    }

    private void closeLater(Runnable task) {
        teardownsQueued.incrementAndGet();
        teardown.execute(() -> {
            try {
                task.run();
            } finally {
                teardownsQueued.decrementAndGet();
            }
        });
    }

    /** Teardown thread: the surfaces (newest first) and then the device. */
    private void closeVulkanSide(String name, List<SharedSurface> ring, DeviceContext device) {
        slowDriverPause();
        boolean leaked = false;
        for (int k = ring.size() - 1; k >= 0; k--) {
            try {
                ring.get(k).close();
            } catch (RuntimeException e) {
                problems.add(name + ": " + e.getMessage());
                leaked = true;
            }
        }
        if (!leaked) {
            try {
                device.close();   // a surface whose GPU work did not finish keeps its device too
            } catch (RuntimeException e) {
                problems.add(name + ": closing its device: " + e.getMessage());
            }
        }
    }

    /**
     * Startup: updates until every producer asked for so far is running.
     *
     * @throws IllegalStateException with the first setup failure, or if they are not ready in time
     */
    void awaitStarted(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!setups.isEmpty()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(setups.size() + " producer(s) did not start within " + timeoutNanos / 1_000_000
                        + " ms (device and surface setup); is the driver hung?");
            }
            update();
            if (lastSetupFailure != null) {
                throw new IllegalStateException(lastSetupFailure);
            }
            LockSupport.parkNanos(1_000_000L);
        }
        if (lastSetupFailure != null) {
            throw new IllegalStateException(lastSetupFailure);
        }
    }

    /** The tiers a producer's surfaces could use with this compositor, best first (for the tier switch). */
    List<SyncTier> availableTiers(ProducerFeed feed) {
        SyncTier best = bestTiers.getOrDefault(feed.producer.index, feed.ring.get(0).tier());
        // what these participants support at all, from the best one chosen unforced down (host-copy always works)
        List<SyncTier> tiers = new java.util.ArrayList<>(feed.ring.get(0).feasibleTiers());
        tiers.removeIf(t -> t.ordinal() < best.ordinal());
        return tiers;
    }

    /**
     * Stops every producer, newest first, and frees everything: here blocking is fine (the frame loop
     * is over), but every wait is finite. Idempotent; GL thread.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + CLOSE_TIMEOUT_NANOS;
        for (Setup s : setups) {
            try {
                s.thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (s.thread.isAlive()) {
                problems.add(s.name + ": its setup did not finish; its device is left open");
            } else if (s.failure == null) {
                List<SharedSurface> ring = s.ring;
                DeviceContext device = s.device;
                closeLater(() -> closeVulkanSide(s.name, ring, device));   // never attached to GL
            }
        }
        setups.clear();
        while (!feeds.isEmpty()) {
            retire(feeds.size() - 1);
        }
        while (!retiring.isEmpty() && System.nanoTime() - deadline < 0) {
            for (int i = 0; i < retiring.size(); i++) {
                if (advance(retiring.get(i))) {
                    retiring.remove(i--);
                }
            }
            LockSupport.parkNanos(1_000_000L);
        }
        for (Retiring r : retiring) {
            problems.add(r.feed.producer.name + " was not torn down in time; its device is left open");
        }
        retiring.clear();
        teardown.shutdown();
        try {
            if (!teardown.awaitTermination(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                problems.add("freeing the producers' devices did not finish within " + CLOSE_TIMEOUT_NANOS / 1_000_000 + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
