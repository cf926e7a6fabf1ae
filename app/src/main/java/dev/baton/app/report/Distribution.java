package dev.baton.app.report;

import java.util.Arrays;

/**
 * Summary of one series of latency samples in nanoseconds: count and the percentiles a report
 * shows. Built once after a run from the recorded samples (never in a measured loop).
 * Percentiles use the nearest-rank method on the sorted samples.
 */
public record Distribution(long count, long p50Nanos, long p90Nanos, long p99Nanos, long p999Nanos, long maxNanos, long[] sortedNanos) {

    /** Sorts a copy of the first {@code count} samples. An empty series has all figures 0. */
    public static Distribution of(long[] samplesNanos, int count) {
        long[] sorted = Arrays.copyOf(samplesNanos, count);
        Arrays.sort(sorted);
        if (count == 0) {
            return new Distribution(0, 0, 0, 0, 0, 0, sorted);
        }
        return new Distribution(count, rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99), rank(sorted, 0.999),
                sorted[count - 1], sorted);
    }

    private static long rank(long[] sorted, double q) {
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    public double p50Micros() {
        return p50Nanos / 1000.0;
    }

    public double p99Micros() {
        return p99Nanos / 1000.0;
    }
}
