package dev.baton.render.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared timeline across processes on a real driver: a producer process exports its image memory
 * and one timeline semaphore once (SURFACE_OFFER, sync choice 3, one sync fd), the broker (this JVM,
 * client-memory policy TRUSTED; it never maps the memory) relays both to a consumer process in
 * SURFACE_CREATED, and every handoff's receiver's GPU waits on that timeline for the fence value the
 * sender released with, then signals the value it releases with: no host wait for the other side, no
 * FENCE_REACHED. The consumer checks every pixel of every frame. Both children run under the
 * validation layer with synchronization validation: 0 messages.
 *
 * <p>The device is chosen by capability: it must export and import OPAQUE_FD image memory and OPAQUE_FD
 * timeline semaphores ({@code VkExternalSemaphoreProperties} for a timeline, as
 * {@link PhysicalDeviceInfo#timelineSemaphoreExport()} reports it), and both processes open the same
 * physical device (same driver and device UUIDs). No driver on a software-only machine exports
 * timelines (lavapipe and SwiftShader do not), so there the test reports skipped with that reason; it
 * runs wherever a driver does. Sized for 2 cores: two child JVMs, 10 frames.
 */
class SharedTimelineProcessesTest {
    static final int FRAMES = 10, WIDTH = 64, HEIGHT = 48;
    static int device = -1;
    /** Why no device takes part, when none does (the test reports skipped with it). */
    static String none;

    @TempDir
    Path tmp;

    /** Probes every device by capability; the test, not this, reports skipped, so that the skip and its reason are recorded per test. */
    @BeforeAll
    static void findADeviceThatSharesTimelines() {
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            for (PhysicalDeviceInfo d : vk.physicalDevices()) {
                if (!d.memoryExport() || !d.memoryImport() || !d.timelineSemaphoreExport() || !d.timelineSemaphoreImport()) {
                    continue;
                }
                try (DeviceContext dev = DeviceContext.builder(vk).physicalDeviceIndex(d.index()).name("probe").build()) {
                    if (dev.hasExtension("VK_KHR_external_semaphore_fd")) {
                        // The capability as reported is not enough (Vulkan-ValidationLayers #5947): one must be made and exported.
                        try (VulkanTimeline t = VulkanTimeline.create(dev, "probe/shared", 0, true)) {
                            Fds.closeQuietly(t.exportFd());
                        }
                        device = d.index();
                        break;
                    }
                } catch (RuntimeException e) {
                    // not a usable Baton device, or its timelines do not export after all
                }
            }
        } catch (RuntimeException e) {
            none = "skipped: no Vulkan here (" + e.getMessage() + ")";
            return;
        }
        if (device < 0) {
            none = "skipped: no Vulkan device here exports and imports timeline semaphores as OPAQUE_FD (VkExternalSemaphoreProperties"
                    + " for OPAQUE_FD timelines) together with OPAQUE_FD image memory; lavapipe and SwiftShader do not, hardware drivers do";
        }
    }

    @Test
    void aProducerProcessHandsFramesToAConsumerProcessWhoseGpuWaitsOnTheSharedTimeline() throws Exception {
        Assumptions.assumeTrue(device >= 0, none);
        List<String> log = new CopyOnWriteArrayList<>();
        Broker.Config config = IpcTestSupport.sharingConfig(log);
        config.clientMemory = Broker.ClientMemory.TRUSTED;
        try (Broker broker = Broker.start(IpcTestSupport.socketPath(tmp), config)) {
            GpuIpcChild.handFramesAcross(broker, device, FRAMES, WIDTH, HEIGHT, "timeline");
            assertEquals(0, broker.violations(), "one timeline fd, of a kind the broker takes: " + log);
            assertTrue(broker.isRunning(), "the broker relayed the memory and the timeline without importing either and runs on");
            System.out.println("shared timeline across processes: " + FRAMES + " frames of " + WIDTH + "x" + HEIGHT
                    + " handed over with the consumer's GPU waiting on the imported timeline, 0 bytes copied between the processes;"
                    + " broker log: " + log);
        }
    }
}
