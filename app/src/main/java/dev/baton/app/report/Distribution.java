package dev.baton.app.report;

import org.HdrHistogram.Histogram;

/**
 * Summary of one series of latency samples in nanoseconds: count and the percentiles a report
 * shows, read from the series' HdrHistogram (3 significant digits: each figure is the highest value
 * equivalent to the recorded ones at that precision, within 0.1%). Built after a run, never in a
 * measured loop. The histogram is kept for plots and .hlog files; treat it as read-only.
 */
public record Distribution(long count, long p50Nanos, long p90Nanos, long p99Nanos, long p999Nanos, long maxNanos, Histogram histogram) {

    /** The figures of {@code histogram}; an empty one has all figures 0. */
    public static Distribution of(Histogram histogram) {
        long n = histogram.getTotalCount();
        if (n == 0) {
            return new Distribution(0, 0, 0, 0, 0, 0, histogram);
        }
        return new Distribution(n, histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90),
                histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue(), histogram);
    }

    public double p50Micros() {
        return p50Nanos / 1000.0;
    }

    public double p99Micros() {
        return p99Nanos / 1000.0;
    }

    /** Share (0..1) of the samples below {@code nanos}, NaN when empty. */
    public double shareBelow(long nanos) {
        return count == 0 ? Double.NaN : (double) histogram.getCountBetweenValues(0, Math.max(0, nanos - 1)) / count;
    }
}
