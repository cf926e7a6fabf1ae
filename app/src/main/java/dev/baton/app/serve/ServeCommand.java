package dev.baton.app.serve;

import dev.baton.app.cli.Cli;
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
import picocli.CommandLine.Option;

/**
 * {@code ./baton serve}: the compositor as a broker that producer processes ({@code ./baton produce})
 * connect to. Headless only for now: composites every connected producer's latest frame, checks every
 * handed-over frame's stamp, writes PNGs and a summary. The window mode is refused with a message.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "the compositor as a broker for ./baton produce processes",
        description = {
            "Listens on a Unix SOCK_SEQPACKET socket, allocates every producer's surfaces as sealed memfds, owns every",
            "keyed mutex, checks the frame stamp of every frame handed over, and composites the latest frame of each",
            "producer (headless: PNGs in --out and a summary). Window mode is not yet available for serve."})
public final class ServeCommand implements Cli.Body {
    @Option(names = "--socket", paramLabel = "PATH", description = "socket path (default: $XDG_RUNTIME_DIR/baton/compositor.sock, else"
            + " /tmp/baton-UID/compositor.sock; its directory is made 0700; a stale socket is replaced, a live one refused)")
    Path socket;

    @Option(names = "--headless", description = "composite without a window and write PNGs (the only mode serve has for now)")
    boolean headless;

    @Option(names = "--frames", paramLabel = "N", description = "composites to make once a producer delivered its first frame")
    @Range(min = 1, max = 100_000_000)
    int frames = 120;

    @Option(names = "--fps", paramLabel = "FPS", description = "composites per second")
    @Range(min = 1, max = 1000)
    double fps = 30;

    @Option(names = "--out", paramLabel = "DIR", description = "folder for the first and last composite (PNG)")
    Path out = Path.of("out", "serve");

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "give up (exit 1) if no producer delivered a frame for this long")
    @Range(min = 1, max = 86_400)
    double idleTimeout = 60;

    @Option(names = "--acquire-timeout-ms", paramLabel = "MS", description = "how long a surface's fence value may take to be reported reached")
    @Range(min = 1, max = 60_000)
    int acquireTimeoutMs = 2000;

    @Override
    public int run(PrintStream out, PrintStream err) {
        if (!headless) {
            err.println("baton serve: window mode is not yet available for serve; run ./baton serve --headless (PNGs in --out)");
            return Cli.USAGE;
        }
        Path path = socket != null ? socket : SocketPaths.defaultSocketPath();
        ServeCompositor compositor;
        try {
            compositor = ServeCompositor.start(path, TimeUnit.MILLISECONDS.toNanos(acquireTimeoutMs), line -> {
                synchronized (out) {
                    out.println(line);
                }
            });
        } catch (RuntimeException e) {
            err.println("baton serve: cannot serve " + path + ": " + e.getMessage());
            return 1;
        }
        out.println("serve: listening on " + compositor.broker().socketPath() + " (start producers with ./baton produce --connect "
                + compositor.broker().socketPath() + ")");
        out.flush();
        try {
            return composite(compositor, frames, fps, this.out, idleTimeout, frame -> { }, out, err);
        } finally {
            compositor.close();
        }
    }

    /**
     * The headless compositing loop shared with {@code ./baton demo --processes}: composites at {@code fps}
     * once any producer delivered, {@code frames} times, writes the first and last composite and prints the
     * summary. {@code onComposite} runs after each composite with its number (faults are injected there).
     *
     * @return 0 if every frame passed its pixel checks, 1 otherwise or when producers stop delivering
     */
    static int composite(ServeCompositor compositor, int frames, double fps, Path outDir, double idleTimeoutSeconds,
            IntConsumer onComposite, PrintStream out, PrintStream err) {
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
        while (made < frames) {
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
            onComposite.accept(made);
        }
        double seconds = t0 == 0 ? 0 : (System.nanoTime() - t0) / 1e9;
        List<ServeCompositor.Feed> feeds = compositor.feeds();
        out.printf(Locale.ROOT, "serve: %d composites in %.1f s of %d producer process%s (PNGs in %s)%n", made, seconds, feeds.size(),
                feeds.size() == 1 ? "" : "es", outDir);
        long failures = 0;
        for (ServeCompositor.Feed f : feeds) {
            String state = "said BYE".equals(f.goneReason()) ? "left (BYE)" : f.abandoned() ? "ABANDONED" + (f.abandonedLatencyNanos() >= 0
                    ? String.format(Locale.ROOT, " %.1f ms after SIGKILL", f.abandonedLatencyNanos() / 1e6) : "")
                    : f.gone() ? "disconnected" : "connected";
            out.printf(Locale.ROOT, "  %-24s pid %-7d %-32s frames %6d  torn %d  stale %d  invalid %d  fence late %d  %s%n", f.name, f.pid,
                    state, f.delivered(), f.torn(), f.stale(), f.invalid(), f.fenceLate(), f.memory());
            failures += f.failures();
        }
        out.println("Pixel checks: " + (failures == 0 ? "every handed-over frame intact" : failures + " frames failed  <-- FAILED"));
        return failures == 0 && made == frames ? 0 : 1;
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
