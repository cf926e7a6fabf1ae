package dev.baton.app.bench;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.HostMemorySurface;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import java.nio.ByteBuffer;
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

    static final String ROW = "cross-process host-bridge";
    /** Private data the child sends with each release, as longs (big-endian, as ByteBuffer writes them). */
    static final int SEQ = CrossProcessHarness.SEQ, ACQUIRED_AT = 1, RELEASED_AT = 2, GPU_START = 3, GPU_END = 4, BAD_READS = 5,
            VALIDATION = 6, LONGS = 7;
    private static final int SLOTS = CrossProcessHarness.SLOTS;

    /**
     * Runs the row on {@code info}'s physical device: warm-up, reset, then {@code measureNanos} of
     * turns. Samples: cpu-handoff (release to the other side's acquire returning) and gpu-handoff
     * (sender's last GPU timestamp to receiver's first), both directions; end-to-end (this side's
     * submit to the child's last timestamp of the same handoff).
     *
     * @return null once measured; the reason when either side cannot take part (no samples then)
     */
    static String run(VulkanInstance vk, PhysicalDeviceInfo info, int width, int height, boolean validate, Series cpu, Series gpu, Series e2e,
                      long warmupNanos, long measureNanos, long stallNanos) throws InterruptedException {
        DeviceContext dev;
        try {
            dev = CrossProcessHarness.open(vk, info, "xproc#bench", true);
        } catch (RuntimeException e) {
            return "this process cannot open " + CrossProcessHarness.openWhat(info, true) + ": " + e.getMessage();
        }
        CrossProcessHarness h = new CrossProcessHarness(ROW, "gpu", "gpu", dev, info, width, height, validate, stallNanos);
        return h.run(CrossProcessGpu::connect, cpu, gpu, e2e, warmupNanos, measureNanos);
    }

    /** Offers the host-memfd surface, imports it, takes the child's setup turn, then sets this side's image and work up. */
    private static CrossProcessHarness.Turns connect(CrossProcessHarness h) {
        // The child holds the first key: it sets its image up while nobody touches the pages.
        BrokerClient.Surface s = h.client.offer(h.width, h.height, SurfaceImage.FORMAT, SurfaceImage.USAGE, Protocol.MEMORY_HOST_MEMFD,
                Protocol.SYNC_HOST_BRIDGE, 1L, null, null, TimeUnit.SECONDS.toNanos(5));
        HostMemorySurface image;
        try {
            image = HostMemorySurface.importMemfdForTransfers(h.dev, s.memoryFd(0), s.allocationBytes, h.width, h.height);
        } catch (RuntimeException e) {
            throw new CrossProcessHarness.Skip("this process cannot import the broker's memfd on " + h.info.name() + ": " + e.getMessage());
        }
        h.owned.add(image);
        if (!h.awaitSetupTurn(s)) {
            return null;
        }
        TimedWork.initializeImage(h.dev, image.image().handle(), true);
        TimedWork work = h.own(TimedWork.create(h.dev, image.image().handle(), h.width, h.height, TimedWork.Kind.CLEAR, SLOTS, true));
        VulkanTimeline timeline = h.own(VulkanTimeline.create(h.dev, "xproc-bench/timeline", 0, false));
        return new Side(h, s, work, timeline);
    }

    /**
     * The per-turn records of a row whose sides wait for each other's GPU before handing off (one turn
     * deep), and the samples they give with the child's private data (this class's layout).
     */
    static final class Records {
        /** Per turn mod 3: this side's release time, submit time and GPU timestamps (host clock). */
        final long[] releasedAt = new long[3];
        final long[] submittedAt = new long[3];
        final long[] gpuStart = new long[3];
        final long[] gpuEnd = new long[3];

        /** Acquires turn {@code k} (but the first: the child's setup release is held) and records its samples when the series are given. */
        void acquire(CrossProcessHarness h, BrokerClient.Surface s, long k, Series cpu, Series gpu, Series e2e) {
            if (k > 0) {
                h.acquireTurn(s, k);
                long acquiredAt = System.nanoTime();
                if (cpu != null) {
                    record(k, h.client.privateData(), acquiredAt, cpu, gpu, e2e);
                }
            }
        }

        /** Records turn {@code k}'s samples: the child's release for turn {@code k - 1} ({@code pd}) acquired at {@code acquiredAt}. */
        private void record(long k, ByteBuffer pd, long acquiredAt, Series cpu, Series gpu, Series e2e) {
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

    /** This side's turns: one half of the ping-pong, measured when the series are given. */
    private static final class Side extends CrossProcessHarness.Side {
        final DeviceContext dev;
        final Records r = new Records();

        Side(CrossProcessHarness h, BrokerClient.Surface s, TimedWork work, VulkanTimeline timeline) {
            super(h, s, work, timeline);
            this.dev = h.dev;
        }

        @Override
        void turn(long k, Series cpu, Series gpu, Series e2e) throws InterruptedException {
            r.acquire(h, s, k, cpu, gpu, e2e);
            int slot = (int) (k % SLOTS);
            int i = (int) (k % 3);
            long f = a.fenceValue();
            long v = f + 1;
            // Wait-before-signal: the work waits on our own timeline for the partner's value, which we
            // signal from the host when its FENCE_REACHED comes, so no submit sits on the handoff path.
            r.submittedAt[i] = System.nanoTime();
            dev.submit(work.commandBuffer(slot), timeline, f, timeline, v);
            r.releasedAt[i] = System.nanoTime();
            h.release(s, v);
            if (!CrossProcessHarness.awaitReached(a, s, f, stallNanos)) {
                timeline.signalFromHost(f); // let the queued work drain before teardown
                throw new StallException(ROW, "the partner's FENCE_REACHED " + Long.toUnsignedString(f)
                        + " did not come within " + stallNanos / 1_000_000 + " ms (" + a.brokerGoneReason() + ")");
            }
            timeline.signalFromHost(f); // ignored when already reached
            if (!timeline.awaitValue(v, stallNanos)) {
                throw h.gpuStall(timeline.name(), v);
            }
            a.fenceReached(s, v);
            r.gpuStart[i] = clock.hostNanos(work.startTicks(slot));
            r.gpuEnd[i] = clock.hostNanos(work.endTicks(slot));
        }

        @Override
        public void check(ByteBuffer pd) {
            if (pd.getLong(BAD_READS * 8) != 0) {
                throw new IllegalStateException(ROW + " row: the partner read " + pd.getLong(BAD_READS * 8)
                        + " corner(s) that were not this process's clear colour: the memory did not cross");
            }
            h.requireNoValidationMessages(pd.getLong(VALIDATION * 8));
        }
    }

    /**
     * The child's side ({@code CrossProcessPartner gpu SOCKET INDEX UUID W H VALIDATE STALL_NANOS}, see
     * {@link CrossProcessHarness#partner}): imports the granted surface as host memory and reads the
     * corner each turn until the broker goes away.
     */
    static int partner(String[] args) {
        return CrossProcessHarness.partner(args, "gpu", "xproc#partner", true, info -> null, CrossProcessGpu::partnerTurns);
    }

    private static int partnerTurns(CrossProcessHarness.Partner p) throws InterruptedException {
        DeviceContext dev = p.dev;
        BrokerClient c = p.c;
        BrokerClient.Surface s = p.s;
        HostMemorySurface image;
        try {
            image = HostMemorySurface.importMemfdForTransfers(dev, s.memoryFd(0), s.allocationBytes, p.width, p.height);
        } catch (RuntimeException e) {
            System.out.println("cannot import the broker's memfd on " + p.info.name() + ": " + e.getMessage());
            return CrossProcessHarness.CANNOT;
        }
        p.owned.add(image);
        TimedWork work = p.own(TimedWork.create(dev, image.image().handle(), p.width, p.height, TimedWork.Kind.READ, SLOTS, true));
        VulkanTimeline timeline = p.own(VulkanTimeline.create(dev, "xproc-partner/timeline", 0, false));
        ByteBuffer data = ByteBuffer.allocateDirect(LONGS * 8);
        // Setup turn: the image leaves UNDEFINED while this side holds the surface.
        if (!p.setupAcquire()) {
            return 1;
        }
        TimedWork.initializeImage(dev, image.image().handle(), true);
        data.putLong(SEQ * 8, -1L);
        c.release(s, 0L, c.fenceValue(), data);
        long bad = 0;
        for (long k = 0; ; k++) {
            if (!p.acquire(k)) {
                return 0; // the bench closed its broker: the run is over
            }
            long fence = c.fenceValue();
            int slot = (int) (k % SLOTS);
            long v = fence + 1;
            dev.submit(work.commandBuffer(slot), timeline, fence, timeline, v); // wait-before-signal, as the bench side
            data.putLong(SEQ * 8, k).putLong(ACQUIRED_AT * 8, p.acquiredAt).putLong(BAD_READS * 8, bad)
                    .putLong(VALIDATION * 8, p.vk.validationMessageCount());
            data.putLong(RELEASED_AT * 8, System.nanoTime());
            if (!p.release(v, data)) {
                return 0;
            }
            if (!CrossProcessHarness.awaitReached(c, s, fence, p.stall)) {
                timeline.signalFromHost(fence); // let the queued work drain before teardown
                System.out.println("the bench's FENCE_REACHED " + fence + " did not come within " + p.stall / 1_000_000 + " ms");
                return 1;
            }
            timeline.signalFromHost(fence);
            if (!timeline.awaitValue(v, p.stall)) {
                System.out.println("this GPU did not reach " + v + " within " + p.stall / 1_000_000 + " ms");
                return 1;
            }
            c.fenceReached(s, v);
            p.printValidationMessages();
            data.putLong(GPU_START * 8, p.clock.hostNanos(work.startTicks(slot))).putLong(GPU_END * 8, p.clock.hostNanos(work.endTicks(slot)));
            if (!CrossProcessHarness.cornerIsClear(work)) {
                bad++;
            }
        }
    }
}
