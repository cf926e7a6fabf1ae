package dev.baton.app.demo;

import java.util.Arrays;

/**
 * The most recent handoff latencies of one producer, for its panel: a preallocated ring of samples
 * (microseconds; the plot gets milliseconds), p50/p99 recomputed on demand into a preallocated scratch array, and the ring in
 * arrival order for a plot. No allocation after construction. One thread (the compositor's).
 */
final class LatencyWindow {
    private final float[] ringMicros;
    private final float[] scratch;
    private final float[] plotX;
    private final float[] plotY;
    private long count;

    LatencyWindow(int capacity) {
        ringMicros = new float[capacity];
        scratch = new float[capacity];
        plotX = new float[capacity];
        plotY = new float[capacity];
    }

    void record(long latencyNanos) {
        ringMicros[(int) (count % ringMicros.length)] = latencyNanos / 1000f;
        count++;
    }

    long count() {
        return count;
    }

    int size() {
        return (int) Math.min(count, ringMicros.length);
    }

    /** The q-quantile (0..1) of the window in microseconds, NaN when empty. */
    float quantileMicros(double q) {
        int n = size();
        if (n == 0) {
            return Float.NaN;
        }
        System.arraycopy(ringMicros, 0, scratch, 0, n);
        Arrays.sort(scratch, 0, n);
        return scratch[Math.max(0, Math.min(n - 1, (int) Math.ceil(q * n) - 1))];
    }

    /** The q-quantile (0..1) of the window in milliseconds, NaN when empty. */
    float quantileMillis(double q) {
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
    float[] plotX() {
        int n = size();
        long first = count - n;
        for (int i = 0; i < n; i++) {
            plotX[i] = i - (n - 1);
            plotY[i] = ringMicros[(int) ((first + i) % ringMicros.length)] / 1000f;
        }
        return plotX;
    }

    float[] plotY() {
        return plotY;
    }
}
