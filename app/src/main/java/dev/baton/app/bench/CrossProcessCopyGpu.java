package dev.baton.app.bench;

import dev.baton.render.SyncTier;
import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.ipc.SocketPaths;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.HostCopyMemfdTransfers;
import dev.baton.render.vk.MemfdSurface;
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
import java.util.function.Consumer;

/**
 * The cross-process copy row: ping-pong between this process and a child JVM on a device that cannot
 * import host memory ({@link PhysicalDeviceInfo#hostMemoryImport()} false, and
 * {@link MemfdSurface#importsHostMemory} false once opened; SwiftShader here), memory choice
 * {@link Protocol#MEMORY_HOST_COPY}: the surface is the broker's sealed memfd, which neither device can
 * import, so each side keeps its own image and staging buffer ({@link HostCopyMemfdTransfers}). This
 * side clears its image, the child copies its 4x4 corner into a host buffer and checks the clear
 * colour; both move the whole image in and out on every access, as the in-process host-copy tier does.
 *
 * <p>Each turn on each side: acquire its key (fence value {@code f}); wait (bounded) until the other
 * side's FENCE_REACHED for {@code f} arrived (its frame is then in the memfd); copy the memfd into its
 * staging buffer (CPU); one submit: upload (GPU), its timed work, read-back into the staging buffer
 * (GPU), signalling {@code f + 1} on its own timeline; release at submit time with {@code f + 1}; wait
 * (bounded) for its GPU; copy the staging buffer into the memfd (CPU); report FENCE_REACHED. So the
 * receiver's CPU waits for the sender's frame before it submits, as the in-process host-copy tier's host
 * wait does: the copy into the staging buffer must precede the submit that uploads it. The child sends
 * its host-clock times, its previous turn's GPU timestamps (its own {@link GpuClock}) and its running
 * count of bytes copied in each release's private data, as in {@link CrossProcessGpu}.
 */
final class CrossProcessCopyGpu {
    private CrossProcessCopyGpu() {}

    /** Private data slots beyond {@link CrossProcessGpu}'s: the child's bytes copied so far (CPU and GPU). */
    static final int COPIED = CrossProcessGpu.LONGS, LONGS = COPIED + 1;
    private static final String SCENARIO = "cross-process host-copy";
    private static final String PARTNER = "bench-partner-copy";

    /** Makes a series of the run (BenchCommand's, so it is kept, named and absorbed like every other). */
    interface SeriesMaker {
        Series make(String scenario, String tier, String devices, Series.Metric metric, String floorPrefix, int capacity);
    }

    /**
     * The bench's row: on the first plan device that cannot import host memory, beside the in-process
     * host-copy ping-pong that device takes part in; skipped, with the reason, when there is none.
     */
    static void bench(VulkanInstance vk, BenchCommand.Settings s, BenchPlan plan, List<BenchPlan.Device> devices, SeriesMaker series,
                      Consumer<List<Series>> discard, Consumer<String> skip) throws InterruptedException {
        if (!s.runs("cross-process")) {
            return;
        }
        BenchPlan.Device d = null;
        for (BenchPlan.Device x : devices) {
            if (!x.info().hostMemoryImport()) {
                d = x;
                break;
            }
        }
        if (d == null) {
            skip.accept(SCENARIO + ": every device taking part imports host memory, so none copies across processes");
            return;
        }
        String inProcess = null;
        for (BenchPlan.Cross c : plan.crosses) {
            if (c.tier() == SyncTier.HOST_COPY && (c.a().equals(d) || c.b().equals(d)) && inProcess == null) {
                inProcess = "ping-pong / " + SyncTier.HOST_COPY + " / " + c.a().label() + "<->" + c.b().label() + " / ";
            }
        }
        String tier = SyncTier.HOST_COPY.toString();
        String two = d.label() + " x2 processes";
        int cap = s.capacity();
        Series cpu = series.make("cross-process", tier, two, Series.Metric.CPU_HANDOFF, "cross-process / raw socket / 2 processes / ", 2 * cap);
        Series gpu = series.make("cross-process", tier, two, Series.Metric.GPU_HANDOFF, inProcess, 2 * cap);
        Series e2e = series.make("cross-process", tier, two, Series.Metric.END_TO_END, inProcess, cap);
        String skipped = run(vk, d.info(), s.width(), s.height(), s.validate(), cpu, gpu, e2e, s.warmupNanos(), s.measureNanos(),
                s.stallNanos());
        if (skipped != null) {
            discard.accept(List.of(cpu, gpu, e2e));
            skip.accept(SCENARIO + ": " + skipped);
            return;
        }
        long frame = (long) s.width() * s.height() * 4;
        cpu.note("release to the other process's acquire returning, both directions, through the broker in this process; floor: the"
                + " raw socket round trip of the same run; cpu and allocation: this process's client thread and the broker's loop thread"
                + " (the child's not counted); copies by design (" + d.label() + " cannot import host memory): every access copies the"
                + " memfd into its staging buffer (CPU), uploads it (GPU), reads the image back (GPU) and copies it into the memfd (CPU),"
                + " 4 x " + frame + " B per handoff, both processes' copies counted");
        gpu.note("sender's last GPU timestamp to receiver's first, both directions (the child's timestamps mapped to CLOCK_MONOTONIC by"
                + " its own clock, sent in its release's private data); inside: the sender's read-back into its staging buffer, its"
                + " thread's wake-up from its timeline wait, its CPU copy into the memfd and FENCE_REACHED through the broker, the"
                + " receiver's wake-up, its CPU copy out of the memfd, its submit and the upload; floor: the in-process host-copy"
                + " ping-pong of the same run" + (inProcess == null ? " (none ran)" : " (" + inProcess.split(" / ")[2] + ")")
                + ", whose gpu-handoff holds the same but one CPU copy (in one process the receiver copies straight out of the sender's"
                + " staging buffer after its CPU waited for the sender's fence) and the two socket hops");
        e2e.note("this process's submit (upload, clear, read-back) to the child's last GPU timestamp (4x4 corner read after its upload,"
                + " checked against the clear colour; this process checks the child's copy back too)");
    }

    /**
     * Runs the row on {@code info}'s physical device: warm-up, reset, then {@code measureNanos} of turns.
     *
     * @return null once measured; the reason when either side cannot take part (no samples then)
     */
    static String run(VulkanInstance vk, PhysicalDeviceInfo info, int width, int height, boolean validate, Series cpu, Series gpu, Series e2e,
                      long warmupNanos, long measureNanos, long stallNanos) throws InterruptedException {
        DeviceContext dev;
        try {
            dev = DeviceContext.builder(vk).physicalDeviceIndex(info.index()).name("xcopy#bench").preferExtension(GpuClock.EXTENSION).build();
        } catch (RuntimeException e) {
            return "this process cannot open " + info.name() + ": " + e.getMessage();
        }
        if (MemfdSurface.importsHostMemory(dev, width, height)) {
            dev.close();
            return info.name() + " imports host memory for a " + width + "x" + height + " surface once opened, so it would not copy";
        }
        Path dir;
        try {
            dir = SocketPaths.defaultSocketPath().getParent().resolve("bench-copy-" + ProcessHandle.current().pid());
            Files.createDirectories(dir.getParent());
        } catch (IOException | RuntimeException e) {
            dev.close();
            throw new IllegalStateException(SCENARIO + " row: cannot make its socket folder: " + e.getMessage(), e);
        }
        Path sock = dir.resolve("broker.sock");
        Path log = dir.getParent().resolve("bench-copy-" + ProcessHandle.current().pid() + ".log");
        int[] partnerId = {0};
        Broker.Config config = CrossProcessPingPong.grantingTo(PARTNER, partnerId);
        Process child = null;
        HostCopyMemfdTransfers image = null;
        TimedWork work = null;
        VulkanTimeline timeline = null;
        boolean stalled = false;
        boolean[] keep = {false};
        try (Broker broker = Broker.start(sock, config)) {
            GpuClock clock = GpuClock.calibrate(dev, stallNanos);
            child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC", "-Xmx128m", "-cp", System.getProperty("java.class.path"), CrossProcessPartner.class.getName(), "copy",
                    broker.socketPath(), Integer.toString(info.index()), info.deviceUuidHex(), Integer.toString(width), Integer.toString(height),
                    Boolean.toString(validate), Long.toString(stallNanos)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partnerId[0] == 0) {
                if (!child.isAlive()) {
                    return CrossProcessGpu.childGone(new CrossProcessGpu.Outcome(), child, log).skipped;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(SCENARIO + " row: the partner process did not connect to the broker within 30 s");
                }
                Thread.sleep(5);
            }
            try (BrokerClient a = BrokerClient.connect(broker.socketPath(), "bench-copy", TimeUnit.SECONDS.toNanos(5))) {
                BrokerClient.Surface s = a.offer(width, height, SurfaceImage.FORMAT, SurfaceImage.USAGE, Protocol.MEMORY_HOST_COPY,
                        Protocol.SYNC_HOST_BRIDGE, 1L, null, null, TimeUnit.SECONDS.toNanos(5));
                image = HostCopyMemfdTransfers.open(dev, s.memoryFd(0), s.allocationBytes, width, height);
                if (!CrossProcessGpu.acquire(a, s, child, stallNanos, SCENARIO)) {
                    return CrossProcessGpu.childGone(new CrossProcessGpu.Outcome(), child, log).skipped;
                }
                if (a.privateData().getLong(CrossProcessGpu.SEQ * 8) != -1) {
                    throw new IllegalStateException(SCENARIO + " row: the partner's first release is not its setup turn");
                }
                work = TimedWork.create(dev, image.image().handle(), width, height, TimedWork.Kind.CLEAR, CrossProcessGpu.SLOTS, false);
                timeline = VulkanTimeline.create(dev, "xcopy-bench/timeline", 0, false);
                Side side = new Side(a, s, child, clock, image, work, timeline, stallNanos, log);
                side.turns(System.nanoTime() + warmupNanos, null, null, null);
                cpu.reset();
                gpu.reset();
                e2e.reset();
                long childCopiedBefore = a.privateData().getLong(COPIED * 8);
                long copiedBefore = side.copied;
                ThreadCosts costs = new ThreadCosts(Thread.currentThread(), CrossProcessGpu.brokerThread());
                costs.start();
                long start = System.nanoTime();
                long turns = side.turns(start + measureNanos, cpu, gpu, e2e);
                long elapsed = System.nanoTime() - start;
                costs.stop();
                ByteBuffer pd = a.privateData();
                // The child's count as of its latest release (one turn behind this side's last), plus ours.
                long copied = side.copied - copiedBefore + pd.getLong(COPIED * 8) - childCopiedBefore;
                for (Series x : List.of(cpu, gpu, e2e)) {
                    x.totals(2 * turns, elapsed, costs.cpuNanos(), copied, costs.allocatedBytes());
                }
                if (pd.getLong(CrossProcessGpu.BAD_READS * 8) != 0 || side.badReads != 0) {
                    throw new IllegalStateException(SCENARIO + " row: " + pd.getLong(CrossProcessGpu.BAD_READS * 8) + " corner(s) the partner read"
                            + " and " + side.badReads + " copy(ies) back were not this process's clear colour: the pixels did not cross");
                }
                if (pd.getLong(CrossProcessGpu.VALIDATION * 8) != 0) {
                    throw new IllegalStateException(SCENARIO + " row: the partner's validation layer reported "
                            + pd.getLong(CrossProcessGpu.VALIDATION * 8) + " message(s), listed in " + log + CrossProcessGpu.keepLog(keep));
                }
            }
            return null;
        } catch (StallException e) {
            stalled = true;
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException(SCENARIO + " row: cannot start the partner process: " + e.getMessage(), e);
        } finally {
            CrossProcessGpu.tearDown(child, stalled, stallNanos, dev, java.util.Arrays.asList(image, work, timeline), sock, dir, log, keep[0]);
        }
    }

    /** Whether the first {@code pixels} pixels and the last one of {@code buffer} are the clear colour (give or take 1). */
    static boolean isClearColour(ByteBuffer buffer, int pixels) {
        int last = buffer.capacity() - 4;
        for (int p = 0; p < pixels * 4 + 4; p++) {
            int at = p < pixels * 4 ? p : last + p % 4;
            if (Math.abs(Byte.toUnsignedInt(buffer.get(at)) - CrossProcessGpu.CLEAR_BYTES[p % 4]) > 1) {
                return false;
            }
        }
        return true;
    }

    /** This side's turns: one half of the ping-pong, measured when the series are given. */
    private static final class Side {
        final BrokerClient a;
        final BrokerClient.Surface s;
        final Process child;
        final GpuClock clock;
        final HostCopyMemfdTransfers image;
        final TimedWork work;
        final VulkanTimeline timeline;
        final long stallNanos;
        final Path log;
        long turn;
        long copied;
        long badReads;
        final long[] releasedAt = new long[3];
        final long[] submittedAt = new long[3];
        final long[] gpuStart = new long[3];
        final long[] gpuEnd = new long[3];

        Side(BrokerClient a, BrokerClient.Surface s, Process child, GpuClock clock, HostCopyMemfdTransfers image, TimedWork work,
             VulkanTimeline timeline, long stallNanos, Path log) {
            this.a = a;
            this.s = s;
            this.child = child;
            this.clock = clock;
            this.image = image;
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
                    if (!CrossProcessGpu.acquire(a, s, child, stallNanos, SCENARIO)) {
                        throw new IllegalStateException(SCENARIO + " row: the partner stopped handing off: " + CrossProcessGpu.lastLine(log));
                    }
                    long acquiredAt = System.nanoTime();
                    ByteBuffer pd = a.privateData();
                    if (pd.getLong(CrossProcessGpu.SEQ * 8) != k - 1) {
                        throw new IllegalStateException(SCENARIO + " row: the partner's release " + pd.getLong(CrossProcessGpu.SEQ * 8)
                                + " came for turn " + k);
                    }
                    if (cpu != null) {
                        int prev = (int) ((k - 1) % 3);
                        cpu.record(pd.getLong(CrossProcessGpu.ACQUIRED_AT * 8) - releasedAt[prev]);
                        cpu.record(acquiredAt - pd.getLong(CrossProcessGpu.RELEASED_AT * 8));
                        if (k >= 2) {
                            int prev2 = (int) ((k - 2) % 3);
                            gpu.record(pd.getLong(CrossProcessGpu.GPU_START * 8) - gpuEnd[prev2]);
                            gpu.record(gpuStart[prev] - pd.getLong(CrossProcessGpu.GPU_END * 8));
                            e2e.record(pd.getLong(CrossProcessGpu.GPU_END * 8) - submittedAt[prev2]);
                        }
                    }
                }
                int slot = (int) (k % CrossProcessGpu.SLOTS);
                int i = (int) (k % 3);
                long f = a.fenceValue();
                long v = f + 1;
                // The other side's frame is in the memfd once its FENCE_REACHED for f came (none before the first turn).
                if (!CrossProcessGpu.awaitReached(a, s, f, stallNanos)) {
                    throw new StallException(SCENARIO, "the partner's FENCE_REACHED " + Long.toUnsignedString(f) + " did not come within "
                            + stallNanos / 1_000_000 + " ms (" + a.brokerGoneReason() + ")");
                }
                copied += image.copyInFromMemfd();
                if (k > 0 && !isClearColour(image.staging().mapped(), 1)) { // 8 bytes: this check is on the handoff path
                    badReads++; // the child uploaded our previous clear and read its image back into the memfd
                }
                submittedAt[i] = System.nanoTime();
                image.submit(work.commandBuffer(slot), timeline, v);
                copied += image.gpuCopiedBytesPerAccess();
                releasedAt[i] = System.nanoTime();
                if (!a.release(s, 1L, v, null)) {
                    throw new IllegalStateException(SCENARIO + " row: the broker is gone: " + a.brokerGoneReason());
                }
                if (!timeline.awaitValue(v, stallNanos)) {
                    throw new StallException(SCENARIO, timeline.name() + " did not reach " + v + " within "
                            + stallNanos / 1_000_000 + " ms (a GPU submit never completed)");
                }
                copied += image.copyOutToMemfd();
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

    /**
     * The child's side ({@code CrossProcessPartner copy SOCKET INDEX UUID W H VALIDATE STALL_NANOS}):
     * opens the physical device at INDEX if its deviceUUID is UUID and it cannot import host memory,
     * opens the granted surface as a host copy, and reads the corner each turn until the broker goes
     * away. Prints one line and returns {@link CrossProcessGpu#CANNOT} if it cannot take part, 1 on a
     * failure, 0 when the bench ended the run.
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
            return CrossProcessGpu.CANNOT;
        }
        PhysicalDeviceInfo info = null;
        for (PhysicalDeviceInfo d : vk.physicalDevices()) {
            if (d.index() == index && d.deviceUuidHex().equals(uuid)) {
                info = d;
            }
        }
        if (info == null || info.hostMemoryImport()) {
            System.out.println(info == null ? "no Vulkan device #" + index + " with deviceUUID " + uuid + " in this process"
                    : info.name() + " imports host memory in this process, so it would not copy");
            vk.close();
            return CrossProcessGpu.CANNOT;
        }
        DeviceContext dev;
        try {
            dev = DeviceContext.builder(vk).physicalDeviceIndex(index).name("xcopy#partner").preferExtension(GpuClock.EXTENSION).build();
        } catch (RuntimeException e) {
            System.out.println("cannot open " + info.name() + ": " + e.getMessage());
            vk.close();
            return CrossProcessGpu.CANNOT;
        }
        List<AutoCloseable> owned = new ArrayList<>();
        try (BrokerClient c = BrokerClient.connect(socket, PARTNER, TimeUnit.SECONDS.toNanos(20))) {
            GpuClock clock = GpuClock.calibrate(dev, stall);
            BrokerClient.Surface s = c.awaitGrant(TimeUnit.SECONDS.toNanos(20));
            if (s == null) {
                System.out.println("no surface granted within 20 s (" + c.brokerGoneReason() + ")");
                return 1;
            }
            if (s.memoryChoice != Protocol.MEMORY_HOST_COPY) {
                System.out.println("the surface's memory choice is " + s.memoryChoice + ", not host copy");
                return 1;
            }
            HostCopyMemfdTransfers image = HostCopyMemfdTransfers.open(dev, s.memoryFd(0), s.allocationBytes, width, height);
            owned.add(image);
            TimedWork work = TimedWork.create(dev, image.image().handle(), width, height, TimedWork.Kind.READ, CrossProcessGpu.SLOTS, false);
            owned.add(work);
            VulkanTimeline timeline = VulkanTimeline.create(dev, "xcopy-partner/timeline", 0, false);
            owned.add(timeline);
            ByteBuffer data = ByteBuffer.allocateDirect(LONGS * 8);
            long timeout = TimeUnit.SECONDS.toNanos(30);
            // Setup turn: tells the bench side this process is ready (its image is set up; the memfd is untouched).
            if (c.acquire(s, 1L, timeout) != AcquireStatus.ACQUIRED) {
                System.out.println("the setup acquire failed (" + c.brokerGoneReason() + ")");
                return 1;
            }
            data.putLong(CrossProcessGpu.SEQ * 8, -1L);
            c.release(s, 0L, c.fenceValue(), data);
            long bad = 0;
            long copied = 0;
            int printed = 0;
            for (long k = 0; ; k++) {
                AcquireStatus st = c.acquire(s, 1L, timeout);
                if (st != AcquireStatus.ACQUIRED) {
                    System.out.println("stopped after " + k + " turns: " + st + " (" + c.brokerGoneReason() + ")");
                    return 0; // the bench closed its broker: the run is over
                }
                long acquiredAt = System.nanoTime();
                long fence = c.fenceValue();
                int slot = (int) (k % CrossProcessGpu.SLOTS);
                long v = fence + 1;
                if (!CrossProcessGpu.awaitReached(c, s, fence, stall)) {
                    System.out.println("the bench's FENCE_REACHED " + fence + " did not come within " + stall / 1_000_000 + " ms");
                    return 1;
                }
                copied += image.copyInFromMemfd();
                image.submit(work.commandBuffer(slot), timeline, v);
                copied += image.gpuCopiedBytesPerAccess();
                data.putLong(CrossProcessGpu.SEQ * 8, k).putLong(CrossProcessGpu.ACQUIRED_AT * 8, acquiredAt)
                        .putLong(CrossProcessGpu.BAD_READS * 8, bad).putLong(CrossProcessGpu.VALIDATION * 8, vk.validationMessageCount())
                        .putLong(COPIED * 8, copied);
                data.putLong(CrossProcessGpu.RELEASED_AT * 8, System.nanoTime());
                if (!c.release(s, 0L, v, data)) {
                    System.out.println("the broker is gone: " + c.brokerGoneReason());
                    return 0;
                }
                if (!timeline.awaitValue(v, stall)) {
                    System.out.println("this GPU did not reach " + v + " within " + stall / 1_000_000 + " ms");
                    return 1;
                }
                copied += image.copyOutToMemfd();
                c.fenceReached(s, v);
                if (printed < 200 && vk.validationMessageCount() > printed) { // only then: listing them allocates (the first 200 are kept)
                    for (List<String> m = vk.validationMessages(); printed < m.size(); printed++) {
                        System.out.println("validation: " + m.get(printed));
                    }
                }
                data.putLong(CrossProcessGpu.GPU_START * 8, clock.hostNanos(work.startTicks(slot)))
                        .putLong(CrossProcessGpu.GPU_END * 8, clock.hostNanos(work.endTicks(slot)));
                if (!isClearColour(work.hostBuffer().mapped(), TimedWork.READ_SIDE_PIXELS * TimedWork.READ_SIDE_PIXELS)) {
                    bad++;
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
