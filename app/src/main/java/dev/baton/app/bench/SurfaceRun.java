package dev.baton.app.bench;

import dev.baton.render.vk.Lease;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.render.vk.TimedWork;
import dev.baton.sync.AcquireStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a keyed-mutex scenario on real shared surfaces: worker threads, each owning one device, visit
 * their surfaces in a fixed rotation; a visit is acquire(key) - submit the prerecorded timed work under
 * the lease - release(nextKey) at submit time. Ping-pong, the producer ring, one-to-K and N-to-one are
 * all just different visit lists. A ping-pong side may instead release and queue for its key again in
 * one step ({@link Visit#releaseAndAcquire}), and its timed work may carry the lease's acquire/release
 * commands itself ({@link Visit#ownBarriers}: one command buffer per submit instead of three).
 *
 * <p>The measured path allocates nothing of its own: timestamps, handoff origins and CPU samples go
 * into each worker's preallocated {@link Recorder}, and the per-surface {@link Mailbox} is written by
 * the releasing owner before {@code release} and read by the next owner after {@code acquire} (the
 * keyed mutex orders the two).
 */
final class SurfaceRun {
    /** Acquire waits are cut into slices this long so a stopping run ends promptly. */
    static final long SLICE_NANOS = 20_000_000L;

    /** What the previous owner of one surface left for the next one. Guarded by the surface's mutex. */
    static final class Mailbox {
        long releaseNanos;
        long originNanos;
        int fromRecorder = -1;
        int fromRecord = -1;
    }

    /** One stop of a worker's rotation: which endpoint, which keys, which timed work. */
    static final class Visit {
        final SurfaceEndpoint endpoint;
        final long key;
        final long nextKey;
        /** The chain starts here: end-to-end latency is measured from this visit's submit. */
        final boolean origin;
        /** The chain ends here: end-to-end latency is measured to this visit's last timestamp. */
        final boolean sink;
        final Mailbox mailbox;
        final Recorder.Slots slots;
        long lastCopiedBytes;
        /** The timed work carries the lease's acquire/release commands ({@code TimedWork.createWithLeaseBarriers}). */
        boolean ownBarriers;
        /**
         * Release with {@code Lease.releaseAndAcquire}, queueing for the next visit's key in the same step;
         * only for a worker whose every visit is on this endpoint (a ping-pong side).
         */
        boolean releaseAndAcquire;

        Visit(SurfaceEndpoint endpoint, long key, long nextKey, boolean origin, boolean sink, Mailbox mailbox, TimedWork work) {
            this.endpoint = endpoint;
            this.key = key;
            this.nextKey = nextKey;
            this.origin = origin;
            this.sink = sink;
            this.mailbox = mailbox;
            this.slots = new Recorder.Slots(work, endpoint.timeline());
        }
    }

    /** One worker thread: a recorder and its rotation of visits (all on the recorder's device). */
    static final class Worker {
        final Recorder recorder;
        final List<Visit> visits = new ArrayList<>();

        Worker(Recorder recorder) {
            this.recorder = recorder;
        }
    }

    private final String scenario;
    private final Phase phase;
    private final long stallNanos;

    SurfaceRun(String scenario, Phase phase, long stallNanos) {
        this.scenario = scenario;
        this.phase = phase;
        this.stallNanos = stallNanos;
    }

    /** The body of a worker thread; failures go to {@link Phase#fail}. */
    void work(Worker worker) {
        Recorder rec = worker.recorder;
        Visit[] visits = worker.visits.toArray(new Visit[0]);
        try {
            try {
                loop(rec, visits);
            } finally {
                for (Visit v : visits) {
                    v.slots.drain(rec, stallNanos, scenario);
                }
            }
        } catch (Throwable t) {
            phase.fail(t);
        }
    }

    private void loop(Recorder rec, Visit[] visits) throws InterruptedException {
        int next = 0;
        Lease reacquired = null; // what the previous visit's releaseAndAcquire returned, or null
        while (true) {
            Visit visit = visits[next];
            next = next + 1 == visits.length ? 0 : next + 1;
            SurfaceEndpoint endpoint = visit.endpoint;
            if (visit.origin && phase.stopping()) {
                if (reacquired != null && reacquired.acquired()) {
                    reacquired.release(visit.nextKey, null); // nothing submitted: the obligations pass on unchanged
                }
                return;
            }
            long waitStart = System.nanoTime();
            Lease lease = reacquired;
            reacquired = null;
            while (lease == null || !lease.acquired()) {
                if (lease == null) {
                    lease = endpoint.acquire(visit.key, SLICE_NANOS);
                    if (lease.acquired()) {
                        break;
                    }
                }
                if (lease.status() == AcquireStatus.ABANDONED) {
                    throw new StallException(scenario, endpoint + " found the surface abandoned");
                }
                if (phase.stopping()) {
                    return;
                }
                if (System.nanoTime() - waitStart > stallNanos) {
                    throw new StallException(scenario, endpoint + " waited " + stallNanos / 1_000_000 + " ms for key " + visit.key);
                }
                lease = null; // a timed-out slice: acquire again
            }
            long acquiredNanos = System.nanoTime();
            boolean measuring = phase.measuring();
            Mailbox m = visit.mailbox;
            int r = measuring ? rec.newRecord() : -1;
            if (m.fromRecorder >= 0 && m.fromRecorder != rec.id) {
                if (measuring) {
                    rec.cpuHandoff(acquiredNanos - m.releaseNanos);
                    rec.handoffs++;
                }
                if (r >= 0) {
                    rec.fromRecorder[r] = m.fromRecorder;
                    rec.fromRecord[r] = m.fromRecord;
                }
            }
            int slot = visit.slots.claim(rec, stallNanos, scenario);
            long submitNanos = System.nanoTime();
            if (visit.ownBarriers) {
                lease.barriersPrerecorded();
            }
            long value = endpoint.device().submit(visit.slots.work.commandBuffer(slot), lease);
            visit.slots.submitted(slot, value, r);
            long origin = visit.origin ? submitNanos : m.originNanos;
            if (r >= 0 && visit.sink) {
                rec.originNanos[r] = origin;
            }
            long copied = endpoint.copiedBytes();
            if (measuring) {
                rec.copiedBytes += copied - visit.lastCopiedBytes;
            }
            visit.lastCopiedBytes = copied;
            m.originNanos = origin;
            m.fromRecorder = rec.id;
            m.fromRecord = r;
            m.releaseNanos = System.nanoTime();
            if (visit.releaseAndAcquire) {
                reacquired = lease.releaseAndAcquire(visit.nextKey, null, visits[next].key, SLICE_NANOS);
            } else {
                lease.release(visit.nextKey, null);
            }
        }
    }
}
