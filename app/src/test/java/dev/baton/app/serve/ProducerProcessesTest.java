package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Producer processes on real drivers: {@code produce} child JVMs draw on lavapipe into the broker's
 * sealed memfds (imported as host memory), the compositor in this JVM checks the frame stamp of every
 * frame handed over. One SIGKILL of a producer that owns a surface (ABANDONED within 100 ms, the other
 * producer goes on, fds back to their level, a restarted producer delivers under the validation layer),
 * and one SIGKILL of the broker's process (its producers exit non-zero within 2 s). Sized for 2 cores:
 * five child JVMs in all.
 */
class ProducerProcessesTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsAHostMemoryDevice() {
        boolean found = false;
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            for (PhysicalDeviceInfo d : vk.physicalDevices()) {
                found |= d.hostMemoryImport();
            }
        } catch (RuntimeException e) {
            Assumptions.assumeTrue(false, "skipped: no Vulkan here (" + e.getMessage() + ")");
        }
        Assumptions.assumeTrue(found, "skipped: no Vulkan device imports host memory for a linear RGBA8 image"
                + " (mesa-vulkan-drivers' lavapipe does; ./baton test installs it)");
    }

    static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    static int openFdCount() {
        String[] names = new File("/proc/self/fd").list();
        return names == null ? -1 : names.length;
    }

    static void awaitTrue(BooleanSupplier condition, long timeoutNanos, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(1);
        }
    }

    ProducerProcess produce(String socket, String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--connect", socket, "--size", "128x96", "--ring", "2"));
        args.addAll(List.of(extra));
        return ProducerProcess.start(classPath(), args, tmp.resolve(name + ".log"));
    }

    static String log(ProducerProcess p) {
        try {
            return Files.readString(p.log());
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    ServeCompositor.Feed awaitFeed(ServeCompositor c, ProducerProcess p, long frames) throws InterruptedException {
        awaitTrue(() -> c.feedOfPid(p.pid()) != null && c.feedOfPid(p.pid()).delivered() >= frames, 90 * SECOND,
                "pid " + p.pid() + " delivers " + frames + " frames; its log: " + log(p));
        return c.feedOfPid(p.pid());
    }

    @Test
    void killedProducerAbandonsWithinOneHundredMillisecondsWhileTheOtherGoesOnAndARestartedOneDelivers() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        Path socket = tmp.resolve("b").resolve("compositor.sock");
        try (ServeCompositor c = ServeCompositor.start(socket, 2 * SECOND, events::add);
             ProducerProcess a = produce(c.broker().socketPath(), "a", "--scene", "counter", "--fps", "30")) {
            ServeCompositor.Feed fa = awaitFeed(c, a, 5);
            // Java2D opens its font files once, for the first ABANDONED label: not the broker's fds.
            dev.baton.app.demo.AbandonedTile.mark(new byte[64 * 64 * 4], 64, 0, 0, 64, 64, "warm-up");
            int fdsBefore = openFdCount();
            ServeCompositor.Feed fb;
            long latency;
            try (ProducerProcess b = produce(c.broker().socketPath(), "b", "--scene", "plasma", "--fps", "4", "--hue", "1")) {
                fb = awaitFeed(c, b, 3);
                assertNotNull(c.composite(new int[2])); // b's tile gets its place
                awaitTrue(() -> c.ownedBy(b.pid()), 10 * SECOND, "b owns one of its surfaces");
                c.noteKill(b.pid());
                b.kill();
                awaitTrue(fb::abandoned, 5 * SECOND, "the compositor's waiter on b's surface wakes ABANDONED");
                latency = fb.abandonedLatencyNanos();
                assertNotEquals(Integer.valueOf(0), b.awaitExit(5000), "b was killed");
            }
            awaitTrue(fb::gone, 5 * SECOND, "the broker dropped b");
            assertNotNull(c.composite(new int[2]));
            assertTrue(fb.showsAbandoned() && c.tiles().contains(fb), "the killed producer's tile stays, marked ABANDONED"
                    + " (its pixels: DeadProducerTileTest)");
            System.out.printf("SIGKILL of a producer owning a surface -> compositor's waiter ABANDONED: %.1f ms"
                    + " (the broker had closed its connection after %.1f ms; most of it is the kernel tearing the JVM down before its socket reads EOF)%n",
                    latency / 1e6, fb.disconnectLatencyNanos() / 1e6);
            assertTrue(latency >= 0 && latency < TimeUnit.MILLISECONDS.toNanos(100), "ABANDONED within 100 ms, took " + latency / 1e6 + " ms");
            long aAtKill = fa.delivered();
            awaitTrue(() -> fa.delivered() >= aAtKill + 10, 30 * SECOND, "a keeps handing off after b died");
            awaitTrue(() -> openFdCount() == fdsBefore, 10 * SECOND, "the broker's fd count returns to " + fdsBefore
                    + " (now " + openFdCount() + ")");

            try (ProducerProcess b2 = produce(c.broker().socketPath(), "b2", "--scene", "mesh", "--fps", "30", "--frames", "15",
                    "--validate")) {
                Integer code = b2.awaitExit(TimeUnit.SECONDS.toMillis(120));
                String out = log(b2);
                assertEquals(Integer.valueOf(0), code, "the restarted producer exits 0 after its 15 frames: " + out);
                assertTrue(out.contains("produce: connected to"), out);
                assertTrue(out.contains("Validation: 0 messages"), "0 validation messages in the producer: " + out);
                ServeCompositor.Feed f2 = c.feedOfPid(b2.pid());
                assertNotNull(f2, "the restarted producer connected");
                awaitTrue(() -> f2.delivered() == 15, 5 * SECOND, "all 15 frames of the restarted producer checked");
                assertEquals("said BYE", f2.goneReason());
            }
            for (ServeCompositor.Feed f : c.feeds()) {
                assertEquals(0, f.failures(), f.name + ": torn " + f.torn() + ", stale " + f.stale() + ", invalid " + f.invalid());
                assertEquals(0, f.fenceLate(), f.name + ": every fence value was reported reached in time");
            }
            assertTrue(fa.delivered() > 20, "a handed over frames across processes with pixels checked: " + fa.delivered());
        }
    }

    @Test
    void producersExitNonZeroWithinTwoSecondsWhenTheBrokerProcessIsKilled() throws Exception {
        Path socket = tmp.resolve("s").resolve("compositor.sock");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classPath(), "dev.baton.app.Main", "serve", "--headless",
                "--socket", socket.toString(), "--frames", "1000000", "--out", tmp.resolve("out").toString()));
        Process serve = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolve("serve.log").toFile()).start();
        awaitTrue(() -> readQuietly(tmp.resolve("serve.log")).contains("serve: listening on") || !serve.isAlive(), 60 * SECOND,
                "the broker listens");
        assertTrue(serve.isAlive(), "serve runs: " + readQuietly(tmp.resolve("serve.log")));
        try (ProducerProcess p = produce(socket.toString(), "p", "--scene", "particles", "--fps", "20")) {
            awaitTrue(() -> log(p).contains("produce: connected to") || !p.isAlive(), 60 * SECOND, "p connects");
            assertTrue(p.isAlive(), "p runs: " + log(p));
            Thread.sleep(500); // frames flow; p waits in acquire or paces while owning
            long t0 = System.nanoTime();
            serve.destroyForcibly();
            Integer code = p.awaitExit(2000);
            long took = System.nanoTime() - t0;
            System.out.printf("SIGKILL of the broker's process -> producer exited after %.0f ms (code %s)%n", took / 1e6, code);
            assertNotNull(code, "the producer exits within 2 s of its broker's death: " + log(p));
            assertNotEquals(0, code.intValue(), "non-zero");
            assertTrue(log(p).contains("the broker"), "a clear error naming the broker: " + log(p));
        } finally {
            serve.destroyForcibly();
            serve.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
