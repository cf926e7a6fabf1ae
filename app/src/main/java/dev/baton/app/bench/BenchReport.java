package dev.baton.app.bench;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.baton.render.SyncTier;
import dev.baton.app.report.Distribution;
import dev.baton.app.report.Plot;
import dev.baton.app.report.Table;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * The bench's results: every series, the machine and environment they ran in, the targets, and
 * writers for the terminal (a headline, then tables that fit {@link #TERMINAL_COLUMNS} unless wide),
 * JSON (jackson-jr; {@link #SCHEMA_VERSION}), Markdown, CSV, the PNG plot and HdrHistogram .hlog files.
 * Built after the run on the main thread.
 */
public final class BenchReport {
    /**
     * Version of the JSON layout: 2 added the schema, build, machine, structured targets and p999/clamped;
     * later, compatibly, a surface tier's series carry its {@code memory} and {@code sync} choices.
     */
    public static final int SCHEMA_VERSION = 2;
    /** The default terminal width the tables and lines fit in. */
    public static final int TERMINAL_COLUMNS = 100;

    private final List<Series> series = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final Map<String, Object> machine = new LinkedHashMap<>();
    private final Map<String, Object> settings = new LinkedHashMap<>();
    private final List<Plot.ScalingSeries> scaling = new ArrayList<>();
    private final List<Target> targets = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    private final Map<String, List<Long>> roundP50Nanos = new LinkedHashMap<>();
    private String interrupted;

    public void add(Series s) {
        series.add(s);
    }

    public List<Series> series() {
        return series;
    }

    public void environment(String key, String value) {
        environment.put(key, value);
    }

    /** The environment so far, in insertion order (read-only). */
    public java.util.Collection<Map.Entry<String, String>> environmentEntries() {
        return java.util.Collections.unmodifiableMap(environment).entrySet();
    }

    /** One fact about the machine for the JSON's "machine" object (cpu_model, cores, os, java...). */
    public void machine(String key, Object value) {
        machine.put(key, value);
    }

    /** One run setting for the JSON's "settings" object. */
    public void setting(String key, Object value) {
        settings.put(key, value);
    }

    public void scaling(Plot.ScalingSeries s) {
        scaling.add(s);
    }

    /** Records the p50 of one round of the series labelled {@code label} (rounds are interleaved in time). */
    public void roundP50(String label, long p50Nanos) {
        roundP50Nanos.computeIfAbsent(label, k -> new ArrayList<>()).add(p50Nanos);
    }

    /** The per-round p50s of {@code label}, in round order (empty if none). */
    public List<Long> roundP50s(String label) {
        return roundP50Nanos.getOrDefault(label, List.of());
    }

    public void target(Target t) {
        targets.add(t);
    }

    public List<Target> targets() {
        return targets;
    }

    /** True when some target was judged and missed. */
    public boolean anyMissed() {
        return targets.stream().anyMatch(t -> Boolean.FALSE.equals(t.met()));
    }

    /** A scenario group that did not run, and why (a driver missing). */
    public void skipped(String what) {
        skipped.add(what);
    }

    /** Marks the report as cut short (Ctrl-C): it holds what was measured before {@code why}. */
    public void interrupted(String why) {
        this.interrupted = why;
    }

    /** The series named {@code label}, or null. */
    public Series find(String label) {
        for (Series s : series) {
            if (s.label().equals(label)) {
                return s;
            }
        }
        return null;
    }

    /** p50 of this series divided by the p50 of its floor, or NaN when it has none. */
    public double ratioToFloor(Series s) {
        if (s.floorLabel == null) {
            return Double.NaN;
        }
        Series floor = find(s.floorLabel);
        if (floor == null || floor.count() == 0 || s.count() == 0) {
            return Double.NaN;
        }
        return (double) s.distribution().p50Nanos() / floor.distribution().p50Nanos();
    }

    /** "raw sync timeline+host thread" for "raw sync / timeline+host thread / gpu-handoff": a floor as the tables name it. */
    static String floorName(String floorLabel) {
        if (floorLabel == null) {
            return "-";
        }
        // "scenario / tier / devices / metric": the scenario and tier name the floor (its devices are the row's)
        String[] parts = floorLabel.split(" / ");
        return parts.length >= 4 ? parts[0] + " " + parts[1] : String.join(" ", java.util.Arrays.asList(parts).subList(0, Math.max(1, parts.length - 1)));
    }

    /** "ping-pong host-bridge gpu": a series in one short cell. */
    static String shortLabel(Series s) {
        return s.scenario + " " + s.tier + " " + shortMetric(s.metric);
    }

    private static String shortMetric(Series.Metric m) {
        switch (m) {
            case CPU_HANDOFF: return "cpu";
            case GPU_HANDOFF: return "gpu";
            default: return "e2e";
        }
    }

    /** "61.2 us", "129 us", "1.27 ms": a latency cell (microseconds below a millisecond, milliseconds above). */
    static String latency(long nanos) {
        double micros = nanos / 1000.0;
        if (micros >= 1000) {
            return number(micros / 1000) + " ms";
        }
        return number(micros) + " us";
    }

    /** Three significant figures at most, never scientific notation. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        double a = Math.abs(v);
        String pattern = a >= 100 ? "0" : a >= 10 ? "0.0" : "0.00";
        return new DecimalFormat(pattern, DecimalFormatSymbols.getInstance(Locale.ROOT)).format(v);
    }

    /**
     * One line per tier (ping-pong GPU handoff) and for the keyed mutex's CPU handoff: its p50, its
     * ratio to the floor it is compared with (named), and met/missed where a target judges it.
     */
    public List<String> headline(boolean strict) {
        List<String> lines = new ArrayList<>();
        for (Series s : series) {
            boolean tier = s.scenario.equals("ping-pong") && s.metric == Series.Metric.GPU_HANDOFF;
            boolean mutex = s.scenario.equals("cpu floor") && s.tier.equals("keyed-mutex") && s.metric == Series.Metric.CPU_HANDOFF;
            if (!(tier || mutex) || s.count() == 0) {
                continue;
            }
            Target judged = null;
            for (Target t : targets) {
                if (s.label().equals(t.subject())) {
                    judged = t;
                    break; // the first target on a series is its headline one (later ones are tighter goals shown under Targets)
                }
            }
            double ratio = ratioToFloor(s);
            String verdict = judged == null ? "no target"
                    : judged.met() == null ? "not measured"
                    : (judged.met() ? "met" : "MISSED") + " (goal " + judged.goalText() + ")" + (judged.met() || strict ? "" : " informational");
            String name = mutex ? s.tier + " CPU" : s.tier;
            String line = String.format(Locale.ROOT, "%-16s %7s  %5sx %-29s  %s", name, latency(s.distribution().p50Nanos()),
                    number(ratio), floorName(s.floorLabel), verdict);
            lines.add(fit(line, TERMINAL_COLUMNS));
        }
        return lines;
    }

    public Table latencyTable(boolean wide) {
        if (wide) {
            Table t = new Table("scenario", "tier", "devices", "metric", "n", "p50", "p90", "p99", "p99.9", "max", "x floor", "floor");
            for (Series s : series) {
                Distribution d = s.distribution();
                t.row(s.scenario, s.tier, s.devices, s.metric.label, d.count(), latency(d.p50Nanos()), latency(d.p90Nanos()),
                        latency(d.p99Nanos()), latency(d.p999Nanos()), latency(d.maxNanos()), ratioToFloor(s), floorName(s.floorLabel));
            }
            return t;
        }
        Table t = new Table("series (cpu/gpu handoff, e2e)", "n", "p50", "p99", "x floor", "floor");
        for (Series s : series) {
            Distribution d = s.distribution();
            t.row(shortLabel(s), d.count(), latency(d.p50Nanos()), latency(d.p99Nanos()), ratioToFloor(s), floorName(s.floorLabel));
        }
        return t;
    }

    public Table costTable(boolean wide) {
        Table t = wide
                ? new Table("scenario", "tier", "devices", "handoffs", "handoffs/s", "cpu us/handoff", "process cpu us/handoff",
                        "B copied/handoff", "B alloc/handoff", "threads")
                : new Table("series", "handoffs", "handoffs/s", "cpu us", "process cpu us", "B copied", "B alloc", "threads");
        for (Series s : series) {
            if (!costRow(s)) {
                continue;   // costs are per run: shown once, on its cpu row (or end-to-end when it has none)
            }
            if (wide) {
                t.row(s.scenario, s.tier, s.devices, s.handoffs(), s.handoffsPerSecond(), s.cpuMicrosPerHandoff(),
                        s.processCpuMicrosPerHandoff(), s.bytesCopiedPerHandoff(), s.bytesAllocatedPerHandoff(), threadsText(s));
            } else {
                t.row(s.scenario + " " + s.tier, s.handoffs(), s.handoffsPerSecond(), s.cpuMicrosPerHandoff(),
                        s.processCpuMicrosPerHandoff(), s.bytesCopiedPerHandoff(), s.bytesAllocatedPerHandoff(), threadsText(s));
            }
        }
        return t;
    }

    /** "34 (17 lib)": Baton threads alive during the scenario, of them the library's own; "-" if not counted. */
    static String threadsText(Series s) {
        return s.threads() < 0 ? "-" : s.threads() + " (" + s.libraryThreads() + " lib)";
    }

    /** True for the one series of a run that shows the run's costs. */
    private boolean costRow(Series s) {
        if (s.metric == Series.Metric.CPU_HANDOFF) {
            return true;
        }
        if (s.metric == Series.Metric.GPU_HANDOFF) {
            return false;
        }
        return find(s.scenario + " / " + s.tier + " / " + s.devices + " / " + Series.Metric.CPU_HANDOFF.label) == null;
    }

    /**
     * The terminal report: the headline, the latency and cost tables, one short line per series' note
     * and per target, and the environment. Fits {@link #TERMINAL_COLUMNS} unless {@code wide}, which
     * prints every column and the notes and targets in full.
     */
    public void print(PrintStream out, boolean wide, boolean strict) {
        int columns = wide ? Integer.MAX_VALUE : TERMINAL_COLUMNS;
        out.println();
        if (interrupted != null) {
            out.println("INTERRUPTED (" + interrupted + "): what follows is what was measured before it");
            out.println();
        }
        out.println("Headline: p50 GPU handoff per tier (keyed mutex: CPU), x the p50 of the floor named, same run");
        List<String> headline = headline(strict);
        if (headline.isEmpty()) {
            out.println("  (no tier ran)");
        }
        for (String line : headline) {
            out.println(fit(line, columns));
        }
        out.println();
        out.println("Handoff latency (x floor = p50 / p50 of the floor series named in the last column)");
        latencyTable(wide).print(out, columns);
        out.println();
        out.println("Costs per handoff (cpu/process cpu in us; B = bytes)");
        costTable(wide).print(out, columns);
        List<String> devices = deviceLines();
        if (!devices.isEmpty()) {
            out.println();
            out.println("Devices (the devices column names them by the labels of ./baton devices)");
            for (String line : devices) {
                out.println(fit("- " + line, columns));
            }
        }
        boolean notes = false;
        for (Series s : series) {
            if (!s.note().isEmpty()) {
                if (!notes) {
                    out.println();
                    out.println(wide ? "Notes" : "Notes (in full with --wide, in --json and --markdown)");
                    notes = true;
                }
                out.println(wide ? "- " + s.label() + ": " + s.note() : fitWords("- " + shortLabel(s) + ": " + shortNote(s.note()), columns));
            }
        }
        if (!targets.isEmpty() || !skipped.isEmpty()) {
            out.println();
            out.println("Targets");
            for (Target t : targets) {
                if (wide) {
                    out.println("- " + t.status(strict) + ": " + (t.met() == null ? t.shortLine() : t.detail()));
                } else {
                    out.println(fitWords(String.format(Locale.ROOT, "%-22s %s", t.status(strict), t.shortLine()), columns));
                }
            }
            for (String sk : skipped) {
                out.println(fit("- skipped " + sk, columns));
            }
        }
        out.println();
        for (Map.Entry<String, String> e : environment.entrySet()) {
            out.println(fitWords(e.getKey() + ": " + e.getValue(), columns));
        }
    }

    /** The first clause of a note (up to its first ";", ": " or ". "), for one short terminal line. */
    static String shortNote(String note) {
        int cut = note.length();
        for (String stop : new String[] {"; ", ": ", ". "}) {
            int i = note.indexOf(stop);
            if (i > 0 && i < cut) {
                cut = i;
            }
        }
        return note.substring(0, cut);
    }

    /** {@code line} cut after its last whole word that fits {@code columns}, ending in " ..". */
    static String fitWords(String line, int columns) {
        if (line.length() <= columns) {
            return line;
        }
        int cut = line.lastIndexOf(' ', columns - 3);
        return (cut > columns / 2 ? line.substring(0, cut) : line.substring(0, columns - 3)) + " ..";
    }

    /** {@code line} cut to {@code columns} characters, ending in ".." when cut. */
    static String fit(String line, int columns) {
        return line.length() <= columns ? line : line.substring(0, columns - 2) + "..";
    }

    /** Baton's version and commit for the JSON; "unknown" where the build recorded neither. */
    static Map<String, Object> build() {
        Map<String, Object> b = new LinkedHashMap<>();
        dev.baton.app.BuildInfo info = dev.baton.app.BuildInfo.current();
        b.put("version", info.version());
        b.put("commit", info.commit());
        return b;
    }

    /** The whole report as JSON-ready maps and lists (what {@link #writeJson} writes). */
    public Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", "baton-bench");
        root.put("schema_version", SCHEMA_VERSION);
        root.put("baton", build());
        root.put("complete", interrupted == null);
        if (interrupted != null) {
            root.put("interrupted", interrupted);
        }
        root.put("machine", machine);
        root.put("settings", settings);
        root.put("environment", environment);
        List<Object> list = new ArrayList<>();
        for (Series s : series) {
            Distribution d = s.distribution();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", s.label());
            m.put("scenario", s.scenario);
            m.put("tier", s.tier);
            SyncTier tier = surfaceTier(s.tier);
            if (tier != null) {
                // schema 2, added: a surface tier's two choices (how memory is shared, how the next owner waits)
                m.put("memory", tier.memory().label());
                m.put("sync", tier.sync().id());
            }
            m.put("devices", s.devices);
            m.put("driver", s.driver());
            m.put("definition", s.definition());
            m.put("metric", s.metric.label);
            m.put("floor", s.floorLabel);
            m.put("n", d.count());
            m.put("p50_us", num(d.p50Nanos() / 1e3));
            m.put("p90_us", num(d.p90Nanos() / 1e3));
            m.put("p99_us", num(d.p99Nanos() / 1e3));
            m.put("p999_us", num(d.p999Nanos() / 1e3));
            m.put("max_us", num(d.maxNanos() / 1e3));
            m.put("clamped_samples", s.clampedSamples());
            m.put("ratio_to_floor", num(ratioToFloor(s)));
            List<Object> rounds = new ArrayList<>();
            for (long p50 : roundP50s(s.label())) {
                rounds.add(num(p50 / 1e3));
            }
            m.put("round_p50_us", rounds);
            m.put("handoffs", s.handoffs());
            m.put("handoffs_per_second", num(s.handoffsPerSecond()));
            m.put("cpu_us_per_handoff", num(s.cpuMicrosPerHandoff()));
            m.put("process_cpu_us_per_handoff", num(s.processCpuMicrosPerHandoff()));
            m.put("bytes_copied_per_handoff", num(s.bytesCopiedPerHandoff()));
            m.put("bytes_allocated_per_handoff", num(s.bytesAllocatedPerHandoff()));
            m.put("baton_threads", s.threads() < 0 ? null : s.threads());
            m.put("baton_library_threads", s.libraryThreads() < 0 ? null : s.libraryThreads());
            m.put("note", s.note());
            list.add(m);
        }
        root.put("series", list);
        List<Object> ts = new ArrayList<>();
        for (Target t : targets) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", t.name());
            m.put("subject", t.subject());
            m.put("unit", t.unit());
            m.put("measured", num(t.measured()));
            m.put("baseline_name", t.baselineName());
            m.put("baseline", num(t.baseline()));
            m.put("ratio", num(t.ratio()));
            m.put("goal", num(t.goal()));
            m.put("comparison", t.comparison());
            m.put("goal_applies_to", t.goalOnRatio() ? "ratio" : "measured");
            m.put("met", t.met());
            List<Object> rr = new ArrayList<>();
            for (double v : t.roundRatios()) {
                rr.add(num(v));
            }
            m.put("round_ratios", rr);
            m.put("detail", t.detail());
            ts.add(m);
        }
        root.put("targets", ts);
        root.put("skipped", skipped);
        return root;
    }

    public void writeJson(Path file) throws IOException {
        write(file, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT, JSON.Feature.WRITE_NULL_PROPERTIES).asString(toJson()) + "\n");
    }

    /** The headline, full tables, notes and targets as Markdown (for the README). */
    public void writeMarkdown(Path file) throws IOException {
        StringBuilder b = new StringBuilder();
        if (interrupted != null) {
            b.append("**Interrupted** (").append(interrupted).append("): what was measured before it.\n\n");
        }
        b.append("Headline (p50 GPU handoff per tier, keyed mutex: CPU; x the p50 of the floor named, measured in the same run):\n\n```\n");
        for (String line : headline(false)) {
            b.append(line).append('\n');
        }
        b.append("```\n\nHandoff latency (x floor = p50 / p50 of the floor series named in the last column):\n\n");
        b.append(latencyTable(true).markdown()).append("\nCosts per handoff:\n\n").append(costTable(true).markdown());
        b.append("\nNotes:\n\n");
        for (Series s : series) {
            if (!s.note().isEmpty()) {
                b.append("- ").append(s.label()).append(": ").append(s.note()).append('\n');
            }
        }
        if (!targets.isEmpty() || !skipped.isEmpty()) {
            b.append("\nTargets:\n\n");
            for (Target t : targets) {
                b.append("- **").append(t.status(false)).append("**: ").append(t.met() == null ? t.shortLine() : t.detail()).append('\n');
            }
            for (String sk : skipped) {
                b.append("- skipped ").append(sk).append('\n');
            }
        }
        b.append("\nEnvironment:\n\n");
        for (Map.Entry<String, String> e : environment.entrySet()) {
            b.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        write(file, b.toString());
    }

    public void writeCsv(Path file) throws IOException {
        StringBuilder b = new StringBuilder("scenario,tier,devices,metric,floor,n,p50_us,p90_us,p99_us,p999_us,max_us,ratio_to_floor,"
                + "handoffs,handoffs_per_second,cpu_us_per_handoff,process_cpu_us_per_handoff,bytes_copied_per_handoff,bytes_allocated_per_handoff,machine,drivers,driver\n");
        String machineText = environment.getOrDefault("machine", "");
        String drivers = environment.getOrDefault("drivers", "");
        for (Series s : series) {
            Distribution d = s.distribution();
            b.append(csv(s.scenario)).append(',').append(csv(s.tier)).append(',').append(csv(s.devices)).append(',')
                    .append(csv(s.metric.label)).append(',').append(csv(s.floorLabel == null ? "" : s.floorLabel)).append(',')
                    .append(d.count()).append(',').append(csvNum(d.p50Nanos() / 1e3)).append(',').append(csvNum(d.p90Nanos() / 1e3)).append(',')
                    .append(csvNum(d.p99Nanos() / 1e3)).append(',').append(csvNum(d.p999Nanos() / 1e3)).append(',').append(csvNum(d.maxNanos() / 1e3))
                    .append(',').append(csvNum(ratioToFloor(s))).append(',').append(s.handoffs()).append(',').append(csvNum(s.handoffsPerSecond()))
                    .append(',').append(csvNum(s.cpuMicrosPerHandoff())).append(',').append(csvNum(s.processCpuMicrosPerHandoff())).append(',')
                    .append(csvNum(s.bytesCopiedPerHandoff())).append(',')
                    .append(csvNum(s.bytesAllocatedPerHandoff())).append(',').append(csv(machineText)).append(',').append(csv(drivers)).append(',')
                    .append(csv(s.driver())).append('\n');
        }
        write(file, b.toString());
    }

    /** "vk1 lavapipe: llvmpipe (...), driver and version, ..." for every device that took part. */
    private List<String> deviceLines() {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, String> e : environment.entrySet()) {
            if (e.getKey().startsWith("device ")) {
                lines.add(e.getKey().substring("device ".length()) + ": " + e.getValue());
            }
        }
        return lines;
    }

    public void writePlot(Path file, String title) throws IOException {
        List<String> versions = new ArrayList<>();
        for (Map.Entry<String, String> e : environment.entrySet()) {
            if (e.getKey().startsWith("driver ")) {
                versions.add(e.getKey().substring("driver ".length()) + " = " + e.getValue());
            }
        }
        if (!versions.isEmpty()) {
            title += "; " + String.join(", ", versions);
        }
        List<Plot.CdfSeries> cdfs = new ArrayList<>();
        for (Series s : series) {
            // GPU handoffs of every tier and floor, plus the CPU floors: few enough lines to tell apart.
            boolean plotted = s.metric == Series.Metric.GPU_HANDOFF || s.scenario.equals("cpu floor");
            if (s.count() > 0 && plotted && !s.scenario.startsWith("fan-in")) {
                // Every line is a GPU handoff but the CPU floors'; the devices name the driver (versions in the title).
                String name = s.scenario.equals("cpu floor") ? s.scenario + " " + s.tier : s.scenario + " " + s.tier + " (" + s.devices + ")";
                cdfs.add(new Plot.CdfSeries(name, s.histogram()));
            }
        }
        Plot.write(file, title, cdfs, scaling);
    }

    /** "ping-pong_host-bridge_gpu-handoff.hlog": a series' .hlog file name. */
    static String hlogName(Series s) {
        return s.label().replace(" / ", "_").replaceAll("[^A-Za-z0-9._=+-]+", "-") + ".hlog";
    }

    /**
     * Writes one HdrHistogram log per series into {@code dir}: one interval histogram per round (or
     * slice), in nanoseconds, readable by HdrHistogram's HistogramLogReader and its tools.
     */
    public List<Path> writeHdr(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        for (Series s : series) {
            Path file = dir.resolve(hlogName(s));
            try (OutputStream os = Files.newOutputStream(file); PrintStream ps = new PrintStream(os, false, StandardCharsets.UTF_8)) {
                HistogramLogWriter w = new HistogramLogWriter(ps);
                List<Histogram> intervals = s.intervals();
                long base = intervals.isEmpty() ? System.currentTimeMillis() : intervals.get(0).getStartTimeStamp();
                w.outputComment("baton bench: " + s.label() + " (" + s.devices + "), values in nanoseconds");
                w.outputLogFormatVersion();
                w.outputStartTime(base);
                w.setBaseTime(base);
                w.outputLegend();
                for (Histogram h : intervals) {
                    w.outputIntervalHistogram(h);
                }
                ps.flush();
                if (ps.checkError()) {
                    throw new IOException("could not write " + file);
                }
            }
            files.add(file);
        }
        return files;
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** A JSON number rounded to 3 decimals, or null for NaN/infinite (JSON has no NaN). */
    static Double num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return null;
        }
        return Math.round(v * 1000) / 1000.0;
    }

    private static String csvNum(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** The surface tier a series' tier names, or null for a floor or CPU scenario ("park/unpark", "readback+upload"). */
    private static SyncTier surfaceTier(String name) {
        for (SyncTier t : SyncTier.values()) {
            if (t.id().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
