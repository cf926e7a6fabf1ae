package dev.baton.app.bench;

import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.RawSubmission;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanTimeline;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.lwjgl.system.MemoryUtil;

/**
 * What people do without a keyed mutex or GPU-side sync: each side submits, blocks in
 * {@code vkQueueWaitIdle} until its GPU is done, then hands the turn to the other thread with a
 * {@link ReentrantLock}/{@link Condition}.
 * <ul>
 * <li>{@link Mode#SHARED_MEMORY}: the image is shared (same as the tiers), only the sync is naive.</li>
 * <li>{@link Mode#READBACK_UPLOAD}: no interop at all: A clears and reads the whole image back into
 *     host memory, the CPU copies it into B's upload buffer, B uploads it and reads 4x4 pixels. The
 *     host-copy tier's floor.</li>
 * </ul>
 * {@code vkQueueWaitIdle} has no timeout; the coordinator's watchdog bounds the scenario instead.
 */
final class NaiveHandoff {
    enum Mode { SHARED_MEMORY, READBACK_UPLOAD }

    private static final long SLICE_NANOS = 20_000_000L;

    private final String scenario;
    private final Mode mode;
    private final Phase phase = new Phase();
    private final long stallNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition turnChanged = lock.newCondition();
    private int turn;              // 0: A's, 1: B's; guarded by lock
    private long releaseNanos;     // guarded by lock
    private long originNanos;      // A's submit time of the frame B receives; guarded by lock
    private int fromRecord = -1;   // guarded by lock
    private final Side[] sides = new Side[2];

    private final class Side {
        final int index;
        final DeviceContext device;
        final TimedWork work;
        final VulkanTimeline timeline;
        final Recorder recorder;
        long value;

        Side(int index, DeviceContext device, TimedWork work, VulkanTimeline timeline, Recorder recorder) {
            this.index = index;
            this.device = device;
            this.work = work;
            this.timeline = timeline;
            this.recorder = recorder;
        }
    }

    private NaiveHandoff(String scenario, Mode mode, long stallNanos) {
        this.scenario = scenario;
        this.mode = mode;
        this.stallNanos = stallNanos;
    }

    /** Runs the scenario and fills the three series (cpu may not be null). */
    static void run(Mode mode, DeviceContext a, DeviceContext b, GpuClock clockA, GpuClock clockB, int width, int height,
                    Series cpu, Series gpu, Series endToEnd, long warmupNanos, long measureNanos, long stallNanos, Disposer disposer)
            throws InterruptedException {
        NaiveHandoff n = new NaiveHandoff(cpu.scenario, mode, stallNanos);
        boolean shared = mode == Mode.SHARED_MEMORY;
        SurfaceImage imageA = disposer.add(shared ? SurfaceImage.createExportable(a, width, height) : SurfaceImage.createPrivate(a, width, height));
        SurfaceImage imageB = disposer.add(shared ? SurfaceImage.importFrom(b, imageA) : SurfaceImage.createPrivate(b, width, height));
        TimedWork.initializeImage(a, imageA.handle(), shared);
        TimedWork.initializeImage(b, imageB.handle(), shared);
        TimedWork workA = disposer.add(TimedWork.create(a, imageA.handle(), width, height,
                shared ? TimedWork.Kind.CLEAR : TimedWork.Kind.CLEAR_THEN_READBACK, 1, shared));
        TimedWork workB = disposer.add(TimedWork.create(b, imageB.handle(), width, height,
                shared ? TimedWork.Kind.READ : TimedWork.Kind.UPLOAD_THEN_READ, 1, shared));
        int capacity = cpu.capacity();
        n.sides[0] = n.new Side(0, a, workA, disposer.add(VulkanTimeline.create(a, a.name() + "/naive", 0, false)),
                new Recorder(0, a.name(), clockA, capacity));
        n.sides[1] = n.new Side(1, b, workB, disposer.add(VulkanTimeline.create(b, b.name() + "/naive", 0, false)),
                new Recorder(1, b.name(), clockB, capacity));
        Coordinator.Measured m = Coordinator.run(cpu.scenario, n.phase, List.of("baton-bench-naive-a", "baton-bench-naive-b"),
                List.of(() -> n.side(n.sides[0]), () -> n.side(n.sides[1])), List.of(), warmupNanos, measureNanos, stallNanos, null);
        Recorder[] recorders = {n.sides[0].recorder, n.sides[1].recorder};
        Recorder.collect(recorders, cpu, gpu, endToEnd);
        long handoffs = Recorder.handoffs(recorders);
        long copied = Recorder.copiedBytes(recorders);
        cpu.totals(handoffs, m.elapsedNanos(), m.cpuNanos(), copied, m.allocatedBytes());
        gpu.totals(handoffs, m.elapsedNanos(), m.cpuNanos(), copied, m.allocatedBytes());
        endToEnd.totals(handoffs, m.elapsedNanos(), m.cpuNanos(), copied, m.allocatedBytes());
        for (Series x : new Series[] {cpu, gpu, endToEnd}) {
            x.processCpu(m.processCpuNanos());
            x.threads(m.threads());
        }
    }

    private void side(Side me) {
        RawSubmission submit = new RawSubmission(me.device);
        Recorder rec = me.recorder;
        boolean first = true;
        try {
            while (true) {
                if (me.index == 0 && phase.stopping()) {
                    return;
                }
                long received;
                long origin;
                int from;
                lock.lock();
                try {
                    long waitStart = System.nanoTime();
                    while (turn != me.index) {
                        turnChanged.await(SLICE_NANOS, TimeUnit.NANOSECONDS);
                        if (turn != me.index && phase.stopping()) {
                            return;
                        }
                        if (turn != me.index && System.nanoTime() - waitStart > stallNanos) {
                            throw new StallException(scenario, "side " + me.index + " never got its turn");
                        }
                    }
                    received = System.nanoTime() - releaseNanos;
                    origin = originNanos;
                    from = fromRecord;
                } finally {
                    lock.unlock();
                }
                boolean measuring = phase.measuring();
                int r = measuring ? rec.newRecord() : -1;
                if (!(me.index == 0 && first) && measuring) {
                    rec.cpuHandoff(received);
                    rec.handoffs++;
                }
                first = false;
                if (me.index == 1 && mode == Mode.READBACK_UPLOAD) {
                    // The CPU copy between the two drivers' host buffers: what host-copy does in acquire.
                    ByteBuffer src = sides[0].work.hostBuffer().mapped();
                    ByteBuffer dst = me.work.hostBuffer().mapped();
                    int bytes = Math.min(src.capacity(), dst.capacity());
                    MemoryUtil.memCopy(MemoryUtil.memAddress0(src), MemoryUtil.memAddress0(dst), bytes);
                    if (measuring) {
                        rec.copiedBytes += bytes + (long) dst.capacity(); // the memcpy, then the GPU upload of the buffer
                    }
                }
                if (me.index == 0 && mode == Mode.READBACK_UPLOAD && measuring) {
                    rec.copiedBytes += me.work.hostBuffer().mapped().capacity(); // the GPU read-back of the whole image
                }
                long submitNanos = System.nanoTime();
                me.value++;
                submit.begin().commandBuffer(me.work.commandBuffer(0)).signalTimeline(me.timeline, me.value).submit();
                submit.waitIdle();
                if (r >= 0) {
                    rec.startTicks[r] = me.work.startTicks(0);
                    rec.endTicks[r] = me.work.endTicks(0);
                    rec.harvested[r] = true;
                    if (me.index == 1) {
                        rec.fromRecorder[r] = 0;
                        rec.fromRecord[r] = from;
                        rec.originNanos[r] = origin;
                    } else if (from >= 0) {
                        rec.fromRecorder[r] = 1;
                        rec.fromRecord[r] = from;
                    }
                }
                long beforeRelease = System.nanoTime();
                lock.lock();
                try {
                    turn = 1 - me.index;
                    fromRecord = r;
                    if (me.index == 0) {
                        originNanos = submitNanos;
                    }
                    releaseNanos = beforeRelease;
                    turnChanged.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (Throwable t) {
            phase.fail(t);
        }
    }
}
