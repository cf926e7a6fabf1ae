package dev.baton.app.demo;

import dev.baton.app.ShutdownSignal;
import dev.baton.app.report.Progress;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.scene.FrameStamp;
import dev.baton.render.vk.GlEndpoint;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.window.TileCompositor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import org.lwjgl.system.MemoryUtil;

/**
 * {@code ./baton demo --headless}: the compositor on EGL surfaceless. Each time a producer delivers
 * a newer frame it composites every producer's displayed surface 1:1 into a canvas, reads the canvas
 * back and checks each tile's frame stamp against the frame number its producer released it with
 * (torn, stale or foreign pixels are counted, and fail the run), and hands the pixels to a writer
 * thread for PNGs and a contact sheet. Prints a summary with latency per tier.
 *
 * <p>Runs on the calling thread, which owns the GL context.
 */
final class HeadlessDemo {
    private static final long STALL_NANOS = 10_000_000_000L;

    private HeadlessDemo() {}

    static int run(DemoOptions options, PrintStream out, PrintStream err) {
        VulkanInstance vulkan = DemoCommand.startVulkan(options, err);
        if (vulkan == null) {
            return 1;
        }
        try (vulkan) {
            EglContext gl;
            try {
                gl = EglContext.create(false);
            } catch (RuntimeException e) {
                err.println("baton demo: cannot start the GL compositor: " + e.getMessage());
                return 1;
            }
            int result;
            try (gl) {
                result = composite(options, vulkan, gl, out, err);
            }
            return DemoCommand.withValidation(vulkan, options, result, out, err);
        }
    }

    private static int composite(DemoOptions options, VulkanInstance vulkan, EglContext gl, PrintStream out, PrintStream err) {
        GlInfo glInfo = GlInfo.query(gl);
        String softwareWarning = glInfo.softwareWarning(vulkan.physicalDevices());
        if (softwareWarning != null) {
            err.println("baton demo: " + softwareWarning + " (EGL: " + gl.selection().reason() + ")");
        }
        int n = options.producers();
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        int w = options.width();
        int h = options.height();
        boolean soak = options.soakMinutes() > 0;
        long soakNanos = (long) (options.soakMinutes() * 60e9);
        // a soak writes a sample frame every few seconds instead of every frame
        long sampleEveryNanos = soak ? Math.max(2_000_000_000L, soakNanos / 48) : 0;
        int expectedWrites = soak ? (int) (soakNanos / Math.max(1, sampleEveryNanos)) + 2 : options.frames();
        Checks checks = new Checks();
        Faults faults = new Faults(options);
        DemoSession session = new DemoSession(vulkan, gl, glInfo, options);
        FrameWriter writer = null;
        OutputLock lock = null;
        ByteBuffer pixels = MemoryUtil.memAlloc(cols * w * rows * h * 4);
        try (ShutdownSignal signal = new ShutdownSignal(15_000); TileCompositor canvas = new TileCompositor(gl, cols * w, rows * h)) {
            Files.createDirectories(options.out());
            lock = OutputLock.acquire(options.out());
            if (lock == null) {
                err.println("baton demo: another demo run is writing to " + options.out() + " (it holds "
                        + options.out().resolve(OutputLock.NAME) + "); wait for it to finish or pass another --out");
                return 1;
            }
            for (int i = 0; i < n; i++) {
                session.addProducer(options.tier());
            }
            session.awaitStarted(STALL_NANOS * 6);
            writer = new FrameWriter(options.out(), cols * w, rows * h, cols, w, h, expectedWrites);
            writer.start();
            describe(session, gl, out);
            long start = System.nanoTime();
            Progress progress = soak ? new Progress(out, "soak", soakNanos / 1_000_000_000L)
                    : new Progress(out, "compositing", options.frames());
            Resources resources = new Resources(start, soak ? Math.min(soakNanos / 4, 60_000_000_000L) : 0);
            long lastChange = start;
            long lastWrite = 0;
            long lastProgress = 0;
            boolean wroteAny = false;
            int composited = 0;
            boolean interrupted = false;
            boolean allShown = false;
            // A fault's restarted producer is built off this thread: keep compositing (without writing
            // more frames) until it shows, or the stall timeout says why not.
            while (soak ? System.nanoTime() - start < soakNanos : composited < options.frames() || faults.awaitingRestart()) {
                if (signal.requested()) {
                    interrupted = true;
                    break;
                }
                faults.apply(session, composited, out);
                if (!session.update() && !faults.changed(session)) {
                    if (System.nanoTime() - lastChange > STALL_NANOS) {
                        err.println("baton demo: no producer delivered a frame for " + STALL_NANOS / 1_000_000_000L + " s; " + states(session));
                        return 1;
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000L);
                    continue;
                }
                lastChange = System.nanoTime();
                List<ProducerFeed> feeds = session.feeds();
                if (!allShown) {
                    // the first composite waits until every producer delivered a frame: no empty tiles
                    allShown = true;
                    for (ProducerFeed f : feeds) {
                        allShown &= f.displayed() != null || f.abandoned();
                    }
                    if (!allShown) {
                        continue;
                    }
                }
                long now = System.nanoTime();
                // Titles are only built for frames that are written: no garbage in the frame loop otherwise.
                boolean write = (!soak || !wroteAny || now - lastWrite >= sampleEveryNanos) && (soak || composited < options.frames());
                String[] titles = write ? new String[feeds.size()] : null;
                for (int i = 0; i < feeds.size(); i++) {
                    ProducerFeed f = feeds.get(i);
                    int x = (i % cols) * w;
                    int y = (i / cols) * h;
                    GlEndpoint shown = f.displayed();
                    if (shown != null) {
                        canvas.blit(shown.framebuffer(), w, h, x, y);
                    } else {
                        if (f.abandoned()) {
                            canvas.fill(x, y, w, h, AbandonedTile.RED, AbandonedTile.GREEN, AbandonedTile.BLUE);
                        } else {
                            canvas.fill(x, y, w, h, 0.12f, 0.08f, 0.08f);
                        }
                    }
                    if (write) {
                        titles[i] = FrameWriter.title(f.producer.name, f.abandoned() ? FrameWriter.ABANDONED
                                : shown == null ? FrameWriter.WAITING : "frame " + f.displayedFrame(),
                                f.producer.scene.label() + " [" + f.ring.get(0).tier() + "]");
                    }
                }
                canvas.readback(pixels);
                for (int i = 0; i < feeds.size(); i++) {
                    ProducerFeed f = feeds.get(i);
                    if (f.displayed() != null && options.stamp()) {
                        checks.check(pixels, cols * w, (i % cols) * w, (i / cols) * h, w, h, f.displayedFrame(), f.producer.name, composited);
                    }
                }
                if (write) {
                    writer.submit(composited, pixels, titles);
                    lastWrite = now;
                    wroteAny = true;
                }
                composited++;
                resources.sample(now);
                if (now - lastProgress < 200_000_000L && composited < options.frames()) {
                    continue;   // the status text is built at most five times a second
                }
                lastProgress = now;
                if (soak) {
                    progress.update((now - start) / 1_000_000_000L, String.format(Locale.ROOT, "%d frames, RSS %d MiB, %d fds",
                            composited, resources.lastRssKib / 1024, resources.lastFds));
                } else {
                    progress.update(composited, String.format(Locale.ROOT, "%d frames, %.1f s", composited, (now - start) / 1e9));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            progress.done(String.format(Locale.ROOT, "%d frames in %.1f s%s", composited, seconds, interrupted ? " (interrupted)" : ""));
            resources.sample(Long.MAX_VALUE);
            writer.finish();
            summary(session, checks, composited, seconds, options, writer, out);
            faults.report(out);
            boolean resourcesOk = !soak || resources.report(out);
            session.close();
            out.println(session.problems().isEmpty() ? "Teardown: every producer's surfaces and device were freed"
                    : "Teardown: " + session.problems().size() + " problem(s), see below  <-- FAILED");
            for (String p : session.problems()) {
                err.println("baton demo: " + p);
            }
            if (interrupted) {
                return 130;
            }
            return checks.failed() || !session.problems().isEmpty() || writer.failure() != null || !faults.ok() || !resourcesOk ? 1 : 0;
        } catch (IOException e) {
            err.println("baton demo: cannot write to " + options.out() + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("baton demo: interrupted");
            return 1;
        } catch (RuntimeException e) {
            err.println("baton demo: " + e.getMessage());
            return 1;
        } finally {
            if (writer != null) {
                writer.abort();
            }
            session.close();
            if (lock != null) {
                lock.close();
            }
            MemoryUtil.memFree(pixels);
        }
    }

    /**
     * RSS, Java heap in use and fd samples: after warm-up and at the end, for the soak's flatness
     * check. The two compared samples follow a full GC, so garbage and heap sizing policy do not read
     * as a leak; progress samples in between are cheap (/proc only, once a second).
     */
    private static final class Resources {
        private final long start;
        private final long warmupNanos;
        private long warmRssKib = -1;
        private long warmFds = -1;
        private long warmHeapKib = -1;
        long lastRssKib;
        long lastFds;
        private long lastHeapKib;
        private long nextSample;

        Resources(long start, long warmupNanos) {
            this.start = start;
            this.warmupNanos = warmupNanos;
        }

        void sample(long now) {
            boolean last = now == Long.MAX_VALUE;
            if (!last && now < nextSample) {
                return;
            }
            nextSample = now + 1_000_000_000L;   // /proc reads allocate: once a second at most
            boolean warm = warmRssKib < 0 && !last && now - start >= warmupNanos;
            if (warm || last) {
                System.gc();
                lastHeapKib = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1024;
            }
            lastRssKib = ProcessStats.residentKib();
            lastFds = ProcessStats.openFds();
            if (warm) {
                warmRssKib = lastRssKib;
                warmFds = lastFds;
                warmHeapKib = lastHeapKib;
            }
        }

        /** Prints the samples; false if fds grew or resident memory grew by more than a fifth. */
        boolean report(PrintStream out) {
            boolean fdsFlat = lastFds <= warmFds;
            boolean rssFlat = lastRssKib <= warmRssKib * 1.2;
            out.printf(Locale.ROOT, "Resources after warm-up: RSS %d MiB, heap in use %d MiB, %d fds; at the end: RSS %d MiB (%+.1f%%), "
                    + "heap in use %d MiB, %d fds (%+d)%s%n", warmRssKib / 1024, warmHeapKib / 1024, warmFds, lastRssKib / 1024,
                    100.0 * (lastRssKib - warmRssKib) / Math.max(1, warmRssKib), lastHeapKib / 1024, lastFds, lastFds - warmFds,
                    fdsFlat && rssFlat ? " (flat)" : "  <-- GREW");
            return fdsFlat && rssFlat;
        }
    }

    private static void describe(DemoSession session, EglContext gl, PrintStream out) {
        out.println("Compositor: " + session.glInfo().renderer() + " (EGL " + gl.selection().platform() + ")");
        for (ProducerFeed f : session.feeds()) {
            out.println("  " + f.producer.name + ": " + f.producer.scene.label() + " on " + f.producer.device().info().name()
                    + ", tier " + f.ring.get(0).tier() + " [" + f.ring.get(0).tier().choices() + "] (" + f.ring.get(0).tierReason() + ")");
        }
    }

    private static String states(DemoSession session) {
        StringBuilder b = new StringBuilder("producer states:");
        for (ProducerFeed f : session.feeds()) {
            b.append(' ').append(f.producer.name).append('=').append(f.producer.state());
            if (f.producer.failure() != null) {
                b.append(" (").append(f.producer.failure()).append(')');
            }
        }
        return b.toString();
    }

    private static void summary(DemoSession session, Checks checks, int composited, double seconds, DemoOptions options,
                                FrameWriter writer, PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "Composited %d frames from %d producers (%dx%d each) in %.1f s%n", composited, session.feeds().size(),
                options.width(), options.height(), seconds);
        DemoSummary.producers(session, seconds, out);
        long bad = 0;
        for (ProducerFeed f : session.feeds()) {
            bad += f.badPayloads();
        }
        if (options.stamp()) {
            out.printf("Pixel checks on %d tiles: torn %d, stale %d, invalid %d, bad private data %d%s%n", checks.tiles, checks.torn,
                    checks.stale, checks.invalid, bad, checks.failed() || bad > 0 ? "  <-- FAILED" : " (all frames intact)");
        } else {
            out.printf("Pixel checks: off (--no-stamp: the producers draw no frame stamp to check); bad private data %d%s%n", bad,
                    bad > 0 ? "  <-- FAILED" : "");
        }
        if (checks.firstProblem != null) {
            out.println("First problem: " + checks.firstProblem);
        }
        out.println("Wrote " + writer.written() + " frames" + (writer.written() > 0 ? " and " + options.out().resolve("contact-sheet.png") : "")
                + " to " + options.out());
        if (writer.failure() != null) {
            out.println("Writing PNGs failed: " + writer.failure());
        }
    }

    /** Frame-stamp checks of composited tiles. */
    static final class Checks {
        long tiles;
        long torn;
        long stale;
        long invalid;
        String firstProblem;

        void check(ByteBuffer pixels, int imageWidth, int x, int y, int w, int h, long expectedFrame, String producer, int compositeIndex) {
            tiles++;
            long decoded = FrameStamp.decode(pixels, imageWidth, x, y, w, h);
            long expected = expectedFrame & 0xFFFFFFFFL;
            String problem = null;
            if (decoded == FrameStamp.TORN) {
                torn++;
                problem = "torn";
            } else if (decoded == FrameStamp.INVALID) {
                invalid++;
                problem = "no valid stamp";
            } else if (decoded != expected) {
                stale++;
                problem = "shows frame " + decoded;
            }
            if (problem != null && firstProblem == null) {
                firstProblem = "composite " + compositeIndex + ", " + producer + ": " + problem + ", expected frame " + expected;
            }
        }

        boolean failed() {
            return torn + stale + invalid > 0;
        }
    }
}
