package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binary semaphores across processes through the real tools: {@code serve --trust-clients}'s compositor
 * and a {@code produce} child JVM on a device that exports its image memory and binary semaphores
 * (chosen by capability; SwiftShader here). The producer offers its own image and two semaphores once
 * (the Lease API: {@code BrokerSurfaces.offerWithBinarySemaphores}); the compositor imports them on a
 * device of its own on the same physical device, and each frame its GPU waits for the producer's on
 * "ready", copies, signals "done"; no FENCE_REACHED. Every frame's stamp is checked, the producer runs
 * under the validation layer with synchronization validation (0 messages). On a device that exports
 * timeline semaphores (hardware; skipped here, with the reason) the producer takes one shared timeline
 * instead, and the compositor's GPU waits on it for the producer's value and signals the next. Without
 * {@code --trust-clients} the broker's WELCOME does not offer it, so the same producer keeps to the
 * broker's sealed memfd. Sized for 2 cores: one child JVM at a time, 12 frames.
 */
class TrustedClientsProcessesTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    static final int WIDTH = 128, HEIGHT = 96, FRAMES = 12;
    /** A device that exports image memory and binary semaphores, and one that also exports timelines (-1: none here). */
    static int exporter = -1, timelineExporter = -1;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findDevicesByCapability() {
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            for (PhysicalDeviceInfo d : vk.physicalDevices()) {
                boolean memory = d.memoryExport() && d.memoryImport();
                if (memory && d.timelineSemaphoreExport() && d.timelineSemaphoreImport() && d.binarySemaphoreImport() && timelineExporter < 0) {
                    timelineExporter = d.index();
                } else if (memory && d.binarySemaphoreExport() && d.binarySemaphoreImport() && exporter < 0) {
                    exporter = d.index();
                }
            }
        } catch (RuntimeException e) {
            Assumptions.assumeTrue(false, "skipped: no Vulkan here (" + e.getMessage() + ")");
        }
    }

    private ProducerProcess produce(String socket, String name, int device) throws IOException {
        return ProducerProcess.start(ProducerProcessesTest.classPath(), List.of("--connect", socket, "--size", WIDTH + "x" + HEIGHT,
                "--ring", "2", "--device", String.valueOf(device), "--frames", String.valueOf(FRAMES), "--fps", "20", "--validate",
                "--scene", "counter"), tmp.resolve(name + ".log"));
    }

    @Test
    void aTrustedProducersOwnMemoryIsReadOnTheCompositorsGpuAfterWaitingOnBinarySemaphores() throws Exception {
        Assumptions.assumeTrue(exporter >= 0, "skipped: no Vulkan device here exports OPAQUE_FD image memory and binary semaphores"
                + " without timelines (SwiftShader, from chromium-common, does; ./baton test installs it)");
        handOver(exporter, "binary semaphores");
    }

    @Test
    void onADeviceThatExportsTimelinesTheTrustedProducerHandsOverOnOneSharedTimeline() throws Exception {
        Assumptions.assumeTrue(timelineExporter >= 0, "skipped: no Vulkan device here exports OPAQUE_FD timeline semaphores"
                + " (VkExternalSemaphoreProperties; hardware drivers do, lavapipe and SwiftShader do not)");
        handOver(timelineExporter, "shared timeline");
    }

    /** One trusted producer child on {@code device}, {@code FRAMES} frames checked at the compositor, which names {@code sync}. */
    private void handOver(int device, String sync) throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        Path socket = tmp.resolve("b").resolve("compositor.sock");
        try (ServeCompositor c = ServeCompositor.start(socket, 5 * SECOND, events::add, null, true);
             ProducerProcess p = produce(c.broker().socketPath(), "trusted", device)) {
            Integer code = p.awaitExit(TimeUnit.SECONDS.toMillis(120));
            String out = Files.readString(p.log());
            assertEquals(Integer.valueOf(0), code, "the producer exits 0 after its " + FRAMES + " frames: " + out);
            assertTrue(out.contains("Validation: 0 messages"), "0 validation messages (synchronization validation on): " + out);
            assertTrue(out.contains(sync), "the producer says how its frames travel: " + out);
            assertTrue(out.contains(", 0 bytes copied by the CPU"), "nothing copied by the producer's CPU: " + out);
            ServeCompositor.Feed f = c.feedOfPid(p.pid());
            assertNotNull(f, "it connected: " + out);
            ProducerProcessesTest.awaitTrue(() -> f.delivered() == FRAMES, 10 * SECOND,
                    "all " + FRAMES + " frames checked (now " + f.delivered() + ")");
            assertEquals(0, f.failures(), "torn " + f.torn() + ", stale " + f.stale() + ", invalid " + f.invalid() + "; " + events);
            assertEquals(0, f.fenceLate(), "every copy completed in time: " + events);
            assertEquals(FRAMES - 1, f.lastFrame(), "the last frame number crossed with the pixels");
            assertTrue(f.memory().contains(sync), f.memory());
            System.out.println(sync + " across processes (serve --trust-clients): " + FRAMES + " frames of " + WIDTH + "x"
                    + HEIGHT + " intact; " + f.memory());
        }
    }

    @Test
    void withoutTrustTheBrokerDoesNotOfferToImportAClientsMemory() throws Exception {
        Path socket = tmp.resolve("u").resolve("compositor.sock");
        try (ServeCompositor c = ServeCompositor.start(socket, 5 * SECOND, line -> { });
             BrokerClient client = BrokerClient.connect(c.broker().socketPath(), "probe", 0, new byte[16], new byte[16], 5 * SECOND)) {
            assertEquals(0, client.brokerCapabilities() & Protocol.CAP_BROKER_IMPORTS_CLIENT_MEMORY);
        }
        // And a trusting one does only for a device it has.
        try (ServeCompositor c = ServeCompositor.start(tmp.resolve("t").resolve("compositor.sock"), 5 * SECOND, line -> { }, null, true);
             BrokerClient client = BrokerClient.connect(c.broker().socketPath(), "probe", 0, new byte[16], new byte[16], 5 * SECOND)) {
            assertEquals(0, client.brokerCapabilities() & Protocol.CAP_BROKER_IMPORTS_CLIENT_MEMORY, "no device has all-zero UUIDs");
        }
        assertEquals(Broker.ClientMemory.REFUSE, new Broker.Config().clientMemory, "the default stays REFUSE");
    }
}
