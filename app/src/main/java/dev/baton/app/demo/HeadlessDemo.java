package dev.baton.app.demo;

import dev.baton.app.report.Progress;
import dev.baton.app.report.Table;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.TileCompositor;
import dev.baton.render.scene.FrameStamp;
import dev.baton.render.vk.GlEndpoint;
import dev.baton.render.vk.VulkanInstance;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
        VulkanInstance vulkan;
        try {
            vulkan = VulkanInstance.create(options.validate());
        } catch (RuntimeException e) {
            err.println("baton demo: cannot start Vulkan: " + e.getMessage());
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
            if (options.validate()) {
                int messages = vulkan.validationMessageCount();
                out.println("Validation: " + messages + " message" + (messages == 1 ? "" : "s") + " from the Khronos validation layer");
                for (String m : vulkan.validationMessages()) {
                    err.println("  " + m);
                }
                if (messages > 0 && result == 0) {
                    result = 1;
                }
            }
            return result;
        }
    }

    private static int composite(DemoOptions options, VulkanInstance vulkan, EglContext gl, PrintStream out, PrintStream err) {
        GlInfo glInfo = GlInfo.query(gl);
        int n = options.producers();
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        int w = options.width();
        int h = options.height();
        Checks checks = new Checks();
        DemoSession session = new DemoSession(vulkan, gl, glInfo, options);
        FrameWriter writer = null;
        ByteBuffer pixels = MemoryUtil.memAlloc(cols * w * rows * h * 4);
        try (TileCompositor canvas = new TileCompositor(cols * w, rows * h)) {
            for (int i = 0; i < n; i++) {
                session.addProducer(options.tier());
            }
            Files.createDirectories(options.out());
            writer = new FrameWriter(options.out(), cols * w, rows * h, cols, w, h, options.frames());
            writer.start();
            describe(session, out);
            Progress progress = new Progress(out, "compositing", options.frames());
            long start = System.nanoTime();
            long lastChange = start;
            int composited = 0;
            while (composited < options.frames()) {
                if (!session.update()) {
                    if (System.nanoTime() - lastChange > STALL_NANOS) {
                        err.println("baton demo: no producer delivered a frame for " + STALL_NANOS / 1_000_000_000L + " s; " + states(session));
                        return 1;
                    }
                    Thread.onSpinWait();
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000L);
                    continue;
                }
                lastChange = System.nanoTime();
                List<ProducerFeed> feeds = session.feeds();
                String[] titles = new String[feeds.size()];
                for (int i = 0; i < feeds.size(); i++) {
                    ProducerFeed f = feeds.get(i);
                    int x = (i % cols) * w;
                    int y = (i / cols) * h;
                    GlEndpoint shown = f.displayed();
                    if (shown != null) {
                        canvas.blit(shown.framebuffer(), w, h, x, y);
                    } else {
                        canvas.fill(x, y, w, h, f.abandoned() ? 0.45f : 0.12f, 0.08f, 0.08f);
                    }
                    titles[i] = f.producer.name + " " + f.producer.scene.label() + " [" + f.ring.get(0).tier() + "] frame "
                            + f.displayedFrame() + (f.abandoned() ? " ABANDONED" : "");
                }
                canvas.readback(pixels);
                for (int i = 0; i < feeds.size(); i++) {
                    ProducerFeed f = feeds.get(i);
                    if (f.displayed() != null) {
                        checks.check(pixels, cols * w, (i % cols) * w, (i / cols) * h, w, h, f.displayedFrame(), f.producer.name, composited);
                    }
                }
                writer.submit(composited, pixels, titles);
                composited++;
                progress.update(composited, String.format(Locale.ROOT, "%d frames, %.1f s", composited, (System.nanoTime() - start) / 1e9));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            progress.done(String.format(Locale.ROOT, "%d frames in %.1f s", composited, seconds));
            writer.finish();
            summary(session, checks, composited, seconds, options, writer, out);
            session.close();
            for (String p : session.problems()) {
                err.println("baton demo: " + p);
            }
            return checks.failed() || !session.problems().isEmpty() || writer.failure() != null ? 1 : 0;
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
            MemoryUtil.memFree(pixels);
        }
    }

    private static void describe(DemoSession session, PrintStream out) {
        out.println("Compositor: " + session.glInfo().renderer() + " (EGL surfaceless)");
        for (ProducerFeed f : session.feeds()) {
            out.println("  " + f.producer.name + ": " + f.producer.scene.label() + " on " + f.producer.device().info().name()
                    + ", tier " + f.ring.get(0).tier() + " (" + f.ring.get(0).tierReason() + ")");
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
        Table table = new Table("producer", "scene", "device", "tier", "frames", "handoffs", "handoffs/s", "p50 us", "p99 us",
                "skipped", "producer stalls", "state");
        Map<String, List<ProducerFeed>> byTier = new LinkedHashMap<>();
        long handoffs = 0;
        long skipped = 0;
        long stalls = 0;
        for (ProducerFeed f : session.feeds()) {
            table.row(f.producer.name, f.producer.scene.label(), f.producer.device().info().name().split(" \\(")[0],
                    f.ring.get(0).tier().id(), f.producer.framesSubmitted(), f.handoffs(), f.handoffs() / seconds,
                    (double) f.latency.quantileMicros(0.5), (double) f.latency.quantileMicros(0.99), f.skippedFrames(),
                    f.producer.acquireTimeouts(), f.producer.state());
            byTier.computeIfAbsent(f.ring.get(0).tier().id(), k -> new ArrayList<>()).add(f);
            handoffs += f.handoffs();
            skipped += f.skippedFrames();
            stalls += f.producer.acquireTimeouts();
        }
        table.print(out);
        out.println();
        for (Map.Entry<String, List<ProducerFeed>> e : byTier.entrySet()) {
            LatencyWindow merged = new LatencyWindow(512 * e.getValue().size());
            for (ProducerFeed f : e.getValue()) {
                f.latency.copyInto(merged);
            }
            out.printf(Locale.ROOT, "Handoff latency, %s (release -> compositor sees the frame ready): p50 %.0f us, p99 %.0f us over %d handoffs%n",
                    e.getKey(), merged.quantileMicros(0.5), merged.quantileMicros(0.99), merged.size());
        }
        long bad = 0;
        for (ProducerFeed f : session.feeds()) {
            bad += f.badPayloads();
        }
        out.printf("Handoffs %d, dropped frames %d, producer stalls (acquire timeouts) %d%n", handoffs, skipped, stalls);
        out.printf("Pixel checks on %d tiles: torn %d, stale %d, invalid %d, bad private data %d%s%n", checks.tiles, checks.torn,
                checks.stale, checks.invalid, bad, checks.failed() || bad > 0 ? "  <-- FAILED" : " (all frames intact)");
        if (checks.firstProblem != null) {
            out.println("First problem: " + checks.firstProblem);
        }
        out.println("Wrote " + writer.written() + " frames and " + options.out().resolve("contact-sheet.png"));
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
