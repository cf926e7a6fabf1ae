package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.DeviceMemorySurface;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.VulkanInstance;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broker-allocated device memory (memory choice 2 without a client fd) on lavapipe: WELCOME offers it
 * only to a client that says it imports OPAQUE_FD memory and names the broker device's UUIDs; the fd it
 * gets is sealed against shrinking and growing (a client's ftruncate fails), describes an image whose
 * memory requirements the client's own device reproduces (the import succeeds), and a client of another
 * driver asking anyway is answered ERROR and stays connected. The pixels crossing this memory into the
 * window's GL are checked by the app's {@code InPlaceWindowTest}.
 */
class DeviceMemoryAllocatorTest {
    @TempDir
    Path tmp;
    final List<String> log = new CopyOnWriteArrayList<>();
    VulkanInstance vulkan;
    DeviceContext brokerDevice;
    DeviceContext clientDevice;
    Broker broker;

    @BeforeEach
    void start() {
        try {
            vulkan = VulkanInstance.create(false);
        } catch (RuntimeException e) {
            Assumptions.assumeTrue(false, "skipped: no Vulkan here (" + e.getMessage() + ")");
        }
        PhysicalDeviceInfo lavapipe = null;
        for (PhysicalDeviceInfo d : vulkan.physicalDevices()) {
            if (lavapipe == null && d.memoryExport() && d.memoryImport() && d.name().contains("llvmpipe")) {
                lavapipe = d;
            }
        }
        Assumptions.assumeTrue(lavapipe != null, "skipped: no lavapipe device exporting and importing OPAQUE_FD image memory"
                + " (mesa-vulkan-drivers; ./baton test installs it)");
        brokerDevice = DeviceContext.builder(vulkan).name("broker").physicalDeviceIndex(lavapipe.index()).build();
        clientDevice = DeviceContext.builder(vulkan).name("client").physicalDeviceIndex(lavapipe.index()).build();
        Broker.Config config = IpcTestSupport.sharingConfig(log);
        config.allocator = new DeviceMemoryAllocator(brokerDevice, SurfaceAllocator.hostMemfd());
        broker = Broker.start(IpcTestSupport.socketPath(tmp), config);
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
        if (clientDevice != null) {
            clientDevice.close();
        }
        if (brokerDevice != null) {
            brokerDevice.close();
        }
        if (vulkan != null) {
            vulkan.close();
        }
    }

    @Test
    void aClientOfTheBrokersDriverGetsSealedDeviceMemoryItCanImport() {
        byte[] driver = clientDevice.info().driverUuid(), device = clientDevice.info().deviceUuid();
        try (BrokerClient c = BrokerClient.connect(broker.socketPath(), "same-driver", CAP_CLIENT_IMPORTS_DEVICE_MEMORY, driver, device,
                5 * SECOND)) {
            assertEquals(CAP_BROKER_DEVICE_MEMORY, c.brokerCapabilities() & CAP_BROKER_DEVICE_MEMORY, "WELCOME offers device memory");
            BrokerClient.Surface s = c.offer(256, 192, SurfaceImage.FORMAT, SurfaceImage.USAGE, MEMORY_DEVICE_OPAQUE_FD, SYNC_HOST_BRIDGE,
                    0L, null, null, 5 * SECOND);
            assertEquals(MEMORY_DEVICE_OPAQUE_FD, s.memoryChoice);
            assertEquals(1, s.memoryFdCount());
            assertEquals(0, s.tiling, "an optimal image");
            assertArrayEquals(driver, s.exportedImageMemory().driverUuid());
            assertArrayEquals(device, s.exportedImageMemory().deviceUuid());
            int seals = Fds.seals(s.memoryFd(0));
            assertEquals(LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW, seals & (LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW), "seals " + seals);
            assertTrue(LibC.ftruncate(s.memoryFd(0), 0) < 0, "a client could truncate the broker's device memory");
            assertTrue(LibC.ftruncate(s.memoryFd(0), s.allocationBytes * 2) < 0, "a client could grow the broker's device memory");
            try (DeviceMemorySurface imported = DeviceMemorySurface.importFrom(clientDevice, s.exportedImageMemory())) {
                assertNotEquals(0L, imported.imageView());
            }
        }
    }

    @Test
    void otherClientsGetNoDeviceMemoryAndStayConnected() {
        byte[] other = new byte[16];
        other[0] = 42;
        try (BrokerClient c = BrokerClient.connect(broker.socketPath(), "other-driver", CAP_CLIENT_IMPORTS_DEVICE_MEMORY, other, other,
                5 * SECOND)) {
            assertEquals(0, c.brokerCapabilities() & CAP_BROKER_DEVICE_MEMORY, "WELCOME offered device memory to another driver");
            BrokerClient.BrokerRefusal refusal = assertThrows(BrokerClient.BrokerRefusal.class, () -> c.offer(64, 64, SurfaceImage.FORMAT,
                    SurfaceImage.USAGE, MEMORY_DEVICE_OPAQUE_FD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND));
            assertTrue(refusal.getMessage().contains("device memory is allocated only for a client of the broker's driver and device"),
                    refusal.getMessage());
            BrokerClient.Surface s = c.offer(64, 64, SurfaceImage.FORMAT, SurfaceImage.USAGE, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L,
                    null, null, 5 * SECOND);
            assertEquals(MEMORY_HOST_MEMFD, s.memoryChoice, "still connected, on the host memfd");
        }
        // The capability bit is the client's to set: the same UUIDs without it get no offer.
        try (BrokerClient c = BrokerClient.connect(broker.socketPath(), "no-import", 0, clientDevice.info().driverUuid(),
                clientDevice.info().deviceUuid(), 5 * SECOND)) {
            assertEquals(0, c.brokerCapabilities() & CAP_BROKER_DEVICE_MEMORY);
        }
    }
}
