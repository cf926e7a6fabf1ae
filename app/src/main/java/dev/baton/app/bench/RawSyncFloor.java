package dev.baton.app.bench;

import dev.baton.render.vk.BinarySemaphoreLink;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.RawSubmission;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanTimeline;
import java.util.ArrayList;
import java.util.List;

/**
 * The sync floor of a shared-memory tier's ping-pong: the same submits on the same shared image
 * between the same two devices, ordered by raw Vulkan synchronization with no keyed mutex, no lease
 * and no CPU handoff. One thread submits for both devices (A's clear, then B's read, repeated).
 *
 * <p>Like for like with the tier's rows: each submit is the batch a leased submit makes
 * ({@link SurfaceEndpoint#submit}): the tier's semaphore wait, the lease's prologue command buffer
 * (ownership acquired from {@code VK_QUEUE_FAMILY_EXTERNAL}), the {@link TimedWork} command buffer
 * (created without its own ownership transfers, so its timestamps bracket only the work), the lease's
 * epilogue (released to EXTERNAL), then the signals. The barriers therefore fall inside the gpu-handoff
 * interval, as in the tier. Each device has the tier's {@value #SLOTS} slots in flight, and the
 * gpu-handoff series records every hop in both directions (A->B and B->A), as the tier's does.
 * <ul>
 * <li>{@link Mode#TIMELINE_BRIDGE} (lavapipe): A signals its timeline {@code 2i+1}; a host thread waits
 *     for it and signals B's timeline {@code 2i+1}; B's submit waits for it (wait-before-signal), signals
 *     {@code 2i+2}, which the host thread forwards back to A. The host-bridge tier's floor.</li>
 * <li>{@link Mode#BINARY} (SwiftShader): exported binary semaphores A->B and B->A. The binary-semaphore
 *     tier's floor.</li>
 * </ul>
 */
final class RawSyncFloor {
    enum Mode { TIMELINE_BRIDGE, BINARY }

    /** Slots in flight per device: the tiers' ({@link BenchCommand#SLOTS}). */
    static final int SLOTS = BenchCommand.SLOTS;
    private static final long SLICE_NANOS = 5_000_000L;

    private final String scenario;
    private final Mode mode;
    private final Phase phase = new Phase();
    private final long stallNanos;
    private final DeviceContext a;
    private final DeviceContext b;
    private final VulkanTimeline timelineA;
    private final VulkanTimeline timelineB;
    private final BinarySemaphoreLink aToB;
    private final BinarySemaphoreLink bToA;
    private final Recorder recA;
    private final Recorder recB;
    private final Recorder.Slots slotsA;
    private final Recorder.Slots slotsB;
    private final TimedWork.LeaseBarriers barriersA;
    private final TimedWork.LeaseBarriers barriersB;
    private volatile boolean bridgeStop;

    private RawSyncFloor(String scenario, Mode mode, long stallNanos, DeviceContext a, DeviceContext b, VulkanTimeline timelineA,
                         VulkanTimeline timelineB, BinarySemaphoreLink aToB, BinarySemaphoreLink bToA, TimedWork workA, TimedWork workB,
                         TimedWork.LeaseBarriers barriersA, TimedWork.LeaseBarriers barriersB, GpuClock clockA, GpuClock clockB,
                         int capacity) {
        this.scenario = scenario;
        this.mode = mode;
        this.stallNanos = stallNanos;
        this.a = a;
        this.b = b;
        this.timelineA = timelineA;
        this.timelineB = timelineB;
        this.aToB = aToB;
        this.bToA = bToA;
        this.recA = new Recorder(0, a.name(), clockA, capacity);
        this.recB = new Recorder(1, b.name(), clockB, capacity);
        this.slotsA = new Recorder.Slots(workA, timelineA);
        this.slotsB = new Recorder.Slots(workB, timelineB);
        this.barriersA = barriersA;
        this.barriersB = barriersB;
    }

    /**
     * Runs the floor and fills {@code gpu} (both directions: give it twice {@code endToEnd}'s capacity)
     * and {@code endToEnd}, and sets their notes (the floor's definition); everything it creates is
     * closed through {@code disposer} (in reverse), which the caller closes unless the run stalled.
     */
    static void run(Mode mode, DeviceContext a, DeviceContext b, GpuClock clockA, GpuClock clockB, int width, int height,
                    Series gpu, Series endToEnd, long warmupNanos, long measureNanos, long stallNanos, Disposer disposer)
            throws InterruptedException {
        SurfaceImage imageA = disposer.add(SurfaceImage.createExportable(a, width, height));
        SurfaceImage imageB = disposer.add(SurfaceImage.importFrom(b, imageA));
        TimedWork.initializeImage(a, imageA.handle(), true);
        TimedWork.initializeImage(b, imageB.handle(), true);
        // As the tiers: work without its own ownership transfers, between the lease's prologue and epilogue.
        TimedWork workA = disposer.add(TimedWork.create(a, imageA.handle(), width, height, TimedWork.Kind.CLEAR, SLOTS, false));
        TimedWork workB = disposer.add(TimedWork.create(b, imageB.handle(), width, height, TimedWork.Kind.READ, SLOTS, false));
        TimedWork.LeaseBarriers barriersA = disposer.add(TimedWork.LeaseBarriers.record(a, imageA.handle()));
        TimedWork.LeaseBarriers barriersB = disposer.add(TimedWork.LeaseBarriers.record(b, imageB.handle()));
        VulkanTimeline tlA = disposer.add(VulkanTimeline.create(a, a.name() + "/raw", 0, false));
        VulkanTimeline tlB = disposer.add(VulkanTimeline.create(b, b.name() + "/raw", 0, false));
        BinarySemaphoreLink ab = null;
        BinarySemaphoreLink ba = null;
        if (mode == Mode.BINARY) {
            ab = disposer.add(BinarySemaphoreLink.create(a, b));
            ba = disposer.add(BinarySemaphoreLink.create(b, a));
        }
        RawSyncFloor f = new RawSyncFloor(gpu.scenario, mode, stallNanos, a, b, tlA, tlB, ab, ba, workA, workB, barriersA, barriersB,
                clockA, clockB, endToEnd.capacity());
        List<String> names = new ArrayList<>(List.of("baton-bench-raw-submit"));
        List<Runnable> bodies = new ArrayList<>(List.of(f::submitLoop));
        Thread bridge = null;
        if (mode == Mode.TIMELINE_BRIDGE) {
            bridge = new Thread(f::bridgeLoop, "baton-bench-raw-bridge");
            bridge.setDaemon(true);
            bridge.start();
        }
        final Thread bridgeThread = bridge;
        Coordinator.Measured m = Coordinator.run(gpu.scenario, f.phase, names, bodies, bridge == null ? List.of() : List.of(bridge),
                warmupNanos, measureNanos, stallNanos, () -> f.bridgeStop = true);
        if (bridgeThread != null) {
            bridgeThread.join(stallNanos / 1_000_000);
            if (bridgeThread.isAlive()) {
                throw new StallException(gpu.scenario, "the raw host bridge thread did not stop");
            }
        }
        Recorder[] recorders = {f.recA, f.recB};
        Recorder.collect(recorders, null, gpu, endToEnd);
        long handoffs = Recorder.handoffs(recorders);
        gpu.totals(handoffs, m.elapsedNanos(), m.cpuNanos(), 0, m.allocatedBytes());
        endToEnd.totals(handoffs, m.elapsedNanos(), m.cpuNanos(), 0, m.allocatedBytes());
        gpu.processCpu(m.processCpuNanos());
        endToEnd.processCpu(m.processCpuNanos());
        gpu.threads(m.threads());
        endToEnd.threads(m.threads());
        notes(mode, gpu, endToEnd, clockA);
    }

    /** The floor's definition, short for the terminal and exact for the JSON. */
    private static void notes(Mode mode, Series gpu, Series endToEnd, GpuClock clock) {
        boolean bridge = mode == Mode.TIMELINE_BRIDGE;
        String tier = bridge ? "ping-pong host-bridge" : "ping-pong binary-semaphore";
        String order = bridge
                ? "A's submit waits on A's own timeline for 2i and signals it 2i+1, B's waits on B's own timeline for 2i+1 "
                + "(wait-before-signal) and signals it 2i+2; a host thread waits for each value on the signalling device's "
                + "timeline and signals it on the other's"
                : "A's submit waits on the binary semaphore B->A (from its second iteration on) and signals its timeline 2i+1 and "
                + "the exported binary semaphore A->B; B's waits on A->B and signals its timeline 2i+2 and B->A";
        String batch = "one thread submits for both devices, alternately, no keyed mutex, no lease, no CPU handoff; each submit is "
                + "the batch of the tier's leased submit: " + (bridge ? "the timeline wait" : "the binary semaphore wait")
                + ", the lease's prologue command buffer (image ownership acquired from VK_QUEUE_FAMILY_EXTERNAL), the TimedWork "
                + "command buffer (A: clear the whole image, B: copy its 4x4 corner into a host buffer; reset queries, "
                + "timestamp at TOP_OF_PIPE, work, timestamp after all commands), the lease's epilogue (released to EXTERNAL), "
                + "then the signals; " + order + "; " + SLOTS + " slots per device in flight (the tier's)";
        String clockText = bridge ? "timestamps mapped to the host clock by " + clock.method()
                : "raw ticks of one SwiftShader clock (both devices share it)";
        gpu.note("floor of " + tier + ": the same submits (prologue, work, epilogue command buffers; " + SLOTS + " slots) without "
                        + "keyed mutex or CPU handoff, one submitting thread" + (bridge ? ", a host thread forwarding timeline values" : "")
                        + "; sender's last timestamp to receiver's first, A->B and B->A",
                "raw sync floor of " + tier + ": " + batch + ". Sample: the sender's last GPU timestamp (end of its work) to the "
                        + "receiver's first (start of its work, after its semaphore wait and its prologue), for every hop in both "
                        + "directions (A->B and B->A), so the epilogue, the signal, " + (bridge ? "the host forward, " : "")
                        + "the wait and the prologue fall inside it as in the tier's gpu-handoff; " + clockText);
        endToEnd.note("floor of " + tier + ": A's submit to B's last GPU timestamp, same submits and " + SLOTS
                        + " slots per device as the tier, no CPU handoff",
                "raw sync floor of " + tier + " end-to-end: " + batch + ". Sample: host time just before A's vkQueueSubmit2 of "
                        + "iteration i to B's last GPU timestamp of iteration i (on the host clock), every iteration, as the tier "
                        + "measures its producer's submit to the consumer's last timestamp; " + clockText);
    }

    private void submitLoop() {
        RawSubmission submitA = new RawSubmission(a);
        RawSubmission submitB = new RawSubmission(b);
        try {
            try {
                int lastRb = -1;                             // B's record of the previous iteration
                for (long i = 0; !phase.stopping(); i++) {
                    boolean measuring = phase.measuring();
                    int ra = measuring ? recA.newRecord() : -1;
                    if (ra >= 0 && i > 0) {
                        recA.fromRecorder[ra] = recB.id;     // B -> A: the previous iteration's way back
                        recA.fromRecord[ra] = lastRb;
                    }
                    if (measuring && i > 0) {
                        recA.handoffs++;
                    }
                    int sa = slotsA.claim(recA, stallNanos, scenario);
                    long submitNanos = System.nanoTime();
                    submitA.begin();
                    if (i > 0) {
                        if (mode == Mode.TIMELINE_BRIDGE) {
                            submitA.waitTimeline(timelineA, 2 * i);
                        } else {
                            submitA.waitBinary(bToA.waitSide());
                        }
                    }
                    submitA.commandBuffer(barriersA.prologue()).commandBuffer(slotsA.work.commandBuffer(sa))
                            .commandBuffer(barriersA.epilogue()).signalTimeline(timelineA, 2 * i + 1);
                    if (mode == Mode.BINARY) {
                        submitA.signalBinary(aToB.signalSide());
                    }
                    submitA.submit();
                    slotsA.submitted(sa, 2 * i + 1, ra);

                    int rb = measuring ? recB.newRecord() : -1;
                    if (rb >= 0) {
                        recB.fromRecorder[rb] = recA.id;
                        recB.fromRecord[rb] = ra;
                        recB.originNanos[rb] = submitNanos;
                    }
                    int sb = slotsB.claim(recB, stallNanos, scenario);
                    submitB.begin();
                    if (mode == Mode.TIMELINE_BRIDGE) {
                        submitB.waitTimeline(timelineB, 2 * i + 1);
                    } else {
                        submitB.waitBinary(aToB.waitSide());
                    }
                    submitB.commandBuffer(barriersB.prologue()).commandBuffer(slotsB.work.commandBuffer(sb))
                            .commandBuffer(barriersB.epilogue()).signalTimeline(timelineB, 2 * i + 2);
                    if (mode == Mode.BINARY) {
                        submitB.signalBinary(bToA.signalSide());
                    }
                    submitB.submit();
                    slotsB.submitted(sb, 2 * i + 2, rb);
                    if (measuring) {
                        recB.handoffs++;                     // A -> B
                    }
                    lastRb = rb;
                }
            } finally {
                slotsA.drain(recA, stallNanos, scenario);
                slotsB.drain(recB, stallNanos, scenario);
                if (mode == Mode.BINARY) {
                    // B's last signal of B->A was never waited: wait it on A so the semaphore ends unsignalled.
                    long last = timelineA.completedValue() + 1;
                    new RawSubmission(a).begin().waitBinary(bToA.waitSide()).signalTimeline(timelineA, last).submit();
                    if (!timelineA.awaitValue(last, stallNanos)) {
                        throw new StallException(scenario, "the final binary wait on " + a.name() + " did not complete");
                    }
                }
            }
        } catch (Throwable t) {
            phase.fail(t);
        }
    }

    /** Forwards A's odd values to B and B's even values to A, waiting in slices so it can stop. */
    private void bridgeLoop() {
        try {
            for (long i = 0; ; i++) {
                if (!forward(timelineA, 2 * i + 1, timelineB)) {
                    return;
                }
                if (!forward(timelineB, 2 * i + 2, timelineA)) {
                    return;
                }
            }
        } catch (Throwable t) {
            phase.fail(t);
        }
    }

    private boolean forward(VulkanTimeline from, long value, VulkanTimeline to) throws InterruptedException {
        while (!from.awaitValue(value, SLICE_NANOS)) {
            if (bridgeStop) {
                return false;
            }
        }
        to.signalFromHost(value);
        return true;
    }
}
