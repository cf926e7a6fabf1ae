package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The lease's acquire/release commands recorded into the render thread's own command buffer
 * ({@link Lease#recordAcquireBarriers}, {@link Lease#recordReleaseBarriers}), so a submit carries one
 * command buffer: the pattern crosses both ways with every frame checked, the two sides mixing their
 * own command buffers with the surface's separate prologue/epilogue, on every device and tier that
 * can take part and between drivers through host memory, under synchronization validation (0
 * messages). Then command buffers recorded once with the endpoint's commands and reused under
 * {@link Lease#barriersPrerecorded()} (see {@link #prerecordedToo} for where).
 */
class OwnCommandBufferTest extends GpuTest {
    static final int W = 40;
    static final int H = 24;
    static final int FRAMES = 24;

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

    @TestFactory
    Stream<DynamicTest> hostCopyBetweenDrivers() {
        return perPair("own command buffer host copy", (a, b) -> SyncTierSelector.choose(a.capabilities(), b.capabilities()).tier()
                == SyncTier.HOST_COPY ? null : "the selector shares memory between them", (a, b) -> run(
                        device(a, DeviceSelector.label(a)), device(b, DeviceSelector.label(b)), SyncTier.HOST_COPY, null));
    }

    private Stream<DynamicTest> onEveryDeviceOffering(SyncTier tier) {
        return perDevice("own command buffer " + tier, d -> whyNotSameDevice(d, tier), d -> run(
                device(d, DeviceSelector.label(d) + "#a"), device(d, DeviceSelector.label(d) + "#b"), tier, tier.id()));
    }

    private void run(DeviceContext a, DeviceContext b, SyncTier tier, String forcedTier) throws Exception {
        SharedSurface.Options options = SharedSurface.Options.defaults();
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(a, b), forcedTier == null ? options : options.withTier(forcedTier)));
        assertEquals(tier, surface.tier(), surface.tierReason());
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        // A always records the commands itself; B does in two turns of three, else leaves them to the surface.
        assertEquals(-1, ownTurn(surface.endpoint(0), pa, 0, 1, 1, true));
        for (int frame = 2; frame <= FRAMES; frame += 2) {
            assertEquals(frame - 1, ownTurn(surface.endpoint(1), pb, 1, 0, frame, frame % 3 != 0));
            assertEquals(frame, ownTurn(surface.endpoint(0), pa, 0, 1, frame + 1, true));
        }
        assertEquals(FRAMES + 1, ownTurn(surface.endpoint(1), pb, 1, 0, FRAMES + 2, true));
        if (prerecordedToo(tier)) {
            prerecorded(surface);
        }
    }

    /**
     * Prerecorded {@link TimedWork} runs on the host-bridge and host-copy tiers only: on a binary-semaphore
     * surface (SwiftShader here) the validation layer crashes the test JVM (SIGSEGV inside the layer, on a
     * driver thread) with TimedWork's command buffers whether or not they carry the lease's commands, so
     * that pair is left to the unvalidated bench ("ping-pong (own command buffer)").
     */
    private static boolean prerecordedToo(SyncTier tier) {
        return tier == SyncTier.HOST_BRIDGE || tier == SyncTier.HOST_COPY || tier == SyncTier.SHARED_TIMELINE;
    }

    /** As {@link GpuTest#turn}, with the lease's commands in the pattern's own command buffer when {@code ownBarriers}. */
    private static int ownTurn(SurfaceEndpoint endpoint, TestPattern pattern, long key, long nextKey, int frame, boolean ownBarriers)
            throws InterruptedException {
        Lease lease = endpoint.acquire(key, 5 * SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, lease.status(), () -> endpoint + " acquire(" + key + ")");
        ByteBuffer data = lease.privateData();
        int previous = data != null && data.remaining() >= 4 ? data.getInt(data.position()) : -1;
        long done = endpoint.device().submit(pattern.record(lease, previous >= 0, true, frame, ownBarriers), lease);
        lease.release(nextKey, ByteBuffer.allocate(4).putInt(0, frame));
        if (previous >= 0) {
            assertTrue(endpoint.timeline().awaitValue(done, 10 * SECOND_NANOS), endpoint + ": own submit did not complete in 10 s");
            String mismatch = pattern.check(previous);
            assertNull(mismatch, () -> endpoint + " received " + mismatch);
        }
        return previous;
    }

    /**
     * Participant 0 clears with a command buffer recorded once (with its endpoint's commands), participant 1
     * reads 4x4 pixels with one of its own; each submits one command buffer per handoff. The read sees the
     * cleared colour, over a surface whose last frame was the pattern's.
     */
    private void prerecorded(SharedSurface surface) throws Exception {
        SurfaceEndpoint producer = surface.endpoint(0);
        SurfaceEndpoint consumer = surface.endpoint(1);
        TimedWork clear = own(TimedWork.createWithLeaseBarriers(producer, TimedWork.Kind.CLEAR, 1));
        TimedWork read = own(TimedWork.createWithLeaseBarriers(consumer, TimedWork.Kind.READ, 1));
        long readDone = 0;
        for (int i = 0; i < 4; i++) {
            Lease p = producer.acquire(0, 5 * SECOND_NANOS);
            assertEquals(AcquireStatus.ACQUIRED, p.status());
            assertTrue(producer.timeline().awaitValue(producer.lastSubmittedValue(), 5 * SECOND_NANOS)); // slot free again
            p.barriersPrerecorded();
            producer.device().submit(clear.commandBuffer(0), p);
            p.release(1, null);
            Lease c = consumer.acquire(1, 5 * SECOND_NANOS);
            assertEquals(AcquireStatus.ACQUIRED, c.status());
            if (readDone != 0) {
                assertTrue(consumer.timeline().awaitValue(readDone, 5 * SECOND_NANOS));
            }
            c.barriersPrerecorded();
            readDone = consumer.device().submit(read.commandBuffer(0), c);
            c.release(0, null);
            assertTrue(consumer.timeline().awaitValue(readDone, 10 * SECOND_NANOS), "read did not complete in 10 s");
            int pixel = read.hostBuffer().mapped().order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            // TimedWork's clear colour (0.25, 0.5, 0.75, 1.0) as UNORM bytes, as TimedWorkTest reads it.
            assertEquals(0xFFBF8040, pixel, () -> String.format("handoff read back 0x%08x, not the cleared colour", pixel));
        }
    }
}
