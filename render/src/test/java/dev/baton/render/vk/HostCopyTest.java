package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lavapipe <-> SwiftShader: different UUIDs, so pixels travel through host memory under the mutex. */
class HostCopyTest extends GpuTest {
    static final int W = 48;
    static final int H = 32;

    @Test
    void patternCrossesDriversBothWays() throws Exception {
        DeviceContext lvp = device(LAVAPIPE, "lavapipe");
        DeviceContext sws = device(SWIFTSHADER, "swiftshader");
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(lvp, sws), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_COPY, surface.tier(), surface.tierReason());
        assertTrue(surface.tierReason().contains("UUID"), surface.tierReason());
        TestPattern pl = own(new TestPattern(lvp, W, H));
        TestPattern ps = own(new TestPattern(sws, W, H));
        assertEquals(-1, turn(surface.endpoint(0), pl, 0, 1, 1));
        for (int frame = 2; frame <= 30; frame += 2) {
            assertEquals(frame - 1, turn(surface.endpoint(1), ps, 1, 0, frame));
            assertEquals(frame, turn(surface.endpoint(0), pl, 0, 1, frame + 1));
        }
    }

    @Test
    void memorySharingAcrossDifferentUuidsIsRefused() {
        DeviceContext lvp = device(LAVAPIPE, "lavapipe");
        DeviceContext sws = device(SWIFTSHADER, "swiftshader");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedSurface.create("s", W, H, List.of(lvp, sws), SharedSurface.Options.defaults().withTier("host-bridge")));
        assertTrue(e.getMessage().contains("UUID"), e.getMessage());
    }
}
