package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baton.app.demo.WindowShots;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./baton demo --processes 2} in its window under Xvfb, as a user sees it: two {@code produce}
 * child JVMs hand frames to the demo's broker, the window shows them (on lavapipe beside llvmpipe GL it
 * samples their broker-allocated device memory in place, holding one surface per producer). Once both deliver,
 * producer 0 is stopped (SIGSTOP, while it holds a surface) and the window must still count its frames
 * up to 60, where child 1 gets SIGKILL; then producer 0 goes on (SIGCONT). The screenshot of the last frame must show the panel, the live producer's
 * tile with an intact frame stamp decoded 1:1 from the window's pixels (and a frame number showing it
 * kept animating), and the killed one's tile saying ABANDONED in red; the run exits 0 (every frame
 * handed over passed its pixel checks) after stopping its children. Sized for 2 cores: small surfaces
 * at 15 fps, three JVMs.
 */
class ProcessWindowTest {
    private static final int W = 256;
    private static final int H = 192;

    /** Waits (at most 90 s, while the demo runs) for a line of its output containing {@code text}; {@return the output so far} */
    private static String awaitLine(Path log, Process demo, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (output.contains(text)) {
                return output;
            }
            if (!demo.isAlive()) {
                fail("the demo exited before printing '" + text + "':\n" + output);
            }
            Thread.sleep(20);
        }
        fail("the demo did not print '" + text + "' within 90 s (a window stalled by a stopped producer?):\n" + Files.readString(log));
        return null;
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " " + pid + " failed");
    }

    @BeforeAll
    static void needsAHostMemoryDevice() {
        ProducerProcessesTest.needsAHostMemoryDevice();
    }

    @Test
    @Timeout(240)
    void theWindowShowsTheLiveProcessAndTheKilledOneAbandoned(@TempDir Path dir) throws Exception {
        try (WindowShots.Xvfb xvfb = WindowShots.startXvfb()) {
            Path shot = dir.resolve("window.png");
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", ProducerProcessesTest.classPath(), "dev.baton.app.Main", "demo", "--processes", "2",
                    "--size", W + "x" + H, "--fps", "15", "--out", dir.resolve("out").toString(),
                    // frame counts from when both producers delivered: a loaded 2-core machine (under 10 window fps)
                    // still reaches the kill well before the exit
                    "--kill-at", "60", "--fault-producer", "1", "--exit-after", "12", "--screenshot", shot.toString());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("DISPLAY", ":" + xvfb.number());
            pb.environment().putIfAbsent("XCURSOR_THEME", "Adwaita");
            Path log = dir.resolve("demo.log");
            pb.redirectOutput(log.toFile());
            Process demo = pb.start();
            // No stall: once both deliver, stop producer 0 (SIGSTOP: it holds a surface and never releases it) and
            // require the window to reach frame 60, where it kills producer 1, while producer 0 is still stopped.
            long stopped = -1;
            try {
                String counting = awaitLine(log, demo, "producers delivered; window frames");
                Matcher plasma = Pattern.compile("plasma-\\d+ \\(pid (\\d+)\\) connected").matcher(Files.readString(log));
                assertTrue(plasma.find(), "producer 0 (plasma) never connected:\n" + counting);
                stopped = Long.parseLong(plasma.group(1));
                signal("STOP", stopped);
                awaitLine(log, demo, "SIGKILL to producer 1");
            } finally {
                if (stopped > 0) {
                    signal("CONT", stopped);
                }
            }
            if (!demo.waitFor(180, TimeUnit.SECONDS)) {
                demo.destroyForcibly();
                fail("the windowed process demo did not exit by itself:\n" + Files.readString(log));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(0, demo.exitValue(), output);
            assertTrue(Files.exists(shot), "no screenshot written:\n" + output);
            Matcher kill = Pattern.compile("SIGKILL to producer 1 \\(pid (\\d+)\\)").matcher(output);
            assertTrue(kill.find(), "no SIGKILL at window frame 60:\n" + output);
            String victim = kill.group(1);
            assertTrue(Pattern.compile("pid " + victim + "\\s+ABANDONED").matcher(output).find(),
                    "the killed producer is not ABANDONED in the summary:\n" + output);
            assertTrue(output.contains("Pixel checks: every handed-over frame intact"), output);
            assertTrue(output.contains("Window: 2 producer processes"), output);

            BufferedImage image = ImageIO.read(shot.toFile());
            assertTrue(WindowShots.distinctColours(image, 0, 0, image.getWidth(), image.getHeight()) > 1000, "the window looks blank");
            assertTrue(WindowShots.lightPixels(image, 10, 10, 400, 600) > 2000, "the control panel shows no text");
            List<int[]> tiles = WindowShots.findTiles(image, W, H);
            assertEquals(1, tiles.size(), "expected the live producer's tile (and only it) with an intact stamp, found " + tiles.size()
                    + ":\n" + output);
            int[] live = tiles.get(0);
            assertTrue(live[2] > 30, "the live producer's tile shows frame " + live[2] + ": it did not keep animating");
            // the killed producer's tile and its panel entry say ABANDONED in red (ImGui text 255, 89, 89)
            int red = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    boolean inLive = x >= live[0] && x < live[0] + W && y >= live[1] && y < live[1] + H;
                    int p = image.getRGB(x, y);
                    int r = (p >> 16) & 0xFF, g = (p >> 8) & 0xFF, b = p & 0xFF;
                    if (!inLive && r > 200 && g > 50 && g < 130 && b > 50 && b < 130) {
                        red++;
                    }
                }
            }
            assertTrue(red > 100, "no red ABANDONED text in the window (" + red + " red pixels)");
        }
    }
}
