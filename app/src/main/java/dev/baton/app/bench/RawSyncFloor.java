package dev.baton.app.bench;

import dev.baton.render.vk.BinarySemaphoreLink;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.RawSubmission;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanTimeline;
import java.util.ArrayList;
import java.util.List;

/**
 * The sync floor of a shared-memory tier: the same timed work on the same shared image between the
 * same two devices, ordered by raw Vulkan synchronization with no keyed mutex, no lease and no CPU
 * handoff. One thread submits for both devices (A's clear, then B's read, repeated), at most
 * {@value #SLOTS} iterations ahead of the GPUs.
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

    static final int SLOTS = 2;
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
    private volatile boolean bridgeStop;

    private RawSyncFloor(String scenario, Mode mode, long stallNanos, DeviceContext a, DeviceContext b, VulkanTimeline timelineA,
                         VulkanTimeline timelineB, BinarySemaphoreLink aToB, BinarySemaphoreLink bToA, TimedWork workA, TimedWork workB,
                         GpuClock clockA, GpuClock clockB, int capacity) {
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
    }

    /**
     * Runs the floor and fills {@code gpu} and {@code endToEnd}; everything it creates is closed
     * through {@code disposer} (in reverse), which the caller closes unless the run stalled.
     */
    static void run(Mode mode, DeviceContext a, DeviceContext b, GpuClock clockA, GpuClock clockB, int width, int height,
                    Series gpu, Series endToEnd, long warmupNanos, long measureNanos, long stallNanos, Disposer disposer)
            throws InterruptedException {
        SurfaceImage imageA = disposer.add(SurfaceImage.createExportable(a, width, height));
        SurfaceImage imageB = disposer.add(SurfaceImage.importFrom(b, imageA));
        TimedWork.initializeImage(a, imageA.handle(), true);
        TimedWork.initializeImage(b, imageB.handle(), true);
        TimedWork workA = disposer.add(TimedWork.create(a, imageA.handle(), width, height, TimedWork.Kind.CLEAR, SLOTS, true));
        TimedWork workB = disposer.add(TimedWork.create(b, imageB.handle(), width, height, TimedWork.Kind.READ, SLOTS, true));
        VulkanTimeline tlA = disposer.add(VulkanTimeline.create(a, a.name() + "/raw", 0, false));
        VulkanTimeline tlB = disposer.add(VulkanTimeline.create(b, b.name() + "/raw", 0, false));
        BinarySemaphoreLink ab = null;
        BinarySemaphoreLink ba = null;
        if (mode == Mode.BINARY) {
            ab = disposer.add(BinarySemaphoreLink.create(a, b));
            ba = disposer.add(BinarySemaphoreLink.create(b, a));
        }
        RawSyncFloor f = new RawSyncFloor(gpu.scenario, mode, stallNanos, a, b, tlA, tlB, ab, ba, workA, workB, clockA, clockB,
                gpu.capacity());
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
    }

    private void submitLoop() {
        RawSubmission submitA = new RawSubmission(a);
        RawSubmission submitB = new RawSubmission(b);
        try {
            try {
                for (long i = 0; !phase.stopping(); i++) {
                    boolean measuring = phase.measuring();
                    int ra = measuring ? recA.newRecord() : -1;
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
                    submitA.commandBuffer(slotsA.work.commandBuffer(sa)).signalTimeline(timelineA, 2 * i + 1);
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
                    submitB.commandBuffer(slotsB.work.commandBuffer(sb)).signalTimeline(timelineB, 2 * i + 2);
                    if (mode == Mode.BINARY) {
                        submitB.signalBinary(bToA.signalSide());
                    }
                    submitB.submit();
                    slotsB.submitted(sb, 2 * i + 2, rb);
                    if (measuring) {
                        recB.handoffs++;                     // A -> B
                        if (i > 0) {
                            recA.handoffs++;                 // B -> A (the previous iteration's way back)
                        }
                    }
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
