package dev.baton.app.bench;

import dev.baton.app.report.Distribution;

/**
 * One measured series of the bench: a scenario on a tier between some devices, with its latency
 * samples (nanoseconds) recorded into a preallocated array during the run and the per-handoff
 * costs computed after it. Mutable only by the thread that runs the scenario; read after.
 */
public final class Series {
    /** What the samples measure. */
    public enum Metric {
        /** From just before the releaser's {@code release} to the acquirer's {@code acquire} returning. */
        CPU_HANDOFF("cpu-handoff"),
        /** From the producer GPU's last timestamp to the consumer GPU's first, on the host clock. */
        GPU_HANDOFF("gpu-handoff"),
        /** From the producer's submit to the consumer's GPU work completing. */
        END_TO_END("end-to-end");

        public final String label;

        Metric(String label) {
            this.label = label;
        }
    }

    public final String scenario;
    public final String tier;
    public final String devices;
    public final Metric metric;
    /** Label of the series this one is compared to (its floor), or null for a floor itself. */
    public final String floorLabel;
    private final long[] samplesNanos;
    private int count;
    private long handoffs;
    private long elapsedNanos;
    private long cpuNanos;
    private long bytesCopied;
    private long bytesAllocated;
    private long processCpuNanos = -1;
    private String note = "";
    private String definition = "";

    public Series(String scenario, String tier, String devices, Metric metric, String floorLabel, int capacity) {
        this.scenario = scenario;
        this.tier = tier;
        this.devices = devices;
        this.metric = metric;
        this.floorLabel = floorLabel;
        this.samplesNanos = new long[capacity];
    }

    /** The name other series use to name this one as their floor. */
    public String label() {
        return scenario + " / " + tier + " / " + metric.label;
    }

    /** Records one sample; samples beyond the capacity are counted as handoffs but not kept. */
    public void record(long nanos) {
        if (count < samplesNanos.length) {
            samplesNanos[count++] = nanos;
        }
    }

    /** Clears samples after warm-up. */
    public void reset() {
        count = 0;
    }

    public int count() {
        return count;
    }

    public int capacity() {
        return samplesNanos.length;
    }

    /** Totals over the measured phase, for the per-handoff columns. */
    public void totals(long handoffs, long elapsedNanos, long cpuNanos, long bytesCopied, long bytesAllocated) {
        this.handoffs = handoffs;
        this.elapsedNanos = elapsedNanos;
        this.cpuNanos = cpuNanos;
        this.bytesCopied = bytesCopied;
        this.bytesAllocated = bytesAllocated;
    }

    /**
     * CPU time of the whole process over the measured phase, including the drivers' native threads
     * (on lavapipe and SwiftShader that is where the "GPU" work runs).
     */
    public void processCpu(long nanos) {
        this.processCpuNanos = nanos;
    }

    /** Process CPU microseconds per handoff, or NaN when not measured. */
    public double processCpuMicrosPerHandoff() {
        return handoffs == 0 || processCpuNanos < 0 ? Double.NaN : processCpuNanos / 1000.0 / handoffs;
    }

    /**
     * Adds another series' samples and totals to this one (the same scenario measured in another
     * round), keeping its note if it has one. Samples beyond the capacity are dropped.
     */
    public void absorb(Series other) {
        for (int i = 0; i < other.count; i++) {
            record(other.samplesNanos[i]);
        }
        handoffs += other.handoffs;
        elapsedNanos += other.elapsedNanos;
        cpuNanos += other.cpuNanos;
        bytesCopied += other.bytesCopied;
        bytesAllocated += other.bytesAllocated;
        if (other.processCpuNanos >= 0) {
            processCpuNanos = Math.max(0, processCpuNanos) + other.processCpuNanos;
        }
        if (!other.note.isEmpty()) {
            note = other.note;
            definition = other.definition;
        }
    }

    /** A short remark printed under the table (how a figure was measured, why a target was missed). */
    public void note(String text) {
        note(text, text);
    }

    /**
     * A short remark for the terminal and the exact definition of what the series measures, for the
     * JSON (e.g. a floor: which submits, barriers, queue depth and hops it times).
     */
    public void note(String shortText, String exactDefinition) {
        this.note = shortText;
        this.definition = exactDefinition;
    }

    public String note() {
        return note;
    }

    /** The exact definition given with the note (the note itself when none was given). */
    public String definition() {
        return definition;
    }

    public Distribution distribution() {
        return Distribution.of(samplesNanos, count);
    }

    public long handoffs() {
        return handoffs;
    }

    public double handoffsPerSecond() {
        return elapsedNanos == 0 ? Double.NaN : handoffs * 1e9 / elapsedNanos;
    }

    public double cpuMicrosPerHandoff() {
        return handoffs == 0 ? Double.NaN : cpuNanos / 1000.0 / handoffs;
    }

    public double bytesCopiedPerHandoff() {
        return handoffs == 0 ? Double.NaN : (double) bytesCopied / handoffs;
    }

    public double bytesAllocatedPerHandoff() {
        return handoffs == 0 ? Double.NaN : (double) bytesAllocated / handoffs;
    }
}
