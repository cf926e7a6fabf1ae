package dev.baton.app.bench;

import dev.baton.sync.AcquireResult;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.KeyedMutex;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The keyed mutex alone, no GPU: two threads, two handles, keys 0 and 1 passed back and forth.
 * Latency from just before {@code release} to the other thread's {@code acquire} returning, both
 * directions. Its floor is {@link ParkPingPong} (the mutex parks and unparks its waiters).
 */
final class KeyedMutexPingPong {
    private static final long SLICE_NANOS = 20_000_000L;

    private final KeyedMutex mutex;
    private final Phase phase = new Phase();
    private final long stallNanos;
    /** Written by the owner before release, read by the next owner after acquire (the mutex orders them). */
    private long releaseNanos;
    private final long[][] samples;
    private final int[] counts = new int[2];
    private final long[] handoffs = new long[2];

    private KeyedMutexPingPong(int capacity, long spinNanos, long stallNanos) {
        this.mutex = KeyedMutex.create(0, KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES, spinNanos);
        this.stallNanos = stallNanos;
        this.samples = new long[][] {new long[capacity], new long[capacity]};
    }

    /**
     * @param spinNanos the mutex's spin budget before parking ({@link KeyedMutex#DEFAULT_SPIN_NANOS} is what surfaces use)
     */
    static void run(Series series, long spinNanos, long warmupNanos, long measureNanos, long stallNanos) throws InterruptedException {
        KeyedMutexPingPong p = new KeyedMutexPingPong(series.capacity(), spinNanos, stallNanos);
        KeyedMutex.Handle a = p.mutex.open("thread-a");
        KeyedMutex.Handle b = p.mutex.open("thread-b");
        try {
            Coordinator.Measured m = Coordinator.run(series.scenario, p.phase, List.of("baton-bench-mutex-a", "baton-bench-mutex-b"),
                    List.of(() -> p.side(0, a, 0, 1), () -> p.side(1, b, 1, 0)), List.of(), warmupNanos, measureNanos, stallNanos, null);
            for (int s = 0; s < 2; s++) {
                for (int i = 0; i < p.counts[s]; i++) {
                    series.record(p.samples[s][i]);
                }
            }
            series.totals(p.handoffs[0] + p.handoffs[1], m.elapsedNanos(), m.cpuNanos(), 0, m.allocatedBytes());
            series.processCpu(m.processCpuNanos());
            series.threads(m.threads());
        } finally {
            a.close();
            b.close();
            p.mutex.close();
        }
    }

    private void side(int me, KeyedMutex.Handle handle, long key, long nextKey) {
        boolean first = true;
        try {
            while (true) {
                if (me == 0 && phase.stopping()) {
                    return;
                }
                long waitStart = System.nanoTime();
                AcquireResult r;
                while (true) {
                    r = handle.acquire(key, SLICE_NANOS, TimeUnit.NANOSECONDS);
                    if (r.status() == AcquireStatus.ACQUIRED) {
                        break;
                    }
                    if (phase.stopping()) {
                        return;
                    }
                    if (System.nanoTime() - waitStart > stallNanos) {
                        throw new StallException("keyed-mutex ping-pong", "thread " + me + " waited for key " + key);
                    }
                }
                long now = System.nanoTime();
                if (!(me == 0 && first) && phase.measuring()) {
                    if (counts[me] < samples[me].length) {
                        samples[me][counts[me]++] = now - releaseNanos;
                    }
                    handoffs[me]++;
                }
                first = false;
                releaseNanos = System.nanoTime();
                handle.release(nextKey);
            }
        } catch (Throwable t) {
            phase.fail(t);
        }
    }
}
