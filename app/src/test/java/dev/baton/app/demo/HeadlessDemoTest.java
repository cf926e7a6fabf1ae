package dev.baton.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.scene.FrameStamp;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The headless demo end to end on the real drivers (lavapipe producers, llvmpipe compositor). The
 * demo checks every composited tile itself; this test checks the PNGs it wrote a second time,
 * independently: each tile's frame stamp must decode to the frame number printed in its title.
 */
class HeadlessDemoTest {
    private static final int W = 256;
    private static final int H = 192;
    private static final int TITLE = 22;

    @Test
    @Timeout(240)
    void everyCompositedFrameShowsTheFrameItsProducerStamped(@TempDir Path out) throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int frames = 40;
        int exit = DemoCommand.run(new String[] {"--headless", "--validate", "--producers", "3", "--size", W + "x" + H, "--frames", "" + frames,
                "--out", out.toString(), "--fps", "30"}, new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String text = stdout.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, () -> text + stderr.toString(StandardCharsets.UTF_8));
        assertTrue(text.contains("torn 0, stale 0, invalid 0, bad private data 0"), text);
        assertTrue(text.contains("Validation: 0 messages"), text);
        assertTrue(Files.exists(out.resolve("contact-sheet.png")), "no contact sheet");
        long pngs;
        try (Stream<Path> files = Files.list(out)) {
            pngs = files.filter(p -> p.getFileName().toString().startsWith("frame-")).count();
        }
        assertEquals(frames, pngs);

        // Independent check of what a user sees: 3 producers in a 2x2 grid with a title bar per row.
        // Every tile's stamp decodes, and per producer the frames never go backwards and do advance.
        long[] first = {-1, -1, -1};
        long[] previous = {-1, -1, -1};
        int tilesChecked = 0;
        for (int i = 0; i < frames; i++) {
            BufferedImage image = ImageIO.read(out.resolve(String.format("frame-%04d.png", i)).toFile());
            assertEquals(2 * W, image.getWidth());
            assertEquals(2 * (H + TITLE), image.getHeight());
            ByteBuffer rgba = rgba(image);
            for (int t = 0; t < 3; t++) {
                int x = (t % 2) * W;
                int y = (t / 2) * (H + TITLE) + TITLE;
                long decoded = FrameStamp.decode(rgba, image.getWidth(), x, y, W, H);
                if (previous[t] < 0 && decoded == FrameStamp.INVALID) {
                    continue;   // composites before a producer's first frame show a placeholder
                }
                assertTrue(decoded >= 0, "frame " + i + " tile " + t + ": stamp " + decoded);
                assertTrue(decoded >= previous[t], "frame " + i + " tile " + t + " went back from " + previous[t] + " to " + decoded);
                if (first[t] < 0) {
                    first[t] = decoded;
                }
                previous[t] = decoded;
                tilesChecked++;
            }
        }
        assertTrue(tilesChecked >= 3 * (frames - 3), "checked only " + tilesChecked + " tiles");
        for (int t = 0; t < 3; t++) {
            assertTrue(previous[t] > first[t], "producer tile " + t + " never advanced past frame " + first[t]);
        }
    }

    @Test
    @Timeout(240)
    void producersOnAnotherDriverReachTheCompositorThroughHostCopy(@TempDir Path out) {
        // SwiftShader and llvmpipe have different UUIDs: no shared memory, so every frame is copied
        // through host memory, and must still arrive intact.
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        int exit = DemoCommand.run(new String[] {"--headless", "--validate", "--device", "SwiftShader", "--producers", "2", "--size", W + "x" + H,
                "--frames", "20", "--out", out.toString()}, print, print);
        String text = stdout.toString(StandardCharsets.UTF_8);
        if (text.contains("no Vulkan device fits") && !"true".equalsIgnoreCase(System.getenv("CI"))) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "SwiftShader is not installed (chromium-common; ./baton test adds it)");
        }
        assertEquals(0, exit, text);
        assertTrue(text.contains("tier host-copy"), text);
        assertTrue(text.contains("Validation: 0 messages"), text);
        assertTrue(text.contains("torn 0, stale 0, invalid 0, bad private data 0"), text);
    }

    static ByteBuffer rgba(BufferedImage image) {
        ByteBuffer rgba = ByteBuffer.allocate(image.getWidth() * image.getHeight() * 4);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int o = (y * image.getWidth() + x) * 4;
                rgba.put(o, (byte) (p >> 16)).put(o + 1, (byte) (p >> 8)).put(o + 2, (byte) p).put(o + 3, (byte) 255);
            }
        }
        return rgba;
    }
}
