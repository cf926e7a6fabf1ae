package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Exported binary semaphores between two VkDevices, on every device that offers them: the consumer's GPU
 * (not its CPU) waits. (Plain turns on this tier: {@link SameDeviceTiersTest#binarySemaphores}.)
 */
class BinarySemaphoreTest extends GpuTest {
    static final int W = 48;
    static final int H = 32;

    @TestFactory
    Stream<DynamicTest> consumerGpuWaitsForGatedProducer() {
        return perDevice("gated binary semaphores", d -> whyNotSameDevice(d, SyncTier.BINARY_SEMAPHORE), this::consumerGpuWaitsForGatedProducer);
    }

    private void consumerGpuWaitsForGatedProducer(PhysicalDeviceInfo d) throws Exception {
        DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
        DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(a, b),
                SharedSurface.Options.defaults().withTier(SyncTier.BINARY_SEMAPHORE.id())));
        assertEquals(SyncTier.BINARY_SEMAPHORE, surface.tier(), surface.tierReason());
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        VulkanTimeline gate = own(VulkanTimeline.create(a, "gate", 0, false));
        SurfaceEndpoint producer = surface.endpoint(0);
        SurfaceEndpoint consumer = surface.endpoint(1);

        Lease out = producer.acquire(0, SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, out.status());
        out.alsoWaitFor(gate, 1); // the producer's work cannot start before the test opens the gate
        long produced = a.submit(pa.record(out, false, true, 7), out);
        out.release(1, ByteBuffer.allocate(4).putInt(0, 7));

        long start = System.nanoTime();
        Lease in = consumer.acquire(1, SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, in.status());
        long consumed = b.submit(pb.record(in, true, false, 0), in);
        in.release(0, ByteBuffer.allocate(4).putInt(0, 7)); // we only read: the image still holds frame 7
        long handoffMicros = (System.nanoTime() - start) / 1000;
        assertTrue(handoffMicros < 200_000, "acquire+submit+release took " + handoffMicros + " us: something waited on the CPU");

        // Both submits are queued; neither may complete while the gate is shut.
        assertFalse(consumer.timeline().awaitValue(consumed, 300_000_000L), "consumer finished before the producer's gate opened");
        assertFalse(producer.timeline().awaitValue(produced, 0), "producer ran through a shut gate");
        gate.signalFromHost(1);
        assertTrue(consumer.timeline().awaitValue(consumed, 10 * SECOND_NANOS), "consumer never finished after the gate opened");
        assertNull(pb.check(7));

        // And the semaphores recycle: many more turns back and forth.
        for (int frame = 8; frame < 60; frame += 2) {
            assertEquals(frame - 1, turn(producer, pa, 0, 1, frame));
            assertEquals(frame, turn(consumer, pb, 1, 0, frame + 1));
        }
    }
}
