package dev.baton.sync;

import java.util.Arrays;

/**
 * A preallocated ring of nanosecond latency samples: {@link #record} is allocation-free and wait-free,
 * so it may sit in a frame loop or a handoff path; {@link #summary()} sorts a copy after the run.
 *
 * <p>Threading: single writer. One thread records; {@link #summary()} is meant for after the run (or
 * from the recording thread). Calling it concurrently with {@link #record} gives an approximate
 * snapshot, never an exception. When more samples arrive than the capacity, the oldest are overwritten
 * and the summary covers the most recent {@code capacity} samples ({@link Summary#recorded()} still
 * counts all).
 */
public final class LatencyRecorder {
    private final long[] samplesNanos;
    private long recorded; // total record() calls; the next slot is recorded % capacity

    /**
     * @param capacity how many most-recent samples to keep (8 bytes each, allocated now)
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public LatencyRecorder(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0, got " + capacity
                    + "; pass the number of samples to keep, e.g. 1 << 16");
        }
        this.samplesNanos = new long[capacity];
    }

    /**
     * Records one latency in nanoseconds (negative values are clamped to 0). Allocation-free.
     *
     * @param latencyNanos the latency in nanoseconds
     */
    public void record(long latencyNanos) {
        samplesNanos[(int) (recorded % samplesNanos.length)] = Math.max(0L, latencyNanos);
        recorded++;
    }

    /** Forgets every sample (keeps the buffer). */
    public void reset() {
        recorded = 0;
    }

    /** {@return the number of samples the ring keeps} */
    public int capacity() {
        return samplesNanos.length;
    }

    /**
     * Total {@link #record} calls since creation or {@link #reset()}.
     *
     * @return the count
     */
    public long recorded() {
        return recorded;
    }

    /**
     * Percentiles of the retained samples (nearest-rank: the smallest sample with at least p% of the
     * samples at or below it). Allocates a sorted copy: call after the run, not in the hot path.
     *
     * @return the percentiles
     */
    public Summary summary() {
        long total = recorded;
        int n = (int) Math.min(total, samplesNanos.length);
        long[] sorted = Arrays.copyOf(samplesNanos, n);
        Arrays.sort(sorted);
        return new Summary(total, n, percentile(sorted, 50.0), percentile(sorted, 90.0), percentile(sorted, 99.0),
                percentile(sorted, 99.9), n == 0 ? 0L : sorted[n - 1]);
    }

    static long percentile(long[] sorted, double percent) {
        int n = sorted.length;
        if (n == 0) {
            return 0L;
        }
        // 1-based nearest rank; the epsilon keeps 99.9% of 1000 at rank 999 despite binary rounding
        int rank = (int) Math.ceil(percent * n / 100.0 - 1e-9);
        return sorted[Math.max(0, Math.min(n - 1, rank - 1))];
    }

    /**
     * Latency percentiles in nanoseconds over {@code n} retained samples ({@code recorded} is every
     * sample ever recorded). All values are 0 when {@code n == 0}.
     */
    public record Summary(long recorded, int n, long p50Nanos, long p90Nanos, long p99Nanos, long p999Nanos, long maxNanos) {
        /** One line in microseconds, for logs and reports. */
        @Override
        public String toString() {
            return String.format("n=%d p50=%.1fus p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus",
                    n, p50Nanos / 1e3, p90Nanos / 1e3, p99Nanos / 1e3, p999Nanos / 1e3, maxNanos / 1e3);
        }
    }
}
