package dev.baton.app.bench;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Fds;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.ipc.SocketPaths;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.ExternalBinarySemaphore;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.RawSubmission;
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
 * The cross-process binary-semaphore row: ping-pong between this process and a child JVM, each with
 * its own Vulkan device on the same physical device (the one the bench's in-process binary-semaphore
 * ping-pong ran on, chosen by capability: OPAQUE_FD export and import of image memory and of binary
 * semaphores). This process runs the {@link Broker} and one {@link BrokerClient}; the child is the
 * other client. This side exports its image's memory and two binary semaphores once ("ab": this side
 * signals, the child waits; "ba": the other way) and offers them (memory choice
 * {@link Protocol#MEMORY_DEVICE_OPAQUE_FD}, sync choice {@link Protocol#SYNC_BINARY_SEMAPHORES}); the
 * broker relays them to the child, which imports them: the same pages, so nothing is copied. The
 * broker runs with {@link Broker.ClientMemory#TRUSTED} because this driver's memory fds are not sealed
 * against truncation (the README's security model): both clients are this bench's own processes,
 * trusted by construction, and the broker never maps the memory.
 *
 * <p>Each turn on each side: acquire its key; reuse its oldest work slot once its own timeline says
 * that slot's previous submit completed (normally it has; as the in-process row's slots), reading that
 * submit's timestamps; submit its timed work (this side clears, the child copies the 4x4 corner into a
 * host buffer, with ownership transfers from and to {@code VK_QUEUE_FAMILY_EXTERNAL} inside the work)
 * waiting on the semaphore the other side signalled and signalling its own; release at submit time.
 * The receiver's GPU waits for the sender's on the imported semaphore: no host wait for the other
 * side and no FENCE_REACHED, as the in-process binary-semaphore tier. The child passes its host-clock
 * times (acquire returned, just before release) and the GPU timestamps of its oldest completed turn,
 * raw and mapped by its own {@link GpuClock}, in each release's private data; {@code System.nanoTime}
 * and the mapped timestamps are CLOCK_MONOTONIC in both processes. When, on every warm-up turn, this
 * process's clock maps the child's raw ticks to within both calibrations' uncertainty of the child's
 * own mapping, the two devices share one timestamp domain and this process's clock maps both sides'
 * timestamps while measuring, as the in-process row maps two devices of one physical device by one
 * clock; otherwise each side's are mapped by its own calibration (the note says which).
 */
final class CrossProcessBinaryGpu {
    private CrossProcessBinaryGpu() {}

    /** The row's name (its stalls and its skip reasons). */
    static final String ROW = "cross-process binary-semaphore";
    /** Private data the child sends with each release, as longs. */
    static final int SEQ = 0, ACQUIRED_AT = 1, RELEASED_AT = 2, GPU_TURN = 3, GPU_START = 4, GPU_END = 5, BAD_READS = 6, CHECKED = 7,
            VALIDATION = 8, CLOCK_UNCERTAINTY = 9, GPU_START_TICKS = 10, GPU_END_TICKS = 11, LONGS = 12;
    /** Work slots per side, as the in-process ping-pong's. */
    static final int SLOTS = CrossProcessGpu.SLOTS;
    /** This side's per-turn records are kept this many turns (the child's timestamps arrive SLOTS + 1 turns late). */
    private static final int RING = 8;

    /** Whether {@code d} can carry this row: OPAQUE_FD image memory and binary semaphores, both ways. */
    static boolean capable(PhysicalDeviceInfo d) {
        return d.memoryExport() && d.memoryImport() && d.binarySemaphoreExport() && d.binarySemaphoreImport();
    }

    /** What one measured run gives back: whether it ran, and the figures for the notes. */
    static final class Outcome {
        String skipped;
        long childReads;
        long childChecks;
        String childClock;
        /** Whether the child's raw timestamps were mapped by this process's clock (one timestamp domain, checked). */
        boolean oneClock;
        String clock;
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
            dev = DeviceContext.builder(vk).physicalDeviceIndex(info.index()).name("xproc-bs#bench").preferExtension(GpuClock.EXTENSION).build();
        } catch (RuntimeException e) {
            outcome.skipped = "this process cannot open " + info.name() + ": " + e.getMessage();
            return outcome;
        }
        if (!ExternalBinarySemaphore.supported(dev)) {
            dev.close();
            outcome.skipped = info.name() + " opened without exportable binary OPAQUE_FD semaphores";
            return outcome;
        }
        String pid = Long.toString(ProcessHandle.current().pid());
        Path dir;
        try {
            dir = SocketPaths.defaultSocketPath().getParent().resolve("bench-bs-" + pid);
            Files.createDirectories(dir.getParent());
        } catch (IOException | RuntimeException e) {
            dev.close();
            throw new IllegalStateException(ROW + " row: cannot make its socket folder: " + e.getMessage(), e);
        }
        Path sock = dir.resolve("broker.sock");
        Path log = dir.getParent().resolve("bench-bs-" + pid + ".log");
        int[] partnerId = {0};
        Broker.Config config = CrossProcessPingPong.grantingTo("bench-partner-bs", partnerId);
        // This driver's memory fds are not sealed against truncation; both clients are this bench's own
        // processes, so relaying them is honest here (never for an untrusted producer: README, security model).
        config.clientMemory = Broker.ClientMemory.TRUSTED;
        Process child = null;
        List<AutoCloseable> owned = new ArrayList<>();
        boolean stalled = false;
        boolean[] keep = {false};
        try (Broker broker = Broker.start(sock, config)) {
            GpuClock clock = GpuClock.calibrate(dev, stallNanos);
            outcome.clock = clock.method();
            SurfaceImage image = SurfaceImage.createExportable(dev, width, height);
            owned.add(image);
            ExternalBinarySemaphore ab = ExternalBinarySemaphore.createExportable(dev);
            owned.add(ab);
            ExternalBinarySemaphore ba = ExternalBinarySemaphore.createExportable(dev);
            owned.add(ba);
            child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC", "-Xmx128m", "-cp", System.getProperty("java.class.path"), CrossProcessPartner.class.getName(),
                    "binary-gpu", broker.socketPath(), Integer.toString(info.index()), info.deviceUuidHex(), Integer.toString(width),
                    Integer.toString(height), Boolean.toString(validate), Long.toString(stallNanos)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partnerId[0] == 0) {
                if (!child.isAlive()) {
                    return gone(outcome, child, log);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(ROW + " row: the partner process did not connect to the broker within 30 s");
                }
                Thread.sleep(5);
            }
            try (BrokerClient a = BrokerClient.connect(broker.socketPath(), "bench-bs", TimeUnit.SECONDS.toNanos(5))) {
                int[] sync = {ab.exportFd(), ba.exportFd()};
                int memory = image.dupFd();
                BrokerClient.Surface s;
                try {
                    Fds.FileStatus st = new Fds.FileStatus();
                    long[] sizes = new long[2];
                    for (int i = 0; i < 2; i++) {
                        Fds.fstat(sync[i], st);
                        sizes[i] = st.sizeBytes();
                    }
                    // The child holds the first key: it sets its image up while nobody touches the memory.
                    s = a.offer(width, height, image.vkFormat(), image.vkUsage(), Protocol.MEMORY_DEVICE_OPAQUE_FD,
                            Protocol.SYNC_BINARY_SEMAPHORES, 1L, sync, sizes, image, memory, TimeUnit.SECONDS.toNanos(5));
                } finally {
                    Fds.closeQuietly(memory); // the kernel passed copies
                    Fds.closeQuietly(sync[0]);
                    Fds.closeQuietly(sync[1]);
                }
                if (!CrossProcessGpu.acquire(a, s, child, stallNanos, ROW)) {
                    return gone(outcome, child, log);
                }
                if (a.privateData().getLong(SEQ * 8) != -1) {
                    throw new IllegalStateException(ROW + " row: the partner's first release is not its setup turn");
                }
                long childUncertainty = a.privateData().getLong(CLOCK_UNCERTAINTY * 8);
                TimedWork.initializeImage(dev, image.handle(), true);
                TimedWork work = TimedWork.create(dev, image.handle(), width, height, TimedWork.Kind.CLEAR, SLOTS, true);
                owned.add(work);
                VulkanTimeline timeline = VulkanTimeline.create(dev, "xproc-bs-bench/timeline", 0, false);
                owned.add(timeline);
                Side side = new Side(a, s, child, dev, clock, work, timeline, ab.handle(), ba.handle(), stallNanos, log);
                try {
                    side.turns(System.nanoTime() + warmupNanos, null, null, null);
                    // One timestamp domain in both processes (as two devices of one physical device share in process)
                    // if the child's raw ticks, mapped by this process's clock, land within both calibrations'
                    // uncertainty of the child's own mapping on every warm-up turn: then this clock maps both sides'
                    // timestamps, as in process, and no offset between two calibrations enters the handoffs.
                    long bound = clock.uncertaintyNanos() + childUncertainty + 1_000;
                    side.oneClock = side.domainChecks > 0 && side.worstDomainDiff <= bound;
                    outcome.oneClock = side.oneClock;
                    outcome.childClock = (side.oneClock ? "its raw timestamps, mapped by this process's clock, agreed with its own mapping"
                            : "its raw timestamps, mapped by this process's clock, did not agree with its own mapping, so each side's are mapped"
                            + " by its own calibration") + " within " + side.worstDomainDiff / 1000 + " us on " + side.domainChecks
                            + " warm-up turns (bound: both calibrations' uncertainty, " + bound / 1000 + " us)";
                    cpu.reset();
                    gpu.reset();
                    e2e.reset();
                    ThreadCosts costs = new ThreadCosts(Thread.currentThread(), CrossProcessGpu.brokerThread());
                    costs.start();
                    long start = System.nanoTime();
                    long turns = side.turns(start + measureNanos, cpu, gpu, e2e);
                    long elapsed = System.nanoTime() - start;
                    costs.stop();
                    for (Series x : List.of(cpu, gpu, e2e)) {
                        x.totals(2 * turns, elapsed, costs.cpuNanos(), 0, costs.allocatedBytes());
                    }
                } finally {
                    // Before the child may go: this side's last submit waits on a semaphore that the child's GPU (its
                    // process's threads, on a CPU driver) signals. Bounded; if it never completes, nothing is closed.
                    stalled = !timeline.awaitValue(side.turn, stallNanos);
                }
                if (stalled) {
                    throw new StallException(ROW, timeline.name() + " did not reach " + side.turn + " within " + stallNanos / 1_000_000
                            + " ms (this side's last submit waits on the child's semaphore)");
                }
                ByteBuffer pd = a.privateData();
                if (pd.getLong(BAD_READS * 8) != 0) {
                    throw new IllegalStateException(ROW + " row: the partner read " + pd.getLong(BAD_READS * 8)
                            + " corner(s) that were not this process's clear colour: the memory did not cross");
                }
                if (pd.getLong(CHECKED * 8) == 0) {
                    throw new IllegalStateException(ROW + " row: the partner checked no corner (its GPU was never idle between turns)");
                }
                if (pd.getLong(VALIDATION * 8) != 0) {
                    throw new IllegalStateException(ROW + " row: the partner's validation layer reported " + pd.getLong(VALIDATION * 8)
                            + " message(s), listed in " + log + CrossProcessGpu.keepLog(keep));
                }
                outcome.childReads = pd.getLong(SEQ * 8) + 1;
                outcome.childChecks = pd.getLong(CHECKED * 8);
            }
            return outcome;
        } catch (StallException e) {
            stalled = true;
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException(ROW + " row: cannot start the partner process: " + e.getMessage(), e);
        } finally {
            CrossProcessGpu.tearDown(child, stalled, stallNanos, dev, owned, sock, dir, log, keep[0]);
        }
    }

    private static Outcome gone(Outcome outcome, Process child, Path log) throws InterruptedException {
        outcome.skipped = CrossProcessGpu.childGone(new CrossProcessGpu.Outcome(), child, log).skipped; // or it throws
        return outcome;
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
        final long ab;
        final long ba;
        final long stallNanos;
        final Path log;
        final RawSubmission submit;
        /** Turns submitted so far (this side's timeline reaches {@code turn} when all completed). */
        long turn;
        /** Per turn mod RING: release time, submit time and GPU timestamps (host clock; timestamps once read). */
        final long[] releasedAt = new long[RING];
        final long[] submittedAt = new long[RING];
        final long[] gpuStart = new long[RING];
        final long[] gpuEnd = new long[RING];
        /** Warm-up: the child's turns whose mapped timestamps were compared with this clock's mapping of its raw ticks, and the worst difference. */
        long domainChecks;
        long worstDomainDiff;
        /** Measuring: map the child's raw ticks by this process's clock (else use the child's own mapping). */
        boolean oneClock;

        Side(BrokerClient a, BrokerClient.Surface s, Process child, DeviceContext dev, GpuClock clock, TimedWork work, VulkanTimeline timeline,
             long ab, long ba, long stallNanos, Path log) {
            this.a = a;
            this.s = s;
            this.child = child;
            this.dev = dev;
            this.clock = clock;
            this.work = work;
            this.timeline = timeline;
            this.ab = ab;
            this.ba = ba;
            this.stallNanos = stallNanos;
            this.log = log;
            this.submit = new RawSubmission(dev);
        }

        /** Turns until {@code end}; the first acquire is already held (the child's setup turn, or the previous call's last). */
        long turns(long end, Series cpu, Series gpu, Series e2e) throws InterruptedException {
            long n = 0;
            while (true) {
                long k = turn;
                long acquiredAt = System.nanoTime();
                if (k > 0) {
                    if (!CrossProcessGpu.acquire(a, s, child, stallNanos, ROW)) {
                        throw new IllegalStateException(ROW + " row: the partner stopped handing off: " + CrossProcessGpu.lastLine(log));
                    }
                    acquiredAt = System.nanoTime();
                    if (a.privateData().getLong(SEQ * 8) != k - 1) {
                        throw new IllegalStateException(ROW + " row: the partner's release " + a.privateData().getLong(SEQ * 8)
                                + " came for turn " + k);
                    }
                }
                int slot = (int) (k % SLOTS);
                if (k >= SLOTS) {
                    // The slot's previous submit (turn k - SLOTS): normally complete; its timestamps, then reuse.
                    if (!timeline.awaitValue(k - SLOTS + 1, stallNanos)) {
                        throw new StallException(ROW, timeline.name() + " did not reach " + (k - SLOTS + 1) + " within "
                                + stallNanos / 1_000_000 + " ms (a GPU submit never completed)");
                    }
                    int old = (int) ((k - SLOTS) % RING);
                    gpuStart[old] = clock.hostNanos(work.startTicks(slot));
                    gpuEnd[old] = clock.hostNanos(work.endTicks(slot));
                }
                if (cpu != null && k > 0) {
                    ByteBuffer pd = a.privateData();
                    cpu.record(pd.getLong(ACQUIRED_AT * 8) - releasedAt[(int) ((k - 1) % RING)]);
                    cpu.record(acquiredAt - pd.getLong(RELEASED_AT * 8));
                    // The child's turn j (its timestamps read at its turn j + SLOTS) followed this side's turn j and
                    // preceded this side's turn j + 1, whose timestamps were read at the latest just above.
                    long j = pd.getLong(GPU_TURN * 8);
                    if (j >= 0 && j + 1 <= k - SLOTS && k - 1 - j < RING) {
                        int jr = (int) (j % RING);
                        long childStart = oneClock ? clock.hostNanos(pd.getLong(GPU_START_TICKS * 8)) : pd.getLong(GPU_START * 8);
                        long childEnd = oneClock ? clock.hostNanos(pd.getLong(GPU_END_TICKS * 8)) : pd.getLong(GPU_END * 8);
                        gpu.record(childStart - gpuEnd[jr]);
                        gpu.record(gpuStart[(int) ((j + 1) % RING)] - childEnd);
                        e2e.record(childEnd - submittedAt[jr]);
                    }
                } else if (k > 0 && a.privateData().getLong(GPU_TURN * 8) >= 0) {
                    ByteBuffer pd = a.privateData();
                    long diff = Math.max(Math.abs(clock.hostNanos(pd.getLong(GPU_START_TICKS * 8)) - pd.getLong(GPU_START * 8)),
                            Math.abs(clock.hostNanos(pd.getLong(GPU_END_TICKS * 8)) - pd.getLong(GPU_END * 8)));
                    worstDomainDiff = Math.max(worstDomainDiff, diff);
                    domainChecks++;
                }
                int i = (int) (k % RING);
                submittedAt[i] = System.nanoTime();
                submit.begin();
                if (k > 0) {
                    submit.waitBinary(ba); // the child's previous turn, on its GPU: no host wait for it
                }
                submit.commandBuffer(work.commandBuffer(slot)).signalBinary(ab).signalTimeline(timeline, k + 1).submit();
                releasedAt[i] = System.nanoTime();
                if (!a.release(s, 1L, a.fenceValue() + 1, null)) { // at submit time
                    throw new IllegalStateException(ROW + " row: the broker is gone: " + a.brokerGoneReason());
                }
                turn++;
                n++;
                if (System.nanoTime() >= end) {
                    return n;
                }
            }
        }
    }

    /** {@code timeline.awaitValue}, false when interrupted as well as on timeout. */
    private static boolean awaitQuietly(VulkanTimeline timeline, long value, long timeoutNanos) {
        try {
            return timeline.awaitValue(value, timeoutNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The child's side ({@code CrossProcessPartner binary-gpu SOCKET INDEX UUID W H VALIDATE STALL_NANOS}):
     * opens the physical device at INDEX if its deviceUUID is UUID, imports the granted surface's memory
     * and both semaphores, and reads the corner each turn until the broker goes away. Prints one line
     * and returns {@link CrossProcessGpu#CANNOT} if it cannot take part, 1 on a failure, 0 when the
     * bench ended the run.
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
        if (info == null || !capable(info)) {
            System.out.println(info == null ? "no Vulkan device #" + index + " with deviceUUID " + uuid + " in this process"
                    : info.name() + " does not import OPAQUE_FD memory and binary semaphores in this process");
            return CrossProcessGpu.CANNOT;
        }
        DeviceContext dev;
        try {
            dev = DeviceContext.builder(vk).physicalDeviceIndex(index).name("xproc-bs#partner").preferExtension(GpuClock.EXTENSION).build();
        } catch (RuntimeException e) {
            System.out.println("cannot open " + info.name() + ": " + e.getMessage());
            return CrossProcessGpu.CANNOT;
        }
        List<AutoCloseable> owned = new ArrayList<>();
        // Turns submitted, and whether this device is known idle at the end (only then is anything closed).
        long[] submitted = {0};
        boolean[] idle = {true};
        try (BrokerClient c = BrokerClient.connect(socket, "bench-partner-bs", TimeUnit.SECONDS.toNanos(20))) {
            GpuClock clock = GpuClock.calibrate(dev, stall);
            BrokerClient.Surface s = c.awaitGrant(TimeUnit.SECONDS.toNanos(20));
            if (s == null) {
                System.out.println("no surface granted within 20 s (" + c.brokerGoneReason() + ")");
                return 1;
            }
            if (s.memoryFdCount() != 1 || s.syncFdCount() != 2) {
                System.out.println("the surface came with " + s.memoryFdCount() + " memory and " + s.syncFdCount() + " sync fds, not 1 and 2");
                return 1;
            }
            SurfaceImage image;
            try {
                image = SurfaceImage.importFrom(dev, s.exportedImageMemory());
            } catch (RuntimeException e) {
                System.out.println("cannot import the bench's image memory on " + info.name() + ": " + e.getMessage());
                return CrossProcessGpu.CANNOT;
            }
            owned.add(image);
            ExternalBinarySemaphore ab = ExternalBinarySemaphore.importFd(dev, Fds.dup(s.syncFd(0)));
            owned.add(ab);
            ExternalBinarySemaphore ba = ExternalBinarySemaphore.importFd(dev, Fds.dup(s.syncFd(1)));
            owned.add(ba);
            TimedWork work = TimedWork.create(dev, image.handle(), width, height, TimedWork.Kind.READ, SLOTS, true);
            owned.add(work);
            VulkanTimeline timeline = VulkanTimeline.create(dev, "xproc-bs-partner/timeline", 0, false);
            owned.add(timeline);
            RawSubmission submit = new RawSubmission(dev);
            ByteBuffer data = ByteBuffer.allocateDirect(LONGS * 8);
            long timeout = TimeUnit.SECONDS.toNanos(30);
            // Setup turn: the image leaves UNDEFINED while this side holds the surface (no semaphore signalled).
            if (c.acquire(s, 1L, timeout) != AcquireStatus.ACQUIRED) {
                System.out.println("the setup acquire failed (" + c.brokerGoneReason() + ")");
                return 1;
            }
            TimedWork.initializeImage(dev, image.handle(), true);
            data.putLong(SEQ * 8, -1L).putLong(GPU_TURN * 8, -1L).putLong(CLOCK_UNCERTAINTY * 8, clock.uncertaintyNanos());
            c.release(s, 0L, c.fenceValue() + 1, data);
            long bad = 0;
            long checked = 0;
            int printed = 0;
            try {
                for (long k = 0; ; k++) {
                    AcquireStatus st = c.acquire(s, 1L, timeout);
                    if (st != AcquireStatus.ACQUIRED) {
                        System.out.println("stopped after " + k + " turns: " + st + " (" + c.brokerGoneReason() + ")");
                        return 0; // the bench closed its broker: the run is over
                    }
                    long acquiredAt = System.nanoTime();
                    int slot = (int) (k % SLOTS);
                    if (k >= SLOTS) {
                        if (!timeline.awaitValue(k - SLOTS + 1, stall)) {
                            System.out.println("this GPU did not reach " + (k - SLOTS + 1) + " within " + stall / 1_000_000 + " ms");
                            return 1;
                        }
                        long startTicks = work.startTicks(slot);
                        long endTicks = work.endTicks(slot);
                        data.putLong(GPU_TURN * 8, k - SLOTS).putLong(GPU_START * 8, clock.hostNanos(startTicks))
                                .putLong(GPU_END * 8, clock.hostNanos(endTicks)).putLong(GPU_START_TICKS * 8, startTicks)
                                .putLong(GPU_END_TICKS * 8, endTicks);
                    }
                    if (k > 0 && timeline.completedValue() == k) {
                        // Nothing of this side in flight: the host buffer holds the corner turn k - 1 read.
                        ByteBuffer corner = work.hostBuffer().mapped();
                        checked++;
                        for (int p = 0; p < TimedWork.READ_SIDE_PIXELS * TimedWork.READ_SIDE_PIXELS * 4; p++) {
                            if (Math.abs(Byte.toUnsignedInt(corner.get(p)) - CrossProcessGpu.CLEAR_BYTES[p % 4]) > 1) {
                                bad++;
                                break;
                            }
                        }
                    }
                    // The GPU waits for the bench's GPU on the imported semaphore: no host wait, no FENCE_REACHED.
                    submit.begin().waitBinary(ab.handle()).commandBuffer(work.commandBuffer(slot)).signalBinary(ba.handle())
                            .signalTimeline(timeline, k + 1).submit();
                    submitted[0] = k + 1;
                    data.putLong(SEQ * 8, k).putLong(ACQUIRED_AT * 8, acquiredAt).putLong(BAD_READS * 8, bad).putLong(CHECKED * 8, checked)
                            .putLong(VALIDATION * 8, vk.validationMessageCount());
                    data.putLong(RELEASED_AT * 8, System.nanoTime());
                    if (!c.release(s, 0L, c.fenceValue() + 1, data)) {
                        System.out.println("the broker is gone: " + c.brokerGoneReason());
                        return 0;
                    }
                    if (printed < 200 && vk.validationMessageCount() > printed) { // only then: listing them allocates (the first 200 are kept)
                        for (List<String> m = vk.validationMessages(); printed < m.size(); printed++) {
                            System.out.println("validation: " + m.get(printed));
                        }
                    }
                }
            } finally {
                // The last submit waits on the bench's semaphore, signalled by work the bench submitted before its
                // release; if the bench died before its GPU ran it, that never comes: bounded, then exit unclosed.
                idle[0] = awaitQuietly(timeline, submitted[0], stall);
                if (!idle[0]) {
                    System.out.println("this GPU did not finish its last submit within " + stall / 1_000_000 + " ms; exiting without teardown");
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            System.out.println("failed: " + e);
            return 1;
        } finally {
            if (idle[0] && dev.awaitIdle(stall)) { // else the process exits (System.exit) without anything waiting on this device
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
}
