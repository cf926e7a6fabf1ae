package dev.baton.app.bench;

import java.util.concurrent.locks.LockSupport;

/**
 * The CPU floor: two threads hand a turn back and forth with {@link LockSupport#park} and
 * {@code unpark}, no mutex, no GPU. Latency is from just before the {@code unpark} to the other
 * thread seeing its turn; both directions are recorded into one series. The sides strictly
 * alternate (each volatile write of {@code turn} happens-before the other side's read), so the
 * series is never written by two threads at once.
 */
final class ParkPingPong {
    private volatile int turn;          // 0: the caller's turn, 1: the partner's
    private volatile long sentNanos;
    private volatile boolean stop;
    private final Thread caller = Thread.currentThread();
    private final Series series;
    private final long stallNanos;

    private ParkPingPong(Series series, long stallNanos) {
        this.series = series;
        this.stallNanos = stallNanos;
    }

    /**
     * Runs warm-up, clears the samples, then measures for {@code measureNanos}.
     *
     * @throws IllegalStateException if a turn did not come back within {@code stallNanos}
     */
    static void run(Series series, long warmupNanos, long measureNanos, long stallNanos) throws InterruptedException {
        ParkPingPong p = new ParkPingPong(series, stallNanos);
        Thread partner = new Thread(p::partnerLoop, "baton-bench-partner");
        partner.setDaemon(true);
        partner.start();
        try {
            p.rounds(partner, System.nanoTime() + warmupNanos);
            series.reset();
            ThreadCosts costs = new ThreadCosts(Thread.currentThread(), partner);
            costs.start();
            long start = System.nanoTime();
            long rounds = p.rounds(partner, start + measureNanos);
            long elapsed = System.nanoTime() - start;
            costs.stop();
            series.totals(2 * rounds, elapsed, costs.cpuNanos(), 0, costs.allocatedBytes());
        } finally {
            p.stop = true;
            LockSupport.unpark(partner);
            partner.join(1000);
        }
    }

    private long rounds(Thread partner, long endNanos) {
        long rounds = 0;
        while (System.nanoTime() < endNanos) {
            sentNanos = System.nanoTime();
            turn = 1;
            LockSupport.unpark(partner);
            await(0);
            series.record(System.nanoTime() - sentNanos);
            rounds++;
        }
        return rounds;
    }

    private void partnerLoop() {
        try {
            while (true) {
                await(1);
                if (stop) {
                    return;
                }
                series.record(System.nanoTime() - sentNanos);
                sentNanos = System.nanoTime();
                turn = 0;
                LockSupport.unpark(caller);
            }
        } catch (IllegalStateException stalled) {
            // the caller stopped or stalled; run() reports its own side
        }
    }

    private void await(int me) {
        long deadline = System.nanoTime() + stallNanos;
        while (turn != me && !stop) {
            LockSupport.parkNanos(this, stallNanos);
            if (turn != me && !stop && System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("park/unpark ping-pong stalled for " + stallNanos / 1_000_000 + " ms");
            }
        }
    }
}
