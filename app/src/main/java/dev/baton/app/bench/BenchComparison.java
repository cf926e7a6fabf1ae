package dev.baton.app.bench;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.baton.app.cli.UsageException;
import dev.baton.app.report.Distribution;
import dev.baton.app.report.Table;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench --compare OLD.json}: a saved run's p50/p99 per series beside this run's, with the
 * ratios new/old. Reads the bench JSON of schema 1 (no schema field) and 2 with jackson-jr. Series
 * are matched by label (scenario / tier / metric); those in only one run are listed after the table.
 */
final class BenchComparison {
    /** One saved series' figures in microseconds. */
    record Saved(long n, double p50Micros, double p99Micros) {}

    private final Path file;
    private final String describe;
    private final Map<String, Saved> series;

    private BenchComparison(Path file, String describe, Map<String, Saved> series) {
        this.file = file;
        this.describe = describe;
        this.series = series;
    }

    /**
     * Reads a saved bench JSON.
     *
     * @throws UsageException when it cannot be read or is not a bench JSON (one line saying which)
     */
    static BenchComparison read(Path file) throws UsageException {
        Map<String, Object> root;
        try {
            root = JSON.std.mapFrom(Files.readString(file));
        } catch (IOException e) {
            throw new UsageException("--compare " + file + ": cannot read it as JSON (" + firstLine(e.getMessage())
                    + "); pass a file written by ./baton bench --json");
        }
        if (root == null || !(root.get("series") instanceof List)) {
            throw new UsageException("--compare " + file + ": not a bench JSON (no \"series\" list); pass a file written by ./baton bench --json");
        }
        Map<String, Saved> saved = new LinkedHashMap<>();
        for (Object o : (List<?>) root.get("series")) {
            if (!(o instanceof Map)) {
                continue;
            }
            Map<?, ?> m = (Map<?, ?>) o;
            String label = m.get("label") instanceof String ? (String) m.get("label")
                    : m.get("scenario") + " / " + m.get("tier") + " / " + m.get("metric");
            saved.put(label, new Saved(number(m.get("n")) == null ? 0 : number(m.get("n")).longValue(), value(m.get("p50_us")), value(m.get("p99_us"))));
        }
        String describe = "schema " + (root.get("schema_version") == null ? "1" : root.get("schema_version"));
        if (root.get("baton") instanceof Map) {
            Map<?, ?> b = (Map<?, ?>) root.get("baton");
            describe += ", baton " + b.get("version") + " " + b.get("commit");
        }
        if (Boolean.FALSE.equals(root.get("complete"))) {
            describe += ", interrupted run";
        }
        return new BenchComparison(file, describe, saved);
    }

    private static Number number(Object o) {
        return o instanceof Number ? (Number) o : null;
    }

    private static double value(Object o) {
        Number n = number(o);
        return n == null ? Double.NaN : n.doubleValue();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The ratio new/old of every series both runs have (NaN where either lacks the figure). */
    Table table(BenchReport now) {
        Table t = new Table("series (cpu/gpu handoff, e2e)", "old p50", "new p50", "new/old", "old p99", "new p99", "new/old");
        for (Series s : now.series()) {
            Saved old = series.get(s.label());
            if (old == null) {
                continue;
            }
            Distribution d = s.distribution();
            double p50 = d.p50Nanos() / 1e3;
            double p99 = d.p99Nanos() / 1e3;
            t.row(BenchReport.shortLabel(s), micros(old.p50Micros()), micros(p50),
                    ratio(p50, old.p50Micros()), micros(old.p99Micros()), micros(p99), ratio(p99, old.p99Micros()));
        }
        return t;
    }

    private static double ratio(double now, double old) {
        return old > 0 && !Double.isNaN(now) ? now / old : Double.NaN;
    }

    private static String micros(double micros) {
        return Double.isNaN(micros) ? "-" : BenchReport.latency(Math.round(micros * 1000));
    }

    void print(BenchReport now, PrintStream out, int columns) {
        out.println();
        out.println(BenchReport.fitWords("Compared with " + file + " (" + describe + "); new/old < 1: faster now", columns));
        table(now).print(out, columns);
        int[] counts = new int[2];
        StringBuilder onlyOld = new StringBuilder();
        for (String label : series.keySet()) {
            if (now.find(label) == null) {
                onlyOld.append(onlyOld.length() == 0 ? "" : ", ").append(label);
                counts[0]++;
            }
        }
        StringBuilder onlyNew = new StringBuilder();
        for (Series s : now.series()) {
            if (!series.containsKey(s.label())) {
                onlyNew.append(onlyNew.length() == 0 ? "" : ", ").append(s.label());
                counts[1]++;
            }
        }
        if (onlyOld.length() > 0) {
            out.println(BenchReport.fitWords("only in the old run (" + counts[0] + "): " + onlyOld, columns));
        }
        if (onlyNew.length() > 0) {
            out.println(BenchReport.fitWords("only in this run (" + counts[1] + "): " + onlyNew, columns));
        }
    }
}
