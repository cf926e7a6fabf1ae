package dev.baton.sync;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Latency samples in nanoseconds kept in an HdrHistogram (3 significant digits, 0 to the highest
 * trackable value given at construction), so percentiles cost the same however many samples were
 * recorded and every sample counts (there is no window that forgets old ones).
 *
 * <p>Threading: one writer thread calls {@link #record}, which is wait-free and allocation-free (an
 * HdrHistogram {@link SingleWriterRecorder} on preallocated counts), so it may sit in a frame loop or
 * a handoff path. Any other thread may call the reader methods ({@link #summary()},
 * {@link #histogram()}, {@link #recorded()}, {@link #reset()}) at any time, also while the writer
 * records: each moves what was recorded since the previous read into a cumulative histogram (the
 * recorder's phaser makes that safe without locking the writer); readers serialise among themselves.
 */
public final class LatencyRecorder {
    /** The default highest trackable latency: a minute (anything longer is a stall, not a latency). */
    public static final long DEFAULT_HIGHEST_NANOS = 60_000_000_000L;
    private static final int SIGNIFICANT_DIGITS = 3;

    private final long highestNanos;
    private final SingleWriterRecorder recorder;
    private final Histogram total;
    private Histogram interval; // recycled between reads: the reader allocates nothing in steady state either

    /** A recorder for latencies from 0 to {@link #DEFAULT_HIGHEST_NANOS} (about 200 KB of counts, allocated now). */
    public LatencyRecorder() {
        this(DEFAULT_HIGHEST_NANOS);
    }

    /**
     * A recorder for latencies from 0 to {@code highestNanos}. A factory rather than a constructor so
     * that code written for the former ring ({@code new LatencyRecorder(capacity)}) fails to compile
     * instead of silently taking its capacity as a latency bound.
     *
     * @param highestNanos the highest latency kept apart (to 3 significant digits); larger samples are
     *                     recorded as this value
     * @return a new recorder whose counts (about 200 KB for a minute) are allocated now
     * @throws IllegalArgumentException if {@code highestNanos} is below 2
     */
    public static LatencyRecorder upTo(long highestNanos) {
        return new LatencyRecorder(highestNanos);
    }

    private LatencyRecorder(long highestNanos) {
        if (highestNanos < 2) {
            throw new IllegalArgumentException("highest trackable latency must be >= 2 ns, got " + highestNanos
                    + "; pass the longest latency worth telling apart, e.g. 60_000_000_000L for a minute");
        }
        this.highestNanos = highestNanos;
        this.recorder = new SingleWriterRecorder(1, highestNanos, SIGNIFICANT_DIGITS);
        this.total = new Histogram(1, highestNanos, SIGNIFICANT_DIGITS);
    }

    /**
     * Records one latency in nanoseconds, clamped to 0..highest (a negative value, e.g. two clocks that
     * disagree, counts as 0). Allocation-free and wait-free; from the one writer thread only.
     *
     * @param latencyNanos the latency in nanoseconds; values above {@link #highestNanos()} are recorded
     *                     as that value
     */
    public void record(long latencyNanos) {
        recorder.recordValue(latencyNanos < 0 ? 0 : Math.min(latencyNanos, highestNanos));
    }

    /** Forgets every sample recorded so far (safe while the writer records: later samples are kept). */
    public synchronized void reset() {
        recorder.reset();
        total.reset();
    }

    /** {@return the highest latency in nanoseconds kept apart; larger samples were recorded as this} */
    public long highestNanos() {
        return highestNanos;
    }

    /** {@return the number of samples recorded since creation or the last {@link #reset()}} Any thread. */
    public synchronized long recorded() {
        drain();
        return total.getTotalCount();
    }

    /**
     * {@return a copy of every sample recorded so far (e.g. for an HdrHistogram .hlog file)} The copy
     * is the caller's: later samples do not change it. Any thread.
     */
    public synchronized Histogram histogram() {
        drain();
        return total.copy();
    }

    /**
     * Percentiles of every sample recorded so far, as HdrHistogram reports them (the highest value
     * equivalent, to 3 significant digits, to the sample at that percentile). Any thread.
     *
     * @return the count, p50, p90, p99, p99.9 and maximum in nanoseconds; all 0 if nothing was recorded
     */
    public synchronized Summary summary() {
        drain();
        Histogram h = total;
        long n = h.getTotalCount();
        if (n == 0) {
            return new Summary(0, 0, 0, 0, 0, 0);
        }
        return new Summary(n, h.getValueAtPercentile(50), h.getValueAtPercentile(90), h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    private void drain() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
    }

    /**
     * Latency percentiles in nanoseconds over {@code recorded} samples; all values are 0 when none was
     * recorded.
     */
    public record Summary(long recorded, long p50Nanos, long p90Nanos, long p99Nanos, long p999Nanos, long maxNanos) {
        /** One line in microseconds, for logs and reports. */
        @Override
        public String toString() {
            return String.format("n=%d p50=%.1fus p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus",
                    recorded, p50Nanos / 1e3, p90Nanos / 1e3, p99Nanos / 1e3, p999Nanos / 1e3, maxNanos / 1e3);
        }
    }
}
