package dev.baton.app.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.FileInputStream;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

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
        Path hdr = dir.resolve("hdr");
        Path md = dir.resolve("bench.md");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = BenchCommand.run(new String[] {"--quick", "--validate", "--json", json.toString(), "--csv=" + csv, "--plot", png.toString(),
                    "--hdr", hdr.toString(), "--markdown", md.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, () -> "exit " + exit + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
        assertTrue(stdout.contains("Handoff latency") && stdout.contains("Costs per handoff") && stdout.contains("Targets"), stdout);
        assertTrue(stdout.contains("ratios are indicative only"), "--quick must say its ratios are indicative only");

        // Terminal: the headline comes first, and every line fits 100 columns.
        assertTrue(stdout.indexOf("Headline") >= 0 && stdout.indexOf("Headline") < stdout.indexOf("Handoff latency"), stdout);
        assertTrue(stdout.matches("(?s).*\\nkeyed-mutex CPU +[0-9.]+ [um]s +[0-9.]+x cpu floor park/unpark +(met|MISSED) .*"), "headline names the floor:\n" + stdout);
        for (String line : stdout.lines().toList()) {
            assertTrue(line.length() <= BenchReport.TERMINAL_COLUMNS, line.length() + " columns: " + line);
        }
        // Both drivers took part (as under ./baton test): every GPU scenario ran. Only rows a capability rules out are skipped.
        Map<?, ?> environment = (Map<?, ?>) JSON.std.mapFrom(Files.readString(json)).get("environment");
        List<String> deviceLabels = environment.keySet().stream().map(k -> (String) k).filter(k -> k.startsWith("device "))
                .map(k -> k.substring("device ".length())).toList();
        boolean bothDrivers = deviceLabels.size() >= 2;
        if (bothDrivers) {
            assertTrue(stdout.matches("(?s).*\\nhost-bridge +[0-9.]+ [um]s +[0-9.]+x raw sync timeline\\+host thread +(met|MISSED) \\(goal <= 1.25x\\).*"), stdout);
        }

        // JSON through a JSON library: schema, build, machine, structured targets.
        Map<String, Object> root = JSON.std.mapFrom(Files.readString(json));
        assertEquals(BenchReport.SCHEMA_VERSION, ((Number) root.get("schema_version")).intValue());
        assertEquals(Boolean.TRUE, root.get("complete"));
        Map<?, ?> baton = (Map<?, ?>) root.get("baton");
        assertTrue(baton.get("version") instanceof String && baton.get("commit") instanceof String, root.toString());
        Map<?, ?> machine = (Map<?, ?>) root.get("machine");
        assertEquals(Runtime.getRuntime().availableProcessors(), ((Number) machine.get("cores")).intValue());
        assertFalse(((String) machine.get("cpu_model")).isBlank());
        assertEquals(System.getProperty("java.version"), machine.get("java"));
        List<?> targets = (List<?>) root.get("targets");
        // One host-bridge target per device that offers host-bridge (its own raw floor), then the four others.
        List<String> names = targets.stream().map(o -> (String) ((Map<?, ?>) o).get("name")).toList();
        List<String> kinds = List.of("host-bridge GPU p50 vs raw floor", "keyed-mutex CPU p50 vs park/unpark",
                "cross-process keyed-mutex per handoff vs raw socket round trip", "cross-process host-bridge gpu-handoff vs in-process",
                "cross-process binary-semaphore gpu-handoff vs in-process", "cross-process shared-timeline gpu-handoff vs in-process",
                "B copied, same-driver tiers", "B allocated, steady state",
                "pipelined/naive throughput", "Baton threads, fan-in N=16", "fan-in N=16 end-to-end p50 vs N=1",
                "host-memory GPU p50 vs host-bridge ping-pong");
        for (String kind : kinds) {
            assertTrue(names.stream().anyMatch(n -> n.startsWith(kind)), "no target " + kind + " in " + names);
        }
        // One host-bridge target per device offering host-bridge, one host-memory target per host-memory row.
        assertEquals(kinds.size() - 2 + names.stream().filter(n -> n.startsWith("host-bridge GPU p50 vs raw floor")).count()
                + names.stream().filter(n -> n.startsWith("host-memory GPU p50 vs host-bridge ping-pong")).count(), targets.size(),
                names.toString());
        for (Object o : targets) {
            Map<?, ?> t = (Map<?, ?>) o;
            for (String key : List.of("name", "measured", "goal", "ratio", "met", "comparison", "unit", "detail")) {
                assertTrue(t.containsKey(key), "target lacks " + key + ": " + t);
            }
            if (t.get("met") != null) {
                assertTrue(t.get("measured") instanceof Number, t.toString());
            }
        }
        Map<?, ?> mutexTarget = (Map<?, ?>) targets.stream()
                .filter(o -> ((String) ((Map<?, ?>) o).get("name")).startsWith("keyed-mutex CPU p50 vs park/unpark")).findFirst().orElseThrow();
        double ratio = ((Number) mutexTarget.get("ratio")).doubleValue();
        assertEquals(ratio <= 1.5, mutexTarget.get("met"), "met follows the ratio and the goal: " + mutexTarget);
        Map<String, Long> jsonCounts = new java.util.HashMap<>();
        int fanInRows = 0;
        for (Object o : (List<?>) root.get("series")) {
            Map<?, ?> m = (Map<?, ?>) o;
            jsonCounts.put((String) m.get("label"), ((Number) m.get("n")).longValue());
            String scenario = (String) m.get("scenario");
            if (scenario.startsWith("fan-in N=") && "host-bridge".equals(m.get("tier"))) {
                // One host bridge per source device: N producer devices and the compositor's.
                int n = Integer.parseInt(scenario.substring("fan-in N=".length()));
                assertEquals(n + 1, ((Number) m.get("baton_library_threads")).intValue(), m.toString());
                assertEquals(2 * n + 2, ((Number) m.get("baton_threads")).intValue(), "one bench worker per device too: " + m);
                fanInRows++;
            }
        }
        assertTrue(fanInRows > 0, "no host-bridge fan-in row in the JSON");

        // .hlog: one per series, read back by HdrHistogram's own reader with the counts of the JSON.
        try (var files = Files.list(hdr)) {
            List<Path> logs = files.filter(f -> f.toString().endsWith(".hlog")).toList();
            assertEquals(jsonCounts.size(), logs.size(), "one .hlog per series");
            for (Path log : logs) {
                long total = 0;
                int intervals = 0;
                try (FileInputStream in = new FileInputStream(log.toFile())) {
                    HistogramLogReader reader = new HistogramLogReader(in);
                    while (reader.hasNext()) {
                        total += ((Histogram) reader.nextIntervalHistogram()).getTotalCount();
                        intervals++;
                    }
                }
                assertTrue(intervals >= 1, log + " has no interval");
                String name = log.getFileName().toString();
                long expected = jsonCounts.entrySet().stream().filter(e -> name.startsWith(e.getKey().replace(" / ", "_")
                        .replaceAll("[^A-Za-z0-9._=+-]+", "-"))).mapToLong(Map.Entry::getValue).max().orElse(-1);
                assertEquals(expected, total, name);
            }
        }

        // Markdown: the full tables and the notes.
        String markdown = Files.readString(md);
        assertTrue(markdown.contains("| scenario | tier | devices |") && markdown.contains("Notes:"), markdown);

        // JSON: every series has samples.
        String text = Files.readString(json);
        Set<String> scenarios = new HashSet<>();
        Map<String, Long> counts = new HashMap<>();
        int series = 0;
        for (Object o : (List<?>) root.get("series")) {
            Map<?, ?> m = (Map<?, ?>) o;
            String label = m.get("scenario") + " / " + m.get("tier") + " / " + m.get("devices") + " / " + m.get("metric");
            assertEquals(label, m.get("label"));
            assertTrue(((Number) m.get("n")).longValue() > 0, label + " has no samples");
            scenarios.add(m.get("scenario") + " / " + m.get("tier"));
            counts.put(label, ((Number) m.get("n")).longValue());
            series++;
        }
        assertTrue(series >= 2, "too few series: " + series);
        // The cross-process GPU row (when its device could take part): both directions per turn, nothing copied,
        // compared with the in-process host-bridge ping-pong, and judged by its target with the measured ratio.
        for (Object o : (List<?>) root.get("series")) {
            Map<?, ?> m = (Map<?, ?>) o;
            if (m.get("scenario").equals("cross-process") && m.get("tier").equals("host-bridge")) {
                assertEquals(0.0, ((Number) m.get("bytes_copied_per_handoff")).doubleValue(), m.toString());
                if (m.get("metric").equals("gpu-handoff")) {
                    assertTrue(((String) m.get("floor")).startsWith("ping-pong / host-bridge / "), m.toString());
                    Map<?, ?> t = (Map<?, ?>) targets.stream().filter(x -> ((String) ((Map<?, ?>) x).get("name"))
                            .startsWith("cross-process host-bridge gpu-handoff")).findFirst().orElseThrow();
                    assertTrue(t.get("ratio") instanceof Number && ((String) t.get("detail")).matches(".* -> (met|MISSED).*"), t.toString());
                }
            }
        }
        // The cross-process copy row (on a device that cannot import host memory): it copies by design, every byte counted
        // (each access: memfd -> staging and back on the CPU, upload and read-back on the GPU), beside the in-process host copy.
        Map<?, ?> settings = (Map<?, ?>) root.get("settings");
        long frame = 4L * ((Number) settings.get("width")).longValue() * ((Number) settings.get("height")).longValue();
        boolean copyRow = false;
        for (Object o : (List<?>) root.get("series")) {
            Map<?, ?> m = (Map<?, ?>) o;
            if (m.get("scenario").equals("cross-process") && m.get("tier").equals("host-copy")) {
                copyRow = true;
                assertEquals(4.0 * frame, ((Number) m.get("bytes_copied_per_handoff")).doubleValue(), 1e-6, m.toString());
                if (m.get("metric").equals("gpu-handoff")) {
                    assertTrue(((String) m.get("floor")).startsWith("ping-pong / host-copy / "), m.toString());
                    assertTrue(counts.containsKey(m.get("floor")), "its floor ran in the same run: " + m);
                }
            }
        }
        boolean copyRowSkipped = ((List<?>) root.get("skipped")).stream().anyMatch(x -> ((String) x).startsWith("cross-process host-copy: "));
        assertTrue(copyRow != copyRowSkipped, "a cross-process host-copy row or the reason it has none: " + counts.keySet());
        // The cross-process binary-semaphore row likewise, beside the in-process binary-semaphore ping-pong.
        for (Object o : (List<?>) root.get("series")) {
            Map<?, ?> m = (Map<?, ?>) o;
            if (m.get("scenario").equals("cross-process") && m.get("tier").equals("binary-semaphore")) {
                assertEquals(0.0, ((Number) m.get("bytes_copied_per_handoff")).doubleValue(), m.toString());
                if (m.get("metric").equals("gpu-handoff")) {
                    assertTrue(((String) m.get("floor")).startsWith("ping-pong / binary-semaphore / "), m.toString());
                    Map<?, ?> t = (Map<?, ?>) targets.stream().filter(x -> ((String) ((Map<?, ?>) x).get("name"))
                            .startsWith("cross-process binary-semaphore gpu-handoff")).findFirst().orElseThrow();
                    assertTrue(t.get("ratio") instanceof Number && ((String) t.get("detail")).matches(".* -> (met|MISSED).*"), t.toString());
                }
            }
        }
        assertTrue(scenarios.contains("cpu floor / park/unpark") && scenarios.contains("cpu floor / keyed-mutex"), scenarios.toString());
        // Host memory and Vulkan -> GL, by capability: each device has its row, or the reason it has none among the skipped.
        List<?> skipped = (List<?>) root.get("skipped");
        for (String device : deviceLabels) {
            boolean hostMemory = counts.containsKey("ping-pong / host-memory / " + device + " x2 / gpu-handoff");
            boolean hostMemorySkipped = skipped.stream().anyMatch(x -> ((String) x).startsWith("host-memory ping-pong on " + device + " x2: "));
            assertTrue(hostMemory != hostMemorySkipped, device + ": a host-memory row or the reason it has none: " + counts.keySet() + skipped);
            boolean gl = counts.keySet().stream().anyMatch(k -> k.startsWith("vk-gl / ") && k.contains(" / " + device + "->GL "));
            boolean glSkipped = skipped.stream().anyMatch(x -> ((String) x).startsWith("Vulkan -> GL pair " + device + ": "));
            assertTrue(gl != glSkipped, device + ": a Vulkan -> GL row or the reason it has none: " + counts.keySet() + skipped);
        }
        for (Object o : (List<?>) root.get("series")) {
            Map<?, ?> m = (Map<?, ?>) o;
            if ("host-memory".equals(m.get("tier"))) {
                assertEquals("import host memory", m.get("memory"), m.toString());
                assertEquals("host-bridge", m.get("sync"), "the selector pairs host memory with the host bridge: " + m);
                if ("cpu-handoff".equals(m.get("metric"))) {
                    assertEquals(0.0, ((Number) m.get("bytes_copied_per_handoff")).doubleValue(), "host memory copies nothing: " + m);
                }
            }
        }
        if (bothDrivers) {
            // Both drivers present (as under ./baton test): every GPU scenario must have run.
            for (String expected : List.of("raw sync / timeline+host thread", "raw sync / binary semaphores", "naive / waitIdle+lock",
                    "naive / readback+upload", "ping-pong / host-bridge", "ping-pong / binary-semaphore", "ping-pong / host-copy",
                    "pipelined x3 / host-bridge", "fan-out 1->3 / host-bridge", "fan-in N=1 / host-bridge", "fan-in N=2 / host-bridge",
                    "fan-in N=4 / host-bridge", "cross-process / host-bridge", "cross-process / host-copy",
                    "cross-process / binary-semaphore")) {
                assertTrue(scenarios.contains(expected), "missing scenario " + expected + " in " + scenarios);
            }
            // The raw floors time every hop both ways, like the ping-pong they are the floor of: one A->B and one
            // B->A gpu-handoff per end-to-end iteration, less each round's first B->A (no previous iteration).
            int floorsChecked = 0;
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                String key = e.getKey();
                if (!key.startsWith("raw sync / ") || !key.endsWith(" / gpu-handoff")) {
                    continue;
                }
                long gpu = e.getValue();
                long e2e = counts.get(key.substring(0, key.length() - "gpu-handoff".length()) + "end-to-end");
                assertTrue(gpu <= 2 * e2e && gpu >= 2 * e2e - BenchCommand.QUICK_ROUNDS,
                        key + ": " + gpu + " gpu-handoffs for " + e2e + " iterations, expected both directions");
                floorsChecked++;
            }
            assertTrue(floorsChecked >= 2, "both raw floors (timeline bridge, binary semaphores) must have run: " + counts.keySet());
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
        assertEquals(6_000, total.distribution().maxNanos(), 6, "HdrHistogram's highest equivalent value, within 0.1%");
        assertEquals(3, total.intervals().size(), "one interval per absorbed round, for .hlog files");
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

    @Test
    void badOutputsAndInputsFailBeforeMeasuring(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        long start = System.nanoTime();
        assertEquals(2, BenchCommand.run(new String[] {"--json", file.resolve("bench.json").toString()}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--hdr", file.toString()}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--plot", dir.toString()}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--compare", dir.resolve("missing.json").toString()}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--compare", file.toString()}, o, e));
        assertEquals(2, BenchCommand.run(new String[] {"--scenario", "ping-pong,warp-drive"}, o, e));
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "refused without measuring");
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(6, text.lines().count(), "one line per refusal:\n" + text);
        assertTrue(text.contains("--json") && text.contains("--hdr") && text.contains("warp-drive") && text.contains("cpu-floor"), text);
        assertFalse(text.contains("Exception") || text.contains("\tat "), "plain words, no exception names:\n" + text);
        assertTrue(text.contains("a file is in the way"), text);
    }

    /**
     * Ctrl-C (here SIGTERM, which runs the same shutdown hook; a JVM cannot send itself SIGINT) in a
     * child JVM: the run stops after the round it is measuring and still writes what it measured.
     */
    @Test
    void aSignalStopsTheRunAndStillWritesWhatWasMeasured(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("partial.json");
        Path log = dir.resolve("stderr.txt");
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBinary, "-cp", System.getProperty("java.class.path"), "dev.baton.app.Main", "bench",
                "--scenario", "cpu-floor", "--seconds", "4", "--rounds", "2", "--warmup-seconds", "0.2", "--json", json.toString())
                .redirectError(log.toFile()).redirectOutput(dir.resolve("stdout.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            // the first progress line comes as round 1 of the CPU floors starts measuring
            while (!Files.readString(log).contains("cpu floors, round 1/2") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(p.isAlive(), "the run ended before it could be interrupted: " + Files.readString(log));
            p.destroy();   // SIGTERM
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the run did not end after the signal");
        } finally {
            p.destroyForcibly();
        }
        String stdout = Files.readString(dir.resolve("stdout.txt"));
        assertTrue(stdout.contains("INTERRUPTED") && stdout.contains("Headline"), stdout + Files.readString(log));
        Map<String, Object> root = JSON.std.mapFrom(Files.readString(json));
        assertEquals(Boolean.FALSE, root.get("complete"));
        assertEquals("Ctrl-C", root.get("interrupted"));
        List<?> series = (List<?>) root.get("series");
        assertEquals(2, series.size(), "the CPU floors of round 1: " + series);
        for (Object o : series) {
            assertTrue(((Number) ((Map<?, ?>) o).get("n")).longValue() > 0, o.toString());
        }
        assertTrue(Files.readString(log).contains("stopped at"), Files.readString(log));
    }

    @Test
    void scenarioGroupsBringTheirFloors() throws Exception {
        assertEquals(java.util.Set.of("ping-pong", "cpu-floor", "raw-sync", "naive"), BenchCommand.scenarios("Ping-Pong"));
        assertEquals(java.util.Set.of("fan-in"), BenchCommand.scenarios(" fan in "));
        assertEquals(java.util.Set.of("cross-process", "ping-pong"), BenchCommand.scenarios("cross-process"));
        assertEquals("cpu-floor", BenchCommand.group("cpu floor"));
        assertEquals("raw-sync", BenchCommand.group("raw sync"));
        assertEquals("pipelined", BenchCommand.group("pipelined x3"));
        assertEquals("fan-in", BenchCommand.group("fan-in N=4"));
        assertEquals("fan-out", BenchCommand.group("fan-out 1->3"));
        // Vulkan -> GL is compared with the same device's ping-pong on its tier, which comes with it.
        assertEquals("vk-gl", BenchCommand.group(BenchCommand.VK_GL));
        assertEquals(java.util.Set.of("vk-gl", "ping-pong"), BenchCommand.scenarios("vk-gl"));
    }

    private static Series series(String scenario, String tier, Series.Metric metric, String floor, long... nanos) {
        Series s = new Series(scenario, tier, "d", metric, floor, 100);
        for (long v : nanos) {
            s.record(v);
        }
        s.totals(nanos.length, 1_000_000, 0, 0, 0);
        return s;
    }

    @Test
    void compareShowsRatiosAgainstASavedRun(@TempDir Path dir) throws Exception {
        BenchReport old = new BenchReport();
        old.add(series("cpu floor", "park/unpark", Series.Metric.CPU_HANDOFF, null, 10_000, 10_000, 10_000));
        old.add(series("ping-pong", "host-bridge", Series.Metric.GPU_HANDOFF, null, 100_000, 100_000));
        Path saved = dir.resolve("old.json");
        old.writeJson(saved);

        BenchReport now = new BenchReport();
        now.add(series("cpu floor", "park/unpark", Series.Metric.CPU_HANDOFF, null, 20_000, 20_000, 20_000));
        now.add(series("fan-in N=1", "host-bridge", Series.Metric.CPU_HANDOFF, null, 5_000));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BenchComparison.read(saved).print(now, new PrintStream(bytes, true, StandardCharsets.UTF_8), 100);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.matches("(?s).*cpu floor park/unpark cpu +10.0 us +20.0 us +2.00 .*"), text);
        assertTrue(text.contains("only in the old run (1): ping-pong / host-bridge / d / gpu-handoff"), text);
        assertTrue(text.contains("only in this run (1): fan-in N=1 / host-bridge / d / cpu-handoff"), text);
        assertTrue(text.contains("schema " + BenchReport.SCHEMA_VERSION), text);
    }

    @Test
    void aMissedTargetIsInformationalUnlessStrict() {
        BenchReport r = new BenchReport();
        r.add(series("cpu floor", "park/unpark", Series.Metric.CPU_HANDOFF, null, 10_000, 10_000));
        r.add(series("cpu floor", "keyed-mutex", Series.Metric.CPU_HANDOFF, "cpu floor / park/unpark / d / cpu-handoff", 40_000, 40_000));
        Targets.evaluate(r, null);
        assertTrue(r.anyMissed(), "4x park/unpark misses <= 1.5x");
        String headline = String.join("\n", r.headline(false));
        assertTrue(headline.matches("keyed-mutex CPU +40.0 us +4.00x cpu floor park/unpark +MISSED \\(goal <= 1.5x\\) informational"),
                headline);
        assertFalse(String.join("\n", r.headline(true)).contains("informational"));
        Map<String, Object> json = r.toJson();
        Map<?, ?> t = (Map<?, ?>) ((List<?>) json.get("targets")).get(1);
        assertEquals(Boolean.FALSE, t.get("met"));
        assertEquals(4.0, ((Number) t.get("ratio")).doubleValue(), 0.01);
        assertEquals(1.5, ((Number) t.get("goal")).doubleValue());
        assertEquals("ratio", t.get("goal_applies_to"));
        Map<?, ?> notRun = (Map<?, ?>) ((List<?>) json.get("targets")).get(0);
        assertNull(notRun.get("met"), "the host-bridge target is not measured without its series: " + notRun);
    }

    @Test
    void theCrossProcessBinarySemaphoreTargetJudgesTheRowAgainstItsInProcessFloor() {
        for (long cross : new long[] {120_000, 150_000}) {
            BenchReport r = new BenchReport();
            r.add(series("ping-pong", "binary-semaphore", Series.Metric.GPU_HANDOFF, null, 100_000, 100_000));
            r.add(series("cross-process", "binary-semaphore", Series.Metric.GPU_HANDOFF, "ping-pong / binary-semaphore / d / gpu-handoff",
                    cross, cross));
            Targets.evaluate(r, null);
            Map<?, ?> t = (Map<?, ?>) ((List<?>) r.toJson().get("targets")).stream()
                    .filter(x -> ((String) ((Map<?, ?>) x).get("name")).equals("cross-process binary-semaphore gpu-handoff vs in-process"))
                    .findFirst().orElseThrow();
            assertEquals(cross / 100_000.0, ((Number) t.get("ratio")).doubleValue(), 0.01, t.toString());
            assertEquals(1.3, ((Number) t.get("goal")).doubleValue());
            assertEquals(cross <= 130_000, t.get("met"), t.toString());
            assertTrue(((String) t.get("detail")).contains("the same goal applied"), t.toString());
        }
        BenchReport none = new BenchReport();
        Targets.evaluate(none, null);
        Map<?, ?> t = (Map<?, ?>) ((List<?>) none.toJson().get("targets")).stream()
                .filter(x -> ((String) ((Map<?, ?>) x).get("name")).startsWith("cross-process binary-semaphore")).findFirst().orElseThrow();
        assertNull(t.get("met"), "not measured without the row: " + t);
    }

    @Test
    void theCrossProcessSharedTimelineTargetJudgesTheRowAgainstItsInProcessFloorAndIsNotMeasuredWhenTheRowIsSkipped() {
        BenchReport r = new BenchReport();
        r.add(series("ping-pong", "shared-timeline", Series.Metric.GPU_HANDOFF, null, 100_000, 100_000));
        r.add(series("cross-process", "shared-timeline", Series.Metric.GPU_HANDOFF, "ping-pong / shared-timeline / d / gpu-handoff",
                140_000, 140_000));
        Targets.evaluate(r, null);
        Map<?, ?> t = (Map<?, ?>) ((List<?>) r.toJson().get("targets")).stream()
                .filter(x -> ((String) ((Map<?, ?>) x).get("name")).equals("cross-process shared-timeline gpu-handoff vs in-process"))
                .findFirst().orElseThrow();
        assertEquals(1.4, ((Number) t.get("ratio")).doubleValue(), 0.01, t.toString());
        assertEquals(1.3, ((Number) t.get("goal")).doubleValue());
        assertEquals(false, t.get("met"), t.toString());
        BenchReport skipped = new BenchReport();
        skipped.add(series("ping-pong", "shared-timeline", Series.Metric.GPU_HANDOFF, null, 100_000, 100_000));
        Targets.evaluate(skipped, null);
        Map<?, ?> n = (Map<?, ?>) ((List<?>) skipped.toJson().get("targets")).stream()
                .filter(x -> ((String) ((Map<?, ?>) x).get("name")).startsWith("cross-process shared-timeline")).findFirst().orElseThrow();
        assertNull(n.get("met"), "not measured without the row: " + n);
        assertTrue(n.toString().contains("the cross-process shared-timeline row did not run (see skipped)"), n.toString());
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
}
