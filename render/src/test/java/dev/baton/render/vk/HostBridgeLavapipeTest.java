package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lavapipe -> lavapipe on two VkDevices: shared memory, fence values bridged on the host. */
class HostBridgeLavapipeTest extends GpuTest {
    static final int W = 48;
    static final int H = 32;

    @Test
    void patternCrossesBothWays() throws Exception {
        DeviceContext a = device(LAVAPIPE, "lavapipe#a");
        DeviceContext b = device(LAVAPIPE, "lavapipe#b");
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(a, b), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_BRIDGE, surface.tier(), surface.tierReason());
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        assertEquals(-1, turn(surface.endpoint(0), pa, 0, 1, 1));
        for (int frame = 2; frame <= 40; frame += 2) {
            assertEquals(frame - 1, turn(surface.endpoint(1), pb, 1, 0, frame));
            assertEquals(frame, turn(surface.endpoint(0), pa, 0, 1, frame + 1));
        }
    }
}
