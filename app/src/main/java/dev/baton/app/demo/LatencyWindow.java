package dev.baton.app.demo;

import org.HdrHistogram.Histogram;

/**
 * The most recent handoff latencies of one producer, for its panel: a preallocated ring of samples
 * (microseconds; the plot gets milliseconds), p50/p99 read on demand from a preallocated HdrHistogram
 * refilled from the ring, and the ring in arrival order for a plot. No allocation after construction.
 * One thread (the compositor's).
 */
public final class LatencyWindow {
    private final float[] ringMicros;
    /** Refilled from the ring for each quantile: the window is the last {@code capacity} samples. */
    private final Histogram window = new Histogram(1, HIGHEST_NANOS, 3);
    private final float[] plotX;
    private final float[] plotY;
    private long count;
    private static final long HIGHEST_NANOS = 60_000_000_000L;

    public LatencyWindow(int capacity) {
        ringMicros = new float[capacity];
        plotX = new float[capacity];
        plotY = new float[capacity];
    }

    public void record(long latencyNanos) {
        ringMicros[(int) (count % ringMicros.length)] = latencyNanos / 1000f;
        count++;
    }

    public long count() {
        return count;
    }

    public int size() {
        return (int) Math.min(count, ringMicros.length);
    }

    /** The q-quantile (0..1) of the window in microseconds, NaN when empty. */
    public float quantileMicros(double q) {
        int n = size();
        if (n == 0) {
            return Float.NaN;
        }
        window.reset();
        for (int i = 0; i < n; i++) {
            window.recordValue(Math.max(0, Math.min(HIGHEST_NANOS, (long) (ringMicros[i] * 1000.0))));
        }
        return window.getValueAtPercentile(q * 100) / 1000f;
    }

    /** The q-quantile (0..1) of the window in milliseconds, NaN when empty. */
    public float quantileMillis(double q) {
        return quantileMicros(q) / 1000f;
    }

    /** Records every sample of this window into {@code other} (for summaries after a run). */
    void copyInto(LatencyWindow other) {
        int n = size();
        long first = count - n;
        for (int i = 0; i < n; i++) {
            other.ringMicros[(int) (other.count % other.ringMicros.length)] = ringMicros[(int) ((first + i) % ringMicros.length)];
            other.count++;
        }
    }

    /**
     * Fills and returns the plot's x array (handoffs before the newest: -n+1 .. 0); {@link #plotY()}
     * then holds the latencies in milliseconds.
     */
    public float[] plotX() {
        int n = size();
        long first = count - n;
        for (int i = 0; i < n; i++) {
            plotX[i] = i - (n - 1);
            plotY[i] = ringMicros[(int) ((first + i) % ringMicros.length)] / 1000f;
        }
        return plotX;
    }

    public float[] plotY() {
        return plotY;
    }
}
