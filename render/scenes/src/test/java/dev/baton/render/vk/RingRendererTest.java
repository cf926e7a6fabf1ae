package dev.baton.render.vk;

import dev.baton.render.SyncTier;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.DeviceLostException;
import dev.baton.render.scene.RingRenderer;
import dev.baton.render.scene.Scene;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A producer's renderer must not free command buffers a queue still holds. A device marked lost
 * (injected here, as the demo's Kill does; some drivers also report loss early) can still be running
 * earlier submits: the demo once freed them on Kill and lavapipe's queue thread crashed.
 */
class RingRendererTest extends GpuTest {
    @Test
    void waitsForQueuedFramesEvenWhenTheDeviceIsMarkedLost() throws Exception {
        DeviceContext device = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "lavapipe#producer");
        SharedSurface first = own(SharedSurface.create("s0", 64, 48, List.of(device), SharedSurface.Options.defaults()));
        SharedSurface second = own(SharedSurface.create("s1", 64, 48, List.of(device), SharedSurface.Options.defaults()));
        VulkanTimeline gate = own(VulkanTimeline.create(device, "gate", 0, false));
        RingRenderer renderer = new RingRenderer(device, List.of(first.endpoint(0), second.endpoint(0)), Scene.PLASMA);
        boolean gateOpen = false;
        try {
            // Frame 1 is queued behind a gate the test holds shut.
            Lease lease = first.endpoint(0).acquire(0, SECOND_NANOS);
            lease.alsoWaitFor(gate, 1);
            device.submit(renderer.record(0, 1, 0f, 0, SECOND_NANOS), lease);
            lease.release(0, null);
            // Frame 2's submit reports the device lost.
            device.injectDeviceLossOnNextSubmit();
            Lease next = second.endpoint(0).acquire(0, SECOND_NANOS);
            assertThrows(DeviceLostException.class, () -> device.submit(renderer.record(1, 2, 0f, 0, SECOND_NANOS), next));
            assertTrue(device.isLost());
            // Frame 1 still sits in the queue: the renderer must say so rather than let it be freed.
            assertFalse(renderer.awaitSubmitted(200_000_000L), "a queued frame was treated as finished because the device is marked lost");
            gate.signalFromHost(1);
            gateOpen = true;
            assertTrue(renderer.awaitSubmitted(5 * SECOND_NANOS), "the queued frame did not finish after the gate opened");
        } finally {
            if (!gateOpen) {
                gate.signalFromHost(1);
                renderer.awaitSubmitted(5 * SECOND_NANOS);
            }
            renderer.close();
        }
    }
}
