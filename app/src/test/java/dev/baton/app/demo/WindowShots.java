package dev.baton.app.demo;

import static org.junit.jupiter.api.Assertions.fail;

import dev.baton.render.scene.FrameStamp;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What the window tests share: a private Xvfb server (skipped with its reason where Xvfb is not
 * installed, a failure on CI) and the checks of a window's screenshot (stamped tiles found and decoded
 * 1:1, text, colours).
 */
public final class WindowShots {
    private WindowShots() {}

    /** A running Xvfb on display {@code :number}. */
    public record Xvfb(Process process, int number) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts Xvfb (1600x1000x24) on the first free display from :73 to :98. */
    public static Xvfb startXvfb() throws Exception {
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
                    return new Xvfb(p, n);
                }
                Thread.sleep(50);
            }
            p.destroy();
        }
        fail("could not start Xvfb on any display from :73 to :98");
        return null;
    }

    /** Tiles of {@code w x h} whose top-left magenta guard starts at (x, y) and whose stamp decodes: {x, y, frame}. */
    public static List<int[]> findTiles(BufferedImage image, int w, int h) {
        ByteBuffer rgba = HeadlessDemoTest.rgba(image);
        List<int[]> found = new ArrayList<>();
        for (int y = 1; y + h <= image.getHeight(); y++) {
            for (int x = 1; x + w <= image.getWidth(); x++) {
                if (magenta(image.getRGB(x, y)) && !magenta(image.getRGB(x - 1, y)) && !magenta(image.getRGB(x, y - 1))) {
                    long frame = FrameStamp.decode(rgba, image.getWidth(), x, y, w, h);
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

    /** Distinct colours on every second pixel of every second row of the rectangle. */
    public static int distinctColours(BufferedImage image, int x0, int y0, int w, int h) {
        Set<Integer> colours = new HashSet<>();
        for (int y = y0; y < y0 + h; y += 2) {
            for (int x = x0; x < x0 + w; x += 2) {
                colours.add(image.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return colours.size();
    }

    /** Pixels of the rectangle whose red, green and blue are all above 180 (text on the dark theme). */
    public static int lightPixels(BufferedImage image, int x0, int y0, int w, int h) {
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
