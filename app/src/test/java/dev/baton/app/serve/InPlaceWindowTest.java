package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baton.app.demo.WindowShots;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zero-copy window path across processes, on the real drivers: {@code ./baton serve} in its window
 * under Xvfb (llvmpipe GL) and one {@code ./baton produce --validate} child on lavapipe (the same driver
 * and device UUIDs). The broker allocates the producer's surfaces as exportable device memory, the
 * producer imports and draws into it, the window imports the same memory into GL and samples it, the
 * keyed mutex handing each surface over (host bridge: FENCE_REACHED before GL reads; released after a GL
 * fence). Asserted: the producer took device memory and its validation layer (synchronization
 * validation on) reported 0 messages; the window uploaded 0 bytes and sampled frames in place, each
 * with its stamp rows read back from GL and checked; and the stamp decodes from the window's own pixels
 * in the screenshot (the frame crossed both processes into what the window shows).
 */
class InPlaceWindowTest {
    private static final int W = 256;
    private static final int H = 192;

    @BeforeAll
    static void needsLavapipeBesideLlvmpipe() {
        boolean found = false;
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            for (PhysicalDeviceInfo d : vk.physicalDevices()) {
                found |= d.memoryExport() && d.memoryImport() && d.cpuDriver() && d.name().contains("llvmpipe");
            }
        } catch (RuntimeException e) {
            Assumptions.assumeTrue(false, "skipped: no Vulkan here (" + e.getMessage() + ")");
        }
        Assumptions.assumeTrue(found, "skipped: no lavapipe device exporting and importing OPAQUE_FD memory (mesa-vulkan-drivers;"
                + " ./baton test installs it), so no Vulkan device shares llvmpipe GL's UUIDs");
    }

    private static String awaitLine(Path log, Process p, String text, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (output.contains(text)) {
                return output;
            }
            if (!p.isAlive()) {
                fail("exited before printing '" + text + "':\n" + output);
            }
            Thread.sleep(20);
        }
        fail("did not print '" + text + "' within " + seconds + " s:\n" + Files.readString(log));
        return null;
    }

    @Test
    @Timeout(200)
    void aLavapipeProducersFramesAreSampledInPlaceByTheWindow(@TempDir Path dir) throws Exception {
        Path sockets = Files.createDirectory(dir.resolve("sock"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path socket = sockets.resolve("s.sock");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (WindowShots.Xvfb xvfb = WindowShots.startXvfb()) {
            Path shot = dir.resolve("window.png");
            ProcessBuilder spb = new ProcessBuilder(java, "-cp", ProducerProcessesTest.classPath(), "dev.baton.app.Main", "serve",
                    "--socket", socket.toString(), "--exit-after", "25", "--screenshot", shot.toString()).redirectErrorStream(true);
            spb.environment().put("DISPLAY", ":" + xvfb.number());
            Path serveLog = dir.resolve("serve.log");
            spb.redirectOutput(serveLog.toFile());
            Process serve = spb.start();
            Process produce = null;
            try {
                awaitLine(serveLog, serve, "listening on", 60);
                String chosen = Files.readString(serveLog);
                assertTrue(chosen.contains("draw into device memory that the window samples in place"), chosen);
                ProcessBuilder ppb = new ProcessBuilder(java, "-cp", ProducerProcessesTest.classPath(), "dev.baton.app.Main", "produce",
                        "--connect", socket.toString(), "--device", "llvmpipe", "--size", W + "x" + H, "--fps", "15", "--validate")
                        .redirectErrorStream(true);
                Path produceLog = dir.resolve("produce.log");
                ppb.redirectOutput(produceLog.toFile());
                produce = ppb.start();
                if (!serve.waitFor(150, TimeUnit.SECONDS)) {
                    fail("serve did not exit by itself:\n" + Files.readString(serveLog));
                }
                if (!produce.waitFor(20, TimeUnit.SECONDS)) {
                    fail("the producer did not exit after its broker closed:\n" + Files.readString(produceLog));
                }
                String out = Files.readString(serveLog, StandardCharsets.UTF_8);
                String prod = Files.readString(produceLog, StandardCharsets.UTF_8);
                assertEquals(0, serve.exitValue(), out);
                assertTrue(prod.contains("in device memory the broker allocated, imported as device memory"), prod);
                assertTrue(prod.contains("Validation: 0 messages"), prod);
                assertTrue(out.contains("uploaded 0 producer frames to GL (0.0 MB"), out);
                Matcher sampled = Pattern.compile("sampled (\\d+) producer frames in place \\(device memory imported into GL: 0 bytes"
                        + " uploaded per frame").matcher(out);
                assertTrue(sampled.find(), out);
                long frames = Long.parseLong(sampled.group(1));
                assertTrue(frames >= 10, "only " + frames + " frames sampled in place:\n" + out + "\nthe producer:\n" + prod);
                Matcher checked = Pattern.compile("frames\\s+(\\d+)\\s+torn 0  stale 0  invalid 0  fence late \\d+  device memory, sampled in"
                        + " place \\((\\d+) checked in GL\\)").matcher(out);
                assertTrue(checked.find(), out);
                assertEquals(frames, Long.parseLong(checked.group(2)), "every frame sampled had its stamp rows checked:\n" + out);
                assertTrue(out.contains("Pixel checks: every handed-over frame intact"), out);

                BufferedImage image = ImageIO.read(shot.toFile());
                List<int[]> tiles = WindowShots.findTiles(image, W, H);
                assertEquals(1, tiles.size(), "expected the producer's tile with an intact stamp in the window's pixels:\n" + out);
                assertTrue(tiles.get(0)[2] > 10, "the tile shows frame " + tiles.get(0)[2] + ": it did not keep animating");
            } finally {
                if (produce != null) {
                    produce.destroyForcibly();
                }
                serve.destroyForcibly();
            }
        }
    }
}
