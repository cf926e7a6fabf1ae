package dev.baton.app;

import dev.baton.app.bench.BenchCommand;
import dev.baton.app.cli.Cli;
import dev.baton.app.cli.Range;
import dev.baton.render.SyncTier;
import dev.baton.render.VulkanUnavailableException;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.DeviceSelector;
import dev.baton.render.vk.HardwareTierCheck;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton gpu-check}: what someone with a GPU runs and sends back. Runs {@code devices}, the
 * hardware tier check ({@link HardwareTierCheck}, the code {@code HardwareTierTest} runs) under the
 * validation layer with synchronization validation, and {@code bench --quick}, and writes one report
 * folder. The launcher's {@code --bundle DIR} (in {@code ./baton}) packs this with a trimmed Java
 * runtime so it runs where neither Java nor Maven is installed. Runs on the calling thread.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "devices, the hardware tier check and bench --quick into one folder to send back",
        description = {
            "Runs devices, the hardware tier check (2,000 validated ping-pong turns per tier on every non-CPU",
            "Vulkan driver, and Vulkan -> GL on the same GPU) and bench --quick, into one report folder to send",
            "back. ./baton gpu-check --bundle DIR writes a self-contained copy (Java runtime included) runnable",
            "as DIR/run."})
final class GpuCheckCommand implements Cli.Body {
    @Option(names = "--out", paramLabel = "DIR", description = "report folder (default: gpu-check-<date>-<time> here)")
    Path outDir;

    @Option(names = "--turns", paramLabel = "N", description = "ping-pong turns per tier")
    @Range(min = 2, max = 1_000_000)
    int turns = HardwareTierCheck.TURNS;

    @Option(names = "--include-cpu-drivers", description = "also run the tier check on CPU drivers (lavapipe, SwiftShader)")
    boolean cpuToo;

    /** Parses {@code args} as {@code ./baton gpu-check} does and runs it. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return Cli.run(new GpuCheckCommand(), args, out, err);
    }

    /** Exit code: 0 everything ran or was skipped with a reason, 1 a check failed or validation spoke, 2 bad usage. */
    @Override
    public int run(PrintStream out, PrintStream err) {
        Path dir = outDir != null ? outDir
                : Path.of("gpu-check-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        try {
            Files.createDirectories(dir);
            if (!Files.isWritable(dir)) {
                throw new IOException(dir + " is not writable");
            }
        } catch (IOException e) {
            err.println("baton gpu-check: cannot write the report folder: " + e.getMessage() + "; pass --out DIR");
            return 2;
        }
        List<String> summary = new ArrayList<>();
        summary.add("baton gpu-check, " + LocalDateTime.now() + ", Java " + System.getProperty("java.version") + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        boolean failed = false;
        try {
            out.println("gpu-check: devices...");
            int devices = captured(dir.resolve("devices.txt"), (o, e) -> Cli.run(new DevicesCommand(), new String[0], o, e));
            summary.add("devices: exit " + devices + " (devices.txt)");

            out.println("gpu-check: hardware tier check...");
            List<String> lines = new ArrayList<>();
            boolean tierOk = tierCheck(turns, cpuToo, lines, out);
            Files.write(dir.resolve("hardware-tiers.txt"), lines, StandardCharsets.UTF_8);
            summary.add("hardware tier check: " + (tierOk ? "ok" : "FAILED") + " (hardware-tiers.txt)");
            for (String line : lines) {
                if (line.startsWith("  ")) {
                    summary.add(line);
                }
            }
            failed |= !tierOk;

            out.println("gpu-check: bench --quick...");
            int bench = captured(dir.resolve("bench.txt"), (o, e) -> BenchCommand.run(new String[] {"--quick", "--json",
                    dir.resolve("bench.json").toString(), "--plot", dir.resolve("bench.png").toString()}, o, e));
            summary.add("bench --quick: exit " + bench + " (bench.txt, bench.json, bench.png)");
            failed |= bench != 0;
            summary.add("result: " + (failed ? "FAILED (see above)" : "ok"));
            Files.write(dir.resolve("summary.txt"), summary, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("baton gpu-check: could not write the report: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("baton gpu-check: interrupted");
            return 1;
        }
        for (String line : summary) {
            out.println(line);
        }
        out.println("wrote " + dir.toAbsolutePath() + " (send this folder back)");
        return failed ? 1 : 0;
    }

    /** One sub-command with its stdout and stderr in one file. */
    private interface Step {
        int run(PrintStream out, PrintStream err) throws IOException;
    }

    private static int captured(Path file, Step step) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exit = step.run(p, p);
            p.println("exit " + exit);
        }
        Files.write(file, bytes.toByteArray());
        return exit;
    }

    /**
     * The hardware tier check, one line per device and part ("  " lines are the outcomes); validated
     * when the layer is there. False when a check failed or validation reported anything.
     */
    static boolean tierCheck(int turns, boolean cpuToo, List<String> lines, PrintStream progress) throws InterruptedException {
        boolean validated = VulkanInstance.validationLayerAvailable();
        lines.add("validation: " + (validated ? "Khronos validation layer with synchronization validation"
                : "NOT available (install the Vulkan validation layer, e.g. vulkan-validationlayers); the check runs without it"));
        VulkanInstance instance;
        try {
            instance = VulkanInstance.create(validated);
        } catch (VulkanUnavailableException e) {
            lines.add("  Vulkan unavailable: " + e.getMessage());
            return false;
        }
        boolean ok = true;
        try (instance) {
            List<PhysicalDeviceInfo> devices = cpuToo ? DeviceSelector.hardwareFirst(instance.physicalDevices())
                    : HardwareTierCheck.hardwareDevices(instance.physicalDevices());
            if (devices.isEmpty()) {
                lines.add("  skipped: " + HardwareTierCheck.noHardwareReason(instance.physicalDevices()));
            }
            List<String> rejections = DeviceContext.builder(instance).requireMemorySharing().rejectionReasons();
            for (PhysicalDeviceInfo d : devices) {
                String name = DeviceSelector.label(d) + " (" + d.name() + ", " + DeviceSelector.driverVersion(d) + ")";
                lines.add(name);
                String rejected = rejections.get(instance.physicalDevices().indexOf(d));
                List<SyncTier> offered = HardwareTierCheck.tiersOffered(d);
                for (SyncTier tier : HardwareTierCheck.TIERS) {
                    String what = "  " + DeviceSelector.label(d) + " " + tier + " x" + turns + ": ";
                    if (rejected != null || !offered.contains(tier)) {
                        lines.add(what + "skipped: " + (rejected != null ? rejected : "the driver does not offer " + tier));
                        continue;
                    }
                    progress.println("gpu-check:   " + DeviceSelector.label(d) + " " + tier + "...");
                    long start = System.nanoTime();
                    try {
                        HardwareTierCheck.pingPong(instance, d, tier, turns);
                        lines.add(what + String.format(Locale.ROOT, "ok, every frame's pixels checked (%.1f s)", (System.nanoTime() - start) / 1e9));
                    } catch (RuntimeException e) {
                        ok = false;
                        lines.add(what + "FAILED: " + e);
                    }
                }
                String what = "  " + DeviceSelector.label(d) + " -> GL on the same GPU: ";
                if (rejected != null) {
                    lines.add(what + "skipped: " + rejected);
                    continue;
                }
                try {
                    String why = HardwareTierCheck.glRoundTrips(instance, d, 25);
                    lines.add(what + (why == null ? "ok, 25 round trips, frames checked on both sides" : "skipped: " + why));
                } catch (RuntimeException e) {
                    ok = false;
                    lines.add(what + "FAILED: " + e);
                }
            }
            int messages = instance.validationMessageCount();
            lines.add("  validation messages: " + (validated ? String.valueOf(messages) : "not validated"));
            lines.addAll(instance.validationMessages());
            ok &= messages == 0;
        }
        return ok;
    }
}
