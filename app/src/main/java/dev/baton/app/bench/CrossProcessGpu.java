package dev.baton.app.bench;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.ipc.SocketPaths;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.HostMemorySurface;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import dev.baton.sync.AcquireStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cross-process GPU row: host-bridge ping-pong between this process and a child JVM, each with
 * its own Vulkan device on the same physical device (the one the bench's in-process host-bridge
 * ping-pong ran on). This process runs the {@link Broker} and one {@link BrokerClient}; the child is
 * the other client. The surface is the broker's sealed memfd, imported on both sides as host memory
 * ({@link HostMemorySurface#importMemfdForTransfers}): a linear image in the same pages, so nothing
 * is copied. This side clears the image, the child copies its 4x4 corner into a host buffer and
 * checks the clear colour, as in the in-process ping-pong ({@link TimedWork}, with ownership
 * transfers from and to {@code VK_QUEUE_FAMILY_EXTERNAL} inside the timed work).
 *
 * <p>Each turn on each side: acquire its key (fence value {@code f}); submit its timed work waiting on
 * its own timeline for {@code f} (wait-before-signal) and signalling {@code f + 1}; release at submit
 * time with {@code f + 1}; wait (bounded) until the other side's FENCE_REACHED for {@code f} arrived and
 * signal {@code f} on its own timeline from the host, which starts the queued work (no submit on the
 * handoff path, as the in-process host bridge); wait (bounded) for its GPU; report FENCE_REACHED; read
 * its timestamps. Releasing at submit time lets the other side's acquire overlap this side's GPU work, as
 * the in-process tier does; the FENCE_REACHED comes from the same thread once its wait returns,
 * because a {@link BrokerClient} is used by one thread at a time (a separate waiter thread would need
 * a second connection). The child passes its host-clock times (acquire returned, just before release,
 * and its previous turn's two GPU timestamps mapped by its own {@link GpuClock}) in each release's
 * private data; {@code System.nanoTime} and the mapped timestamps are CLOCK_MONOTONIC, the same clock
 * in both processes.
 */
final class CrossProcessGpu {
    private CrossProcessGpu() {}

    /** Private data the child sends with each release, as longs (big-endian, as ByteBuffer writes them). */
    static final int SEQ = 0, ACQUIRED_AT = 1, RELEASED_AT = 2, GPU_START = 3, GPU_END = 4, BAD_READS = 5, VALIDATION = 6, LONGS = 7;
    /** The exit code of a child that cannot take part (its last output line says why). */
    static final int CANNOT = 3;
    /** Timed-work slots (each side waits for its GPU every turn, so one would do; as the in-process row). */
    static final int SLOTS = 3;
    /** The clear colour TimedWork writes, as RGBA8 UNORM bytes (0.25, 0.5, 0.75, 1.0), give or take 1 for rounding. */
    static final int[] CLEAR_BYTES = {64, 128, 191, 255};

    /** What one measured run gives back to the bench: whether it ran, and the figures for the notes. */
    static final class Outcome {
        String skipped;
        long childReads;
        String childMemory;
    }

    /**
     * Runs the row on {@code info}'s physical device: warm-up, reset, then {@code measureNanos} of
     * turns. Samples: cpu-handoff (release to the other side's acquire returning) and gpu-handoff
     * (sender's last GPU timestamp to receiver's first), both directions; end-to-end (this side's
     * submit to the child's last timestamp of the same handoff).
     *
     * @return the outcome; {@code skipped} set (and no samples) when either side cannot take part
     */
    static Outcome run(VulkanInstance vk, PhysicalDeviceInfo info, int width, int height, boolean validate, Series cpu, Series gpu, Series e2e,
                       long warmupNanos, long measureNanos, long stallNanos) throws InterruptedException {
        Outcome outcome = new Outcome();
        DeviceContext dev;
        try {
            dev = DeviceContext.builder(vk).physicalDeviceIndex(info.index()).name("xproc#bench")
                    .requireExtension("VK_EXT_external_memory_host").preferExtension(GpuClock.EXTENSION).build();
        } catch (RuntimeException e) {
            outcome.skipped = "this process cannot open " + info.name() + " with host-memory import: " + e.getMessage();
            return outcome;
        }
        Path dir;
        try {
            dir = SocketPaths.defaultSocketPath().getParent().resolve("bench-gpu-" + ProcessHandle.current().pid());
            Files.createDirectories(dir.getParent());
        } catch (IOException | RuntimeException e) {
            dev.close();
            throw new IllegalStateException("cross-process GPU row: cannot make its socket folder: " + e.getMessage(), e);
        }
        Path sock = dir.resolve("broker.sock");
        Path log = dir.getParent().resolve("bench-gpu-" + ProcessHandle.current().pid() + ".log");
        int[] partnerId = {0};
        Broker.Config config = CrossProcessPingPong.grantingTo("bench-partner-gpu", partnerId);
        Process child = null;
        HostMemorySurface image = null;
        TimedWork work = null;
        VulkanTimeline timeline = null;
        boolean stalled = false;
        boolean[] keep = {false};
        try (Broker broker = Broker.start(sock, config)) {
            GpuClock clock = GpuClock.calibrate(dev, stallNanos);
            child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC", "-Xmx128m", "-cp", System.getProperty("java.class.path"), CrossProcessPartner.class.getName(), "gpu",
                    broker.socketPath(), Integer.toString(info.index()), info.deviceUuidHex(), Integer.toString(width), Integer.toString(height),
                    Boolean.toString(validate), Long.toString(stallNanos)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partnerId[0] == 0) {
                if (!child.isAlive()) {
                    return childGone(outcome, child, log);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("cross-process GPU row: the partner process did not connect to the broker within 30 s");
                }
                Thread.sleep(5);
            }
            try (BrokerClient a = BrokerClient.connect(broker.socketPath(), "bench-gpu", TimeUnit.SECONDS.toNanos(5))) {
                // The child holds the first key: it sets its image up while nobody touches the pages.
                BrokerClient.Surface s = a.offer(width, height, SurfaceImage.FORMAT, SurfaceImage.USAGE, Protocol.MEMORY_HOST_MEMFD,
                        Protocol.SYNC_HOST_BRIDGE, 1L, null, null, TimeUnit.SECONDS.toNanos(5));
                try {
                    image = HostMemorySurface.importMemfdForTransfers(dev, s.memoryFd(0), s.allocationBytes, width, height);
                } catch (RuntimeException e) {
                    outcome.skipped = "this process cannot import the broker's memfd on " + info.name() + ": " + e.getMessage();
                    return outcome;
                }
                if (!acquire(a, s, child, stallNanos)) {
                    return childGone(outcome, child, log);
                }
                if (a.privateData().getLong(SEQ * 8) != -1) {
                    throw new IllegalStateException("cross-process GPU row: the partner's first release is not its setup turn");
                }
                TimedWork.initializeImage(dev, image.image().handle(), true);
                work = TimedWork.create(dev, image.image().handle(), width, height, TimedWork.Kind.CLEAR, SLOTS, true);
                timeline = VulkanTimeline.create(dev, "xproc-bench/timeline", 0, false);
                Side side = new Side(a, s, child, dev, clock, work, timeline, stallNanos, log);
                side.turns(System.nanoTime() + warmupNanos, null, null, null);
                cpu.reset();
                gpu.reset();
                e2e.reset();
                ThreadCosts costs = new ThreadCosts(Thread.currentThread(), brokerThread());
                costs.start();
                long start = System.nanoTime();
                long turns = side.turns(start + measureNanos, cpu, gpu, e2e);
                long elapsed = System.nanoTime() - start;
                costs.stop();
                for (Series x : List.of(cpu, gpu, e2e)) {
                    x.totals(2 * turns, elapsed, costs.cpuNanos(), 0, costs.allocatedBytes());
                }
                ByteBuffer pd = a.privateData();
                if (pd.getLong(BAD_READS * 8) != 0) {
                    throw new IllegalStateException("cross-process GPU row: the partner read " + pd.getLong(BAD_READS * 8)
                            + " corner(s) that were not this process's clear colour: the memory did not cross");
                }
                if (pd.getLong(VALIDATION * 8) != 0) {
                    throw new IllegalStateException("cross-process GPU row: the partner's validation layer reported " + pd.getLong(VALIDATION * 8)
                            + " message(s), listed in " + log + keepLog(keep));
                }
                outcome.childReads = pd.getLong(SEQ * 8) + 1;
            }
            return outcome;
        } catch (StallException e) {
            stalled = true;
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("cross-process GPU row: cannot start the partner process: " + e.getMessage(), e);
        } finally {
            tearDown(child, stalled, stallNanos, dev, java.util.Arrays.asList(image, work, timeline), sock, dir, log, keep[0]);
        }
    }

    /**
     * The teardown every cross-process GPU row's bench side ends with: stops the child, then unless a
     * stall left work on this side's GPU (or its queue does not drain within {@code boundNanos}, a
     * fence: {@link DeviceContext#awaitIdle}) closes {@code owned} newest first and the device; work
     * still pending makes it leak them rather than free them in use. Failures to close are dropped so
     * that they do not hide the row's own failure. Then removes the socket, its folder and (unless kept)
     * the child's log.
     *
     * @param owned the row's GPU objects in creation order; null entries (never made) are skipped
     */
    static void tearDown(Process child, boolean stalled, long boundNanos, DeviceContext dev, List<? extends AutoCloseable> owned,
                         Path sock, Path dir, Path log, boolean keepLog) throws InterruptedException {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(5, TimeUnit.SECONDS);
        }
        if (!stalled && dev.awaitIdle(boundNanos)) {
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    if (owned.get(i) != null) {
                        owned.get(i).close();
                    }
                } catch (Exception e) {
                    // tearing down anyway
                }
            }
            dev.close();
        }
        try {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
            if (!keepLog) {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            // a leftover file in the per-user runtime folder; nothing to report
        }
    }

    /** This side's turns: one half of the ping-pong, measured when the series are given. */
    private static final class Side {
        final BrokerClient a;
        final BrokerClient.Surface s;
        final Process child;
        final DeviceContext dev;
        final GpuClock clock;
        final TimedWork work;
        final VulkanTimeline timeline;
        final long stallNanos;
        final Path log;
        /** This side's turn count and, per turn mod 3, its release time, submit time and GPU timestamps (host clock). */
        long turn;
        final long[] releasedAt = new long[3];
        final long[] submittedAt = new long[3];
        final long[] gpuStart = new long[3];
        final long[] gpuEnd = new long[3];

        Side(BrokerClient a, BrokerClient.Surface s, Process child, DeviceContext dev, GpuClock clock, TimedWork work, VulkanTimeline timeline,
             long stallNanos, Path log) {
            this.a = a;
            this.s = s;
            this.child = child;
            this.dev = dev;
            this.clock = clock;
            this.work = work;
            this.timeline = timeline;
            this.stallNanos = stallNanos;
            this.log = log;
        }

        /** Turns until {@code end}; the first acquire is already held (the child's setup turn, or the previous call's last). */
        long turns(long end, Series cpu, Series gpu, Series e2e) throws InterruptedException {
            long n = 0;
            while (true) {
                long k = turn;
                if (k > 0) {
                    if (!acquire(a, s, child, stallNanos)) {
                        throw new IllegalStateException("cross-process GPU row: the partner stopped handing off: " + lastLine(log));
                    }
                    long acquiredAt = System.nanoTime();
                    ByteBuffer pd = a.privateData();
                    if (pd.getLong(SEQ * 8) != k - 1) {
                        throw new IllegalStateException("cross-process GPU row: the partner's release " + pd.getLong(SEQ * 8) + " came for turn " + k);
                    }
                    if (cpu != null) {
                        int prev = (int) ((k - 1) % 3);
                        cpu.record(pd.getLong(ACQUIRED_AT * 8) - releasedAt[prev]);
                        cpu.record(acquiredAt - pd.getLong(RELEASED_AT * 8));
                        if (k >= 2) {
                            int prev2 = (int) ((k - 2) % 3);
                            gpu.record(pd.getLong(GPU_START * 8) - gpuEnd[prev2]);
                            gpu.record(gpuStart[prev] - pd.getLong(GPU_END * 8));
                            e2e.record(pd.getLong(GPU_END * 8) - submittedAt[prev2]);
                        }
                    }
                }
                int slot = (int) (k % SLOTS);
                int i = (int) (k % 3);
                long f = a.fenceValue();
                long v = f + 1;
                // Wait-before-signal: the work waits on our own timeline for the partner's value, which we
                // signal from the host when its FENCE_REACHED comes, so no submit sits on the handoff path.
                submittedAt[i] = System.nanoTime();
                dev.submit(work.commandBuffer(slot), timeline, f, timeline, v);
                releasedAt[i] = System.nanoTime();
                if (!a.release(s, 1L, v, null)) {
                    throw new IllegalStateException("cross-process GPU row: the broker is gone: " + a.brokerGoneReason());
                }
                if (!awaitReached(a, s, f, stallNanos)) {
                    timeline.signalFromHost(f); // let the queued work drain before teardown
                    throw new StallException("cross-process host-bridge", "the partner's FENCE_REACHED " + Long.toUnsignedString(f)
                            + " did not come within " + stallNanos / 1_000_000 + " ms (" + a.brokerGoneReason() + ")");
                }
                timeline.signalFromHost(f); // ignored when already reached
                if (!timeline.awaitValue(v, stallNanos)) {
                    throw new StallException("cross-process host-bridge", timeline.name() + " did not reach " + v + " within "
                            + stallNanos / 1_000_000 + " ms (a GPU submit never completed)");
                }
                a.fenceReached(s, v);
                gpuStart[i] = clock.hostNanos(work.startTicks(slot));
                gpuEnd[i] = clock.hostNanos(work.endTicks(slot));
                turn++;
                n++;
                if (System.nanoTime() >= end) {
                    return n;
                }
            }
        }
    }

    /** Acquires key 0 in slices of 100 ms up to the stall bound, giving up early if the child died; true once acquired. */
    private static boolean acquire(BrokerClient a, BrokerClient.Surface s, Process child, long stallNanos) {
        return acquire(a, s, child, stallNanos, "cross-process host-bridge");
    }

    /** As {@link #acquire(BrokerClient, BrokerClient.Surface, Process, long)}, a stall reported under {@code scenario}. */
    static boolean acquire(BrokerClient a, BrokerClient.Surface s, Process child, long stallNanos, String scenario) {
        long deadline = System.nanoTime() + stallNanos;
        while (true) {
            AcquireStatus st = a.acquire(s, 0L, Math.min(TimeUnit.MILLISECONDS.toNanos(100), Math.max(1, deadline - System.nanoTime())));
            if (st == AcquireStatus.ACQUIRED) {
                return true;
            }
            if (st == AcquireStatus.ABANDONED || !child.isAlive()) {
                return false;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new StallException(scenario, "the partner process did not release within "
                        + stallNanos / 1_000_000 + " ms");
            }
        }
    }

    /** Waits (bounded) until a FENCE_REACHED for at least {@code value} arrived on {@code s}; false on timeout or when the broker is gone. */
    static boolean awaitReached(BrokerClient c, BrokerClient.Surface s, long value, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (Long.compareUnsigned(s.reachedFenceValue(), value) < 0) {
            c.poll();
            if (Long.compareUnsigned(s.reachedFenceValue(), value) >= 0) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (c.brokerGoneReason() != null || left <= 0) {
                return false;
            }
            c.socket().awaitReadable((int) Math.max(1, Math.min(100, left / 1_000_000)));
        }
        return true;
    }

    static Outcome childGone(Outcome outcome, Process child, Path log) throws InterruptedException {
        child.waitFor(5, TimeUnit.SECONDS);
        String why = lastLine(log);
        if (!child.isAlive() && child.exitValue() == CANNOT) {
            outcome.skipped = "the partner process cannot take part: " + why;
            return outcome;
        }
        throw new IllegalStateException("cross-process GPU row: the partner process failed"
                + (child.isAlive() ? "" : " (exit " + child.exitValue() + ")") + ": " + why);
    }

    /** Keeps the partner's log (for the message that names it); returns "". */
    static String keepLog(boolean[] keep) {
        keep[0] = true;
        return "";
    }

    static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** The broker's loop thread (its CPU time and allocations are charged to the row). */
    static Thread brokerThread() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("baton-broker")) {
                return t;
            }
        }
        throw new IllegalStateException("the broker's loop thread is not running");
    }

    /**
     * The child's side ({@code CrossProcessPartner gpu SOCKET INDEX UUID W H VALIDATE STALL_NANOS}):
     * opens the physical device at INDEX if its deviceUUID is UUID, imports the granted surface, and
     * reads the corner each turn until the broker goes away. Prints one line and returns
     * {@link #CANNOT} if it cannot take part, 1 on a failure, 0 when the bench ended the run.
     */
    static int partner(String[] args) {
        String socket = args[1];
        int index = Integer.parseInt(args[2]);
        String uuid = args[3];
        int width = Integer.parseInt(args[4]);
        int height = Integer.parseInt(args[5]);
        boolean validate = Boolean.parseBoolean(args[6]);
        long stall = Long.parseLong(args[7]);
        VulkanInstance vk;
        try {
            vk = VulkanInstance.create(validate);
        } catch (RuntimeException e) {
            System.out.println("cannot start Vulkan: " + e.getMessage());
            return CANNOT;
        }
        PhysicalDeviceInfo info = null;
        for (PhysicalDeviceInfo d : vk.physicalDevices()) {
            if (d.index() == index && d.deviceUuidHex().equals(uuid)) {
                info = d;
            }
        }
        if (info == null) {
            System.out.println("no Vulkan device #" + index + " with deviceUUID " + uuid + " in this process");
            return CANNOT;
        }
        DeviceContext dev;
        try {
            dev = DeviceContext.builder(vk).physicalDeviceIndex(index).name("xproc#partner")
                    .requireExtension("VK_EXT_external_memory_host").preferExtension(GpuClock.EXTENSION).build();
        } catch (RuntimeException e) {
            System.out.println("cannot open " + info.name() + " with host-memory import: " + e.getMessage());
            return CANNOT;
        }
        List<AutoCloseable> owned = new ArrayList<>();
        try (BrokerClient c = BrokerClient.connect(socket, "bench-partner-gpu", TimeUnit.SECONDS.toNanos(20))) {
            GpuClock clock = GpuClock.calibrate(dev, stall);
            BrokerClient.Surface s = c.awaitGrant(TimeUnit.SECONDS.toNanos(20));
            if (s == null) {
                System.out.println("no surface granted within 20 s (" + c.brokerGoneReason() + ")");
                return 1;
            }
            HostMemorySurface image;
            try {
                image = HostMemorySurface.importMemfdForTransfers(dev, s.memoryFd(0), s.allocationBytes, width, height);
            } catch (RuntimeException e) {
                System.out.println("cannot import the broker's memfd on " + info.name() + ": " + e.getMessage());
                return CANNOT;
            }
            owned.add(image);
            TimedWork work = TimedWork.create(dev, image.image().handle(), width, height, TimedWork.Kind.READ, SLOTS, true);
            owned.add(work);
            VulkanTimeline timeline = VulkanTimeline.create(dev, "xproc-partner/timeline", 0, false);
            owned.add(timeline);
            ByteBuffer data = ByteBuffer.allocateDirect(LONGS * 8);
            long timeout = TimeUnit.SECONDS.toNanos(30);
            // Setup turn: the image leaves UNDEFINED while this side holds the surface.
            if (c.acquire(s, 1L, timeout) != AcquireStatus.ACQUIRED) {
                System.out.println("the setup acquire failed (" + c.brokerGoneReason() + ")");
                return 1;
            }
            TimedWork.initializeImage(dev, image.image().handle(), true);
            data.putLong(SEQ * 8, -1L);
            c.release(s, 0L, c.fenceValue(), data);
            long bad = 0;
            int printed = 0;
            for (long k = 0; ; k++) {
                AcquireStatus st = c.acquire(s, 1L, timeout);
                if (st != AcquireStatus.ACQUIRED) {
                    System.out.println("stopped after " + k + " turns: " + st + " (" + c.brokerGoneReason() + ")");
                    return 0; // the bench closed its broker: the run is over
                }
                long acquiredAt = System.nanoTime();
                long fence = c.fenceValue();
                int slot = (int) (k % SLOTS);
                long v = fence + 1;
                dev.submit(work.commandBuffer(slot), timeline, fence, timeline, v); // wait-before-signal, as the bench side
                data.putLong(SEQ * 8, k).putLong(ACQUIRED_AT * 8, acquiredAt).putLong(BAD_READS * 8, bad)
                        .putLong(VALIDATION * 8, vk.validationMessageCount());
                data.putLong(RELEASED_AT * 8, System.nanoTime());
                if (!c.release(s, 0L, v, data)) {
                    System.out.println("the broker is gone: " + c.brokerGoneReason());
                    return 0;
                }
                if (!awaitReached(c, s, fence, stall)) {
                    timeline.signalFromHost(fence); // let the queued work drain before teardown
                    System.out.println("the bench's FENCE_REACHED " + fence + " did not come within " + stall / 1_000_000 + " ms");
                    return 1;
                }
                timeline.signalFromHost(fence);
                if (!timeline.awaitValue(v, stall)) {
                    System.out.println("this GPU did not reach " + v + " within " + stall / 1_000_000 + " ms");
                    return 1;
                }
                c.fenceReached(s, v);
                if (printed < 200 && vk.validationMessageCount() > printed) { // only then: listing them allocates (the first 200 are kept)
                    for (List<String> m = vk.validationMessages(); printed < m.size(); printed++) {
                        System.out.println("validation: " + m.get(printed));
                    }
                }
                data.putLong(GPU_START * 8, clock.hostNanos(work.startTicks(slot))).putLong(GPU_END * 8, clock.hostNanos(work.endTicks(slot)));
                ByteBuffer corner = work.hostBuffer().mapped();
                for (int p = 0; p < TimedWork.READ_SIDE_PIXELS * TimedWork.READ_SIDE_PIXELS * 4; p++) {
                    if (Math.abs(Byte.toUnsignedInt(corner.get(p)) - CLEAR_BYTES[p % 4]) > 1) {
                        bad++;
                        break;
                    }
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            System.out.println("failed: " + e);
            return 1;
        } finally {
            org.lwjgl.vulkan.VK10.vkDeviceWaitIdle(dev.vkDevice()); // every wait above was bounded; the GPU is idle or lost
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    owned.get(i).close();
                } catch (Exception e) {
                    // exiting anyway
                }
            }
            dev.close();
            vk.close();
        }
    }
}
