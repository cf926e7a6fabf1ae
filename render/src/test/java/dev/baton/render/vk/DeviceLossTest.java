package dev.baton.render.vk;

import dev.baton.render.SyncTier;
import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.DeviceLostException;
import dev.baton.sync.AcquireStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A lost device (injected) abandons the surface's mutex: the other participant sees ABANDONED. */
class DeviceLossTest extends GpuTest {
    @Test
    void lossDuringSubmitAbandonsTheSurface() throws Exception {
        DeviceContext a = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "lavapipe#a");
        DeviceContext b = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "lavapipe#b");
        SharedSurface surface = own(SharedSurface.create("s", 32, 20, List.of(a, b), SharedSurface.Options.defaults()));
        TestPattern pa = own(new TestPattern(a, 32, 20));
        Lease lease = surface.endpoint(0).acquire(0, SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, lease.status());
        a.injectDeviceLossOnNextSubmit();
        assertThrows(DeviceLostException.class, () -> a.submit(pa.record(lease, false, true, 1), lease));
        assertTrue(a.isLost());
        assertEquals(AcquireStatus.ABANDONED, surface.endpoint(1).acquire(0, SECOND_NANOS).status());
        assertEquals(AcquireStatus.ABANDONED, surface.endpoint(1).acquire(1, 0).status());
    }
}
