package dev.baton.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baton.render.scene.FrameStamp;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The windowed demo under Xvfb, as a user sees it: the demo runs in its own JVM (GLFW reads DISPLAY
 * from the environment) on a private X server, saves a screenshot of its last frame, and the
 * screenshot must show the control panel and every producer's surface with an intact frame stamp,
 * after one producer was killed (its device lost while it owned a surface) and restarted mid-run.
 */
class WindowDemoTest {
    private static final int W = 512;
    private static final int H = 384;

    @Test
    @Timeout(300)
    void windowShowsEveryProducerAndThePanel(@TempDir Path dir) throws Exception {
        Process xvfb = startXvfb();
        try {
            Path shot = dir.resolve("window.png");
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.baton.app.Main", "demo", "--validate",
                    "--producers", "4", "--exit-after", "12", "--screenshot", shot.toString(),
                    // kill producer 1's device mid-run (in a window GL fences only signal when polled:
                    // the path that once crashed lavapipe), then restart it before the screenshot; frame counts
                    // small enough that a loaded 2-core machine (under 8 fps) still reaches both within 12 s
                    "--kill-at", "30", "--restart-at", "70", "--fault-producer", "1");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("DISPLAY", ":" + display);
            pb.environment().putIfAbsent("XCURSOR_THEME", "Adwaita");
            Path log = dir.resolve("demo.log");
            pb.redirectOutput(log.toFile());
            Process demo = pb.start();
            if (!demo.waitFor(200, TimeUnit.SECONDS)) {
                demo.destroyForcibly();
                fail("the windowed demo did not exit by itself:\n" + Files.readString(log));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(0, demo.exitValue(), output);
            assertTrue(Files.exists(shot), "no screenshot written:\n" + output);
            assertTrue(output.contains("ABANDONED") && output.contains("the restarted producer delivered"), output);
            assertTrue(output.contains("Validation: 0 messages"), output);

            BufferedImage image = ImageIO.read(shot.toFile());
            assertTrue(distinctColours(image, 0, 0, image.getWidth(), image.getHeight()) > 1000, "the window looks blank");
            // the control panel (left column) carries text: many light pixels on a dark background
            assertTrue(lightPixels(image, 10, 10, 400, 600) > 2000, "the control panel shows no text");
            // every producer's surface, found by its magenta stamp guard and decoded 1:1
            List<int[]> tiles = findTiles(image);
            assertEquals(4, tiles.size(), "expected 4 producer surfaces with intact stamps, found " + tiles.size() + ":\n" + output);
        } finally {
            xvfb.destroy();
            xvfb.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private int display;

    private Process startXvfb() throws Exception {
        boolean present = new File("/usr/bin/Xvfb").canExecute();
        if (!present) {
            String message = "Xvfb is not installed; install xvfb (./baton test does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.assumeTrue(false, message);
        }
        for (int n = 73; n < 99; n++) {
            if (new File("/tmp/.X" + n + "-lock").exists() || new File("/tmp/.X11-unix/X" + n).exists()) {
                continue;
            }
            Process p = new ProcessBuilder("Xvfb", ":" + n, "-screen", "0", "1600x1000x24", "-nolisten", "tcp")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline && p.isAlive()) {
                if (new File("/tmp/.X11-unix/X" + n).exists()) {
                    display = n;
                    return p;
                }
                Thread.sleep(50);
            }
            p.destroy();
        }
        fail("could not start Xvfb on any display from :73 to :98");
        return null;
    }

    /** Tiles whose top-left magenta guard starts at (x, y) and whose stamp decodes: {x, y, frame}. */
    private static List<int[]> findTiles(BufferedImage image) {
        ByteBuffer rgba = HeadlessDemoTest.rgba(image);
        List<int[]> found = new ArrayList<>();
        for (int y = 1; y + H <= image.getHeight(); y++) {
            for (int x = 1; x + W <= image.getWidth(); x++) {
                if (magenta(image.getRGB(x, y)) && !magenta(image.getRGB(x - 1, y)) && !magenta(image.getRGB(x, y - 1))) {
                    long frame = FrameStamp.decode(rgba, image.getWidth(), x, y, W, H);
                    if (frame >= 0) {
                        found.add(new int[] {x, y, (int) frame});
                    }
                }
            }
        }
        return found;
    }

    private static boolean magenta(int rgb) {
        return ((rgb >> 16) & 0xFF) > 160 && ((rgb >> 8) & 0xFF) < 96 && (rgb & 0xFF) > 160;
    }

    private static int distinctColours(BufferedImage image, int x0, int y0, int w, int h) {
        Set<Integer> colours = new HashSet<>();
        for (int y = y0; y < y0 + h; y += 2) {
            for (int x = x0; x < x0 + w; x += 2) {
                colours.add(image.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return colours.size();
    }

    private static int lightPixels(BufferedImage image, int x0, int y0, int w, int h) {
        int n = 0;
        for (int y = y0; y < y0 + h; y++) {
            for (int x = x0; x < x0 + w; x++) {
                int p = image.getRGB(x, y);
                if (((p >> 16) & 0xFF) > 180 && ((p >> 8) & 0xFF) > 180 && (p & 0xFF) > 180) {
                    n++;
                }
            }
        }
        return n;
    }
}
