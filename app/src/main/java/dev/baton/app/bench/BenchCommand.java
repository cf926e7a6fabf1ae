package dev.baton.app.bench;

import dev.baton.app.ShutdownSignal;
import dev.baton.app.cli.Cli;
import dev.baton.app.cli.Range;
import dev.baton.app.cli.Size;
import dev.baton.app.cli.UsageException;
import dev.baton.app.report.Plot;
import dev.baton.app.report.Progress;
import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTier;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.DeviceSelector;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.window.TileCompositor;
import dev.baton.sync.KeyedMutex;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton bench}: handoff latency and cost per sync tier, each beside its floor measured in the
 * same run and process. Runs on the calling thread, which coordinates; every scenario runs its own
 * named worker threads, one per device, and every wait in them is finite (a stall ends the run with
 * exit code 1 and names the scenario).
 *
 * <p>Scenarios, in order: CPU floors (park/unpark; the keyed mutex without a GPU); raw sync floors
 * (host-bridged timelines on lavapipe, exported binary semaphores on SwiftShader); the naive way
 * (vkQueueWaitIdle + lock/condition, shared memory) and readback/upload through host memory; keyed-mutex
 * ping-pong per tier (and in host memory where both VkDevices import it); a Vulkan producer and a GL
 * consumer per device with a GL renderer reachable; a pipelined producer with a ring of surfaces; one
 * producer to K consumers; N producers into one compositor. A scenario whose driver or capability is
 * missing is skipped with a note.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "GPU handoff latency per sync tier, beside its floors and the naive way",
        description = {"Measures GPU surface handoff latency and cost per sync tier, beside its floors (park/unpark,",
            "raw Vulkan sync, the naive vkQueueWaitIdle way) measured in the same run."})
public final class BenchCommand implements Cli.Body {
    /** The CPU floors alternate park/unpark and the keyed mutex in this many slices per round. */
    static final int CPU_FLOOR_SLICES = 8;

    /** Raw sync floors: the timeline + host-thread forward (host-bridge's floor) and exported binary semaphores. */
    static final String RAW_BRIDGE = "timeline+host thread";
    static final String RAW_BINARY = "binary semaphores";
    /** The HostBridge thread's name in the sync module (looked up to charge its CPU and allocations). */
    static final String HOST_BRIDGE_THREAD = "baton-host-bridge";
    static final int SLOTS = 3;
    /** Ping-pong whose sides release with {@code Lease.releaseAndAcquire} (release and queue in one step). */
    static final String PING_PONG_RELEASE_AND_ACQUIRE = "ping-pong (release-and-acquire)";
    /** Ping-pong whose timed work carries the lease's acquire/release commands (one command buffer per submit). */
    static final String PING_PONG_OWN_COMMAND_BUFFER = "ping-pong (own command buffer)";
    /** Vulkan producer -> GL consumer and back, on one surface (the GL renderer reachable for the device). */
    static final String VK_GL = "vk-gl";
    static final int RING_SURFACES = 3;
    static final int FAN_OUT_CONSUMERS = 3;
    /** {@code --quick}: measured seconds per scenario (split over the rounds), warm-up per round, rounds. */
    static final double QUICK_SECONDS = 0.6;
    static final double QUICK_WARMUP_SECONDS = 0.2;
    static final int QUICK_ROUNDS = 3;

    /** {@code --device} fits no device, or several: a usage error found once Vulkan listed the devices. */
    static final class DeviceChoiceException extends RuntimeException {
        DeviceChoiceException(String message) {
            super(message);
        }
    }

    /**
     * The scenario groups {@code --scenario} names, each with the groups whose series it is compared
     * with (they run too, so its "x floor" has a floor).
     */
    static final Map<String, List<String>> SCENARIO_GROUPS = Map.of(
            "cpu-floor", List.of(),
            "raw-sync", List.of(),
            "naive", List.of(),
            "ping-pong", List.of("cpu-floor", "raw-sync", "naive"),
            "pipelined", List.of("naive"),
            "fan-out", List.of("ping-pong", "cpu-floor", "raw-sync", "naive"),
            "fan-in", List.of(),
            "cross-process", List.of("ping-pong"),
            VK_GL, List.of("ping-pong"));
    static final List<String> SCENARIO_ORDER = List.of("cpu-floor", "raw-sync", "naive", "ping-pong", "pipelined", "fan-out", "fan-in", "cross-process",
            VK_GL);

    /** The --scenario group of a scenario name: "cpu floor" -> cpu-floor, "pipelined x3" -> pipelined. */
    static String group(String scenario) {
        String s = scenario.toLowerCase(Locale.ROOT);
        if (s.startsWith("cpu floor") || s.startsWith("raw sync")) {
            return s.substring(0, s.indexOf(' ')) + "-" + s.substring(s.indexOf(' ') + 1).split(" ")[0];
        }
        int space = s.indexOf(' ');
        return space < 0 ? s : s.substring(0, space);
    }

    /**
     * Parses {@code --scenario}'s value: comma-separated group names (spaces or dashes), plus the
     * groups they are compared with. Empty text means every group.
     */
    static Set<String> scenarios(String text) throws UsageException {
        Set<String> wanted = new LinkedHashSet<>();
        if (text == null) {
            return wanted;
        }
        for (String part : text.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT).replace(' ', '-');
            if (!SCENARIO_GROUPS.containsKey(name)) {
                throw new UsageException("--scenario expects names from " + String.join(", ", SCENARIO_ORDER)
                        + " (comma-separated), got '" + part.trim() + "'");
            }
            wanted.add(name);
            wanted.addAll(SCENARIO_GROUPS.get(name));
        }
        return wanted;
    }

    /** What to print and write, from the command line (the output part of the settings). */
    record Output(Path json, Path csv, Path plot, Path markdown, Path hdr, Path compare, boolean wide, boolean strict) {}

    /** Settings from the command line. */
    record Settings(double warmupSeconds, double seconds, int rounds, boolean quick, boolean validate, int width, int height,
                    double stallSeconds, Path json, Path csv, Path plot, Path markdown, String devices, Set<String> scenarios) {
        /** Whether the --scenario selection includes the group of {@code scenario} (no selection: all). */
        boolean runs(String scenario) {
            return scenarios.isEmpty() || scenarios.contains(group(scenario));
        }

        long warmupNanos() {
            return (long) (warmupSeconds * 1e9);
        }

        /** Measured time of one round of one scenario: {@code --seconds} split over the rounds. */
        long measureNanos() {
            return (long) (seconds / rounds * 1e9);
        }

        long stallNanos() {
            return (long) (stallSeconds * 1e9);
        }

        int[] fanIn() {
            return quick ? new int[] {1, 2, 4} : new int[] {1, 2, 4, 8, 16};
        }

        /** Samples kept per series and round: enough for every handoff at up to 60,000 per second. */
        int capacity() {
            return (int) Math.min(4_000_000, Math.max(2_000, seconds / rounds * 60_000));
        }
    }

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "warm-up per scenario, not measured")
    @Range(min = 0, max = 60)
    double warmup = 0.5;

    @Option(names = "--seconds", paramLabel = "S", description = "measured time per scenario")
    @Range(min = 0.05, max = 600)
    double seconds = 2;

    @Option(names = "--rounds", paramLabel = "N", description = "split each scenario's measured time into N rounds, "
            + "interleaved with the other scenarios, so a floor and its tier see the same machine conditions")
    @Range(min = 1, max = 100)
    int rounds = 3;

    @Option(names = "--quick", description = "short run (0.6 s per scenario in 3 rounds of 0.2 s, each after 0.2 s of warm-up; N producers up to 4): "
            + "under a minute; ratios are indicative, compare full runs")
    boolean quick;

    @Option(names = "--validate",
            description = "run under the Khronos validation layer with synchronization validation; exit 1 if it reports anything")
    boolean validate;

    @Option(names = "--size", paramLabel = "WxH", description = "surface size in pixels")
    @Range(min = 32, max = 4096)
    Size size = new Size(256, 256);

    @Option(names = "--stall-seconds", paramLabel = "S", description = "a wait longer than this fails the scenario")
    @Range(min = 0.5, max = 600)
    double stall = 10;

    @Option(names = "--json", paramLabel = "FILE", description = "also write every summary as JSON")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "also write every summary as CSV")
    Path csv;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "also write latency CDFs and the N-producer scaling chart")
    Path plot;

    @Option(names = "--markdown", paramLabel = "FILE", description = "also write the tables, notes and targets in full as Markdown")
    Path markdown;

    @Option(names = "--hdr", paramLabel = "DIR", description = "also write one HdrHistogram .hlog per series (nanoseconds) into DIR")
    Path hdr;

    @Option(names = "--compare", paramLabel = "OLD.json", description = "print this run beside a saved --json run, with ratios")
    Path compare;

    @Option(names = "--scenario", paramLabel = "NAME,...", description = "run only these of cpu-floor, raw-sync, naive, ping-pong,"
            + " pipelined, fan-out, fan-in, cross-process, vk-gl (and the floors they are compared with)")
    String scenario;

    @Option(names = "--wide", description = "print every column and the notes and targets in full (wider than 100 columns)")
    boolean wide;

    @Option(names = "--strict", description = "exit 1 when a target is missed (without it a miss is informational)")
    boolean strict;

    @Option(names = "--device", paramLabel = "NAME[,NAME...]", description = "only these Vulkan devices: an index, a label "
            + "./baton devices prints (vk1, lavapipe) or an unambiguous part of a name (default: every device that can take part)")
    String device;

    /** Parses {@code args} as {@code ./baton bench} does and runs it (exit codes as {@link #run(PrintStream, PrintStream)}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Cli.run(new BenchCommand(), args, out, err);
    }

    /** Exit code: 0 ok, 1 a scenario failed or stalled or validation reported something or a --strict target was missed, 2 bad usage. */
    @Override
    public int run(PrintStream out, PrintStream err) throws UsageException {
        Set<String> scenarios = scenarios(scenario);
        // Before measuring: a path that cannot be written or a --compare file that cannot be read fails now.
        checkWritable("--json", json, false);
        checkWritable("--csv", csv, false);
        checkWritable("--plot", plot, false);
        checkWritable("--markdown", markdown, false);
        checkWritable("--hdr", hdr, true);
        BenchComparison comparison = compare == null ? null : BenchComparison.read(compare);
        Output output = new Output(json, csv, plot, markdown, hdr, compare, wide, strict);
        double measureSeconds = seconds;
        double warmupSeconds = warmup;
        int roundCount = rounds;
        if (quick) {
            // Rounds interleave each floor with its tiers, and each round warms up again (the JIT, the
            // drivers): one 0.3 s round after 0.1 s of warm-up swung the raw floor 3x between runs.
            measureSeconds = Math.min(measureSeconds, QUICK_SECONDS);
            warmupSeconds = Math.min(warmupSeconds, QUICK_WARMUP_SECONDS);
            roundCount = Math.min(roundCount, QUICK_ROUNDS);
        }
        Settings settings = new Settings(warmupSeconds, measureSeconds, roundCount, quick, validate, size.width(),
                size.height(), stall, json, csv, plot, markdown, device, scenarios);
        // Ctrl-C asks the run to stop after the series it is measuring; the hook waits for the report below.
        try (ShutdownSignal signal = new ShutdownSignal(shutdownGraceMillis(settings))) {
            BenchReport report = new BenchReport();
            int validationMessages;
            try {
                validationMessages = new BenchCommand.Run(settings, report, err, signal).all();
            } catch (Interrupted e) {
                report.interrupted("Ctrl-C");
                Targets.evaluate(report, settings);
                validationMessages = 0;
            }
            return report(report, settings, output, comparison, validationMessages, out, err);
        } catch (DeviceChoiceException e) {
            // --device named no device or several: only known once Vulkan has listed them.
            err.println("baton bench: --device: " + e.getMessage());
            return 2;
        } catch (StallException e) {
            err.println("baton bench: " + e.getMessage() + "; rerun that scenario's drivers with ./baton test, "
                    + "or raise --stall-seconds on a heavily loaded machine");
            return 1;
        } catch (IOException e) {
            err.println("baton bench: could not write an output file: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("baton bench: interrupted");
            return 1;
        } catch (RuntimeException e) {
            err.println("baton bench: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * How long Ctrl-C waits for the scenario being measured to finish (its warm-up, one round, and a
     * stall's worth of teardown) and for the report to be written, plus a minute for device setup.
     */
    static long shutdownGraceMillis(Settings s) {
        return (long) ((s.warmupSeconds() + s.seconds() / s.rounds() + 2 * s.stallSeconds()) * 1000) + 60_000;
    }

    /** Thrown between scenarios once Ctrl-C was pressed: the run ends and reports what it measured. */
    static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted() {
            super("interrupted", null, false, false);
        }
    }

    /**
     * Refuses, before anything is measured, an output path that cannot be written: its folder cannot
     * be created or written, or it names a folder (a file) or a file (a {@code --hdr} folder).
     */
    static void checkWritable(String flag, Path path, boolean directory) throws UsageException {
        if (path == null) {
            return;
        }
        Path folder = directory ? path.toAbsolutePath() : path.toAbsolutePath().getParent();
        try {
            if (folder != null) {
                Files.createDirectories(folder);
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new UsageException(flag + " " + path + ": cannot create the folder " + folder + " (a file is in the way at "
                    + e.getFile() + "); pick a writable path");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new UsageException(flag + " " + path + ": cannot create the folder " + folder + " (permission denied); pick a writable path");
        } catch (IOException | RuntimeException e) {
            throw new UsageException(flag + " " + path + ": cannot create the folder " + folder + "; pick a writable path");
        }
        if (!directory && Files.isDirectory(path)) {
            throw new UsageException(flag + " " + path + " is a folder; pass a file name");
        }
        if (folder != null && !Files.isWritable(folder)) {
            throw new UsageException(flag + " " + path + ": the folder " + folder + " is not writable; pick a writable path");
        }
        if (!directory && Files.exists(path) && !Files.isWritable(path)) {
            throw new UsageException(flag + " " + path + " exists and is not writable; pick another file");
        }
    }

    /** Prints the report and writes the files; the exit code (1 for validation messages, or a missed target with --strict). */
    private static int report(BenchReport report, Settings settings, Output output, BenchComparison comparison, int validationMessages,
                              PrintStream out, PrintStream err) throws IOException {
        report.print(out, output.wide(), output.strict());
        if (settings.quick()) {
            out.println("--quick: " + QUICK_ROUNDS + " short rounds, so its ratios are indicative only (about +-10% run to run");
            out.println("on a loaded 2-core VM): compare full runs");
        }
        if (comparison != null) {
            comparison.print(report, out, output.wide() ? Integer.MAX_VALUE : BenchReport.TERMINAL_COLUMNS);
        }
        out.println();
        if (output.json() != null) {
            report.writeJson(output.json());
            out.println("wrote " + output.json());
        }
        if (output.csv() != null) {
            report.writeCsv(output.csv());
            out.println("wrote " + output.csv());
        }
        if (output.plot() != null) {
            report.writePlot(output.plot(), "baton bench (" + settings.width() + "x" + settings.height() + ", "
                    + Runtime.getRuntime().availableProcessors() + " cores)");
            out.println("wrote " + output.plot());
        }
        if (output.markdown() != null) {
            report.writeMarkdown(output.markdown());
            out.println("wrote " + output.markdown());
        }
        if (output.hdr() != null) {
            int files = report.writeHdr(output.hdr()).size();
            out.println("wrote " + files + " .hlog file(s) into " + output.hdr());
        }
        if (validationMessages > 0) {
            err.println("baton bench: the validation layer reported " + validationMessages + " message(s) (listed above); failing the run");
            return 1;
        }
        if (output.strict() && report.anyMissed()) {
            err.println("baton bench: a target was missed (see Targets above) and --strict was given");
            return 1;
        }
        return 0;
    }

    /** One run: the Vulkan instance, the devices, and the scenarios in order. Main thread only. */
    static final class Run {
        private final Settings s;
        private final BenchReport report;
        private final PrintStream err;
        private Progress progress;
        private final ShutdownSignal signal;
        private int done;
        private VulkanInstance vk;
        /** Per physical device index, its calibrated clock; and each clock's device label for notes. */
        private final Map<Integer, GpuClock> clocks = new HashMap<>();
        private final Map<GpuClock, String> clockLabels = new HashMap<>();
        private final List<String> skipped = new ArrayList<>();
        /** Per physical device index, the GL context reachable for it (made in plan(), owned by no thread between scenarios). */
        private final Map<Integer, SharedSurface.GlSide> glSides = new HashMap<>();
        private String glMissing;

        Run(Settings settings, BenchReport report, PrintStream err, ShutdownSignal signal) {
            this.s = settings;
            this.report = report;
            this.err = err;
            this.signal = signal;
            this.progress = new Progress(err, "bench", (long) settings.rounds() * (9 + settings.fanIn().length));
        }

        private int round;
        /** Series of the scenario running now; absorbed into the report's series when it finished. */
        private final List<Series> pending = new ArrayList<>();

        private void step(String what) {
            keepPending();
            if (signal != null && signal.requested()) {
                progress.stop("interrupted before " + what + "; reporting what was measured");
                throw new Interrupted();
            }
            progress.update(done++, what + (s.rounds() > 1 ? ", round " + (round + 1) + "/" + s.rounds() : ""));
        }

        /** Adds the finished scenario's series to the report's (one per label, accumulated over rounds). */
        private void keepPending() {
            for (Series temp : pending) {
                Series kept = report.find(temp.label());
                if (kept == null) {
                    kept = new Series(temp.scenario, temp.tier, temp.devices, temp.metric, temp.floorLabel, temp.capacity() * s.rounds());
                    report.add(kept);
                }
                kept.absorb(temp);
                if (temp.count() > 0) {
                    report.roundP50(temp.label(), temp.distribution().p50Nanos());
                }
            }
            pending.clear();
        }

        /** Runs everything; returns the number of validation messages (0 without --validate). */
        int all() throws InterruptedException {
            environment();
            for (int round = 0; round < s.rounds(); round++) {
                this.round = round;
                step("cpu floors");
                cpuFloors();
                step("cross-process");
                crossProcess();
                keepPending();
            }
            // Not try-with-resources: after a stall the devices may still be busy, and closing them would
            // wait on the GPU (vkDeviceWaitIdle) without a bound; a stalled run leaks them and exits instead.
            VulkanInstance instance = VulkanInstance.create(s.validate());
            Disposer devices = new Disposer();
            boolean stalled = false;
            try {
                vk = instance;
                drivers(instance);
                BenchPlan plan = plan(instance);
                List<Pair> pairs = new ArrayList<>();
                for (BenchPlan.Device d : plan.devices) {
                    DeviceContext a = devices.add(device(d, d.info().driverLabel().toLowerCase(Locale.ROOT) + "#a"));
                    DeviceContext b = devices.add(device(d, d.info().driverLabel().toLowerCase(Locale.ROOT) + "#b"));
                    GpuClock clock = calibrate(a, d.label());
                    clocks.put(d.info().index(), clock);
                    clockLabels.put(clock, d.label());
                    pairs.add(new Pair(d, a, b));
                }
                Pair primary = pairs.isEmpty() ? null : pairs.get(0);
                for (int round = 0; round < s.rounds(); round++) {
                    this.round = round;
                    step("raw sync floors");
                    for (Pair p : pairs) {
                        String two = p.device.label() + " x2";
                        if (p.device.offers(SyncTier.HOST_BRIDGE)) {
                            rawFloor(RawSyncFloor.Mode.TIMELINE_BRIDGE, RAW_BRIDGE, two, p);
                        }
                        if (p.device.offers(SyncTier.BINARY_SEMAPHORE)) {
                            rawFloor(RawSyncFloor.Mode.BINARY, RAW_BINARY, two, p);
                        }
                    }
                    step("naive way");
                    if (primary != null) {
                        naive(NaiveHandoff.Mode.SHARED_MEMORY, "waitIdle+lock", primary.device.label() + " x2", primary.a, primary.b);
                    }
                    for (BenchPlan.Cross c : plan.crosses) {
                        if (c.tier() == SyncTier.HOST_COPY) {
                            naive(NaiveHandoff.Mode.READBACK_UPLOAD, "readback+upload", c.a().label() + "->" + c.b().label(),
                                    pairOf(pairs, c.a()).a, pairOf(pairs, c.b()).a);
                        }
                    }
                    for (Pair p : pairs) {
                        String two = p.device.label() + " x2";
                        for (SyncTier tier : p.device.tiers()) {
                            step("ping-pong " + tier + " on " + p.device.label());
                            chain("ping-pong", tier, two, List.of(p.a, p.b), 1, pingPongFloor(p.device, tier, two));
                            // Beside it, compared with it: release-then-wait in one step, and the lease's
                            // barriers in the timed work's own command buffer (one per submit instead of three).
                            chain(PING_PONG_RELEASE_AND_ACQUIRE, tier, two, List.of(p.a, p.b), 1, floor("ping-pong", tier.toString(), two));
                            chain(PING_PONG_OWN_COMMAND_BUFFER, tier, two, List.of(p.a, p.b), 1, floor("ping-pong", tier.toString(), two));
                        }
                        if (plan.hostMemory.contains(p.device)) {
                            // Both VkDevices import the same sealed memfd pages: compared with the same driver's host-bridge
                            // ping-pong (same sync, device memory), which it should match since no byte is copied.
                            step("ping-pong " + SyncTier.HOST_MEMORY + " on " + p.device.label());
                            chain("ping-pong", SyncTier.HOST_MEMORY, two, List.of(p.a, p.b), 1, p.device.offers(SyncTier.HOST_BRIDGE)
                                    ? floor("ping-pong", SyncTier.HOST_BRIDGE.toString(), two) : null);
                        }
                    }
                    crossProcessGpu(pairs);
                    step("cross-process host-copy");
                    CrossProcessCopyGpu.bench(vk, s, plan, pairs.stream().map(Pair::device).toList(), this::series, pending::removeAll, this::skipOnce);
                    crossProcessSemaphoreGpu(pairs, CrossProcessSemaphoreGpu.Kind.BINARY_SEMAPHORES, SyncTier.BINARY_SEMAPHORE);
                    crossProcessSemaphoreGpu(pairs, CrossProcessSemaphoreGpu.Kind.SHARED_TIMELINE, SyncTier.SHARED_TIMELINE);
                    for (BenchPlan.Cross c : plan.crosses) {
                        step("ping-pong " + c.tier() + " " + c.a().label() + "<->" + c.b().label());
                        chain("ping-pong", c.tier(), c.a().label() + "<->" + c.b().label(), List.of(pairOf(pairs, c.a()).a,
                                pairOf(pairs, c.b()).a), 1, c.tier() == SyncTier.HOST_COPY
                                ? floor("naive", "readback+upload", c.a().label() + "->" + c.b().label())
                                : c.tier() == SyncTier.HOST_MEMORY && c.a().offers(SyncTier.HOST_BRIDGE)
                                ? floor("ping-pong", SyncTier.HOST_BRIDGE.toString(), c.a().label() + " x2") : null);
                    }
                    for (BenchPlan.GlPair g : plan.glPairs) {
                        step("Vulkan -> GL " + g.tier() + " " + g.device().label());
                        vulkanToGl(g, pairOf(pairs, g.device()));
                    }
                    if (primary != null) {
                        SyncTier best = primary.device.best();
                        String two = primary.device.label() + " x2";
                        step("pipelined producer");
                        chain("pipelined x" + RING_SURFACES, best, two, List.of(primary.a, primary.b), RING_SURFACES,
                                floor("naive", "waitIdle+lock", two));
                        step("one to " + FAN_OUT_CONSUMERS);
                        // Closed with the other devices at the end (and not at all after a stall).
                        List<DeviceContext> chain = new ArrayList<>(List.of(primary.a, primary.b));
                        for (int i = 0; i < FAN_OUT_CONSUMERS - 1; i++) {
                            chain.add(devices.add(device(primary.device, "consumer#c" + round + "." + i)));
                        }
                        chain("fan-out 1->" + FAN_OUT_CONSUMERS, best, primary.device.label() + " x" + chain.size(), chain, 1,
                                floor("ping-pong", best.toString(), two));
                        fanIn(primary);
                    }
                }
                if (primary != null) {
                    scaling(primary);
                }
            } catch (StallException e) {
                stalled = true;
                throw e;
            } finally {
                if (!stalled) {
                    closeGl();
                    devices.close();
                    instance.close();
                }
            }
            keepPending();
            progress.done(skipped.isEmpty() ? "all scenarios ran" : "skipped: " + String.join("; ", skipped));
            for (String sk : skipped) {
                report.skipped(sk);
            }
            Targets.evaluate(report, s);
            int messages = vk.validationMessageCount();
            if (messages > 0) {
                for (String m : vk.validationMessages()) {
                    err.println("validation: " + m);
                }
            }
            report.environment("validation", s.validate() ? (messages == 0 ? "on, 0 messages" : "on, " + messages + " message(s)") : "off");
            return messages;
        }

        /** Two VkDevices on one physical device of the plan. */
        private record Pair(BenchPlan.Device device, DeviceContext a, DeviceContext b) {}

        private static Pair pairOf(List<Pair> pairs, BenchPlan.Device d) {
            for (Pair p : pairs) {
                if (p.device.equals(d)) {
                    return p;
                }
            }
            throw new IllegalStateException("no devices open for " + d.label());
        }

        /** The floor a same-device ping-pong on {@code tier} is compared to (the raw sync with the same mechanism). */
        private static String pingPongFloor(BenchPlan.Device d, SyncTier tier, String devices) {
            switch (tier) {
                case HOST_BRIDGE:
                    return floor("raw sync", RAW_BRIDGE, devices);
                case BINARY_SEMAPHORE:
                    return floor("raw sync", RAW_BINARY, devices);
                default:
                    // No raw shared-timeline floor yet: the binary-semaphore floor is the nearest (GPU-side waits, no host thread).
                    return d.offers(SyncTier.BINARY_SEMAPHORE) ? floor("raw sync", RAW_BINARY, devices) : null;
            }
        }

        /**
         * Which devices take part and what runs on each, from their capabilities; devices that do not
         * take part are listed (with the reason) in the report and the progress line.
         */
        private BenchPlan plan(VulkanInstance instance) {
            InteropCapabilities gl = null;
            try (EglContext context = EglContext.create(false)) {
                gl = new SharedSurface.GlSide(context, GlInfo.query(context)).capabilities();
            } catch (RuntimeException e) {
                report.environment("GL", "unavailable (" + e.getMessage() + "): the primary device is chosen without it");
            }
            List<String> rejections = DeviceContext.builder(instance).requireMemorySharing().rejectionReasons();
            BenchPlan plan;
            try {
                plan = BenchPlan.of(instance.physicalDevices(), rejections, s.devices(), gl, this::glFor, d -> glMissing);
            } catch (IllegalArgumentException e) {
                throw new DeviceChoiceException(e.getMessage());
            }
            for (BenchPlan.Device d : plan.devices) {
                report.environment("driver " + d.label(), DeviceSelector.driverVersion(d.info()));
                report.environment("device " + d.label(), d.description() + "; same-device tiers " + d.tiers()
                        + (d == plan.primary() ? "; primary (runs pipelined, fan-out and fan-in)" : ""));
            }
            for (BenchPlan.GlPair g : plan.glPairs) {
                report.environment("GL for " + g.device().label(), glSides.get(g.device().info().index()).info().renderer() + " ("
                        + ((EglContext) glSides.get(g.device().info().index()).context()).selection().reason() + "); tier " + g.tier());
            }
            for (String x : plan.excluded) {
                skipped.add("device " + x);
            }
            skipped.addAll(plan.notRun);
            if (plan.devices.isEmpty()) {
                skipped.add("every GPU scenario: no Vulkan device can take part (./baton devices says why; install mesa-vulkan-drivers)");
            } else if (plan.devices.size() == 1) {
                skipped.add("cross-device pairs: only " + plan.devices.get(0).label() + " takes part");
            }
            int steps = 3 + plan.crosses.size() + plan.hostMemory.size() + plan.glPairs.size(); // raw floors, naive, pipelined/fan-out below
            steps += 1; // the cross-process GPU row
            steps += 1; // the cross-process host-copy row
            steps += 1; // the cross-process binary-semaphore row
            for (BenchPlan.Device d : plan.devices) {
                steps += d.tiers().size();
            }
            if (plan.primary() != null) {
                steps += 1 + s.fanIn().length;
            } else {
                steps -= 1;
            }
            // The count of GPU steps is known only now: the CPU floors' rounds are done.
            progress = new Progress(err, "bench", done + (long) s.rounds() * steps);
            return plan;
        }

        /**
         * The GL renderer reachable for {@code d}: an EGL context on the EGL device whose UUIDs are the
         * device's (EGL_EXT_platform_device), else the one Mesa's surfaceless platform gives; made once
         * and kept for every round (released: each scenario's GL worker makes it current). Null, with
         * {@link #glMissing} saying why, when EGL gives no GL 3.3 context.
         */
        private InteropCapabilities glFor(PhysicalDeviceInfo d) {
            SharedSurface.GlSide side = glSides.get(d.index());
            if (side == null) {
                EglContext context;
                try {
                    context = EglContext.create(false, d.driverUuidHex(), d.deviceUuidHex());
                } catch (GlUnavailableException e) {
                    glMissing = "no GL renderer (" + e.getMessage() + ")";
                    return null;
                }
                side = new SharedSurface.GlSide(context, GlInfo.query(context));
                context.release();
                glSides.put(d.index(), side);
            }
            return side.capabilities();
        }

        /** Destroys the GL contexts glFor made (every GL object of theirs is closed by then). */
        private void closeGl() {
            for (SharedSurface.GlSide side : glSides.values()) {
                EglContext context = (EglContext) side.context();
                context.makeCurrent();
                context.close();
            }
            glSides.clear();
        }

        /**
         * Vulkan producer -> GL consumer and back on one surface: the Vulkan side clears the surface (its
         * timed work), GL composites its 4x4 corner into a canvas and reads that back ({@link GlConsumer});
         * keys 0 (Vulkan) and 1 (GL). Its end-to-end is compared with the same device's ping-pong on the same tier.
         */
        private void vulkanToGl(BenchPlan.GlPair g, Pair pair) throws InterruptedException {
            if (!s.runs(VK_GL)) {
                return;
            }
            SharedSurface.GlSide side = glSides.get(g.device().info().index());
            EglContext context = (EglContext) side.context();
            String tier = g.tier().toString();
            String devices = g.device().label() + "->" + g.gl().name();
            String two = g.device().label() + " x2";
            String floorPrefix = g.device().offers(g.tier()) ? floor("ping-pong", tier, two) : null;
            int cap = s.capacity();
            // No floor for the CPU row: GL's side includes its wait for the producer's GPU, which a Vulkan
            // receiver's CPU handoff (acquire returning) does not; end-to-end means the same on both.
            Series cpu = series(VK_GL, tier, devices, Series.Metric.CPU_HANDOFF, null, 2 * cap); // both directions
            Series e2e = series(VK_GL, tier, devices, Series.Metric.END_TO_END, floorPrefix, cap);
            SharedSurface surface = null;
            TileCompositor canvas = null;
            Disposer d = new Disposer();
            boolean stalled = false;
            context.makeCurrent();
            try {
                Set<Thread> bridgesBefore = Coordinator.threadsNamed(HOST_BRIDGE_THREAD);
                surface = SharedSurface.create("vk-gl-" + g.device().label(), s.width(), s.height(), List.of(pair.a), side,
                        SharedSurface.Options.defaults());
                if (surface.tier() != g.tier()) {
                    throw new IllegalStateException(VK_GL + ": expected tier " + g.tier() + " between " + devices + " but got "
                            + surface.tier() + " (" + surface.tierReason() + ")");
                }
                canvas = new TileCompositor(context, GlConsumer.READ_SIDE, GlConsumer.READ_SIDE);
                ByteBuffer pixels = ByteBuffer.allocateDirect(GlConsumer.READ_SIDE * GlConsumer.READ_SIDE * 4);
                Set<Thread> bridges = Coordinator.threadsNamed(HOST_BRIDGE_THREAD);
                bridges.removeAll(bridgesBefore);
                GpuClock clock = clockOf(pair.a);
                SurfaceRun.Mailbox mailbox = new SurfaceRun.Mailbox();
                SurfaceRun.Worker producer = new SurfaceRun.Worker(new Recorder(0, pair.a.name(), clock, cap));
                TimedWork work = d.add(TimedWork.create(pair.a, surface.endpoint(0).image().handle(), s.width(), s.height(),
                        TimedWork.Kind.CLEAR, SLOTS, false));
                producer.visits.add(new SurfaceRun.Visit(surface.endpoint(0), 0, 1, true, false, mailbox, work));
                Phase phase = new Phase();
                SurfaceRun run = new SurfaceRun(VK_GL, phase, s.stallNanos());
                GlConsumer consumer = new GlConsumer(VK_GL, phase, s.stallNanos(), context, surface.glEndpoint(), canvas, pixels, 1, 0,
                        mailbox, new Recorder(1, "GL", clock, cap));
                context.release(); // the GL worker takes it
                Coordinator.Measured m = Coordinator.run(VK_GL, phase, List.of("baton-bench-" + pair.a.name(), "baton-bench-GL"),
                        List.of(() -> run.work(producer), consumer::work), new ArrayList<>(bridges), s.warmupNanos(), s.measureNanos(),
                        s.stallNanos(), null);
                context.makeCurrent();
                Recorder[] recorders = {producer.recorder, consumer.recorder};
                Recorder.collect(recorders, cpu, null, null);
                for (int i = 0; i < consumer.endToEndCount; i++) {
                    e2e.record(consumer.endToEndNanos[i]);
                }
                lastMeasured = m;
                totals(recorders, cpu, e2e);
                String bridgeNote = bridges.isEmpty() ? "" : "; costs include the " + bridges.size() + " host-bridge thread(s)";
                cpu.note("both directions, every hop, Vulkan -> GL from the producer's release to GL's lease being ready (GlLease.awaitReady"
                        + " returned, GL may use the texture" + (g.tier().memory() == dev.baton.render.MemorySharing.HOST_COPY
                        ? ", the upload of the producer's pixels included" : "") + "), GL -> Vulkan from GL's release to the producer's"
                        + " acquire returning" + bridgeNote + ". GL has no timestamps on the host clock here, so there is no gpu-handoff row");
                e2e.note("the producer's submit (a clear) to GL's glReadPixels of the " + GlConsumer.READ_SIDE + "x" + GlConsumer.READ_SIDE
                        + " corner it blitted into a canvas returning (GL's work done), host clock; GL: " + side.info().renderer()
                        + " (" + context.selection().platform() + ")");
            } catch (StallException e) {
                stalled = true;
                throw e;
            } finally {
                if (!stalled) {
                    if (context.owner() != Thread.currentThread()) {
                        context.makeCurrent();
                    }
                    d.close();
                    if (canvas != null) {
                        canvas.close();
                    }
                    if (surface != null) {
                        surface.close();
                    }
                    context.release();
                }
            }
        }

        private DeviceContext device(BenchPlan.Device d, String name) {
            return DeviceContext.builder(vk).physicalDeviceIndex(d.info().index()).name(name).requireMemorySharing()
                    .preferExtension(GpuClock.EXTENSION).build();
        }

        private static String floor(String scenario, String tier, String devices) {
            return scenario + " / " + tier + " / " + devices + " / ";
        }

        private Series series(String scenario, String tier, String devices, Series.Metric metric, String floorPrefix, int capacity) {
            String floorLabel = floorPrefix == null ? null : floorPrefix + metric.label;
            Series x = new Series(scenario, tier, devices, metric, floorLabel, capacity);
            x.driver(driversOf(devices));
            pending.add(x);
            return x;
        }

        /** Every plan device named in a devices string, with its name and driver version. */
        private String driversOf(String devices) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, String> e : report.environmentEntries()) {
                if (e.getKey().startsWith("device ") && devices.contains(e.getKey().substring(7))) {
                    String text = e.getValue();
                    int cut = text.indexOf("; same-device tiers");
                    parts.add(e.getKey().substring(7) + ": " + (cut < 0 ? text : text.substring(0, cut)));
                }
            }
            return String.join("; ", parts);
        }

        private void environment() {
            report.environment("machine", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                    + System.getProperty("os.arch") + ", " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
            report.environment("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
            report.environment("lwjgl", org.lwjgl.Version.getVersion());
            report.environment("settings", String.format(Locale.ROOT, "%dx%d, measured %.2f s per scenario in %d interleaved round(s), "
                            + "warm-up %.2f s per round%s", s.width(), s.height(), s.seconds(), s.rounds(), s.warmupSeconds(),
                    s.quick() ? " (--quick)" : ""));
            String threads = System.getenv("LP_NUM_THREADS");
            report.environment("LP_NUM_THREADS", threads == null ? "unset" : threads);
            report.machine("cpu_model", cpuModel());
            report.machine("cores", Runtime.getRuntime().availableProcessors());
            report.machine("os", System.getProperty("os.name"));
            report.machine("os_version", System.getProperty("os.version"));
            report.machine("arch", System.getProperty("os.arch"));
            report.machine("java", System.getProperty("java.version"));
            report.machine("java_vm", System.getProperty("java.vm.name"));
            report.machine("lwjgl", org.lwjgl.Version.getVersion());
            report.setting("width", s.width());
            report.setting("height", s.height());
            report.setting("seconds_per_scenario", s.seconds());
            report.setting("rounds", s.rounds());
            report.setting("warmup_seconds_per_round", s.warmupSeconds());
            report.setting("quick", s.quick());
            report.setting("validate", s.validate());
            report.setting("scenarios", s.scenarios().isEmpty() ? SCENARIO_ORDER : new ArrayList<>(s.scenarios()));
        }

        private void drivers(VulkanInstance instance) {
            List<String> names = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (PhysicalDeviceInfo d : instance.physicalDevices()) {
                String text = d.name() + " [" + d.driverName() + " " + d.driverInfo() + ", Vulkan " + d.apiVersionString() + "]";
                if (seen.add(text)) {
                    names.add(text);
                }
            }
            report.environment("drivers", String.join("; ", names));
        }

        private static String cpuModel() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("model name")) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not Linux: fall through
            }
            return System.getProperty("os.arch");
        }

        /** The device's GPU clock mapped to the host clock, recorded in the report's environment. */
        private GpuClock calibrate(DeviceContext device, String label) throws InterruptedException {
            GpuClock clock = GpuClock.calibrate(device, s.stallNanos());
            report.environment("clock " + label, clock.method());
            return clock;
        }

        private void cpuFloors() throws InterruptedException {
            if (!s.runs("cpu floor")) {
                return;
            }
            int cap = s.capacity();
            Series park = series("cpu floor", "park/unpark", "2 threads", Series.Metric.CPU_HANDOFF, null, cap);
            Series mutex = series("cpu floor", "keyed-mutex", "2 threads", Series.Metric.CPU_HANDOFF,
                    floor("cpu floor", "park/unpark", "2 threads"), cap);
            // Both ping-pongs are bimodal on small VMs (a fast mode while the partner's core is still awake, a
            // cross-core wake-up mode otherwise) and the mode changes every few seconds: alternate the two in
            // short slices so each sees the same mix, and compare what they pooled.
            for (int slice = 0; slice < CPU_FLOOR_SLICES; slice++) {
                Series p = new Series(park.scenario, park.tier, park.devices, park.metric, park.floorLabel, cap / CPU_FLOOR_SLICES);
                ParkPingPong.run(p, s.warmupNanos() / CPU_FLOOR_SLICES, s.measureNanos() / CPU_FLOOR_SLICES, s.stallNanos());
                park.absorb(p);
                Series m = new Series(mutex.scenario, mutex.tier, mutex.devices, mutex.metric, mutex.floorLabel, cap / CPU_FLOOR_SLICES);
                KeyedMutexPingPong.run(m, KeyedMutex.DEFAULT_SPIN_NANOS, s.warmupNanos() / CPU_FLOOR_SLICES,
                        s.measureNanos() / CPU_FLOOR_SLICES, s.stallNanos());
                mutex.absorb(m);
            }
            park.note("LockSupport.unpark to the other thread seeing its turn, both directions: the CPU floor of any "
                    + "blocking handoff. Bimodal on small VMs: about 1 us while the partner's core has not gone idle yet, 20-30 us "
                    + "when it has (a cross-core wake-up); measured in " + CPU_FLOOR_SLICES + " slices alternating with the keyed mutex");
            mutex.note("two handles, keys 0/1, no GPU, default spin (" + KeyedMutex.DEFAULT_SPIN_NANOS
                    + " ns) then park, as surfaces use it: release to the other thread's acquire returning, both directions; "
                    + "alternated with park/unpark in " + CPU_FLOOR_SLICES + " slices");
        }

        /** The cross-process rows: a raw socket round trip to a child JVM, and the keyed mutex through the broker. */
        private void crossProcess() throws InterruptedException {
            if (!s.runs("cross-process")) {
                return;
            }
            int cap = s.capacity();
            Series raw = series("cross-process", "raw socket", "2 processes", Series.Metric.CPU_HANDOFF, null, cap);
            Series mutex = series("cross-process", "keyed-mutex via broker", "2 processes", Series.Metric.CPU_HANDOFF,
                    floor("cross-process", "raw socket", "2 processes"), cap);
            try {
                CrossProcessPingPong.raw(raw, s.warmupNanos(), s.measureNanos(), s.stallNanos());
                CrossProcessPingPong.broker(mutex, s.warmupNanos(), s.measureNanos(), s.stallNanos());
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cross-process rows: cannot start the partner process: " + e.getMessage(), e);
            }
            raw.note("a 40-byte SOCK_SEQPACKET message to a child JVM and its echo back (one round trip, two hops): the floor of"
                    + " any broker between two processes; cpu and allocation: this process's sending thread (the partner's not counted)");
            mutex.note("this process's client releases key 1 to a child JVM's client, which acquires it and releases key 0 back,"
                    + " every message through the broker's loop in this process; one sample = half a cycle = one handoff"
                    + " (releaser -> broker -> acquirer, two hops), so x floor is the protocol's cost per handoff over a raw round trip;"
                    + " cpu and allocation: this process's client thread and the broker's loop thread (the partner's not counted)");
        }

        /**
         * Issue 10: host-bridge ping-pong with its two sides in two processes (this one and a child JVM),
         * on the device of the in-process host-bridge ping-pong (the first plan device that offers it),
         * beside that row (gpu-handoff, end-to-end) and the raw socket round trip (cpu-handoff).
         */
        private void crossProcessGpu(List<Pair> pairs) throws InterruptedException {
            step("cross-process host-bridge");
            if (!s.runs("cross-process")) {
                return;
            }
            Pair p = null;
            for (Pair q : pairs) {
                if (q.device.offers(SyncTier.HOST_BRIDGE)) {
                    p = q;
                    break;
                }
            }
            String name = "cross-process host-bridge";
            if (p == null) {
                skipOnce(name + ": no device offers host-bridge in-process, so there is nothing to compare it with");
                return;
            }
            String tier = SyncTier.HOST_BRIDGE.toString();
            String two = p.device.label() + " x2";
            String devices = p.device.label() + " x2 processes";
            String scenario = "cross-process";
            int cap = s.capacity();
            Series cpu = series(scenario, tier, devices, Series.Metric.CPU_HANDOFF, floor("cross-process", "raw socket", "2 processes"), 2 * cap);
            Series gpu = series(scenario, tier, devices, Series.Metric.GPU_HANDOFF, floor("ping-pong", tier, two), 2 * cap);
            Series e2e = series(scenario, tier, devices, Series.Metric.END_TO_END, floor("ping-pong", tier, two), cap);
            String skipped = CrossProcessGpu.run(vk, p.device.info(), s.width(), s.height(), s.validate(), cpu, gpu, e2e,
                    s.warmupNanos(), s.measureNanos(), s.stallNanos());
            if (skipped != null) {
                pending.removeAll(List.of(cpu, gpu, e2e));
                skipOnce(name + ": " + skipped);
                return;
            }
            cpu.note("release to the other process's acquire returning, both directions, through the broker in this process; "
                    + "floor: the raw socket round trip of the same run; cpu and allocation: this process's client thread and the "
                    + "broker's loop thread (the child's not counted); 0 bytes copied: both sides import the broker's memfd as host memory");
            gpu.note("sender's last GPU timestamp to receiver's first, both directions (the child sends its timestamps, mapped to "
                    + "CLOCK_MONOTONIC by its own clock, in its release's private data); the sender releases at submit time and reports "
                    + "FENCE_REACHED from its submitting thread once its GPU finished (a BrokerClient serves one thread; a waiter "
                    + "thread would need a connection of its own); the receiver's submit is queued at its acquire, waiting on its own "
                    + "timeline, which it signals from the host when FENCE_REACHED arrives (wait-before-signal, as in process); "
                    + "floor: the in-process host-bridge ping-pong on the same device");
            e2e.note("this process's submit (clear) to the child's last GPU timestamp (4x4 corner read, checked against the clear colour)");
        }

        /**
         * Issue 10: ping-pong whose receiver's GPU waits on an exported semaphore ({@code kind}: binary
         * semaphores, or the shared timeline), with its two sides in two processes, on the device of the
         * in-process ping-pong of {@code tier} (the first plan device that offers it and exports and imports
         * OPAQUE_FD memory and the kind's semaphores), beside that row ({@link CrossProcessSemaphoreGpu}).
         */
        private void crossProcessSemaphoreGpu(List<Pair> pairs, CrossProcessSemaphoreGpu.Kind kind, SyncTier tierOf) throws InterruptedException {
            String name = kind.row;
            step(name);
            if (!s.runs("cross-process")) {
                return;
            }
            Pair p = pairs.stream().filter(q -> q.device.offers(tierOf) && kind.capable(q.device.info())).findFirst().orElse(null);
            if (p == null) {
                boolean any = pairs.stream().anyMatch(q -> kind.capable(q.device.info()));
                skipOnce(name + ": " + (kind == CrossProcessSemaphoreGpu.Kind.SHARED_TIMELINE && !any
                        ? "no device here exports timeline semaphores (VkExternalSemaphoreProperties for OPAQUE_FD timelines) with OPAQUE_FD"
                        + " memory"
                        : "no device offers " + tierOf + " in-process with " + kind.lacks() + " to export and import"
                        + (kind == CrossProcessSemaphoreGpu.Kind.BINARY_SEMAPHORES ? " (SwiftShader does)" : "")));
                return;
            }
            String tier = tierOf.toString();
            boolean binary = kind == CrossProcessSemaphoreGpu.Kind.BINARY_SEMAPHORES;
            String two = p.device.label() + " x2";
            String devices = p.device.label() + " x2 processes";
            int cap = s.capacity();
            String scenario = "cross-process";
            Series cpu = series(scenario, tier, devices, Series.Metric.CPU_HANDOFF, floor(scenario, "raw socket", "2 processes"), 2 * cap);
            Series gpu = series(scenario, tier, devices, Series.Metric.GPU_HANDOFF, floor("ping-pong", tier, two), 2 * cap);
            Series e2e = series(scenario, tier, devices, Series.Metric.END_TO_END, floor("ping-pong", tier, two), cap);
            CrossProcessSemaphoreGpu.Outcome o = CrossProcessSemaphoreGpu.run(kind, vk, p.device.info(), s.width(), s.height(), s.validate(), cpu, gpu,
                    e2e, s.warmupNanos(), s.measureNanos(), s.stallNanos());
            if (o.skipped != null) {
                pending.removeAll(List.of(cpu, gpu, e2e));
                skipOnce(name + ": " + o.skipped);
                return;
            }
            cpu.note("release to the other process's acquire returning, both directions, through the broker in this process; floor: the"
                    + " raw socket round trip of the same run; cpu and allocation: this process's client thread and the broker's loop"
                    + " thread (the child's not counted); 0 bytes copied: this process exports its image memory and " + kind.exported
                    + " once (OPAQUE_FD), the child imports them; the broker relays that memory under its TRUSTED client-memory policy"
                    + (binary ? " (this driver's fds are not sealed against truncation)" : " (a driver's memory fds need not be sealed against"
                    + " truncation)") + ", honest here because both clients are the bench's own processes (README, security model)");
            gpu.note("sender's last GPU timestamp to receiver's first, both directions; the receiver's GPU waits on the imported "
                    + (binary ? "binary semaphore" : "timeline semaphore for the fence value the sender released with")
                    + " (no host wait for the other side, no FENCE_REACHED), as the in-process tier; each side releases at submit"
                    + " time and reuses a work slot once its own timeline says its previous submit completed (3 slots, as in process);"
                    + " ownership transfers inside the timed work; clocks: this process: " + o.clock + "; the child sends its timestamps"
                    + " (raw and mapped by its own calibration) in its release's private data: " + o.childClock
                    + (o.oneClock ? "" : " (an offset between two calibrations adds to one direction what it takes from the other)")
                    + "; floor: the in-process " + tier + " ping-pong on the same device");
            e2e.note("this process's submit (clear) to the child's last GPU timestamp (4x4 corner read); the child checked the corner"
                    + " against the clear colour on " + o.childChecks + " of its " + o.childReads + " turns (those with none of its work in"
                    + " flight), all matched");
        }

        private void skipOnce(String why) {
            if (!skipped.contains(why)) {
                skipped.add(why);
            }
        }

        private void rawFloor(RawSyncFloor.Mode mode, String tier, String devices, Pair pair) throws InterruptedException {
            DeviceContext a = pair.a;
            DeviceContext b = pair.b;
            GpuClock clock = clockOf(a);
            if (!s.runs("raw sync")) {
                return;
            }
            int cap = s.capacity();
            Series gpu = series("raw sync", tier, devices, Series.Metric.GPU_HANDOFF, null, 2 * cap);  // both directions
            Series e2e = series("raw sync", tier, devices, Series.Metric.END_TO_END, null, cap);
            Disposer d = new Disposer();
            RawSyncFloor.run(mode, a, b, clock, clock, s.width(), s.height(), gpu, e2e, s.warmupNanos(), s.measureNanos(),
                    s.stallNanos(), d);
            d.close(); // RawSyncFloor.run set both notes (the floor's definition)
        }

        private void naive(NaiveHandoff.Mode mode, String tier, String devices, DeviceContext a, DeviceContext b)
                throws InterruptedException {
            GpuClock clockA = clockOf(a);
            GpuClock clockB = clockOf(b);
            if (!s.runs("naive")) {
                return;
            }
            int cap = s.capacity();
            Series cpu = series("naive", tier, devices, Series.Metric.CPU_HANDOFF, null, cap);
            Series gpu = series("naive", tier, devices, Series.Metric.GPU_HANDOFF, null, cap);
            Series e2e = series("naive", tier, devices, Series.Metric.END_TO_END, null, cap);
            Disposer d = new Disposer();
            NaiveHandoff.run(mode, a, b, clockA, clockB, s.width(), s.height(), cpu, gpu, e2e, s.warmupNanos(), s.measureNanos(),
                    s.stallNanos(), d);
            d.close();
            cpu.note(mode == NaiveHandoff.Mode.SHARED_MEMORY
                    ? "each side submits, vkQueueWaitIdle, then ReentrantLock/Condition signal; latency = signal to the other side's await returning"
                    : "no interop: A clears + reads the whole image back, waits idle; B memcpys it into its upload buffer, uploads, reads 4x4, waits idle");
            gpu.note("A's last GPU timestamp to B's first: includes A's waitIdle wake-up, the lock handoff and B's submit; "
                    + clockNote(clockA) + (clockA != clockB ? "; B: " + clockNote(clockB) : ""));
        }

        private String clockNote(GpuClock clock) {
            return "timestamps mapped to the host clock by " + clock.method();
        }

        /** The clock calibrated for the physical device {@code d} runs on (one per device: floors are per driver). */
        private GpuClock clockOf(DeviceContext d) {
            GpuClock clock = clocks.get(d.info().index());
            if (clock == null) {
                throw new IllegalStateException("no clock calibrated for " + d);
            }
            return clock;
        }

        /**
         * Keyed-mutex chain over real surfaces: participant 0 clears, the others read 4x4 pixels; keys
         * 0 -> 1 -> ... -> P-1 -> 0; with {@code surfaceCount > 1} every participant walks a ring of surfaces.
         */
        private void chain(String scenario, SyncTier expected, String devices, List<DeviceContext> participants, int surfaceCount,
                           String floorPrefix) throws InterruptedException {
            boolean sameDevice = participants.stream().allMatch(p -> p.info().index() == participants.get(0).info().index());
            if (!s.runs(scenario)) {
                return;
            }
            int cap = s.capacity();
            String tier = expected.toString();
            // The raw sync floors have no CPU handoff: compare the CPU side with the keyed mutex alone.
            String cpuFloor = floorPrefix == null || floorPrefix.startsWith("raw sync") ? floor("cpu floor", "keyed-mutex", "2 threads") : floorPrefix;
            Series cpu = series(scenario, tier, devices, Series.Metric.CPU_HANDOFF, cpuFloor, cap * participants.size());
            Series gpu = series(scenario, tier, devices, Series.Metric.GPU_HANDOFF, floorPrefix, cap * participants.size());
            Series e2e = series(scenario, tier, devices, Series.Metric.END_TO_END, floorPrefix, cap);
            Disposer d = new Disposer();
            boolean stalled = false;
            try {
                Set<Thread> bridgesBefore = Coordinator.threadsNamed(HOST_BRIDGE_THREAD);
                List<SharedSurface> surfaces = new ArrayList<>();
                for (int i = 0; i < surfaceCount; i++) {
                    SharedSurface surface = d.add(SharedSurface.create(scenario.replace(' ', '-') + "-" + i, s.width(), s.height(),
                            participants, sameDevice ? SharedSurface.Options.defaults().withTier(expected.id()) : SharedSurface.Options.defaults()));
                    if (surface.tier() != expected) {
                        throw new IllegalStateException(scenario + ": expected tier " + expected + " between " + devices + " but got "
                                + surface.tier() + " (" + surface.tierReason() + ")");
                    }
                    surfaces.add(surface);
                }
                Set<Thread> bridges = Coordinator.threadsNamed(HOST_BRIDGE_THREAD);
                bridges.removeAll(bridgesBefore);
                int p = participants.size();
                List<SurfaceRun.Worker> workers = new ArrayList<>();
                for (int j = 0; j < p; j++) {
                    workers.add(new SurfaceRun.Worker(new Recorder(j, participants.get(j).name(), clockOf(participants.get(j)), cap)));
                }
                for (SharedSurface surface : surfaces) {
                    SurfaceRun.Mailbox mailbox = new SurfaceRun.Mailbox();
                    for (int j = 0; j < p; j++) {
                        TimedWork.Kind kind = j == 0 ? TimedWork.Kind.CLEAR : TimedWork.Kind.READ;
                        boolean ownBarriers = scenario.equals(PING_PONG_OWN_COMMAND_BUFFER);
                        TimedWork work = d.add(ownBarriers ? TimedWork.createWithLeaseBarriers(surface.endpoint(j), kind, SLOTS)
                                : TimedWork.create(participants.get(j), surface.endpoint(j).image().handle(), s.width(), s.height(), kind,
                                SLOTS, false));
                        SurfaceRun.Visit visit = new SurfaceRun.Visit(surface.endpoint(j), j, (j + 1) % p, j == 0, j == p - 1, mailbox, work);
                        visit.ownBarriers = ownBarriers;
                        visit.releaseAndAcquire = scenario.equals(PING_PONG_RELEASE_AND_ACQUIRE) && surfaceCount == 1;
                        workers.get(j).visits.add(visit);
                    }
                }
                Recorder[] recorders = runWorkers(scenario, workers, new ArrayList<>(bridges));
                Recorder.collect(recorders, cpu, gpu, e2e);
                totals(recorders, cpu, gpu, e2e);
                String bridgeNote = bridges.isEmpty() ? "" : "; costs include the " + bridges.size() + " host-bridge thread(s)";
                String variant = scenario.equals(PING_PONG_RELEASE_AND_ACQUIRE)
                        ? "; each side releases and queues for its key again in one step (Lease.releaseAndAcquire)"
                        : scenario.equals(PING_PONG_OWN_COMMAND_BUFFER) ? "; the lease's acquire/release barriers are recorded in the"
                        + " timed work's own command buffer, outside its timestamps (1 command buffer per submit instead of 3)" : "";
                cpu.note("just before release to the next owner's acquire returning, every hop" + bridgeNote + variant);
                gpu.note("sender's last GPU timestamp (end of its work) to receiver's first (start of its work, after its "
                        + "semaphore waits), every hop; " + gpuMethod(participants)
                        + (expected == SyncTier.HOST_COPY ? "; includes the receiver's CPU wait for the sender's GPU, the memcpy and its upload" : "")
                        + variant);
                e2e.note("producer's submit to the last consumer's last GPU timestamp (host clock)"
                        + (surfaceCount > 1 ? "; producer walks a ring of " + surfaceCount + " surfaces so it never waits for the consumer's GPU" : ""));
            } catch (StallException e) {
                stalled = true;
                throw e;
            } finally {
                if (!stalled) {
                    d.close();
                }
            }
        }

        private String gpuMethod(List<DeviceContext> participants) {
            Set<GpuClock> clocks = new HashSet<>();
            for (DeviceContext dc : participants) {
                clocks.add(clockOf(dc));
            }
            List<String> methods = new ArrayList<>();
            for (GpuClock c : clocks) {
                methods.add(clockLabels.get(c) + ": " + c.method() + (clocks.size() > 1 ? ", +-" + c.uncertaintyNanos() / 1000 + " us across drivers" : ""));
            }
            return "clocks: " + String.join("; ", methods);
        }

        private Recorder[] runWorkers(String scenario, List<SurfaceRun.Worker> workers, List<Thread> charged) throws InterruptedException {
            Phase phase = new Phase();
            SurfaceRun run = new SurfaceRun(scenario, phase, s.stallNanos());
            List<String> names = new ArrayList<>();
            List<Runnable> bodies = new ArrayList<>();
            for (SurfaceRun.Worker w : workers) {
                names.add("baton-bench-" + w.recorder.name);
                bodies.add(() -> run.work(w));
            }
            Coordinator.Measured m = Coordinator.run(scenario, phase, names, bodies, charged, s.warmupNanos(), s.measureNanos(),
                    s.stallNanos(), null);
            Recorder[] recorders = new Recorder[workers.size()];
            for (int i = 0; i < recorders.length; i++) {
                recorders[i] = workers.get(i).recorder;
            }
            lastMeasured = m;
            return recorders;
        }

        private Coordinator.Measured lastMeasured;

        private void totals(Recorder[] recorders, Series... all) {
            long handoffs = Recorder.handoffs(recorders);
            long copied = Recorder.copiedBytes(recorders);
            for (Series x : all) {
                x.totals(handoffs, lastMeasured.elapsedNanos(), lastMeasured.cpuNanos(), copied, lastMeasured.allocatedBytes());
                x.processCpu(lastMeasured.processCpuNanos());
                x.threads(lastMeasured.threads());
            }
        }

        /** N producers, each on its own lavapipe device and surface, into one compositor device that visits them in turn. */
        private void fanIn(Pair primary) throws InterruptedException {
            DeviceContext compositor = primary.a;
            GpuClock clock = clockOf(compositor);
            if (!s.runs("fan-in")) {
                done += s.fanIn().length;
                return;
            }
            SyncTier tier = primary.device.best();
            int[] counts = s.fanIn();
            for (int c = 0; c < counts.length; c++) {
                int n = counts[c];
                step("fan-in N=" + n);
                String scenario = "fan-in N=" + n;
                int cap = Math.max(2_000, s.capacity() / n);
                String floorPrefix = n == 1 ? null : floor("fan-in N=1", tier.toString(), fanInDevices(primary, 1));
                Series cpu = series(scenario, tier.toString(), fanInDevices(primary, n), Series.Metric.CPU_HANDOFF, floorPrefix, cap * n);
                Series e2e = series(scenario, tier.toString(), fanInDevices(primary, n), Series.Metric.END_TO_END, floorPrefix, cap * n);
                Disposer d = new Disposer();
                boolean stalled = false;
                try {
                    Set<Thread> bridgesBefore = Coordinator.threadsNamed(HOST_BRIDGE_THREAD);
                    List<SurfaceRun.Worker> workers = new ArrayList<>();
                    SurfaceRun.Worker comp = new SurfaceRun.Worker(new Recorder(n, compositor.name(), clock, cap * n));
                    for (int k = 0; k < n; k++) {
                        DeviceContext producer = d.add(device(primary.device, "producer#" + k));
                        SharedSurface surface = d.add(SharedSurface.create("fan-in-" + k, s.width(), s.height(),
                                List.of(producer, compositor), SharedSurface.Options.defaults().withTier(tier.id())));
                        SurfaceRun.Mailbox mailbox = new SurfaceRun.Mailbox();
                        TimedWork pw = d.add(TimedWork.create(producer, surface.endpoint(0).image().handle(), s.width(), s.height(),
                                TimedWork.Kind.CLEAR, SLOTS, false));
                        TimedWork cw = d.add(TimedWork.create(compositor, surface.endpoint(1).image().handle(), s.width(), s.height(),
                                TimedWork.Kind.READ, SLOTS, false));
                        SurfaceRun.Worker w = new SurfaceRun.Worker(new Recorder(k, producer.name(), clock, cap));
                        w.visits.add(new SurfaceRun.Visit(surface.endpoint(0), 0, 1, true, false, mailbox, pw));
                        comp.visits.add(new SurfaceRun.Visit(surface.endpoint(1), 1, 0, false, true, mailbox, cw));
                        workers.add(w);
                    }
                    workers.add(comp);
                    Set<Thread> bridges = Coordinator.threadsNamed(HOST_BRIDGE_THREAD);
                    bridges.removeAll(bridgesBefore);
                    Recorder[] recorders = runWorkers(scenario, workers, new ArrayList<>(bridges));
                    Recorder.collect(recorders, cpu, null, e2e);
                    totals(recorders, cpu, e2e);
                    cpu.note("release to acquire returning, both directions (producer -> compositor, compositor -> producer); "
                            + (bridges.isEmpty() ? "no host-bridge thread" : "costs include the " + bridges.size() + " host-bridge thread(s)"));
                    e2e.note("producer's submit to the compositor's last GPU timestamp for that surface");
                } catch (StallException e) {
                    stalled = true;
                    throw e;
                } finally {
                    if (!stalled) {
                        d.close();
                    }
                }
            }
        }

        private static String fanInDevices(Pair primary, int n) {
            return n + " " + primary.device.label() + " + compositor";
        }

        /** The N-producer scaling lines, from every round's fan-in series. */
        private void scaling(Pair primary) {
            keepPending();
            if (!s.runs("fan-in")) {
                return;
            }
            int[] counts = s.fanIn();
            double[] x = new double[counts.length];
            double[] cpuP50 = new double[counts.length];
            double[] e2eP50 = new double[counts.length];
            for (int c = 0; c < counts.length; c++) {
                String prefix = floor("fan-in N=" + counts[c], primary.device.best().toString(), fanInDevices(primary, counts[c]));
                x[c] = counts[c];
                Series cpu = report.find(prefix + Series.Metric.CPU_HANDOFF.label);
                Series e2e = report.find(prefix + Series.Metric.END_TO_END.label);
                cpuP50[c] = cpu == null ? Double.NaN : cpu.distribution().p50Nanos() / 1e3;
                e2eP50[c] = e2e == null ? Double.NaN : e2e.distribution().p50Nanos() / 1e3;
            }
            report.scaling(new Plot.ScalingSeries("cpu handoff p50", x, cpuP50));
            report.scaling(new Plot.ScalingSeries("end-to-end p50", x, e2eP50));
        }
    }
}
