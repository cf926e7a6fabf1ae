package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.render.SyncTier;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Two VkDevices on one physical device, once per device and tier it offers: shared memory, and the
 * pattern crosses both ways with every frame checked (shared timeline and binary semaphores: the
 * consumer's GPU waits; host bridge: fence values forwarded on the host).
 */
class SameDeviceTiersTest extends GpuTest {
    static final int W = 48;
    static final int H = 32;

    @TestFactory
    Stream<DynamicTest> sharedTimeline() {
        return onEveryDeviceOffering(SyncTier.SHARED_TIMELINE);
    }

    @TestFactory
    Stream<DynamicTest> binarySemaphores() {
        return onEveryDeviceOffering(SyncTier.BINARY_SEMAPHORE);
    }

    @TestFactory
    Stream<DynamicTest> hostBridge() {
        return onEveryDeviceOffering(SyncTier.HOST_BRIDGE);
    }

    private Stream<DynamicTest> onEveryDeviceOffering(SyncTier tier) {
        return perDevice("ping-pong " + tier, d -> whyNotSameDevice(d, tier), d -> patternCrossesBothWays(d, tier));
    }

    private void patternCrossesBothWays(PhysicalDeviceInfo d, SyncTier tier) throws Exception {
        DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
        DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(a, b), SharedSurface.Options.defaults().withTier(tier.id())));
        assertEquals(tier, surface.tier(), surface.tierReason());
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        assertEquals(-1, turn(surface.endpoint(0), pa, 0, 1, 1));
        for (int frame = 2; frame <= 40; frame += 2) {
            assertEquals(frame - 1, turn(surface.endpoint(1), pb, 1, 0, frame));
            assertEquals(frame, turn(surface.endpoint(0), pa, 0, 1, frame + 1));
        }
    }
}
