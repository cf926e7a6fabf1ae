package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.SyncTier;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.HostBridge;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The host bridge is one thread per source device, shared by every host-bridged surface that forwards
 * from it (issue 13), on a real driver: several two-participant surfaces and a three-participant one
 * between the same devices, pixels checked across devices on every turn; closing some surfaces keeps
 * the shared threads for the rest, and the threads go with the last surface. And the forward starts
 * at release: the next owner's timeline reaches the value before it even acquires.
 */
class HostBridgePerDeviceTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;

    static TreeSet<String> bridgeThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith(HostBridge.THREAD_NAME)).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void oneBridgeThreadPerSourceDeviceForAnyNumberOfSurfaces() throws Exception {
        assertTrue(bridgeThreads().isEmpty(), "bridge threads left by an earlier test: " + bridgeThreads());
        DeviceContext a = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "bridge-a");
        DeviceContext b = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "bridge-b");
        DeviceContext c = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "bridge-c");
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        TestPattern pc = own(new TestPattern(c, W, H));
        SharedSurface[] pairs = new SharedSurface[4];
        SharedSurface trio = null;
        try {
            for (int i = 0; i < pairs.length; i++) {
                pairs[i] = SharedSurface.create("pair-" + i, W, H, List.of(a, b), SharedSurface.Options.defaults());
                assertEquals(SyncTier.HOST_BRIDGE, pairs[i].tier(), pairs[i].tierReason());
            }
            trio = SharedSurface.create("trio", W, H, List.of(a, b, c), SharedSurface.Options.defaults());
            int frame = 1;
            int[] last = new int[pairs.length]; // the frame last drawn on each pair, -1 before any
            Arrays.fill(last, -1);
            int trioLast = -1;
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < pairs.length; i++) {
                    // a and b take turns; each checks the pixels the other drew on the other device.
                    SharedSurface s = pairs[i];
                    assertEquals(last[i], turn(s.endpoint(0), pa, 0, 1, frame), s + " at a");
                    last[i] = frame++;
                    assertEquals(last[i], turn(s.endpoint(1), pb, 1, 0, frame), s + " at b");
                    last[i] = frame++;
                }
                // Three participants: the key names the next owner only when it acquires.
                assertEquals(trioLast, turn(trio.endpoint(0), pa, 0, 1, frame), "trio at a");
                trioLast = frame++;
                assertEquals(trioLast, turn(trio.endpoint(1), pb, 1, 2, frame), "trio at b");
                trioLast = frame++;
                assertEquals(trioLast, turn(trio.endpoint(2), pc, 2, 0, frame), "trio at c");
                trioLast = frame++;
            }
            // Five surfaces, three source devices: three bridge threads, named after their devices.
            assertEquals(new TreeSet<>(List.of(HostBridge.THREAD_NAME + "-" + a.name(), HostBridge.THREAD_NAME + "-" + b.name(),
                    HostBridge.THREAD_NAME + "-" + c.name())), bridgeThreads());
            assertEquals(3, HostBridges.running());
            for (SharedSurface s : pairs) {
                assertNull(s.bridgeFailure());
            }
            assertNull(trio.bridgeFailure());
            // Closing some surfaces keeps the shared threads for the rest.
            trio.close();
            pairs[0].close();
            assertEquals(2, HostBridges.running(), "c's thread should stop with its last surface: " + bridgeThreads());
            assertEquals(last[1], turn(pairs[1].endpoint(0), pa, 0, 1, frame), "pair-1 at a after other surfaces closed");
            last[1] = frame++;
            assertEquals(last[1], turn(pairs[1].endpoint(1), pb, 1, 0, frame), "pair-1 at b after other surfaces closed");
        } finally {
            if (trio != null) {
                trio.close();
            }
            for (SharedSurface s : pairs) {
                if (s != null) {
                    s.close();
                }
            }
        }
        assertEquals(0, HostBridges.running());
        assertTrue(bridgeThreads().isEmpty(), "bridge threads outlived their last surface: " + bridgeThreads());
    }

    @Test
    void theForwardStartsAtReleaseBeforeTheNextOwnerAcquires() throws Exception {
        DeviceContext a = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "release-a");
        DeviceContext b = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "release-b");
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        SharedSurface s = own(SharedSurface.create("at-release", W, H, List.of(a, b), SharedSurface.Options.defaults()));
        assertEquals(SyncTier.HOST_BRIDGE, s.tier(), s.tierReason());
        SurfaceEndpoint producer = s.endpoint(0);
        SurfaceEndpoint consumer = s.endpoint(1);
        for (int frame = 1; frame <= 6; frame += 2) {
            Lease lease = producer.acquire(0, 5 * SECOND_NANOS);
            assertEquals(AcquireStatus.ACQUIRED, lease.status());
            long value = a.submit(pa.record(lease, false, true, frame), lease);
            assertFalse(Long.compareUnsigned(consumer.timeline().completedValue(), value) >= 0, "reached before the release");
            lease.release(1, java.nio.ByteBuffer.allocate(4).putInt(0, frame));
            // Nobody acquired key 1 yet: only a forward queued at the release can signal the consumer's timeline.
            assertTrue(consumer.timeline().awaitValue(value, 10 * SECOND_NANOS),
                    "the consumer's timeline did not reach " + value + " before its acquire: the forward is not queued at release");
            assertEquals(frame, turn(consumer, pb, 1, 0, frame + 1), "pixels at b");
        }
        assertNull(s.bridgeFailure());
    }
}
