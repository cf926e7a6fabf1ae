package dev.baton.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
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
        try (WindowShots.Xvfb xvfb = WindowShots.startXvfb()) {
            Path shot = dir.resolve("window.png");
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.baton.app.Main", "demo", "--validate",
                    "--producers", "4", "--exit-after", "12", "--screenshot", shot.toString(),
                    // kill producer 1's device mid-run (in a window GL fences only signal when polled:
                    // the path that once crashed lavapipe), then restart it before the screenshot; frame counts
                    // small enough that a loaded 2-core machine (under 8 fps) still reaches both within 12 s
                    "--kill-at", "30", "--restart-at", "70", "--fault-producer", "1");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("DISPLAY", ":" + xvfb.number());
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
            assertTrue(WindowShots.distinctColours(image, 0, 0, image.getWidth(), image.getHeight()) > 1000, "the window looks blank");
            // the control panel (left column) carries text: many light pixels on a dark background
            assertTrue(WindowShots.lightPixels(image, 10, 10, 400, 600) > 2000, "the control panel shows no text");
            // every producer's surface, found by its magenta stamp guard and decoded 1:1
            List<int[]> tiles = WindowShots.findTiles(image, W, H);
            assertEquals(4, tiles.size(), "expected 4 producer surfaces with intact stamps, found " + tiles.size() + ":\n" + output);
        }
    }
}
