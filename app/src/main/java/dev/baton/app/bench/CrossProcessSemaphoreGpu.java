package dev.baton.app.bench;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Fds;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.ExternalBinarySemaphore;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.RawSubmission;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cross-process rows whose receiver's GPU waits for the sender's GPU on an exported semaphore
 * ({@link Kind}): ping-pong between this process and a child JVM, each with its own Vulkan device on
 * the same physical device (the one the bench's in-process ping-pong of the same tier ran on, chosen
 * by capability: OPAQUE_FD export and import of image memory and of the kind's semaphores). This
 * process runs the {@link Broker} and one {@link BrokerClient}; the child is the other client. This
 * side exports its image's memory and the kind's semaphores once and offers them (memory choice
 * {@link Protocol#MEMORY_DEVICE_OPAQUE_FD}, the kind's sync choice); the broker relays them to the
 * child, which imports them: the same pages, so nothing is copied. The broker runs with
 * {@link Broker.ClientMemory#TRUSTED} because a software driver's memory fds are not sealed against
 * truncation (the README's security model): both clients are this bench's own processes, trusted by
 * construction, and the broker never maps the memory.
 *
 * <p>Each turn on each side: acquire its key (fence value {@code f}); reuse its oldest work slot once
 * its own timeline says that slot's previous submit completed (normally it has; as the in-process
 * row's slots), reading that submit's timestamps; submit its timed work (this side clears, the child
 * copies the 4x4 corner into a host buffer, with ownership transfers from and to
 * {@code VK_QUEUE_FAMILY_EXTERNAL} inside the work) waiting for the other side's GPU and signalling
 * its own ({@link Link}); release at submit time with {@code f + 1}. The receiver's GPU waits for the
 * sender's on the imported semaphore: no host wait for the other side and no FENCE_REACHED, as the
 * in-process tier. The child passes its host-clock times (acquire returned, just before release) and
 * the GPU timestamps of its oldest completed turn, raw and mapped by its own {@link GpuClock}, in each
 * release's private data; {@code System.nanoTime} and the mapped timestamps are CLOCK_MONOTONIC in
 * both processes. When, on every warm-up turn, this process's clock maps the child's raw ticks to
 * within both calibrations' uncertainty of the child's own mapping, the two devices share one
 * timestamp domain and this process's clock maps both sides' timestamps while measuring, as the
 * in-process row maps two devices of one physical device by one clock; otherwise each side's are
 * mapped by its own calibration (the note says which).
 */
final class CrossProcessSemaphoreGpu {
    private CrossProcessSemaphoreGpu() {}

    /** Private data the child sends with each release, as longs. */
    static final int SEQ = CrossProcessHarness.SEQ, ACQUIRED_AT = 1, RELEASED_AT = 2, GPU_TURN = 3, GPU_START = 4, GPU_END = 5,
            BAD_READS = 6, CHECKED = 7, VALIDATION = 8, CLOCK_UNCERTAINTY = 9, GPU_START_TICKS = 10, GPU_END_TICKS = 11, LONGS = 12;
    /** Work slots per side, as the in-process ping-pong's. */
    static final int SLOTS = CrossProcessHarness.SLOTS;
    /** This side's per-turn records are kept this many turns (the child's timestamps arrive SLOTS + 1 turns late). */
    private static final int RING = 8;

    /** How the receiver's GPU waits for the sender's: the semaphore(s) one side's submits wait on and signal. */
    interface Link {
        /** {@return new fds of what this side exports, for the offer (closed by the caller once sent)} */
        int[] exportFds();

        /** Adds to {@code submit} the wait for the other side's GPU work released with fence value {@code value}. */
        void waitFor(RawSubmission submit, long value);

        /** Adds to {@code submit} the signal the other side's GPU waits for, released with fence value {@code value}. */
        void signal(RawSubmission submit, long value);
    }

    /** The semaphore kinds that cross processes as exported fds. */
    enum Kind {
        /**
         * Two binary semaphores exported once ("ab": this side signals, the child waits; "ba": the other
         * way), each signalled and waited once per handoff (recycled).
         */
        BINARY_SEMAPHORES("cross-process binary-semaphore", "bs", "binary-gpu", Protocol.SYNC_BINARY_SEMAPHORES, 2, "two binary semaphores") {
            @Override
            boolean capable(PhysicalDeviceInfo d) {
                return d.memoryExport() && d.memoryImport() && d.binarySemaphoreExport() && d.binarySemaphoreImport();
            }

            @Override
            String lacks() {
                return "OPAQUE_FD memory and binary semaphores";
            }

            @Override
            boolean opened(DeviceContext dev) {
                return ExternalBinarySemaphore.supported(dev);
            }

            @Override
            Link export(DeviceContext dev, List<AutoCloseable> owned) {
                ExternalBinarySemaphore ab = ExternalBinarySemaphore.createExportable(dev);
                owned.add(ab);
                ExternalBinarySemaphore ba = ExternalBinarySemaphore.createExportable(dev);
                owned.add(ba);
                return binary(ba, ab, () -> new int[] {ab.exportFd(), ba.exportFd()});
            }

            @Override
            Link importFrom(DeviceContext dev, BrokerClient.Surface s, List<AutoCloseable> owned) {
                ExternalBinarySemaphore ab = ExternalBinarySemaphore.importFd(dev, Fds.dup(s.syncFd(0)));
                owned.add(ab);
                ExternalBinarySemaphore ba = ExternalBinarySemaphore.importFd(dev, Fds.dup(s.syncFd(1)));
                owned.add(ba);
                return binary(ab, ba, () -> new int[0]);
            }
        },
        /**
         * One timeline semaphore exported once and imported by the child: both sides' submits wait on it
         * for the fence value the other side released with and signal the value they release with, so the
         * keyed mutex's fence values are the timeline's values, as the in-process shared-timeline tier.
         * Hardware drivers only (none here exports timelines).
         */
        SHARED_TIMELINE("cross-process shared-timeline", "st", "timeline-gpu", Protocol.SYNC_SHARED_TIMELINE, 1, "one timeline semaphore") {
            @Override
            boolean capable(PhysicalDeviceInfo d) {
                return d.memoryExport() && d.memoryImport() && d.timelineSemaphoreExport() && d.timelineSemaphoreImport();
            }

            @Override
            String lacks() {
                return "OPAQUE_FD memory and timeline semaphores";
            }

            @Override
            boolean opened(DeviceContext dev) {
                return dev.hasExtension(EXTERNAL_SEMAPHORE_FD) && capable(dev.info());
            }

            @Override
            Link export(DeviceContext dev, List<AutoCloseable> owned) {
                VulkanTimeline shared = VulkanTimeline.create(dev, "xproc-st-bench/shared", 0, true);
                owned.add(shared);
                return timeline(shared, () -> new int[] {shared.exportFd()});
            }

            @Override
            Link importFrom(DeviceContext dev, BrokerClient.Surface s, List<AutoCloseable> owned) {
                VulkanTimeline shared = VulkanTimeline.importFd(dev, "xproc-st-partner/shared", Fds.dup(s.syncFd(0)));
                owned.add(shared);
                return timeline(shared, () -> new int[0]);
            }
        };

        /** The row's name (its stalls and its skip reasons). */
        final String row;
        final String tag;
        final String mode;
        final int syncChoice;
        final int syncFds;
        /** What this side exports besides the memory, for the notes. */
        final String exported;

        Kind(String row, String tag, String mode, int syncChoice, int syncFds, String exported) {
            this.exported = exported;
            this.row = row;
            this.tag = tag;
            this.mode = mode;
            this.syncChoice = syncChoice;
            this.syncFds = syncFds;
        }

        /** {@return whether {@code d} reports what the row needs: OPAQUE_FD image memory and this kind's semaphores, both ways} */
        abstract boolean capable(PhysicalDeviceInfo d);

        /** {@return what a device that is not {@link #capable} lacks, for messages} */
        abstract String lacks();

        /** {@return whether {@code dev}, once opened, exports and imports this kind's semaphores} */
        abstract boolean opened(DeviceContext dev);

        /** Creates this side's exportable semaphores (into {@code owned}); {@return the bench side's link} */
        abstract Link export(DeviceContext dev, List<AutoCloseable> owned);

        /** Imports the granted surface's sync fds (into {@code owned}); {@return the child side's link} */
        abstract Link importFrom(DeviceContext dev, BrokerClient.Surface s, List<AutoCloseable> owned);
    }

    /** The device extension that exports and imports semaphores as fds. */
    static final String EXTERNAL_SEMAPHORE_FD = "VK_KHR_external_semaphore_fd";

    /** A shared-timeline link: waits on {@code shared} for the other side's value, signals its own value on it. */
    private static Link timeline(VulkanTimeline shared, java.util.function.Supplier<int[]> fds) {
        return new Link() {
            @Override
            public int[] exportFds() {
                return fds.get();
            }

            @Override
            public void waitFor(RawSubmission submit, long value) {
                submit.waitTimeline(shared, value);
            }

            @Override
            public void signal(RawSubmission submit, long value) {
                submit.signalTimeline(shared, value);
            }
        };
    }

    /** A binary-semaphore link: waits on {@code waits}, signals {@code signals}. */
    private static Link binary(ExternalBinarySemaphore waits, ExternalBinarySemaphore signals, java.util.function.Supplier<int[]> fds) {
        return new Link() {
            @Override
            public int[] exportFds() {
                return fds.get();
            }

            @Override
            public void waitFor(RawSubmission submit, long value) {
                submit.waitBinary(waits.handle());
            }

            @Override
            public void signal(RawSubmission submit, long value) {
                submit.signalBinary(signals.handle());
            }
        };
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
    static Outcome run(Kind kind, VulkanInstance vk, PhysicalDeviceInfo info, int width, int height, boolean validate, Series cpu,
                       Series gpu, Series e2e, long warmupNanos, long measureNanos, long stallNanos) throws InterruptedException {
        Outcome outcome = new Outcome();
        DeviceContext dev;
        try {
            dev = CrossProcessHarness.open(vk, info, "xproc-" + kind.tag + "#bench", false);
        } catch (RuntimeException e) {
            outcome.skipped = "this process cannot open " + info.name() + ": " + e.getMessage();
            return outcome;
        }
        if (!kind.opened(dev)) {
            dev.close();
            outcome.skipped = info.name() + " opened without exportable " + kind.lacks();
            return outcome;
        }
        CrossProcessHarness h = new CrossProcessHarness(kind.row, kind.tag, kind.mode, dev, info, width, height, validate, stallNanos);
        // A software driver's memory fds are not sealed against truncation; both clients are this bench's own
        // processes, so relaying them is honest here (never for an untrusted producer: README, security model).
        h.config.clientMemory = Broker.ClientMemory.TRUSTED;
        outcome.skipped = h.run(new BenchSide(kind, h, outcome), cpu, gpu, e2e, warmupNanos, measureNanos);
        return outcome;
    }

    /** This side: exports, offers, then its turns. */
    private static final class BenchSide implements CrossProcessHarness.Row {
        final Kind kind;
        final CrossProcessHarness h;
        final Outcome outcome;
        SurfaceImage image;
        Link link;

        BenchSide(Kind kind, CrossProcessHarness h, Outcome outcome) {
            this.kind = kind;
            this.h = h;
            this.outcome = outcome;
        }

        @Override
        public void prepare(CrossProcessHarness h) {
            outcome.clock = h.clock.method();
            image = SurfaceImage.createExportable(h.dev, h.width, h.height);
            h.owned.add(image);
            link = kind.export(h.dev, h.owned);
        }

        @Override
        public CrossProcessHarness.Turns connect(CrossProcessHarness h) {
            int[] sync = link.exportFds();
            int memory = image.dupFd();
            BrokerClient.Surface s;
            try {
                Fds.FileStatus st = new Fds.FileStatus();
                long[] sizes = new long[sync.length];
                for (int i = 0; i < sync.length; i++) {
                    Fds.fstat(sync[i], st);
                    sizes[i] = st.sizeBytes();
                }
                // The child holds the first key: it sets its image up while nobody touches the memory.
                s = h.client.offer(h.width, h.height, image.vkFormat(), image.vkUsage(), Protocol.MEMORY_DEVICE_OPAQUE_FD, kind.syncChoice,
                        1L, sync, sizes, image, memory, TimeUnit.SECONDS.toNanos(5));
            } finally {
                Fds.closeQuietly(memory); // the kernel passed copies
                for (int fd : sync) {
                    Fds.closeQuietly(fd);
                }
            }
            if (!h.awaitSetupTurn(s)) {
                return null;
            }
            long childUncertainty = h.client.privateData().getLong(CLOCK_UNCERTAINTY * 8);
            TimedWork.initializeImage(h.dev, image.handle(), true);
            TimedWork work = h.own(TimedWork.create(h.dev, image.handle(), h.width, h.height, TimedWork.Kind.CLEAR, SLOTS, true));
            VulkanTimeline timeline = h.own(VulkanTimeline.create(h.dev, "xproc-" + kind.tag + "-bench/timeline", 0, false));
            return new Side(h, s, work, timeline, link, childUncertainty, outcome);
        }
    }

    /** This side's turns: one half of the ping-pong, measured when the series are given. */
    private static final class Side extends CrossProcessHarness.Side {
        final Link link;
        final long childUncertainty;
        final Outcome outcome;
        final RawSubmission submit;
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

        Side(CrossProcessHarness h, BrokerClient.Surface s, TimedWork work, VulkanTimeline timeline, Link link, long childUncertainty,
             Outcome outcome) {
            super(h, s, work, timeline);
            this.link = link;
            this.childUncertainty = childUncertainty;
            this.outcome = outcome;
            this.submit = new RawSubmission(h.dev);
        }

        @Override
        void turn(long k, Series cpu, Series gpu, Series e2e) throws InterruptedException {
            long acquiredAt = System.nanoTime();
            if (k > 0) {
                h.acquireTurn(s, k);
                acquiredAt = System.nanoTime();
            }
            int slot = (int) (k % SLOTS);
            if (k >= SLOTS) {
                // The slot's previous submit (turn k - SLOTS): normally complete; its timestamps, then reuse.
                if (!timeline.awaitValue(k - SLOTS + 1, stallNanos)) {
                    throw h.gpuStall(timeline.name(), k - SLOTS + 1);
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
            long f = a.fenceValue();
            submittedAt[i] = System.nanoTime();
            submit.begin();
            if (k > 0) {
                link.waitFor(submit, f); // the child's previous turn, on its GPU: no host wait for it
            }
            submit.commandBuffer(work.commandBuffer(slot));
            link.signal(submit, f + 1);
            submit.signalTimeline(timeline, k + 1).submit();
            releasedAt[i] = System.nanoTime();
            h.release(s, f + 1); // at submit time
        }

        @Override
        public void warmedUp() {
            // One timestamp domain in both processes (as two devices of one physical device share in process)
            // if the child's raw ticks, mapped by this process's clock, land within both calibrations'
            // uncertainty of the child's own mapping on every warm-up turn: then this clock maps both sides'
            // timestamps, as in process, and no offset between two calibrations enters the handoffs.
            long bound = clock.uncertaintyNanos() + childUncertainty + 1_000;
            oneClock = domainChecks > 0 && worstDomainDiff <= bound;
            outcome.oneClock = oneClock;
            outcome.childClock = (oneClock ? "its raw timestamps, mapped by this process's clock, agreed with its own mapping"
                    : "its raw timestamps, mapped by this process's clock, did not agree with its own mapping, so each side's are mapped"
                    + " by its own calibration") + " within " + worstDomainDiff / 1000 + " us on " + domainChecks
                    + " warm-up turns (bound: both calibrations' uncertainty, " + bound / 1000 + " us)";
        }

        /** Before the child may go: this side's last submit waits for the child's GPU (its process's threads, on a CPU driver). */
        @Override
        public String drain() throws InterruptedException {
            return timeline.awaitValue(turn, stallNanos) ? null : timeline.name() + " did not reach " + turn + " within "
                    + stallNanos / 1_000_000 + " ms (this side's last submit waits on the child's semaphore)";
        }

        @Override
        public void check(ByteBuffer pd) {
            if (pd.getLong(BAD_READS * 8) != 0) {
                throw new IllegalStateException(h.row + " row: the partner read " + pd.getLong(BAD_READS * 8)
                        + " corner(s) that were not this process's clear colour: the memory did not cross");
            }
            if (pd.getLong(CHECKED * 8) == 0) {
                throw new IllegalStateException(h.row + " row: the partner checked no corner (its GPU was never idle between turns)");
            }
            h.requireNoValidationMessages(pd.getLong(VALIDATION * 8));
            outcome.childReads = pd.getLong(SEQ * 8) + 1;
            outcome.childChecks = pd.getLong(CHECKED * 8);
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
     * The child's side ({@code CrossProcessPartner MODE SOCKET INDEX UUID W H VALIDATE STALL_NANOS}, see
     * {@link CrossProcessHarness#partner}): imports the granted surface's memory and the kind's
     * semaphores, and reads the corner each turn until the broker goes away.
     */
    static int partner(Kind kind, String[] args) {
        return CrossProcessHarness.partner(args, kind.tag, "xproc-" + kind.tag + "#partner", false,
                info -> kind.capable(info) ? null : info.name() + " does not import " + kind.lacks() + " in this process",
                p -> partnerTurns(kind, p));
    }

    private static int partnerTurns(Kind kind, CrossProcessHarness.Partner p) throws InterruptedException {
        DeviceContext dev = p.dev;
        BrokerClient c = p.c;
        BrokerClient.Surface s = p.s;
        if (!kind.opened(dev)) {
            System.out.println(p.info.name() + " opened without exportable " + kind.lacks() + " in this process");
            return CrossProcessHarness.CANNOT;
        }
        if (s.memoryFdCount() != 1 || s.syncFdCount() != kind.syncFds) {
            System.out.println("the surface came with " + s.memoryFdCount() + " memory and " + s.syncFdCount() + " sync fds, not 1 and "
                    + kind.syncFds);
            return 1;
        }
        SurfaceImage image;
        try {
            image = SurfaceImage.importFrom(dev, s.exportedImageMemory());
        } catch (RuntimeException e) {
            System.out.println("cannot import the bench's image memory on " + p.info.name() + ": " + e.getMessage());
            return CrossProcessHarness.CANNOT;
        }
        p.owned.add(image);
        Link link = kind.importFrom(dev, s, p.owned);
        TimedWork work = p.own(TimedWork.create(dev, image.handle(), p.width, p.height, TimedWork.Kind.READ, SLOTS, true));
        VulkanTimeline timeline = p.own(VulkanTimeline.create(dev, "xproc-" + kind.tag + "-partner/timeline", 0, false));
        RawSubmission submit = new RawSubmission(dev);
        ByteBuffer data = ByteBuffer.allocateDirect(LONGS * 8);
        // Setup turn: the image leaves UNDEFINED while this side holds the surface (no semaphore signalled).
        if (!p.setupAcquire()) {
            return 1;
        }
        TimedWork.initializeImage(dev, image.handle(), true);
        data.putLong(SEQ * 8, -1L).putLong(GPU_TURN * 8, -1L).putLong(CLOCK_UNCERTAINTY * 8, p.clock.uncertaintyNanos());
        c.release(s, 0L, c.fenceValue(), data);
        long bad = 0;
        long checked = 0;
        long submitted = 0;
        try {
            for (long k = 0; ; k++) {
                if (!p.acquire(k)) {
                    return 0; // the bench closed its broker: the run is over
                }
                long fence = c.fenceValue();
                int slot = (int) (k % SLOTS);
                if (k >= SLOTS) {
                    if (!timeline.awaitValue(k - SLOTS + 1, p.stall)) {
                        System.out.println("this GPU did not reach " + (k - SLOTS + 1) + " within " + p.stall / 1_000_000 + " ms");
                        return 1;
                    }
                    long startTicks = work.startTicks(slot);
                    long endTicks = work.endTicks(slot);
                    data.putLong(GPU_TURN * 8, k - SLOTS).putLong(GPU_START * 8, p.clock.hostNanos(startTicks))
                            .putLong(GPU_END * 8, p.clock.hostNanos(endTicks)).putLong(GPU_START_TICKS * 8, startTicks)
                            .putLong(GPU_END_TICKS * 8, endTicks);
                }
                if (k > 0 && timeline.completedValue() == k) {
                    // Nothing of this side in flight: the host buffer holds the corner turn k - 1 read.
                    checked++;
                    if (!CrossProcessHarness.cornerIsClear(work)) {
                        bad++;
                    }
                }
                // The GPU waits for the bench's GPU on the imported semaphore: no host wait, no FENCE_REACHED.
                submit.begin();
                link.waitFor(submit, fence);
                submit.commandBuffer(work.commandBuffer(slot));
                link.signal(submit, fence + 1);
                submit.signalTimeline(timeline, k + 1).submit();
                submitted = k + 1;
                data.putLong(SEQ * 8, k).putLong(ACQUIRED_AT * 8, p.acquiredAt).putLong(BAD_READS * 8, bad).putLong(CHECKED * 8, checked)
                        .putLong(VALIDATION * 8, p.vk.validationMessageCount());
                data.putLong(RELEASED_AT * 8, System.nanoTime());
                if (!p.release(fence + 1, data)) {
                    return 0;
                }
                p.printValidationMessages();
            }
        } finally {
            // The last submit waits on the bench's semaphore, signalled by work the bench submitted before its
            // release; if the bench died before its GPU ran it, that never comes: bounded, then exit unclosed.
            p.idle = awaitQuietly(timeline, submitted, p.stall);
            if (!p.idle) {
                System.out.println("this GPU did not finish its last submit within " + p.stall / 1_000_000 + " ms; exiting without teardown");
            }
        }
    }
}
