package dev.baton.app.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ./baton bench --quick} in-process and checks its outputs are well formed and every
 * scenario produced samples. Judges no timing: the targets are printed by the bench, not asserted.
 */
class BenchCommandTest {
    @Test
    void quickRunWritesWellFormedJsonCsvAndPlot(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        Path csv = dir.resolve("out/bench.csv");
        Path png = dir.resolve("bench.png");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = BenchCommand.run(new String[] {"--quick", "--validate", "--json", json.toString(), "--csv=" + csv, "--plot", png.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, () -> "exit " + exit + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
        assertTrue(stdout.contains("Handoff latency") && stdout.contains("Costs per handoff") && stdout.contains("Targets"), stdout);
        assertTrue(stdout.contains("ratios are indicative only"), "--quick must say its ratios are indicative only");

        // JSON: parses, and every series has samples.
        String text = Files.readString(json);
        new JsonChecker(text).document();
        Matcher n = Pattern.compile("\"n\": (\\d+)").matcher(text);
        Matcher scenario = Pattern.compile("\"scenario\": \"([^\"]*)\", \"tier\": \"([^\"]*)\", \"devices\": \"([^\"]*)\", \"metric\": \"([^\"]*)\"").matcher(text);
        Set<String> scenarios = new HashSet<>();
        Map<String, Long> counts = new HashMap<>();
        int series = 0;
        while (scenario.find()) {
            assertTrue(n.find(), "a series without n");
            String label = scenario.group(1) + " / " + scenario.group(2) + " / " + scenario.group(4);
            assertTrue(Long.parseLong(n.group(1)) > 0, label + " has no samples");
            counts.put(label, Long.parseLong(n.group(1)));
            scenarios.add(scenario.group(1) + " / " + scenario.group(2));
            series++;
        }
        assertTrue(series >= 2, "too few series: " + series);
        assertTrue(scenarios.contains("cpu floor / park/unpark") && scenarios.contains("cpu floor / keyed-mutex"), scenarios.toString());
        if (!stderr.contains("skipped")) {
            // Both drivers present (as under ./baton test): every GPU scenario must have run.
            for (String expected : List.of("raw sync / timeline+host thread", "raw sync / binary semaphores", "naive / waitIdle+lock",
                    "naive / readback+upload", "ping-pong / host-bridge", "ping-pong / binary-semaphore", "ping-pong / host-copy",
                    "pipelined x3 / host-bridge", "fan-out 1->3 / host-bridge", "fan-in N=1 / host-bridge", "fan-in N=2 / host-bridge",
                    "fan-in N=4 / host-bridge")) {
                assertTrue(scenarios.contains(expected), "missing scenario " + expected + " in " + scenarios);
            }
            // The raw floors time every hop both ways, like the ping-pong they are the floor of: one A->B and one
            // B->A gpu-handoff per end-to-end iteration, less each round's first B->A (no previous iteration).
            for (String floor : List.of("raw sync / timeline+host thread", "raw sync / binary semaphores")) {
                long gpu = counts.get(floor + " / gpu-handoff");
                long e2e = counts.get(floor + " / end-to-end");
                assertTrue(gpu <= 2 * e2e && gpu >= 2 * e2e - BenchCommand.QUICK_ROUNDS,
                        floor + ": " + gpu + " gpu-handoffs for " + e2e + " iterations, expected both directions");
            }
        }
        assertTrue(text.contains("\"lwjgl\"") && text.contains("\"drivers\"") && text.contains("\"machine\""), "environment incomplete");

        // CSV: the header, then one row per series with as many fields.
        List<String> lines = Files.readAllLines(csv);
        List<String> header = fields(lines.get(0));
        for (String column : List.of("scenario", "n", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "machine", "drivers")) {
            assertTrue(header.contains(column), "CSV header lacks " + column + ": " + header);
        }
        assertEquals(series, lines.size() - 1, "CSV rows vs JSON series");
        int nColumn = header.indexOf("n");
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = fields(line);
            assertEquals(header.size(), f.size(), line);
            assertTrue(Long.parseLong(f.get(nColumn)) > 0, line);
        }

        // PNG: readable, two panels (CDFs + N-producer scaling), and more than a blank canvas.
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "plot is not a readable PNG");
        assertTrue(image.getWidth() >= 1000 && image.getHeight() >= 300, image.getWidth() + "x" + image.getHeight());
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colors.add(image.getRGB(x, y));
            }
        }
        assertTrue(colors.size() > 8, "plot has only " + colors.size() + " colours");
    }

    @Test
    void roundsAccumulateIntoOneSeries() {
        Series total = new Series("s", "t", "d", Series.Metric.CPU_HANDOFF, null, 10);
        for (int round = 1; round <= 3; round++) {
            Series r = new Series("s", "t", "d", Series.Metric.CPU_HANDOFF, null, 4);
            r.record(round * 1000L);
            r.record(round * 2000L);
            r.totals(2, 1_000_000, 3_000, 0, 10);
            r.processCpu(5_000);
            r.note("round " + round);
            total.absorb(r);
        }
        assertEquals(6, total.count());
        assertEquals(6, total.handoffs());
        assertEquals(2_000.0, total.handoffsPerSecond(), 1e-6); // 6 handoffs in 3 ms
        assertEquals(1.5, total.cpuMicrosPerHandoff(), 1e-9);
        assertEquals(2.5, total.processCpuMicrosPerHandoff(), 1e-9);
        assertEquals(5.0, total.bytesAllocatedPerHandoff(), 1e-9);
        assertEquals(6_000, total.distribution().maxNanos());
        assertEquals("round 3", total.note());
    }

    @Test
    void aWorkerThatNeverFinishesIsAStallNamingTheScenario() {
        Phase phase = new Phase();
        Runnable stuck = () -> {
            while (true) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L); // ignores the stop, like a hung driver call
            }
        };
        long start = System.nanoTime();
        StallException e = assertThrows(StallException.class, () -> Coordinator.run("stuck scenario", phase, List.of("stuck-worker"),
                List.of(stuck), List.of(), 0, 10_000_000L, 300_000_000L, null));
        assertTrue(e.getMessage().contains("stuck scenario") && e.getMessage().contains("stuck-worker"), e.getMessage());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "the watchdog took more than 5 s");
    }

    @Test
    void aWorkerFailureEndsTheScenarioEarlyAndIsRethrown() {
        Phase phase = new Phase();
        Runnable failing = () -> phase.fail(new StallException("failing scenario", "key 1 never came"));
        long start = System.nanoTime();
        StallException e = assertThrows(StallException.class, () -> Coordinator.run("failing scenario", phase, List.of("w"),
                List.of(failing), List.of(), 60_000_000_000L, 60_000_000_000L, 1_000_000_000L, null));
        assertTrue(e.getMessage().contains("key 1 never came"), e.getMessage());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "a failed worker did not cut the warm-up short");
    }

    @Test
    void badValuesAreUsageErrors() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, BenchCommand.run(new String[] {"--seconds", "zero"}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--seconds", "-1"}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--frobnicate"}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--json"}, o, e));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(4, text.lines().count(), "one line per usage error:\n" + text);
        assertEquals(0, BenchCommand.run(new String[] {"--help"}, o, e));
    }

    /** Splits one CSV line, honouring double-quoted fields. */
    private static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /** A minimal recursive-descent JSON validator: throws on anything that is not one JSON value. */
    private static final class JsonChecker {
        private final String s;
        private int i;

        JsonChecker(String s) {
            this.s = s;
        }

        void document() {
            value();
            ws();
            assertEquals(s.length(), i, "trailing text after the JSON value");
        }

        private void value() {
            ws();
            char c = peek();
            if (c == '{') {
                i++;
                ws();
                if (peek() == '}') {
                    i++;
                    return;
                }
                do {
                    ws();
                    string();
                    ws();
                    expect(':');
                    value();
                    ws();
                } while (take(','));
                expect('}');
            } else if (c == '[') {
                i++;
                ws();
                if (peek() == ']') {
                    i++;
                    return;
                }
                do {
                    value();
                    ws();
                } while (take(','));
                expect(']');
            } else if (c == '"') {
                string();
            } else if (s.startsWith("null", i) || s.startsWith("true", i)) {
                i += 4;
            } else if (s.startsWith("false", i)) {
                i += 5;
            } else {
                int start = i;
                while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                assertTrue(i > start, "unexpected '" + c + "' at " + start);
                Double.parseDouble(s.substring(start, i));
            }
        }

        private void string() {
            expect('"');
            while (peek() != '"') {
                if (s.charAt(i) == '\\') {
                    i++;
                }
                assertTrue(s.charAt(i) >= 0x20, "control character in a string at " + i);
                i++;
            }
            i++;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private char peek() {
            assertTrue(i < s.length(), "JSON ends early");
            return s.charAt(i);
        }

        private boolean take(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            assertEquals(c, peek(), "at " + i);
            i++;
        }
    }
}
