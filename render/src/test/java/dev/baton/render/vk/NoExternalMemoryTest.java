package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Machines whose drivers cannot share memory: surfaces fall back to copying through host memory,
 * forcing a shared tier says what is missing, and requiring memory sharing names the extension and a
 * package whose driver has it. "No external memory" is real for lavapipe <-> SwiftShader (different
 * UUIDs) and simulated for two lavapipe devices by not enabling {@code VK_KHR_external_memory_fd}.
 */
class NoExternalMemoryTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;

    @TestFactory
    Stream<DynamicTest> devicesThatCannotShareMemoryGetHostCopyAndAForcedSharedTierSaysWhy() {
        return perPair("different UUIDs", (a, b) -> a.driverUuidHex().equals(b.driverUuidHex()) && a.deviceUuidHex().equals(b.deviceUuidHex())
                ? "same UUIDs: they may share memory" : null, this::devicesThatCannotShareMemoryGetHostCopyAndAForcedSharedTierSaysWhy);
    }

    private void devicesThatCannotShareMemoryGetHostCopyAndAForcedSharedTierSaysWhy(PhysicalDeviceInfo first, PhysicalDeviceInfo second) {
        DeviceContext lavapipe = device(first, "first#a");
        DeviceContext swiftShader = device(second, "second#b");
        SharedSurface surface = own(SharedSurface.create("copy", W, H, List.of(lavapipe, swiftShader), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_COPY, surface.tier(), surface.tierReason());
        IllegalArgumentException forced = assertThrows(IllegalArgumentException.class, () -> SharedSurface.create("forced", W, H,
                List.of(lavapipe, swiftShader), SharedSurface.Options.defaults().withTier("host-bridge")));
        assertMentions(forced.getMessage(), "host-bridge", "first#a <-> second#b", "cannot share memory", "UUIDs differ",
                "drop the override or pick host-copy");
    }

    @Test
    void withoutTheExternalMemoryExtensionSurfacesCopyAndSharedTiersNameTheExtension() throws Exception {
        int index = memorySharingDevice().index();
        // Without host-memory import too: otherwise the two would share host memory instead of copying.
        DeviceContext a = own(DeviceContext.builder(instance).physicalDeviceIndex(index).name("no-memory#a")
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_FD)
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_HOST).build());
        DeviceContext b = own(DeviceContext.builder(instance).physicalDeviceIndex(index).name("no-memory#b")
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_FD)
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_HOST).build());
        assertFalse(a.hasExtension(DeviceContext.EXTERNAL_MEMORY_FD));
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        SharedSurface surface = own(SharedSurface.create("copy", W, H, List.of(a, b), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_COPY, surface.tier(), surface.tierReason());
        assertMentions(surface.tierReason(), "VK_KHR_external_memory_fd", "copied through host memory");
        // The copy tier still hands frames over intact.
        turn(surface.endpoint(0), pa, 0, 1, 1);
        assertEquals(1, turn(surface.endpoint(1), pb, 1, 0, 2));
        assertEquals(2, turn(surface.endpoint(0), pa, 0, 1, 3));
        for (String tier : List.of("host-bridge", "binary-semaphore")) {
            IllegalArgumentException forced = assertThrows(IllegalArgumentException.class, () -> SharedSurface.create("forced", W, H,
                    List.of(a, b), SharedSurface.Options.defaults().withTier(tier)));
            assertMentions(forced.getMessage(), tier, "cannot share memory", "VK_KHR_external_memory_fd", "host-copy");
        }
    }

    @Test
    void requiringMemorySharingWithoutTheExtensionNamesItAndTheDriverPackage() {
        DeviceContext.Builder builder = DeviceContext.builder(instance).physicalDeviceIndex(memorySharingDevice().index())
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_FD).requireMemorySharing();
        IllegalStateException none = assertThrows(IllegalStateException.class, builder::build);
        assertMentions(none.getMessage(), "no Vulkan device fits", "lacks VK_KHR_external_memory_fd", "mesa-vulkan-drivers",
                "host-copy");
    }

    @Test
    void theMissingExtensionReasonSaysWhatToInstall() {
        assertMentions(DeviceContext.Builder.missingExtensionReason(DeviceContext.EXTERNAL_MEMORY_FD),
                "VK_KHR_external_memory_fd", "install a driver that has it", "mesa-vulkan-drivers");
        assertMentions(DeviceContext.Builder.missingExtensionReason(DeviceContext.EXTERNAL_SEMAPHORE_FD),
                "VK_KHR_external_semaphore_fd", "chromium-common");
        assertMentions(DeviceContext.Builder.missingExtensionReason("VK_KHR_imaginary"), "VK_KHR_imaginary", "./baton devices");
    }

    /** The first device (hardware first) that shares memory, whose extension the tests then hide. */
    private PhysicalDeviceInfo memorySharingDevice() {
        for (PhysicalDeviceInfo d : devices()) {
            if (rejection(d) == null) {
                return d;
            }
        }
        requireOrSkip(false, "a Vulkan device with " + DeviceContext.EXTERNAL_MEMORY_FD, "mesa-vulkan-drivers");
        throw new AssertionError("unreachable");
    }

    static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "'" + part + "' missing from: " + message);
        }
    }
}
