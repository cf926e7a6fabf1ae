package dev.baton.app.bench;

import dev.baton.app.report.Distribution;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * One measured series of the bench: a scenario on a tier between some devices, with its latency
 * samples (nanoseconds) recorded into a preallocated HdrHistogram during the run (3 significant
 * digits, 0 to {@link #HIGHEST_NANOS}; recording is allocation-free) and the per-handoff costs
 * computed after it. Mutable only by the thread that runs the scenario (or by threads that take
 * strict turns, as a ping-pong's two sides do); read after.
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
    /** Samples above this are recorded as this (and counted in {@link #clampedSamples()}): a minute is a stall, not a latency. */
    public static final long HIGHEST_NANOS = 60_000_000_000L;
    private final Histogram histogram = new Histogram(1, HIGHEST_NANOS, 3);
    /** The absorbed rounds (or slices) in time order, each with its start/end wall-clock stamps, for .hlog files. */
    private final List<Histogram> intervals = new ArrayList<>();
    private final int capacity;
    private int count;
    private long clamped;
    private long handoffs;
    private long elapsedNanos;
    private long cpuNanos;
    private long bytesCopied;
    private long bytesAllocated;
    private long processCpuNanos = -1;
    private String note = "";
    private String driver = "";
    private String definition = "";
    private int threads = -1;
    private int libraryThreads = -1;

    public Series(String scenario, String tier, String devices, Metric metric, String floorLabel, int capacity) {
        this.scenario = scenario;
        this.tier = tier;
        this.devices = devices;
        this.metric = metric;
        this.floorLabel = floorLabel;
        this.capacity = capacity;
        histogram.setStartTimeStamp(System.currentTimeMillis());
    }

    /** The name other series use to name this one as their floor (one scenario runs on several devices). */
    public String label() {
        return scenario + " / " + tier + " / " + devices + " / " + metric.label;
    }

    /** Names the devices of {@link #devices} with their device name and driver version (empty for CPU-only rows). */
    public void driver(String text) {
        this.driver = text;
    }

    public String driver() {
        return driver;
    }

    /**
     * Records one sample, allocation-free. At most {@link #capacity()} samples are recorded (the rest
     * still count as handoffs in {@link #totals}). A negative sample (two GPU clocks mapped to the host
     * clock can disagree by their uncertainty) is recorded as 0, one above {@link #HIGHEST_NANOS} as
     * that; both are counted in {@link #clampedSamples()}.
     */
    public void record(long nanos) {
        if (count >= capacity) {
            return;
        }
        count++;
        if (nanos < 0 || nanos > HIGHEST_NANOS) {
            clamped++;
            nanos = nanos < 0 ? 0 : HIGHEST_NANOS;
        }
        histogram.recordValue(nanos);
    }

    /** Clears samples after warm-up. */
    public void reset() {
        histogram.reset();
        histogram.setStartTimeStamp(System.currentTimeMillis());
        count = 0;
        clamped = 0;
    }

    public int count() {
        return count;
    }

    /** Samples recorded as 0 or {@link #HIGHEST_NANOS} because they were outside that range. */
    public long clampedSamples() {
        return clamped;
    }

    /** The most samples this series records (a bound the workers size their own buffers by). */
    public int capacity() {
        return capacity;
    }

    /** Every sample, as a histogram (read-only by contract: a report reads it after the run). */
    public Histogram histogram() {
        return histogram;
    }

    /**
     * The rounds (or slices) this series absorbed, oldest first, each stamped with its wall-clock
     * start and end; a series that absorbed nothing is its own single interval.
     */
    public List<Histogram> intervals() {
        if (intervals.isEmpty()) {
            Histogram self = histogram.copy();
            self.setStartTimeStamp(histogram.getStartTimeStamp());
            self.setEndTimeStamp(histogram.getEndTimeStamp() > 0 ? histogram.getEndTimeStamp() : System.currentTimeMillis());
            return List.of(self);
        }
        return Collections.unmodifiableList(intervals);
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
     * round), keeping its note if it has one and its histogram as one of {@link #intervals()}.
     */
    public void absorb(Series other) {
        if (other.histogram.getEndTimeStamp() == 0) {
            other.histogram.setEndTimeStamp(System.currentTimeMillis());
        }
        intervals.addAll(other.intervals());
        // Whole histograms: the capacity bounds record() (what a worker buffers), not what rounds add up to.
        histogram.add(other.histogram);
        count += other.count;
        clamped += other.clamped;
        handoffs += other.handoffs;
        elapsedNanos += other.elapsedNanos;
        cpuNanos += other.cpuNanos;
        bytesCopied += other.bytesCopied;
        bytesAllocated += other.bytesAllocated;
        if (other.processCpuNanos >= 0) {
            processCpuNanos = Math.max(0, processCpuNanos) + other.processCpuNanos;
        }
        threads = Math.max(threads, other.threads);
        libraryThreads = Math.max(libraryThreads, other.libraryThreads);
        if (!other.note.isEmpty()) {
            note = other.note;
            definition = other.definition;
        }
        if (!other.driver.isEmpty()) {
            driver = other.driver;
        }
    }

    /** Baton threads alive during the scenario (see {@link Coordinator.ThreadCount}); the most over its rounds. */
    public void threads(Coordinator.ThreadCount count) {
        threads = Math.max(threads, count.total());
        libraryThreads = Math.max(libraryThreads, count.library());
    }

    /** {@return every Baton thread alive during the scenario (bench workers included), or -1 if not counted} */
    public int threads() {
        return threads;
    }

    /** {@return the Baton library's own threads (host bridges, broker) alive during the scenario, or -1 if not counted} */
    public int libraryThreads() {
        return libraryThreads;
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
        return Distribution.of(histogram);
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
