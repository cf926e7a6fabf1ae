package dev.baton.app.bench;

import dev.baton.app.cli.Cli;
import dev.baton.app.cli.Range;
import dev.baton.app.cli.Size;
import dev.baton.app.report.Plot;
import dev.baton.app.report.Progress;
import dev.baton.render.SyncTier;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.sync.KeyedMutex;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
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
 * ping-pong per tier; a pipelined producer with a ring of surfaces; one producer to K consumers; N
 * producers into one compositor. A scenario whose driver is missing is skipped with a note.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "GPU handoff latency per sync tier, beside its floors and the naive way",
        description = {"Measures GPU surface handoff latency and cost per sync tier, beside its floors (park/unpark,",
            "raw Vulkan sync, the naive vkQueueWaitIdle way) measured in the same run."})
public final class BenchCommand implements Cli.Body {
    /** The CPU floors alternate park/unpark and the keyed mutex in this many slices per round. */
    static final int CPU_FLOOR_SLICES = 8;

    static final String LAVAPIPE = "llvmpipe";
    static final String SWIFTSHADER = "SwiftShader";
    /** The HostBridge thread's name in the sync module (looked up to charge its CPU and allocations). */
    static final String HOST_BRIDGE_THREAD = "baton-host-bridge";
    static final int SLOTS = 3;
    static final int RING_SURFACES = 3;
    static final int FAN_OUT_CONSUMERS = 3;
    /** {@code --quick}: measured seconds per scenario (split over the rounds), warm-up per round, rounds. */
    static final double QUICK_SECONDS = 0.6;
    static final double QUICK_WARMUP_SECONDS = 0.2;
    static final int QUICK_ROUNDS = 3;

    /** Settings from the command line. */
    record Settings(double warmupSeconds, double seconds, int rounds, boolean quick, boolean validate, int width, int height,
                    double stallSeconds, Path json, Path csv, Path plot, Path markdown) {
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

    @Option(names = "--markdown", paramLabel = "FILE", description = "also write the tables and targets as Markdown")
    Path markdown;

    /** Parses {@code args} as {@code ./baton bench} does and runs it (exit codes as {@link #run(PrintStream, PrintStream)}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Cli.run(new BenchCommand(), args, out, err);
    }

    /** Exit code: 0 ok, 1 a scenario failed or stalled or validation reported something, 2 bad usage. */
    @Override
    public int run(PrintStream out, PrintStream err) {
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
                size.height(), stall, json, csv, plot, markdown);
        try {
            BenchReport report = new BenchReport();
            int validationMessages = new BenchCommand.Run(settings, report, err).all();
            report.print(out);
            if (quick) {
                out.println("--quick: " + QUICK_ROUNDS + " short rounds; its ratios are indicative only (about +-10% between "
                        + "consecutive runs on a loaded 2-core VM): compare full runs");
            }
            if (settings.json() != null) {
                report.writeJson(settings.json());
                out.println("wrote " + settings.json());
            }
            if (settings.csv() != null) {
                report.writeCsv(settings.csv());
                out.println("wrote " + settings.csv());
            }
            if (settings.plot() != null) {
                report.writePlot(settings.plot(), "baton bench (" + settings.width() + "x" + settings.height() + ", "
                        + Runtime.getRuntime().availableProcessors() + " cores)");
                out.println("wrote " + settings.plot());
            }
            if (settings.markdown() != null) {
                report.writeMarkdown(settings.markdown());
                out.println("wrote " + settings.markdown());
            }
            if (validationMessages > 0) {
                err.println("baton bench: the validation layer reported " + validationMessages + " message(s) (listed above); failing the run");
                return 1;
            }
            return 0;
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

    /** One run: the Vulkan instance, the devices, and the scenarios in order. Main thread only. */
    static final class Run {
        private final Settings s;
        private final BenchReport report;
        private final PrintStream err;
        private final Progress progress;
        private int done;
        private VulkanInstance vk;
        private GpuClock lavapipeClock;
        private GpuClock swiftShaderClock;
        private final List<String> skipped = new ArrayList<>();

        Run(Settings settings, BenchReport report, PrintStream err) {
            this.s = settings;
            this.report = report;
            this.err = err;
            this.progress = new Progress(err, "bench", (long) settings.rounds() * (9 + settings.fanIn().length));
        }

        private int round;
        /** Series of the scenario running now; absorbed into the report's series when it finished. */
        private final List<Series> pending = new ArrayList<>();

        private void step(String what) {
            keepPending();
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
                DeviceContext[] lvpPair = pairOrSkip(devices, LAVAPIPE, "lavapipe", "lavapipe scenarios (install mesa-vulkan-drivers)");
                DeviceContext[] swsPair = pairOrSkip(devices, SWIFTSHADER, "swiftshader",
                        "SwiftShader scenarios (install chromium-common and run through ./baton)");
                boolean lvp = lvpPair != null;
                boolean sws = swsPair != null;
                {
                    DeviceContext lvpA = lvp ? lvpPair[0] : null;
                    DeviceContext lvpB = lvp ? lvpPair[1] : null;
                    DeviceContext swsA = sws ? swsPair[0] : null;
                    DeviceContext swsB = sws ? swsPair[1] : null;
                    if (lvp) {
                        lavapipeClock = calibrate(lvpA, "lavapipe");
                    }
                    if (sws) {
                        swiftShaderClock = calibrate(swsA, "SwiftShader");
                    }
                    for (int round = 0; round < s.rounds(); round++) {
                        this.round = round;
                        step("raw sync floors");
                        if (lvp) {
                            rawFloor(RawSyncFloor.Mode.TIMELINE_BRIDGE, "timeline+host thread", "lavapipe x2", lvpA, lvpB, lavapipeClock);
                        }
                        if (sws) {
                            rawFloor(RawSyncFloor.Mode.BINARY, "binary semaphores", "SwiftShader x2", swsA, swsB, swiftShaderClock);
                        }
                        step("naive way");
                        if (lvp) {
                            naive(NaiveHandoff.Mode.SHARED_MEMORY, "waitIdle+lock", "lavapipe x2", lvpA, lvpB, lavapipeClock, lavapipeClock);
                        }
                        if (lvp && sws) {
                            naive(NaiveHandoff.Mode.READBACK_UPLOAD, "readback+upload", "lavapipe->SwiftShader", lvpA, swsA, lavapipeClock,
                                    swiftShaderClock);
                        }
                        step("ping-pong host-bridge");
                        if (lvp) {
                            chain("ping-pong", SyncTier.HOST_BRIDGE, "lavapipe x2", List.of(lvpA, lvpB), 1,
                                    floor("raw sync", "timeline+host thread"));
                        }
                        step("ping-pong binary-semaphore");
                        if (sws) {
                            chain("ping-pong", SyncTier.BINARY_SEMAPHORE, "SwiftShader x2", List.of(swsA, swsB), 1,
                                    floor("raw sync", "binary semaphores"));
                        }
                        step("ping-pong host-copy");
                        if (lvp && sws) {
                            chain("ping-pong", SyncTier.HOST_COPY, "lavapipe<->SwiftShader", List.of(lvpA, swsA), 1,
                                    floor("naive", "readback+upload"));
                        }
                        step("pipelined producer");
                        if (lvp) {
                            chain("pipelined x" + RING_SURFACES, SyncTier.HOST_BRIDGE, "lavapipe x2", List.of(lvpA, lvpB), RING_SURFACES,
                                    floor("naive", "waitIdle+lock"));
                        }
                        step("one to " + FAN_OUT_CONSUMERS);
                        if (lvp) {
                            // Closed with the other devices at the end (and not at all after a stall).
                            List<DeviceContext> chain = new ArrayList<>(List.of(lvpA, lvpB));
                            for (int i = 0; i < FAN_OUT_CONSUMERS - 1; i++) {
                                chain.add(devices.add(device(LAVAPIPE, "lavapipe#c" + round + "." + i)));
                            }
                            chain("fan-out 1->" + FAN_OUT_CONSUMERS, SyncTier.HOST_BRIDGE, "lavapipe x" + chain.size(), chain, 1,
                                    floor("ping-pong", SyncTier.HOST_BRIDGE.toString()));
                        }
                        if (lvp) {
                            fanIn(lvpA);
                        } else {
                            done += s.fanIn().length;
                        }
                    }
                    if (lvp) {
                        scaling();
                    }
                }
            } catch (StallException e) {
                stalled = true;
                throw e;
            } finally {
                if (!stalled) {
                    devices.close();
                    instance.close();
                }
            }
            keepPending();
            progress.done(skipped.isEmpty() ? "all scenarios ran" : "skipped: " + String.join("; ", skipped));
            for (String sk : skipped) {
                report.target("skipped " + sk);
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

        private boolean present(String driver) {
            for (PhysicalDeviceInfo d : vk.physicalDevices()) {
                if (d.name().contains(driver) || d.driverName().contains(driver)) {
                    return true;
                }
            }
            return false;
        }

        private DeviceContext device(String driver, String name) {
            return DeviceContext.builder(vk).deviceNameContains(driver).name(name).requireMemorySharing()
                    .preferExtension(GpuClock.EXTENSION).build();
        }

        private static String floor(String scenario, String tier) {
            return scenario + " / " + tier + " / ";
        }

        private Series series(String scenario, String tier, String devices, Series.Metric metric, String floorPrefix, int capacity) {
            String floorLabel = floorPrefix == null ? null : floorPrefix + metric.label;
            Series x = new Series(scenario, tier, devices, metric, floorLabel, capacity);
            pending.add(x);
            return x;
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

        /** Two devices ({@code prefix#a}, {@code #b}) on {@code driver}, or null (noted as skipped) when it is missing. */
        private DeviceContext[] pairOrSkip(Disposer devices, String driver, String prefix, String skippedNote) {
            if (!present(driver)) {
                skipped.add(skippedNote);
                return null;
            }
            return new DeviceContext[] {devices.add(device(driver, prefix + "#a")), devices.add(device(driver, prefix + "#b"))};
        }

        /** The device's GPU clock mapped to the host clock, recorded in the report's environment. */
        private GpuClock calibrate(DeviceContext device, String label) throws InterruptedException {
            GpuClock clock = GpuClock.calibrate(device, s.stallNanos());
            report.environment("clock " + label, clock.method());
            return clock;
        }

        private void cpuFloors() throws InterruptedException {
            int cap = s.capacity();
            Series park = series("cpu floor", "park/unpark", "2 threads", Series.Metric.CPU_HANDOFF, null, cap);
            Series mutex = series("cpu floor", "keyed-mutex", "2 threads", Series.Metric.CPU_HANDOFF,
                    floor("cpu floor", "park/unpark"), cap);
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

        private void rawFloor(RawSyncFloor.Mode mode, String tier, String devices, DeviceContext a, DeviceContext b, GpuClock clock)
                throws InterruptedException {
            int cap = s.capacity();
            Series gpu = series("raw sync", tier, devices, Series.Metric.GPU_HANDOFF, null, 2 * cap);  // both directions
            Series e2e = series("raw sync", tier, devices, Series.Metric.END_TO_END, null, cap);
            Disposer d = new Disposer();
            RawSyncFloor.run(mode, a, b, clock, clock, s.width(), s.height(), gpu, e2e, s.warmupNanos(), s.measureNanos(),
                    s.stallNanos(), d);
            d.close(); // RawSyncFloor.run set both notes (the floor's definition)
        }

        private void naive(NaiveHandoff.Mode mode, String tier, String devices, DeviceContext a, DeviceContext b, GpuClock clockA,
                           GpuClock clockB) throws InterruptedException {
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

        private GpuClock clockOf(DeviceContext d) {
            return d.info().name().contains(SWIFTSHADER) || d.info().driverName().contains(SWIFTSHADER) ? swiftShaderClock : lavapipeClock;
        }

        /**
         * Keyed-mutex chain over real surfaces: participant 0 clears, the others read 4x4 pixels; keys
         * 0 -> 1 -> ... -> P-1 -> 0; with {@code surfaceCount > 1} every participant walks a ring of surfaces.
         */
        private void chain(String scenario, SyncTier expected, String devices, List<DeviceContext> participants, int surfaceCount,
                           String floorPrefix) throws InterruptedException {
            int cap = s.capacity();
            String tier = expected.toString();
            // The raw sync floors have no CPU handoff: compare the CPU side with the keyed mutex alone.
            String cpuFloor = floorPrefix.startsWith("raw sync") ? floor("cpu floor", "keyed-mutex") : floorPrefix;
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
                            participants, SharedSurface.Options.defaults()));
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
                        TimedWork work = d.add(TimedWork.create(participants.get(j), surface.endpoint(j).image().handle(), s.width(),
                                s.height(), j == 0 ? TimedWork.Kind.CLEAR : TimedWork.Kind.READ, SLOTS, false));
                        workers.get(j).visits.add(new SurfaceRun.Visit(surface.endpoint(j), j, (j + 1) % p, j == 0, j == p - 1, mailbox, work));
                    }
                }
                Recorder[] recorders = runWorkers(scenario, workers, new ArrayList<>(bridges));
                Recorder.collect(recorders, cpu, gpu, e2e);
                totals(recorders, cpu, gpu, e2e);
                String bridgeNote = bridges.isEmpty() ? "" : "; costs include the " + bridges.size() + " host-bridge thread(s)";
                cpu.note("just before release to the next owner's acquire returning, every hop" + bridgeNote);
                gpu.note("sender's last GPU timestamp (end of its work) to receiver's first (start of its work, after its "
                        + "semaphore waits), every hop; " + gpuMethod(participants)
                        + (expected == SyncTier.HOST_COPY ? "; includes the receiver's CPU wait for the sender's GPU, the memcpy and its upload" : ""));
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
                methods.add(c == swiftShaderClock ? "SwiftShader: " + c.method() + ", +-" + c.uncertaintyNanos() / 1000 + " us across drivers"
                        : "lavapipe: " + c.method());
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
            }
        }

        /** N producers, each on its own lavapipe device and surface, into one compositor device that visits them in turn. */
        private void fanIn(DeviceContext compositor) throws InterruptedException {
            int[] counts = s.fanIn();
            for (int c = 0; c < counts.length; c++) {
                int n = counts[c];
                step("fan-in N=" + n);
                String scenario = "fan-in N=" + n;
                int cap = Math.max(2_000, s.capacity() / n);
                String floorPrefix = n == 1 ? null : floor("fan-in N=1", SyncTier.HOST_BRIDGE.toString());
                Series cpu = series(scenario, SyncTier.HOST_BRIDGE.toString(), n + " lavapipe + compositor", Series.Metric.CPU_HANDOFF,
                        floorPrefix, cap * n);
                Series e2e = series(scenario, SyncTier.HOST_BRIDGE.toString(), n + " lavapipe + compositor", Series.Metric.END_TO_END,
                        floorPrefix, cap * n);
                Disposer d = new Disposer();
                boolean stalled = false;
                try {
                    Set<Thread> bridgesBefore = Coordinator.threadsNamed(HOST_BRIDGE_THREAD);
                    List<SurfaceRun.Worker> workers = new ArrayList<>();
                    SurfaceRun.Worker comp = new SurfaceRun.Worker(new Recorder(n, compositor.name(), lavapipeClock, cap * n));
                    for (int k = 0; k < n; k++) {
                        DeviceContext producer = d.add(device(LAVAPIPE, "producer#" + k));
                        SharedSurface surface = d.add(SharedSurface.create("fan-in-" + k, s.width(), s.height(),
                                List.of(producer, compositor), SharedSurface.Options.defaults()));
                        SurfaceRun.Mailbox mailbox = new SurfaceRun.Mailbox();
                        TimedWork pw = d.add(TimedWork.create(producer, surface.endpoint(0).image().handle(), s.width(), s.height(),
                                TimedWork.Kind.CLEAR, SLOTS, false));
                        TimedWork cw = d.add(TimedWork.create(compositor, surface.endpoint(1).image().handle(), s.width(), s.height(),
                                TimedWork.Kind.READ, SLOTS, false));
                        SurfaceRun.Worker w = new SurfaceRun.Worker(new Recorder(k, producer.name(), lavapipeClock, cap));
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
                            + "costs include the " + bridges.size() + " host-bridge thread(s)");
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

        /** The N-producer scaling lines, from every round's fan-in series. */
        private void scaling() {
            keepPending();
            int[] counts = s.fanIn();
            double[] x = new double[counts.length];
            double[] cpuP50 = new double[counts.length];
            double[] e2eP50 = new double[counts.length];
            for (int c = 0; c < counts.length; c++) {
                String prefix = "fan-in N=" + counts[c] + " / " + SyncTier.HOST_BRIDGE + " / ";
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
