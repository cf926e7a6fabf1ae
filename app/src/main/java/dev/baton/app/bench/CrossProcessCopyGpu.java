package dev.baton.app.bench;

import dev.baton.render.SyncTier;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.HostCopyMemfdTransfers;
import dev.baton.render.vk.MemfdSurface;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import java.nio.ByteBuffer;
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
    private static final String TAG = "copy";
    private static final int SLOTS = CrossProcessHarness.SLOTS;

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
            dev = CrossProcessHarness.open(vk, info, "xcopy#bench", false);
        } catch (RuntimeException e) {
            return "this process cannot open " + info.name() + ": " + e.getMessage();
        }
        if (MemfdSurface.importsHostMemory(dev, width, height)) {
            dev.close();
            return info.name() + " imports host memory for a " + width + "x" + height + " surface once opened, so it would not copy";
        }
        CrossProcessHarness h = new CrossProcessHarness(SCENARIO, TAG, "copy", dev, info, width, height, validate, stallNanos);
        return h.run(CrossProcessCopyGpu::connect, cpu, gpu, e2e, warmupNanos, measureNanos);
    }

    /** Offers the host-copy surface, opens it with this side's image and staging buffer, and takes the child's setup turn. */
    private static CrossProcessHarness.Turns connect(CrossProcessHarness h) {
        BrokerClient.Surface s = h.client.offer(h.width, h.height, SurfaceImage.FORMAT, SurfaceImage.USAGE, Protocol.MEMORY_HOST_COPY,
                Protocol.SYNC_HOST_BRIDGE, 1L, null, null, TimeUnit.SECONDS.toNanos(5));
        HostCopyMemfdTransfers image = h.own(HostCopyMemfdTransfers.open(h.dev, s.memoryFd(0), s.allocationBytes, h.width, h.height));
        if (!h.awaitSetupTurn(s)) {
            return null;
        }
        TimedWork work = h.own(TimedWork.create(h.dev, image.image().handle(), h.width, h.height, TimedWork.Kind.CLEAR, SLOTS, false));
        VulkanTimeline timeline = h.own(VulkanTimeline.create(h.dev, "xcopy-bench/timeline", 0, false));
        return new Side(h, s, image, work, timeline);
    }

    /** Whether the first {@code pixels} pixels and the last one of {@code buffer} are the clear colour (give or take 1). */
    static boolean isClearColour(ByteBuffer buffer, int pixels) {
        int last = buffer.capacity() - 4;
        for (int p = 0; p < pixels * 4 + 4; p++) {
            int at = p < pixels * 4 ? p : last + p % 4;
            if (Math.abs(Byte.toUnsignedInt(buffer.get(at)) - CrossProcessHarness.CLEAR_BYTES[p % 4]) > 1) {
                return false;
            }
        }
        return true;
    }

    /** This side's turns: one half of the ping-pong, measured when the series are given. */
    private static final class Side extends CrossProcessHarness.Side {
        final HostCopyMemfdTransfers image;
        final CrossProcessGpu.Records r = new CrossProcessGpu.Records();
        long copied;
        long badReads;

        Side(CrossProcessHarness h, BrokerClient.Surface s, HostCopyMemfdTransfers image, TimedWork work, VulkanTimeline timeline) {
            super(h, s, work, timeline);
            this.image = image;
        }

        /** Both processes' bytes copied: ours, and the child's as of its latest release (one turn behind our last). */
        @Override
        public long copiedSoFar() {
            return copied + a.privateData().getLong(COPIED * 8);
        }

        @Override
        void turn(long k, Series cpu, Series gpu, Series e2e) throws InterruptedException {
            r.acquire(h, s, k, cpu, gpu, e2e);
            int slot = (int) (k % SLOTS);
            int i = (int) (k % 3);
            long f = a.fenceValue();
            long v = f + 1;
            // The other side's frame is in the memfd once its FENCE_REACHED for f came (none before the first turn).
            if (!CrossProcessHarness.awaitReached(a, s, f, stallNanos)) {
                throw new StallException(SCENARIO, "the partner's FENCE_REACHED " + Long.toUnsignedString(f) + " did not come within "
                        + stallNanos / 1_000_000 + " ms (" + a.brokerGoneReason() + ")");
            }
            copied += image.copyInFromMemfd();
            if (k > 0 && !isClearColour(image.staging().mapped(), 1)) { // 8 bytes: this check is on the handoff path
                badReads++; // the child uploaded our previous clear and read its image back into the memfd
            }
            r.submittedAt[i] = System.nanoTime();
            image.submit(work.commandBuffer(slot), timeline, v);
            copied += image.gpuCopiedBytesPerAccess();
            r.releasedAt[i] = System.nanoTime();
            h.release(s, v);
            if (!timeline.awaitValue(v, stallNanos)) {
                throw h.gpuStall(timeline.name(), v);
            }
            copied += image.copyOutToMemfd();
            a.fenceReached(s, v);
            r.gpuStart[i] = clock.hostNanos(work.startTicks(slot));
            r.gpuEnd[i] = clock.hostNanos(work.endTicks(slot));
        }

        @Override
        public void check(ByteBuffer pd) {
            if (pd.getLong(CrossProcessGpu.BAD_READS * 8) != 0 || badReads != 0) {
                throw new IllegalStateException(SCENARIO + " row: " + pd.getLong(CrossProcessGpu.BAD_READS * 8) + " corner(s) the partner read"
                        + " and " + badReads + " copy(ies) back were not this process's clear colour: the pixels did not cross");
            }
            h.requireNoValidationMessages(pd.getLong(CrossProcessGpu.VALIDATION * 8));
        }
    }

    /**
     * The child's side ({@code CrossProcessPartner copy SOCKET INDEX UUID W H VALIDATE STALL_NANOS}, see
     * {@link CrossProcessHarness#partner}): on a device that cannot import host memory, opens the
     * granted surface as a host copy and reads the corner each turn until the broker goes away.
     */
    static int partner(String[] args) {
        return CrossProcessHarness.partner(args, TAG, "xcopy#partner", false,
                info -> info.hostMemoryImport() ? info.name() + " imports host memory in this process, so it would not copy" : null,
                CrossProcessCopyGpu::partnerTurns);
    }

    private static int partnerTurns(CrossProcessHarness.Partner p) throws InterruptedException {
        DeviceContext dev = p.dev;
        BrokerClient c = p.c;
        BrokerClient.Surface s = p.s;
        if (s.memoryChoice != Protocol.MEMORY_HOST_COPY) {
            System.out.println("the surface's memory choice is " + s.memoryChoice + ", not host copy");
            return 1;
        }
        HostCopyMemfdTransfers image = p.own(HostCopyMemfdTransfers.open(dev, s.memoryFd(0), s.allocationBytes, p.width, p.height));
        TimedWork work = p.own(TimedWork.create(dev, image.image().handle(), p.width, p.height, TimedWork.Kind.READ, SLOTS, false));
        VulkanTimeline timeline = p.own(VulkanTimeline.create(dev, "xcopy-partner/timeline", 0, false));
        ByteBuffer data = ByteBuffer.allocateDirect(LONGS * 8);
        // Setup turn: tells the bench side this process is ready (its image is set up; the memfd is untouched).
        if (!p.setupAcquire()) {
            return 1;
        }
        data.putLong(CrossProcessGpu.SEQ * 8, -1L);
        c.release(s, 0L, c.fenceValue(), data);
        long bad = 0;
        long copied = 0;
        for (long k = 0; ; k++) {
            if (!p.acquire(k)) {
                return 0; // the bench closed its broker: the run is over
            }
            long fence = c.fenceValue();
            int slot = (int) (k % SLOTS);
            long v = fence + 1;
            if (!CrossProcessHarness.awaitReached(c, s, fence, p.stall)) {
                System.out.println("the bench's FENCE_REACHED " + fence + " did not come within " + p.stall / 1_000_000 + " ms");
                return 1;
            }
            copied += image.copyInFromMemfd();
            image.submit(work.commandBuffer(slot), timeline, v);
            copied += image.gpuCopiedBytesPerAccess();
            data.putLong(CrossProcessGpu.SEQ * 8, k).putLong(CrossProcessGpu.ACQUIRED_AT * 8, p.acquiredAt)
                    .putLong(CrossProcessGpu.BAD_READS * 8, bad).putLong(CrossProcessGpu.VALIDATION * 8, p.vk.validationMessageCount())
                    .putLong(COPIED * 8, copied);
            data.putLong(CrossProcessGpu.RELEASED_AT * 8, System.nanoTime());
            if (!p.release(v, data)) {
                return 0;
            }
            if (!timeline.awaitValue(v, p.stall)) {
                System.out.println("this GPU did not reach " + v + " within " + p.stall / 1_000_000 + " ms");
                return 1;
            }
            copied += image.copyOutToMemfd();
            c.fenceReached(s, v);
            p.printValidationMessages();
            data.putLong(CrossProcessGpu.GPU_START * 8, p.clock.hostNanos(work.startTicks(slot)))
                    .putLong(CrossProcessGpu.GPU_END * 8, p.clock.hostNanos(work.endTicks(slot)));
            if (!isClearColour(work.hostBuffer().mapped(), TimedWork.READ_SIDE_PIXELS * TimedWork.READ_SIDE_PIXELS)) {
                bad++;
            }
        }
    }
}
