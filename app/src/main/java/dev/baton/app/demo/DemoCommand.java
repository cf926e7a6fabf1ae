package dev.baton.app.demo;

import dev.baton.app.cli.Cli;
import dev.baton.app.serve.ProcessDemo;
import dev.baton.app.cli.Range;
import dev.baton.app.cli.Size;
import dev.baton.app.cli.UsageException;
import dev.baton.render.SyncTier;
import dev.baton.render.vk.VulkanInstance;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./baton demo}: the demo's options, then the window or the headless compositor. */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "producers on their own devices, composited in a window (or --headless to PNGs)",
        description = {
            "Producers on their own Vulkan devices draw animated scenes into shared surfaces that a",
            "keyed mutex hands to an OpenGL compositor: a window with a control panel, or headless PNGs."})
public final class DemoCommand implements Cli.Body {
    @Spec
    CommandSpec spec;

    @Option(names = "--producers", paramLabel = "N", description = "producer render threads, each on its own device")
    @Range(min = 1, max = 16)
    int producers = 4;

    @Option(names = "--size", paramLabel = "WxH", description = "surface size in pixels")
    @Range(min = 64, max = 4096)
    Size size = new Size(512, 384);

    @Option(names = "--fps", paramLabel = "FPS", description = "each producer's target frame rate")
    @Range(min = 1, max = 1000)
    double fps = 60;

    @Option(names = "--frames", paramLabel = "N", description = "headless: composited frames to write")
    @Range(min = 1, max = 1_000_000)
    int frames = 120;

    @Option(names = "--out", paramLabel = "DIR", description = "headless: folder for the frames and the contact sheet (with"
            + " --processes, window too: the producer processes' logs)")
    Path out = Path.of("out", "demo");

    @Option(names = "--headless", description = "composite on EGL surfaceless and write PNGs (the default without a display)")
    boolean headless;

    @Option(names = "--device", paramLabel = "NAME",
            description = "producers' Vulkan device: an index, a label ./baton devices prints (vk1, lavapipe) or an unambiguous"
                    + " part of its name (default: the one that shares memory with GL); with --processes a comma-separated list the"
                    + " processes take in turn, such as lavapipe,swiftshader")
    String device;

    @Option(names = "--tier", paramLabel = "NAME", completionCandidates = TierIds.class,
            description = "sync tier for every surface (default: the best both sides offer)")
    String tier;

    @Option(names = "--validate", description = "run under the Khronos validation layer (sync validation on); fail on any message")
    boolean validate;

    @Option(names = "--ring", paramLabel = "N", description = "shared surfaces per producer")
    @Range(min = 2, max = 3)
    int ring = 3;

    @Option(names = "--acquire-timeout-ms", paramLabel = "MS", description = "the longest any acquire waits")
    @Range(min = 1, max = 60_000)
    int acquireTimeoutMs = 2000;

    @Option(names = "--exit-after", paramLabel = "SECONDS", description = "window: close by itself after this long (0: when closed)")
    @Range(min = 0, max = 86_400)
    double exitAfter = 0;

    @Option(names = "--screenshot", paramLabel = "FILE", description = "window: save the last frame as a PNG on exit")
    Path screenshot;

    @Option(names = "--soak", paramLabel = "MINUTES",
            description = "headless soak: 8 producers (unless --producers) under validation for this long; reports memory, fds, errors")
    @Range(min = 0, max = 10_080)
    double soak = 0;

    @Option(names = "--kill-at", paramLabel = "N",
            description = "fault: after N composites (window: frames), a producer's device is lost while it owns a surface")
    @Range(min = -1, max = 1_000_000)
    int killAt = -1;

    @Option(names = "--restart-at", paramLabel = "N", description = "after N composites (window: frames), restart the killed producer")
    @Range(min = -1, max = 1_000_000)
    int restartAt = -1;

    @Option(names = "--kill-mode", paramLabel = "MODE", completionCandidates = KillModes.class,
            description = "how --kill-at's loss happens: submit (the next submit fails while the producer owns a surface) or"
                    + " after-release (the submit and release go through, then the device reports lost at the next wait on it)")
    String killMode = KILL_AT_SUBMIT;

    static final String KILL_AT_SUBMIT = "submit";
    static final String KILL_AFTER_RELEASE = "after-release";

    /** {@code --kill-mode}'s choices: Cli refuses any other value, and help and completion list them. */
    static final class KillModes implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of(KILL_AT_SUBMIT, KILL_AFTER_RELEASE).iterator();
        }
    }

    @Option(names = "--fault-producer", paramLabel = "I", description = "the producer (position) --kill-at applies to")
    @Range(min = 0, max = 15)
    int faultProducer = 0;

    @Option(names = "--no-stamp", description = "producers leave out the frame stamp (the bars the pixel checks read): a clean"
            + " picture, checks off")
    boolean noStamp;

    @Option(names = "--processes", paramLabel = "N", description = "N producer processes (./baton produce child JVMs) on this demo's"
            + " own broker instead of producer threads (window: Kill and Restart per process; --kill-at sends one SIGKILL,"
            + " --restart-at starts a new one)")
    @Range(min = 0, max = 16)
    int processes = 0;

    /** The sync tiers' ids, for {@code --tier}'s check, help and completion. */
    static final class TierIds implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            List<String> ids = new ArrayList<>();
            for (SyncTier t : SyncTier.values()) {
                ids.add(t.id());
            }
            return ids.iterator();
        }
    }

    /**
     * Parses {@code args} as {@code ./baton demo} does and runs it. Exit code: 0 ok, 1 a run that failed
     * its checks or could not start, 2 bad usage.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Cli.run(new DemoCommand(), args, out, err);
    }

    @Override
    public int run(PrintStream out, PrintStream err) throws UsageException {
        boolean soaking = soak > 0;
        if (restartAt >= 0 && (killAt < 0 || restartAt <= killAt)) {
            err.println("baton demo: --restart-at needs --kill-at with a smaller value (the producer must be killed first)");
            return 2;
        }
        boolean producersGiven = Cli.given(spec, "--producers");
        if (faultProducer >= (producersGiven || !soaking ? producers : 8)) {
            err.println("baton demo: --fault-producer " + faultProducer + " names no producer (there are " + producers + ")");
            return 2;
        }
        boolean noDisplay = noDisplay();
        if (processes > 0) {
            return runProcesses(noDisplay, out, err);
        }
        refuseOtherModesFlags(headless || soaking, noDisplay);
        DemoOptions options = new DemoOptions(soaking && !producersGiven ? 8 : producers, size.width(),
                size.height(), fps, frames, this.out, headless || soaking || noDisplay, device,
                tier, validate || soaking, ring, acquireTimeoutMs * 1_000_000L, exitAfter, screenshot,
                soak, killAt, restartAt, faultProducer, !noStamp, killMode.equals(KILL_AFTER_RELEASE));
        if (options.headless() && !headless && soak == 0) {
            out.println("No display (DISPLAY is not set): running headless. Start Xvfb and set DISPLAY for the window.");
        }
        return options.headless() ? HeadlessDemo.run(options, out, err) : WindowDemo.run(options, out, err);
    }

    /** {@code --processes N}: the broker and N producer processes, in the window or headless. */
    private int runProcesses(boolean noDisplay, PrintStream out, PrintStream err) {
        boolean window = !headless && !noDisplay;
        for (String flag : window ? List.of("--frames") : List.of("--screenshot", "--exit-after")) {
            if (Cli.given(spec, flag)) {
                err.println("baton demo: " + flag + (window ? " is for headless runs, but this run opens the window (DISPLAY is set);"
                        + " add --headless or remove " + flag : " is for the window, but " + (headless ? "--headless makes this run"
                        + " headless; remove one of them" : "there is no display (DISPLAY is not set); set DISPLAY (e.g. Xvfb :99 &"
                        + " DISPLAY=:99) or remove " + flag)));
                return 2;
            }
        }
        if (!window && !headless) {
            out.println("No display (DISPLAY is not set): running headless. Start Xvfb and set DISPLAY for the window.");
        }
        for (String flag : List.of("--tier", "--soak", "--no-stamp", "--producers")) {
            if (Cli.given(spec, flag)) {
                err.println("baton demo: " + flag + " does not apply with --processes (each process offers host-memory surfaces"
                        + " with the host bridge); remove it");
                return 2;
            }
        }
        if (faultProducer >= processes && killAt >= 0) {
            err.println("baton demo: --fault-producer " + faultProducer + " names no process (there are " + processes + ")");
            return 2;
        }
        int width = size.width() - size.width() % 16;
        return ProcessDemo.run(new ProcessDemo.Options(processes, width, size.height(), fps, frames, this.out, device, validate, ring,
                acquireTimeoutMs * 1_000_000L, killAt, restartAt, faultProducer, window, exitAfter, screenshot), out, err);
    }

    /**
     * A flag of the other mode would be silently ignored: refuse it, saying which mode it belongs to.
     * {@code --frames}/{@code --out} only act headless; {@code --screenshot}/{@code --exit-after} only in the window.
     */
    private void refuseOtherModesFlags(boolean headlessAsked, boolean noDisplay) throws UsageException {
        if (headlessAsked || noDisplay) {
            for (String flag : List.of("--screenshot", "--exit-after")) {
                if (Cli.given(spec, flag)) {
                    String why = headless ? "--headless makes this run headless; remove one of them"
                            : headlessAsked ? "--soak runs headless; remove one of them"
                            : "there is no display (DISPLAY is not set); set DISPLAY (e.g. Xvfb :99 & DISPLAY=:99) or remove " + flag;
                    throw new UsageException(flag + " is for the window, but " + why);
                }
            }
        } else {
            for (String flag : List.of("--frames", "--out")) {
                if (Cli.given(spec, flag)) {
                    throw new UsageException(flag + " is for headless runs, but this run opens the window (DISPLAY is set); add --headless or remove "
                            + flag);
                }
            }
        }
    }

    /** Starts Vulkan for a run (validated with --validate), or prints why it cannot and returns null. */
    static VulkanInstance startVulkan(DemoOptions options, PrintStream err) {
        try {
            return VulkanInstance.create(options.validate());
        } catch (RuntimeException e) {
            err.println("baton demo: cannot start Vulkan: " + e.getMessage());
            return null;
        }
    }

    /** With --validate, prints what the layer reported; a clean run with messages becomes a failure (1). */
    static int withValidation(VulkanInstance vulkan, DemoOptions options, int result, PrintStream out, PrintStream err) {
        if (!options.validate()) {
            return result;
        }
        int messages = vulkan.validationMessageCount();
        out.println("Validation: " + messages + " message" + (messages == 1 ? "" : "s") + " from the Khronos validation layer");
        for (String m : vulkan.validationMessages()) {
            err.println("  " + m);
        }
        return messages > 0 && result == 0 ? 1 : result;
    }

    private static boolean noDisplay() {
        String display = System.getenv("DISPLAY");
        String wayland = System.getenv("WAYLAND_DISPLAY");
        return (display == null || display.isBlank()) && (wayland == null || wayland.isBlank());
    }
}
