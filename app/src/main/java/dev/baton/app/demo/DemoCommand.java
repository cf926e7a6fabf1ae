package dev.baton.app.demo;

import dev.baton.app.cli.Flags;
import dev.baton.app.cli.UsageException;
import dev.baton.render.SyncTier;
import dev.baton.render.vk.VulkanInstance;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code ./baton demo}: parses the flags and runs the window or the headless compositor. */
public final class DemoCommand {
    private DemoCommand() {}

    /** Exit code: 0 ok, 1 a run that failed its checks or could not start, 2 bad usage. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = new Flags("demo", "Producers on their own Vulkan devices draw animated scenes into shared surfaces that a\n"
                + "keyed mutex hands to an OpenGL compositor: a window with a control panel, or headless PNGs.");
        var producers = flags.integer("--producers", "N", 4, 1, 16, "producer render threads, each on its own device");
        var size = flags.size("--size", 512, 384, 64, 4096, "surface size in pixels");
        var fps = flags.decimal("--fps", "FPS", 60, 1, 1000, "each producer's target frame rate");
        var frames = flags.integer("--frames", "N", 120, 1, 1_000_000, "headless: composited frames to write");
        var out2 = flags.path("--out", "DIR", Path.of("out", "demo"), "headless: folder for the frames and the contact sheet");
        var headless = flags.toggle("--headless", "composite on EGL surfaceless and write PNGs (the default without a display)");
        var device = flags.text("--device", "NAME", null, "producers' Vulkan device: a name substring (default: the one that shares memory with GL)");
        List<String> tiers = new ArrayList<>();
        for (SyncTier t : SyncTier.values()) {
            tiers.add(t.id());
        }
        var tier = flags.choice("--tier", "NAME", null, tiers, "sync tier for every surface (default: the best both sides offer)");
        var validate = flags.toggle("--validate", "run under the Khronos validation layer (sync validation on); fail on any message");
        var ring = flags.integer("--ring", "N", 3, 2, 3, "shared surfaces per producer");
        var timeoutMs = flags.integer("--acquire-timeout-ms", "MS", 2000, 1, 60_000, "the longest any acquire waits");
        var exitAfter = flags.decimal("--exit-after", "SECONDS", 0, 0, 86_400, "window: close by itself after this long (0: when closed)");
        var screenshot = flags.path("--screenshot", "FILE", null, "window: save the last frame as a PNG on exit");
        var soak = flags.decimal("--soak", "MINUTES", 0, 0, 10_080,
                "headless soak: 8 producers (unless --producers) under validation for this long; reports memory, fds, errors");
        var killAt = flags.integer("--kill-at", "N", -1, -1, 1_000_000,
                "fault: after N composites (window: frames), a producer's device is lost while it owns a surface");
        var restartAt = flags.integer("--restart-at", "N", -1, -1, 1_000_000, "after N composites (window: frames), restart the killed producer");
        var faultProducer = flags.integer("--fault-producer", "I", 0, 0, 15, "the producer (position) --kill-at applies to");
        var noStamp = flags.toggle("--no-stamp", "producers leave out the frame stamp (the bars the pixel checks read): a clean picture, checks off");
        try {
            if (!flags.parse(args, out)) {
                return 0;
            }
        } catch (UsageException e) {
            err.println("baton demo: " + e.getMessage());
            return 2;
        }
        boolean soaking = soak.get() > 0;
        if (restartAt.get() >= 0 && (killAt.get() < 0 || restartAt.get() <= killAt.get())) {
            err.println("baton demo: --restart-at needs --kill-at with a smaller value (the producer must be killed first)");
            return 2;
        }
        if (faultProducer.get() >= (producers.given() || !soaking ? producers.get() : 8)) {
            err.println("baton demo: --fault-producer " + faultProducer.get() + " names no producer (there are " + producers.get() + ")");
            return 2;
        }
        DemoOptions options = new DemoOptions(soaking && !producers.given() ? 8 : producers.get(), size.get().width(),
                size.get().height(), fps.get(), frames.get(), out2.get(), headless.get() || soaking || noDisplay(), device.get(),
                tier.get(), validate.get() || soaking, ring.get(), timeoutMs.get() * 1_000_000L, exitAfter.get(), screenshot.get(),
                soak.get(), killAt.get(), restartAt.get(), faultProducer.get(), !noStamp.get());
        if (options.headless() && !headless.get() && soak.get() == 0) {
            out.println("No display (DISPLAY is not set): running headless. Start Xvfb and set DISPLAY for the window.");
        }
        return options.headless() ? HeadlessDemo.run(options, out, err) : WindowDemo.run(options, out, err);
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
