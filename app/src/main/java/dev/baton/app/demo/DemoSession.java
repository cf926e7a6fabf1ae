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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's producers and the compositor's view of them: creates each producer's device and ring
 * of surfaces (shared with the compositor's GL context), runs it on its own thread, and tears it down
 * importers first. Also what the window's controls call: add, remove, kill, restart, switch tier.
 *
 * <p>Threading: the compositor's GL thread only (it owns the GL context every surface's GL endpoint
 * lives in). Producers run on their own threads and are only touched through their volatile controls.
 */
final class DemoSession implements AutoCloseable {
    private static final long JOIN_TIMEOUT_MILLIS = 5_000;

    private final VulkanInstance vulkan;
    private final GlContext gl;
    private final GlInfo glInfo;
    private final DemoOptions options;
    private final List<ProducerFeed> feeds = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private int nextIndex;
    private final List<String> problems = new ArrayList<>();
    private final Map<Integer, SyncTier> bestTiers = new HashMap<>(); // producer index -> tier chosen unforced

    DemoSession(VulkanInstance vulkan, GlContext gl, GlInfo glInfo, DemoOptions options) {
        this.vulkan = vulkan;
        this.gl = gl;
        this.glInfo = glInfo;
        this.options = options;
    }

    List<ProducerFeed> feeds() {
        return feeds;
    }

    GlInfo glInfo() {
        return glInfo;
    }

    /** Problems met while tearing producers down (threads that would not stop, GPU work that did not finish). */
    List<String> problems() {
        return problems;
    }

    /** Starts a new producer with the next index; {@code tier} overrides the tier (null: best available). */
    ProducerFeed addProducer(String tier) {
        return startProducer(nextIndex++, tier, feeds.size());
    }

    private ProducerFeed startProducer(int index, String tier, int position) {
        String name = "producer-" + index;
        DeviceContext device = buildDevice(name);
        List<SharedSurface> ring = new ArrayList<>();
        try {
            SharedSurface.GlSide glSide = new SharedSurface.GlSide(gl, glInfo);
            for (int k = 0; k < options.ring(); k++) {
                ring.add(SharedSurface.create(name + "/surface-" + k, options.width(), options.height(), List.of(device), glSide,
                        SharedSurface.Options.defaults().withTier(tier)));
            }
        } catch (RuntimeException | Error e) {
            for (int k = ring.size() - 1; k >= 0; k--) {
                ring.get(k).close();
            }
            device.close();
            throw e;
        }
        if (tier == null) {
            bestTiers.put(index, ring.get(0).tier());
        }
        Producer producer = new Producer(index, Scene.forProducer(index), device, List.copyOf(ring), options.fps(),
                options.acquireTimeoutNanos());
        ProducerFeed feed = new ProducerFeed(producer, List.copyOf(ring));
        Thread thread = new Thread(producer, "baton-" + name);
        thread.setDaemon(true);   // a stuck driver call must not keep the JVM alive after shutdown
        feeds.add(position, feed);
        threads.add(position, thread);
        thread.start();   // happens-before: the producer thread now owns the device
        return feed;
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

    /** Stops a producer and frees its surfaces and device, importers before the exporter. */
    void removeProducer(ProducerFeed feed) {
        int position = feeds.indexOf(feed);
        if (position < 0) {
            return;
        }
        stop(position);
        feeds.remove(position);
        threads.remove(position);
    }

    /** Replaces a producer (after a kill, or to change its tier) with a fresh device and surfaces. */
    ProducerFeed restart(ProducerFeed feed, String tier) {
        int position = feeds.indexOf(feed);
        if (position < 0) {
            throw new IllegalArgumentException(feed.producer.name + " is not running");
        }
        stop(position);
        feeds.remove(position);
        threads.remove(position);
        return startProducer(feed.producer.index, tier, position);
    }

    private void stop(int position) {
        ProducerFeed feed = feeds.get(position);
        Thread thread = threads.get(position);
        feed.releaseAll();   // a producer blocked on a surface the compositor holds can then see the stop
        feed.producer.requestStop();
        try {
            // Keep GL's fences moving while we wait: the producer's last submits may wait (through the
            // host bridge) for the fences of our releases above, and GL fences (unlike EGL ones) are
            // only seen to signal when this thread polls them.
            joinPolling(feed, thread);
            if (thread.isAlive()) {
                thread.interrupt();
                joinPolling(feed, thread);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            // Its device may be inside a driver call: destroying the device now could crash the process.
            problems.add(feed.producer.name + " did not stop within " + 2 * JOIN_TIMEOUT_MILLIS + " ms; its device is left open");
            return;
        }
        if (feed.producer.leakedRenderer()) {
            problems.add(feed.producer.name + ": its last frames did not finish; its renderer and device are left open");
            return;
        }
        for (int k = feed.ring.size() - 1; k >= 0; k--) {
            try {
                feed.ring.get(k).close();
            } catch (RuntimeException e) {
                problems.add(feed.producer.name + ": " + e.getMessage());
            }
        }
        feed.producer.device().close();
    }

    private static void joinPolling(ProducerFeed feed, Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + JOIN_TIMEOUT_MILLIS * 1_000_000L;
        while (thread.isAlive() && System.nanoTime() - deadline < 0) {
            feed.pollFences();
            thread.join(2);
        }
    }

    /** Advances every feed; true if any displayed a newer frame. */
    boolean update() throws InterruptedException {
        boolean changed = false;
        for (ProducerFeed feed : feeds) {
            changed |= feed.update();
        }
        return changed;
    }

    /** The tiers a producer's surfaces could use with this compositor, best first (for the tier switch). */
    List<SyncTier> availableTiers(ProducerFeed feed) {
        SyncTier best = bestTiers.getOrDefault(feed.producer.index, feed.ring.get(0).tier());
        // what these participants support at all, from the best one chosen unforced down (host-copy always works)
        List<SyncTier> tiers = new java.util.ArrayList<>(feed.ring.get(0).feasibleTiers());
        tiers.removeIf(t -> t.ordinal() < best.ordinal());
        return tiers;
    }

    /** Stops every producer, newest first. Idempotent; GL thread. */
    @Override
    public void close() {
        while (!feeds.isEmpty()) {
            int last = feeds.size() - 1;
            stop(last);
            feeds.remove(last);
            threads.remove(last);
        }
    }
}
