package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.ExternalBinarySemaphore;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.VulkanInstance;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binary semaphores across processes on a real driver: a producer process exports its image memory and
 * two binary semaphores once, the broker (this JVM, client-memory policy TRUSTED; it never maps the
 * memory) relays them to a consumer process, and every handoff recycles the same semaphores: the
 * consumer's GPU waits on "ready" with no host wait for the producer (no FENCE_REACHED is sent), and
 * the producer's GPU waits on "done" before drawing again. The consumer checks every pixel of every
 * frame. Both children run under the validation layer with synchronization validation: 0 messages.
 * The device is chosen by capability (exports and imports memory and binary semaphores as OPAQUE_FD:
 * SwiftShader here). Sized for 2 cores: two child JVMs, 10 frames.
 */
class BinarySemaphoreProcessesTest {
    static final int FRAMES = 10, WIDTH = 64, HEIGHT = 48;
    static int device = -1;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findADeviceThatSharesBinarySemaphores() {
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            for (PhysicalDeviceInfo d : vk.physicalDevices()) {
                if (!d.memoryExport() || !d.memoryImport() || !d.binarySemaphoreExport() || !d.binarySemaphoreImport()) {
                    continue;
                }
                try (DeviceContext dev = DeviceContext.builder(vk).physicalDeviceIndex(d.index()).name("probe").build()) {
                    if (ExternalBinarySemaphore.supported(dev)) {
                        device = d.index();
                        break;
                    }
                } catch (RuntimeException e) {
                    // not a usable Baton device
                }
            }
        } catch (RuntimeException e) {
            Assumptions.assumeTrue(false, "skipped: no Vulkan here (" + e.getMessage() + ")");
        }
        Assumptions.assumeTrue(device >= 0, "skipped: no Vulkan device here exports and imports both memory and binary semaphores"
                + " as OPAQUE_FD (SwiftShader, from chromium-common, does; ./baton test installs it)");
    }

    @Test
    void underTheSealedPolicyTheBrokerRefusesThisDriversOwnMemoryWhichIsNotSealedAgainstTruncation() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Broker.Config config = IpcTestSupport.sharingConfig(log);
        config.clientMemory = Broker.ClientMemory.SEALED;
        try (VulkanInstance vk = VulkanInstance.create(false);
             DeviceContext dev = DeviceContext.builder(vk).physicalDeviceIndex(device).name("exporter").build();
             SurfaceImage image = SurfaceImage.createExportable(dev, WIDTH, HEIGHT);
             Broker broker = Broker.start(IpcTestSupport.socketPath(tmp), config);
             BrokerClient c = BrokerClient.connect(broker.socketPath(), "exporter", 5 * SECOND)) {
            int fd = image.dupFd();
            try {
                int seals = Fds.seals(fd);
                boolean fixedSize = seals >= 0 && (seals & (LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW)) == (LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW);
                Assumptions.assumeFalse(fixedSize, "skipped: this driver seals its memory against truncation (seals " + seals
                        + "), so the SEALED policy relays it");
                BrokerClient.BrokerRefusal e = assertThrows(BrokerClient.BrokerRefusal.class, () -> c.offer(WIDTH, HEIGHT, image.vkFormat(),
                        image.vkUsage(), Protocol.MEMORY_DEVICE_OPAQUE_FD, Protocol.SYNC_HOST_BRIDGE, 0L, null, null, image, fd, 5 * SECOND));
                assertTrue(e.getMessage().contains("not sealed against shrinking"), e.getMessage());
            } finally {
                Fds.closeQuietly(fd);
            }
            assertEquals(0, broker.violations(), "a refusal, not a violation: the client stays");
            assertTrue(broker.isRunning());
        }
    }

    @Test
    void aProducerProcessHandsFramesToAConsumerProcessWhoseGpuWaitsOnTheImportedBinarySemaphore() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Broker.Config config = IpcTestSupport.sharingConfig(log);
        config.clientMemory = Broker.ClientMemory.TRUSTED;
        try (Broker broker = Broker.start(IpcTestSupport.socketPath(tmp), config)) {
            GpuIpcChild.handFramesAcross(broker, device, FRAMES, WIDTH, HEIGHT);
            assertTrue(broker.isRunning(), "the broker relayed the memory without mapping it and runs on");
            System.out.println("binary semaphores across processes: " + FRAMES + " frames of " + WIDTH + "x" + HEIGHT
                    + " handed over with the consumer's GPU waiting on the imported semaphore, 0 bytes copied between the processes;"
                    + " broker log: " + log);
        }
    }
}
