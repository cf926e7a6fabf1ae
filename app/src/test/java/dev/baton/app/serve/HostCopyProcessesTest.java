package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.MemfdSurface;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The copy tier across processes on real drivers: a {@code produce} child JVM on a device that cannot
 * import host memory (chosen by capability: {@link MemfdSurface#importsHostMemory} is false; SwiftShader
 * here) draws into its own image, copies it on its GPU into its own host-visible buffer and after its
 * fence with its CPU into the broker's sealed memfd; the compositor in this JVM checks every frame's
 * stamp. Beside it, where one exists, a producer whose device imports the memfd (lavapipe) hands over
 * to the same broker at the same time. Both run under the validation layer with synchronization
 * validation and must report 0 messages. Sized for 2 cores: two child JVMs, 12 frames each.
 */
class HostCopyProcessesTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    static final int WIDTH = 128, HEIGHT = 96, FRAMES = 12;

    /** Index of a device that must host-copy, and of one that imports host memory (-1: none here). */
    static int copier = -1, importer = -1;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findDevicesByCapability() {
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            for (PhysicalDeviceInfo d : vk.physicalDevices()) {
                boolean imports;
                try (DeviceContext dev = DeviceContext.builder(vk).physicalDeviceIndex(d.index()).name("probe-" + d.index()).build()) {
                    imports = MemfdSurface.importsHostMemory(dev, WIDTH, HEIGHT);
                } catch (RuntimeException e) {
                    continue; // not a usable Baton device
                }
                if (imports && importer < 0) {
                    importer = d.index();
                } else if (!imports && copier < 0) {
                    copier = d.index();
                }
            }
        } catch (RuntimeException e) {
            Assumptions.assumeTrue(false, "skipped: no Vulkan here (" + e.getMessage() + ")");
        }
        Assumptions.assumeTrue(copier >= 0, "skipped: every Vulkan device here imports host memory, so none takes the copy tier"
                + " (SwiftShader, from chromium-common, cannot; ./baton test installs it)");
    }

    ProducerProcess produce(String socket, String name, int device, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--connect", socket, "--size", WIDTH + "x" + HEIGHT, "--ring", "2",
                "--device", String.valueOf(device), "--frames", String.valueOf(FRAMES), "--fps", "20", "--validate"));
        args.addAll(List.of(extra));
        return ProducerProcess.start(ProducerProcessesTest.classPath(), args, tmp.resolve(name + ".log"));
    }

    static String log(ProducerProcess p) {
        try {
            return Files.readString(p.log());
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The "N bytes copied by the CPU" figure of a producer's summary line. */
    static long cpuCopiedBytes(String log) {
        Matcher m = Pattern.compile("(\\d+) frames handed over.*, (\\d+) bytes copied by the CPU").matcher(log);
        assertTrue(m.find(), "the summary line reports the bytes copied: " + log);
        assertEquals(FRAMES, Long.parseLong(m.group(1)), log);
        return Long.parseLong(m.group(2));
    }

    @Test
    void aProducerThatCannotImportHostMemoryCopiesEveryFrameIntoTheBrokersMemfdBesideOneThatImportsIt() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        Path socket = tmp.resolve("b").resolve("compositor.sock");
        long frameBytes = (long) WIDTH * HEIGHT * 4;
        try (ServeCompositor c = ServeCompositor.start(socket, 5 * SECOND, events::add);
             ProducerProcess copy = produce(c.broker().socketPath(), "copy", copier, "--scene", "counter");
             ProducerProcess direct = importer < 0 ? null : produce(c.broker().socketPath(), "direct", importer, "--scene", "plasma",
                     "--hue", "1")) {
            List<ProducerProcess> all = direct == null ? List.of(copy) : List.of(copy, direct);
            for (ProducerProcess p : all) {
                Integer code = p.awaitExit(TimeUnit.SECONDS.toMillis(120));
                String out = log(p);
                assertEquals(Integer.valueOf(0), code, "the producer exits 0 after its " + FRAMES + " frames: " + out);
                assertTrue(out.contains("Validation: 0 messages"), "0 validation messages (synchronization validation on): " + out);
                ServeCompositor.Feed f = c.feedOfPid(p.pid());
                assertNotNull(f, "it connected: " + out);
                ProducerProcessesTest.awaitTrue(() -> f.delivered() == FRAMES, 10 * SECOND,
                        "all " + FRAMES + " frames of " + f.name + " checked (now " + f.delivered() + ")");
                assertEquals(0, f.failures(), f.name + ": torn " + f.torn() + ", stale " + f.stale() + ", invalid " + f.invalid());
                assertEquals(0, f.fenceLate(), f.name + ": every fence value was reported reached in time");
                assertEquals(FRAMES - 1, f.lastFrame(), "the last frame number crossed with the pixels");
            }
            String copyLog = log(copy);
            assertTrue(copyLog.contains("cannot import as host memory"), "the copier says how its frames travel: " + copyLog);
            assertEquals(FRAMES * frameBytes, cpuCopiedBytes(copyLog), "width*height*4 bytes copied by the CPU per frame");
            assertEquals(frameBytes, c.feedOfPid(copy.pid()).producerCopiedBytesPerFrame(), "the broker knows it is a host copy");
            System.out.printf("copy tier across processes: %d frames of %dx%d, %d bytes copied by the producer's CPU per handoff%s%n",
                    FRAMES, WIDTH, HEIGHT, frameBytes, direct == null ? "" : "; beside it an importing producer copied "
                    + cpuCopiedBytes(log(direct)) + " bytes");
            if (direct != null) {
                assertEquals(0, cpuCopiedBytes(log(direct)), "a device that imports the memfd copies nothing with its CPU");
                assertEquals(0, c.feedOfPid(direct.pid()).producerCopiedBytesPerFrame());
            }
        }
    }
}
