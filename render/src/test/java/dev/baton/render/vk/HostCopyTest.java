package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.List;
import dev.baton.render.SyncTierSelector;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every pair of different devices the selector sends through host memory (different UUIDs: lavapipe and
 * SwiftShader here): pixels travel through host memory under the mutex, both ways.
 */
class HostCopyTest extends GpuTest {
    static final int W = 48;
    static final int H = 32;

    @TestFactory
    Stream<DynamicTest> patternCrossesDriversBothWays() {
        return perPair("host copy", (a, b) -> hostCopy(a, b) ? null : "the selector shares memory between them ("
                + SyncTierSelector.choose(a.capabilities(), b.capabilities()).tier() + ")", this::patternCrossesDriversBothWays);
    }

    @TestFactory
    Stream<DynamicTest> memorySharingAcrossDifferentUuidsIsRefused() {
        return perPair("host-bridge refused", (a, b) -> a.driverUuidHex().equals(b.driverUuidHex()) && a.deviceUuidHex().equals(b.deviceUuidHex())
                ? "same UUIDs: they may share memory" : null, this::memorySharingAcrossDifferentUuidsIsRefused);
    }

    private static boolean hostCopy(PhysicalDeviceInfo a, PhysicalDeviceInfo b) {
        return SyncTierSelector.choose(a.capabilities(), b.capabilities()).tier() == SyncTier.HOST_COPY;
    }

    private void patternCrossesDriversBothWays(PhysicalDeviceInfo a, PhysicalDeviceInfo b) throws Exception {
        DeviceContext first = device(a, DeviceSelector.label(a));
        DeviceContext second = device(b, DeviceSelector.label(b));
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(first, second), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_COPY, surface.tier(), surface.tierReason());
        assertTrue(surface.tierReason().contains("UUID"), surface.tierReason());
        TestPattern pFirst = own(new TestPattern(first, W, H));
        TestPattern pSecond = own(new TestPattern(second, W, H));
        assertEquals(-1, turn(surface.endpoint(0), pFirst, 0, 1, 1));
        for (int frame = 2; frame <= 30; frame += 2) {
            assertEquals(frame - 1, turn(surface.endpoint(1), pSecond, 1, 0, frame));
            assertEquals(frame, turn(surface.endpoint(0), pFirst, 0, 1, frame + 1));
        }
    }

    private void memorySharingAcrossDifferentUuidsIsRefused(PhysicalDeviceInfo a, PhysicalDeviceInfo b) {
        DeviceContext first = device(a, DeviceSelector.label(a));
        DeviceContext second = device(b, DeviceSelector.label(b));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedSurface.create("s", W, H, List.of(first, second), SharedSurface.Options.defaults().withTier("host-bridge")));
        assertTrue(e.getMessage().contains("UUID"), e.getMessage());
    }
}
