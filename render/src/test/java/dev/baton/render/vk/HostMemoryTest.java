package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.HandoffSync;
import dev.baton.render.MemorySharing;
import dev.baton.render.SyncTier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.lwjgl.system.linux.FCNTL;

/**
 * Host memory shared by drivers: participant 0 creates a sealed memfd, every participant imports its
 * own mapping of the same pages as a linear image (VK_EXT_external_memory_host), each device keeps its
 * own timeline and the host bridge forwards fence values. Pixels are checked on both sides under the
 * validation layer, with 0 bytes copied.
 *
 * <p>Between different drivers this needs both to report the import for a linear RGBA8 image with
 * Baton's usage. Here lavapipe does and SwiftShader does not (it offers the extension, but reports no
 * HOST_ALLOCATION import for images or buffers, and no colour-attachment use of linear RGBA8), so the
 * cross-driver test runs only where two such drivers exist, and the mechanism itself is checked on two
 * lavapipe devices, where the tier is requested by name.
 */
class HostMemoryTest extends GpuTest {
    static final int W = 48;
    static final int H = 32;

    @Test
    void twoDevicesShareTheSamePagesWithNothingCopied() throws Exception {
        PhysicalDeviceInfo d = hostMemoryDevice();
        DeviceContext a = device(d, "host#a");
        DeviceContext b = device(d, "host#b");
        requireHostMemory(a);
        SharedSurface surface = own(SharedSurface.create("host", W, H, List.of(a, b), SharedSurface.Options.defaults().withTier("host-memory")));
        pingPong(surface, a, b);
        int seals = ((HostMemoryImport) surface.memory()).file().seals();
        int wanted = FCNTL.F_SEAL_SHRINK | FCNTL.F_SEAL_GROW | FCNTL.F_SEAL_SEAL;
        assertEquals(wanted, seals & wanted, "the memfd is sealed against resizing: seals 0x" + Integer.toHexString(seals));
    }

    @Test
    void closingASurfaceUnmapsTheMemfdAndClosesIt() throws Exception {
        PhysicalDeviceInfo d = hostMemoryDevice();
        DeviceContext a = device(d, "host#a");
        DeviceContext b = device(d, "host#b");
        requireHostMemory(a);
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        cycle(a, b, pa, pb); // warm up lazily opened driver fds
        int fdsBefore = LeakTest.openFds();
        long mappingsBefore = memfdMappings();
        for (int i = 0; i < 20; i++) {
            cycle(a, b, pa, pb);
        }
        assertEquals(fdsBefore, LeakTest.openFds(), "open fds before and after 20 host-memory surfaces");
        assertEquals(mappingsBefore, memfdMappings(), "mappings of Baton's memfds before and after 20 host-memory surfaces");
    }

    private static void cycle(DeviceContext a, DeviceContext b, TestPattern pa, TestPattern pb) throws Exception {
        try (SharedSurface s = SharedSurface.create("leak", W, H, List.of(a, b), SharedSurface.Options.defaults().withTier("host-memory"))) {
            turn(s.endpoint(0), pa, 0, 1, 1);
            assertEquals(1, turn(s.endpoint(1), pb, 1, 0, 2));
            assertTrue(memfdMappings() >= 2, "each device maps the memfd while the surface lives");
        }
    }

    /** Mappings of memfds named like the test's surfaces ("memfd:leak"), from /proc/self/maps. */
    private static long memfdMappings() throws java.io.IOException {
        return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps")).stream()
                .filter(line -> line.contains("/memfd:leak")).count();
    }

    @Test
    void devicesThatCannotShareDeviceMemoryChooseHostMemoryAutomatically() throws Exception {
        int index = hostMemoryDevice().index();
        DeviceContext a = own(DeviceContext.builder(instance).physicalDeviceIndex(index).name("no-fd#a")
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_FD).build());
        DeviceContext b = own(DeviceContext.builder(instance).physicalDeviceIndex(index).name("no-fd#b")
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_FD).build());
        requireHostMemory(a);
        SharedSurface surface = own(SharedSurface.create("auto", W, H, List.of(a, b), SharedSurface.Options.defaults()));
        assertTrue(surface.tierReason().contains("VK_KHR_external_memory_fd") && surface.tierReason().contains("host memory"),
                surface.tierReason());
        assertTrue(surface.feasibleTiers().contains(SyncTier.HOST_COPY) && !surface.feasibleTiers().contains(SyncTier.HOST_BRIDGE),
                surface.feasibleTiers().toString());
        pingPong(surface, a, b);
    }

    @Test
    void differentDriversThatImportHostMemoryChooseItAutomatically() throws Exception {
        List<PhysicalDeviceInfo> able = new ArrayList<>();
        for (PhysicalDeviceInfo d : instance.physicalDevices()) {
            if (d.hostMemoryImport()) {
                able.add(d);
            }
        }
        PhysicalDeviceInfo first = null;
        PhysicalDeviceInfo second = null;
        for (PhysicalDeviceInfo x : able) {
            for (PhysicalDeviceInfo y : able) {
                if (first == null && !x.driverUuidHex().equals(y.driverUuidHex())) {
                    first = x;
                    second = y;
                }
            }
        }
        List<String> names = instance.physicalDevices().stream().map(d -> d.name() + (d.hostMemoryImport() ? " (imports)" : " (does not)")).toList();
        Assumptions.assumeTrue(first != null, "skipped: no two different Vulkan drivers here both import host memory for a linear RGBA8"
                + " image: " + names);
        DeviceContext a = own(DeviceContext.builder(instance).physicalDeviceIndex(first.index()).name("host-a").build());
        DeviceContext b = own(DeviceContext.builder(instance).physicalDeviceIndex(second.index()).name("host-b").build());
        SharedSurface surface = own(SharedSurface.create("host", W, H, List.of(a, b), SharedSurface.Options.defaults()));
        pingPong(surface, a, b);
    }

    @Test
    void differentDriversCopyWhenOneCannotImportHostMemory() {
        PhysicalDeviceInfo importer = null;
        PhysicalDeviceInfo other = null;
        for (PhysicalDeviceInfo x : devices()) {
            for (PhysicalDeviceInfo y : devices()) {
                if (importer == null && x.hostMemoryImport() && !y.hostMemoryImport() && !x.driverUuidHex().equals(y.driverUuidHex())
                        && rejection(x) == null && rejection(y) == null) {
                    importer = x;
                    other = y;
                }
            }
        }
        Assumptions.assumeTrue(importer != null, "skipped: no pair of different drivers where only one imports host memory"
                + " (here: lavapipe does, SwiftShader does not, when both are installed)");
        DeviceContext a = device(importer, "importer");
        DeviceContext b = device(other, "other");
        SharedSurface surface = own(SharedSurface.create("copy", W, H, List.of(a, b), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_COPY, surface.tier(), surface.tierReason());
        assertTrue(surface.tierReason().contains("other cannot import host memory"), surface.tierReason());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SharedSurface.create("forced", W, H,
                List.of(a, b), SharedSurface.Options.defaults().withTier("host-memory")));
        assertTrue(e.getMessage().contains("cannot import host memory"), e.getMessage());
    }

    /** The first device that imports host memory for a linear RGBA8 image and can share memory; skips without one. */
    private PhysicalDeviceInfo hostMemoryDevice() {
        for (PhysicalDeviceInfo d : devices()) {
            if (d.hostMemoryImport() && rejection(d) == null) {
                return d;
            }
        }
        requireOrSkip(false, "a Vulkan device that imports host memory (VK_EXT_external_memory_host)", "mesa-vulkan-drivers (lavapipe)");
        throw new AssertionError("unreachable");
    }

    private void requireHostMemory(DeviceContext d) {
        Assumptions.assumeTrue(d.info().hostMemoryImport() && d.hasExtension(DeviceContext.EXTERNAL_MEMORY_HOST),
                "skipped: " + d.name() + " does not import host memory for a linear RGBA8 image");
    }

    private void pingPong(SharedSurface surface, DeviceContext first, DeviceContext second) throws Exception {
        assertEquals(SyncTier.HOST_MEMORY, surface.tier(), surface.tierReason());
        assertEquals(MemorySharing.HOST_MEMORY, surface.memorySharing());
        assertEquals(HandoffSync.HOST_BRIDGE, surface.handoffSync());
        assertTrue(surface.endpoint(0).image().linearTiling() && surface.endpoint(1).image().linearTiling());
        TestPattern p0 = own(new TestPattern(first, W, H));
        TestPattern p1 = own(new TestPattern(second, W, H));
        assertEquals(-1, turn(surface.endpoint(0), p0, 0, 1, 1));
        for (int frame = 2; frame <= 30; frame += 2) {
            assertEquals(frame - 1, turn(surface.endpoint(1), p1, 1, 0, frame));
            assertEquals(frame, turn(surface.endpoint(0), p0, 0, 1, frame + 1));
        }
        assertNull(surface.bridgeFailure());
        assertEquals(0, surface.endpoint(0).copiedBytes(), "nothing is copied between the devices");
        assertEquals(0, surface.endpoint(1).copiedBytes(), "nothing is copied between the devices");
    }
}
