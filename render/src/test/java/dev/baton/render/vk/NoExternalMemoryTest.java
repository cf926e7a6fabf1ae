package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Machines whose drivers cannot share memory: surfaces fall back to copying through host memory,
 * forcing a shared tier says what is missing, and requiring memory sharing names the extension and a
 * package whose driver has it. "No external memory" is real for lavapipe <-> SwiftShader (different
 * UUIDs) and simulated for two lavapipe devices by not enabling {@code VK_KHR_external_memory_fd}.
 */
class NoExternalMemoryTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;

    @Test
    void devicesThatCannotShareMemoryGetHostCopyAndAForcedSharedTierSaysWhy() throws Exception {
        DeviceContext lavapipe = device(LAVAPIPE, "lavapipe#a");
        DeviceContext swiftShader = device(SWIFTSHADER, "swiftshader#b");
        SharedSurface surface = own(SharedSurface.create("copy", W, H, List.of(lavapipe, swiftShader), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_COPY, surface.tier(), surface.tierReason());
        IllegalArgumentException forced = assertThrows(IllegalArgumentException.class, () -> SharedSurface.create("forced", W, H,
                List.of(lavapipe, swiftShader), SharedSurface.Options.defaults().withTier("host-bridge")));
        assertMentions(forced.getMessage(), "host-bridge", "lavapipe#a <-> swiftshader#b", "cannot share memory", "driver UUIDs differ",
                "drop the override or pick host-copy");
    }

    @Test
    void withoutTheExternalMemoryExtensionSurfacesCopyAndSharedTiersNameTheExtension() throws Exception {
        requireOrSkip(instance.physicalDevices().stream().anyMatch(d -> d.name().contains(LAVAPIPE)), LAVAPIPE, "mesa-vulkan-drivers");
        // Without host-memory import too: otherwise the two would share host memory instead of copying.
        DeviceContext a = own(DeviceContext.builder(instance).deviceNameContains(LAVAPIPE).name("no-memory#a")
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_FD).withoutExtension(DeviceContext.EXTERNAL_MEMORY_HOST).build());
        DeviceContext b = own(DeviceContext.builder(instance).deviceNameContains(LAVAPIPE).name("no-memory#b")
                .withoutExtension(DeviceContext.EXTERNAL_MEMORY_FD).withoutExtension(DeviceContext.EXTERNAL_MEMORY_HOST).build());
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
        requireOrSkip(instance.physicalDevices().stream().anyMatch(d -> d.name().contains(LAVAPIPE)), LAVAPIPE, "mesa-vulkan-drivers");
        DeviceContext.Builder builder = DeviceContext.builder(instance).deviceNameContains(LAVAPIPE)
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

    static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "'" + part + "' missing from: " + message);
        }
    }
}
