package dev.baton.app.bench;

import dev.baton.app.report.Distribution;
import dev.baton.app.report.Plot;
import dev.baton.app.report.Table;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench's results: every series, the environment they ran in, and writers for the terminal
 * table, JSON, CSV and the PNG plot. Built after the run on the main thread.
 */
public final class BenchReport {
    private final List<Series> series = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<Plot.ScalingSeries> scaling = new ArrayList<>();
    private final List<String> targets = new ArrayList<>();
    private final Map<String, List<Long>> roundP50Nanos = new LinkedHashMap<>();

    public void add(Series s) {
        series.add(s);
    }

    public List<Series> series() {
        return series;
    }

    public void environment(String key, String value) {
        environment.put(key, value);
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

    /** A line of the targets section: what was aimed for, what was measured, met or not and why. */
    public void target(String line) {
        targets.add(line);
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

    public Table latencyTable() {
        Table t = new Table("scenario", "tier", "devices", "metric", "n", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "x floor");
        for (Series s : series) {
            Distribution d = s.distribution();
            t.row(s.scenario, s.tier, s.devices, s.metric.label, d.count(), d.p50Nanos() / 1e3, d.p90Nanos() / 1e3,
                    d.p99Nanos() / 1e3, d.p999Nanos() / 1e3, d.maxNanos() / 1e3, ratioToFloor(s));
        }
        return t;
    }

    public Table costTable() {
        Table t = new Table("scenario", "tier", "devices", "handoffs", "handoffs/s", "cpu us/handoff",
                "process cpu us/handoff", "B copied/handoff", "B alloc/handoff");
        for (Series s : series) {
            if (!costRow(s)) {
                continue;   // costs are per run: shown once, on its cpu row (or end-to-end when it has none)
            }
            t.row(s.scenario, s.tier, s.devices, s.handoffs(), s.handoffsPerSecond(), s.cpuMicrosPerHandoff(),
                    s.processCpuMicrosPerHandoff(), s.bytesCopiedPerHandoff(), s.bytesAllocatedPerHandoff());
        }
        return t;
    }

    /** True for the one series of a run that shows the run's costs. */
    private boolean costRow(Series s) {
        if (s.metric == Series.Metric.CPU_HANDOFF) {
            return true;
        }
        if (s.metric == Series.Metric.GPU_HANDOFF) {
            return false;
        }
        return find(s.scenario + " / " + s.tier + " / " + Series.Metric.CPU_HANDOFF.label) == null;
    }

    public void print(PrintStream out) {
        out.println();
        out.println("Handoff latency (x floor = p50 / p50 of the floor measured in this run)");
        latencyTable().print(out);
        out.println();
        out.println("Costs per handoff");
        costTable().print(out);
        boolean notes = false;
        for (Series s : series) {
            if (!s.note().isEmpty()) {
                if (!notes) {
                    out.println();
                    out.println("Notes");
                    notes = true;
                }
                out.println("- " + s.label() + ": " + s.note());
            }
        }
        if (!targets.isEmpty()) {
            out.println();
            out.println("Targets");
            for (String line : targets) {
                out.println("- " + line);
            }
        }
        out.println();
        out.println("Environment: " + environment);
    }

    public void writeJson(Path file) throws IOException {
        StringBuilder b = new StringBuilder("{\n  \"environment\": {");
        int i = 0;
        for (Map.Entry<String, String> e : environment.entrySet()) {
            b.append(i++ == 0 ? "\n" : ",\n").append("    ").append(quote(e.getKey())).append(": ").append(quote(e.getValue()));
        }
        b.append("\n  },\n  \"series\": [");
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            Distribution d = s.distribution();
            b.append(k == 0 ? "\n" : ",\n").append("    {")
                    .append("\"scenario\": ").append(quote(s.scenario))
                    .append(", \"tier\": ").append(quote(s.tier))
                    .append(", \"devices\": ").append(quote(s.devices))
                    .append(", \"metric\": ").append(quote(s.metric.label))
                    .append(", \"floor\": ").append(s.floorLabel == null ? "null" : quote(s.floorLabel))
                    .append(", \"n\": ").append(d.count())
                    .append(", \"p50_us\": ").append(num(d.p50Nanos() / 1e3))
                    .append(", \"p90_us\": ").append(num(d.p90Nanos() / 1e3))
                    .append(", \"p99_us\": ").append(num(d.p99Nanos() / 1e3))
                    .append(", \"p999_us\": ").append(num(d.p999Nanos() / 1e3))
                    .append(", \"max_us\": ").append(num(d.maxNanos() / 1e3))
                    .append(", \"ratio_to_floor\": ").append(num(ratioToFloor(s)))
                    .append(", \"handoffs\": ").append(s.handoffs())
                    .append(", \"handoffs_per_second\": ").append(num(s.handoffsPerSecond()))
                    .append(", \"cpu_us_per_handoff\": ").append(num(s.cpuMicrosPerHandoff()))
                    .append(", \"process_cpu_us_per_handoff\": ").append(num(s.processCpuMicrosPerHandoff()))
                    .append(", \"bytes_copied_per_handoff\": ").append(num(s.bytesCopiedPerHandoff()))
                    .append(", \"bytes_allocated_per_handoff\": ").append(num(s.bytesAllocatedPerHandoff()))
                    .append(", \"note\": ").append(quote(s.note()))
                    .append(", \"definition\": ").append(quote(s.definition()))
                    .append('}');
        }
        b.append("\n  ],\n  \"targets\": [");
        for (int k = 0; k < targets.size(); k++) {
            b.append(k == 0 ? "\n    " : ",\n    ").append(quote(targets.get(k)));
        }
        b.append("\n  ]\n}\n");
        write(file, b.toString());
    }

    /** The latency and cost tables and the targets as Markdown (for the README). */
    public void writeMarkdown(Path file) throws IOException {
        StringBuilder b = new StringBuilder("Handoff latency (x floor = p50 / p50 of the floor measured in the same run):\n\n");
        b.append(latencyTable().markdown()).append("\nCosts per handoff:\n\n").append(costTable().markdown());
        if (!targets.isEmpty()) {
            b.append("\nTargets:\n\n");
            for (String line : targets) {
                b.append("- ").append(line).append('\n');
            }
        }
        write(file, b.toString());
    }

    public void writeCsv(Path file) throws IOException {
        StringBuilder b = new StringBuilder("scenario,tier,devices,metric,floor,n,p50_us,p90_us,p99_us,p999_us,max_us,ratio_to_floor,"
                + "handoffs,handoffs_per_second,cpu_us_per_handoff,process_cpu_us_per_handoff,bytes_copied_per_handoff,bytes_allocated_per_handoff,machine,drivers\n");
        String machine = environment.getOrDefault("machine", "");
        String drivers = environment.getOrDefault("drivers", "");
        for (Series s : series) {
            Distribution d = s.distribution();
            b.append(csv(s.scenario)).append(',').append(csv(s.tier)).append(',').append(csv(s.devices)).append(',')
                    .append(csv(s.metric.label)).append(',').append(csv(s.floorLabel == null ? "" : s.floorLabel)).append(',')
                    .append(d.count()).append(',').append(num(d.p50Nanos() / 1e3)).append(',').append(num(d.p90Nanos() / 1e3)).append(',')
                    .append(num(d.p99Nanos() / 1e3)).append(',').append(num(d.p999Nanos() / 1e3)).append(',').append(num(d.maxNanos() / 1e3)).append(',')
                    .append(num(ratioToFloor(s))).append(',').append(s.handoffs()).append(',').append(num(s.handoffsPerSecond())).append(',')
                    .append(num(s.cpuMicrosPerHandoff())).append(',').append(num(s.processCpuMicrosPerHandoff())).append(',')
                    .append(num(s.bytesCopiedPerHandoff())).append(',')
                    .append(num(s.bytesAllocatedPerHandoff())).append(',').append(csv(machine)).append(',').append(csv(drivers)).append('\n');
        }
        write(file, b.toString());
    }

    public void writePlot(Path file, String title) throws IOException {
        List<Plot.CdfSeries> cdfs = new ArrayList<>();
        for (Series s : series) {
            // GPU handoffs of every tier and floor, plus the CPU floors: few enough lines to tell apart.
            boolean plotted = s.metric == Series.Metric.GPU_HANDOFF || s.scenario.equals("cpu floor");
            if (s.count() > 0 && plotted && !s.scenario.startsWith("fan-in")) {
                cdfs.add(new Plot.CdfSeries(s.scenario + " " + s.tier + " " + s.metric.label, s.distribution().sortedNanos()));
            }
        }
        Plot.write(file, title, cdfs, scaling);
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
