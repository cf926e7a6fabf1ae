package dev.baton.app.serve;

import dev.baton.app.ShutdownSignal;
import dev.baton.app.cli.Cli;
import dev.baton.app.demo.ImGuiWindow;
import dev.baton.app.cli.Range;
import dev.baton.render.ipc.SocketPaths;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./baton serve}: the compositor as a broker that producer processes ({@code ./baton produce})
 * connect to. Checks every handed-over frame's stamp and composites every connected producer's latest
 * frame: in a window ({@link ServeWindow}: tiles, control panel, live plots, summary on close) or
 * headless (PNGs and a summary).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "the compositor as a broker for ./baton produce processes",
        description = {
            "Listens on a Unix SOCK_SEQPACKET socket and allocates every producer's surfaces: sealed memfds,",
            "or, in a window whose GL shares the producer's driver, that driver's sealed device memory, which",
            "GL samples in place. Owns every keyed mutex, checks the frame stamp of every frame handed over,",
            "and composites the latest frame of each producer: in a window with a control panel, or headless",
            "(PNGs in --out and a summary). Ctrl-C ends it with the summary."})
public final class ServeCommand implements Cli.Body {
    @Option(names = "--socket", paramLabel = "PATH", description = "socket path (default: $XDG_RUNTIME_DIR/baton/compositor.sock, else"
            + " /tmp/baton-UID/compositor.sock; its directory is made 0700; a stale socket is replaced, a live one refused)")
    Path socket;

    @Spec
    CommandSpec spec;

    @Option(names = "--upload", description = "window: upload every producer's frames with glTexSubImage2D, even where the window's GL"
            + " could sample them in place (device memory of its driver)")
    boolean upload;

    @Option(names = "--trust-clients", description = "import a producer's own device memory and binary semaphores where it offers them"
            + " (SwiftShader): its GPU work is then waited for on this process's GPU, nothing copied; but a producer could kill this"
            + " process through that memory (its fds are not sealed), so only for producers you trust (default: never import)")
    boolean trustClients;

    @Option(names = "--headless", description = "composite without a window and write PNGs")
    boolean headless;

    @Option(names = "--exit-after", paramLabel = "SECONDS", description = "window: close by itself after this long (0: when closed)")
    @Range(min = 0, max = 86_400)
    double exitAfter = 0;

    @Option(names = "--screenshot", paramLabel = "FILE", description = "window: save the last frame as a PNG on exit")
    Path screenshot;

    @Option(names = "--frames", paramLabel = "N", description = "headless: composites to make once a producer delivered its first frame")
    @Range(min = 1, max = 100_000_000)
    int frames = 120;

    @Option(names = "--fps", paramLabel = "FPS", description = "headless: composites per second (the window redraws at 60)")
    @Range(min = 1, max = 1000)
    double fps = 30;

    @Option(names = "--out", paramLabel = "DIR", description = "headless: folder for the first and last composite (PNG)")
    Path out = Path.of("out", "serve");

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "headless: give up (exit 1) if no producer delivered a frame for this long")
    @Range(min = 1, max = 86_400)
    double idleTimeout = 60;

    @Option(names = "--acquire-timeout-ms", paramLabel = "MS", description = "how long a surface's fence value may take to be reported reached")
    @Range(min = 1, max = 60_000)
    int acquireTimeoutMs = 2000;

    @Override
    public int run(PrintStream out, PrintStream err) {
        String wrongMode = headless ? firstGiven("--exit-after", "--screenshot") : firstGiven("--frames", "--fps", "--out", "--idle-timeout");
        if (wrongMode != null) {
            err.println("baton serve: " + wrongMode + (headless ? " is for the window; remove it or --headless"
                    : " is for headless runs; add --headless or remove " + wrongMode));
            return Cli.USAGE;
        }
        if (!headless && noDisplay()) {
            err.println("baton serve: no display (DISPLAY is not set) for the window; add --headless, or start one with:"
                    + " Xvfb :99 & DISPLAY=:99 ./baton serve");
            return Cli.USAGE;
        }
        ImGuiWindow window = null;
        if (!headless) {
            window = ServeWindow.open(windowOptions(), err);   // first: a display that fails costs nothing
            if (window == null) {
                return 1;
            }
        }
        Path path = socket != null ? socket : SocketPaths.defaultSocketPath();
        java.util.function.Consumer<String> log = line -> {
            synchronized (out) {
                out.println(line);
            }
        };
        // Capability: where the window's GL shares a driver with producers, they draw into memory it samples in place.
        WindowMemory memory = window != null && !upload ? WindowMemory.open(window.window(), log) : null;
        ServeCompositor compositor;
        try {
            compositor = ServeCompositor.start(path, TimeUnit.MILLISECONDS.toNanos(acquireTimeoutMs), log,
                    memory == null ? null : memory.allocator(), trustClients);
        } catch (RuntimeException e) {
            err.println("baton serve: cannot serve " + path + ": " + e.getMessage());
            if (memory != null) {
                memory.close();
            }
            if (window != null) {
                window.close();
            }
            return 1;
        }
        out.println("serve: listening on " + compositor.broker().socketPath() + " (start producers with ./baton produce --connect "
                + compositor.broker().socketPath() + ")");
        if (trustClients) {
            out.println("serve: --trust-clients: producers that offer their own memory and binary semaphores are read on this process's GPU;"
                    + " such a producer could kill this process, so connect only producers you trust");
        }
        out.flush();
        if (window != null) {
            try (ShutdownSignal signal = new ShutdownSignal(15_000)) {   // Ctrl-C ends the loop; the JVM waits for the close below
                try {
                    return ServeWindow.run(compositor, window, windowOptions(), null, frame -> { }, signal, out, err);
                } finally {
                    compositor.close();
                    if (memory != null) {
                        memory.close();
                    }
                }
            }
        }
        // Ctrl-C ends the loop with the summary; the JVM waits for the compositor's orderly close.
        try (ShutdownSignal signal = new ShutdownSignal(15_000)) {
            try {
                return composite(compositor, frames, fps, this.out, idleTimeout, frame -> { }, signal::requested, out, err);
            } finally {
                compositor.close();
            }
        }
    }

    private ServeWindow.Options windowOptions() {
        return new ServeWindow.Options("Baton: compositor for producer processes", "baton serve", 0, exitAfter, screenshot);
    }

    private String firstGiven(String... flags) {
        for (String f : flags) {
            if (spec != null && Cli.given(spec, f)) {
                return f;
            }
        }
        return null;
    }

    /** {@return whether neither an X display nor a Wayland one is named} */
    static boolean noDisplay() {
        String display = System.getenv("DISPLAY");
        String wayland = System.getenv("WAYLAND_DISPLAY");
        return (display == null || display.isBlank()) && (wayland == null || wayland.isBlank());
    }

    /**
     * The headless compositing loop shared with {@code ./baton demo --processes}: composites at {@code fps}
     * once any producer delivered, {@code frames} times, writes the first and last composite and prints the
     * summary. {@code onComposite} runs after each composite with its number (faults are injected there); {@code stop}
     * (Ctrl-C) ends the loop early, still with the summary.
     *
     * @return 0 if every frame passed its pixel checks, 1 otherwise or when producers stop delivering
     */
    static int composite(ServeCompositor compositor, int frames, double fps, Path outDir, double idleTimeoutSeconds,
            IntConsumer onComposite, java.util.function.BooleanSupplier stop, PrintStream out, PrintStream err) {
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            err.println("baton serve: cannot create " + outDir + ": " + e.getMessage());
            return 1;
        }
        long period = (long) (1e9 / fps);
        long idleLimit = (long) (idleTimeoutSeconds * 1e9);
        long lastProgress = System.nanoTime();
        long lastDelivered = 0;
        int[] size = new int[2];
        int made = 0;
        long t0 = 0;
        boolean stopped = false;
        byte[] lastImage = null;
        int[] lastSize = new int[2];
        while (made < frames) {
            if (stop.getAsBoolean()) {
                stopped = true;
                break;
            }
            try {
                Thread.sleep(Math.max(1, period / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long delivered = 0;
            for (ServeCompositor.Feed f : compositor.feeds()) {
                delivered += f.delivered();
            }
            long now = System.nanoTime();
            if (delivered != lastDelivered) {
                lastDelivered = delivered;
                lastProgress = now;
            } else if (now - lastProgress > idleLimit) {
                err.println("baton serve: no producer delivered a frame for " + (long) idleTimeoutSeconds + " s; stopping");
                break;
            }
            byte[] image = compositor.composite(size);
            if (image == null) {
                continue;
            }
            if (made == 0) {
                t0 = now;
            }
            made++;
            if (made == 1 || made == frames) {
                write(image, size, outDir.resolve(made == 1 ? "first.png" : "last.png"), err);
            }
            lastImage = image;
            lastSize[0] = size[0];
            lastSize[1] = size[1];
            onComposite.accept(made);
        }
        if (made > 1 && made < frames && lastImage != null) {
            write(lastImage, lastSize, outDir.resolve("last.png"), err); // stopped early: the last composite made
        }
        double seconds = t0 == 0 ? 0 : (System.nanoTime() - t0) / 1e9;
        List<ServeCompositor.Feed> feeds = compositor.feeds();
        out.printf(Locale.ROOT, "serve: %d composites in %.1f s of %d producer process%s (PNGs in %s)%s%n", made, seconds, feeds.size(),
                feeds.size() == 1 ? "" : "es", outDir, stopped ? "; stopped by a signal" : "");
        long failures = printFeeds(feeds, out);
        out.println("Pixel checks: " + (failures == 0 ? "every handed-over frame intact" : failures + " frames failed  <-- FAILED"));
        return failures == 0 && made == frames ? 0 : 1;
    }

    /** Prints one summary line per producer (headless and window alike); {@return the frames that failed their pixel checks} */
    static long printFeeds(List<ServeCompositor.Feed> feeds, PrintStream out) {
        long failures = 0;
        for (ServeCompositor.Feed f : feeds) {
            String state = "said BYE".equals(f.goneReason()) ? "left (BYE)" : f.abandoned() ? "ABANDONED" + (f.abandonedLatencyNanos() >= 0
                    ? String.format(Locale.ROOT, " %.1f ms after SIGKILL", f.abandonedLatencyNanos() / 1e6) : "")
                    : f.gone() ? "disconnected" : "connected";
            out.printf(Locale.ROOT, "  %-24s pid %-7d %-32s frames %6d  torn %d  stale %d  invalid %d  fence late %d%s  %s%n", f.name, f.pid,
                    state, f.delivered(), f.torn(), f.stale(), f.invalid(), f.fenceLate(),
                    f.windowLate() == 0 ? "" : "  window late " + f.windowLate(), f.memory());
            failures += f.failures();
        }
        return failures;
    }

    private static void write(byte[] rgba, int[] size, Path file, PrintStream err) {
        BufferedImage image = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size[1]; y++) {
            for (int x = 0; x < size[0]; x++) {
                int i = (y * size[0] + x) * 4;
                image.setRGB(x, y, (rgba[i] & 0xFF) << 16 | (rgba[i + 1] & 0xFF) << 8 | (rgba[i + 2] & 0xFF));
            }
        }
        try {
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            err.println("baton serve: cannot write " + file + ": " + e.getMessage());
        }
    }
}
