package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link Lease#releaseAndAcquire} on real surfaces: two render threads ping-pong one surface, each
 * releasing and queueing for its key again in one step, with every frame's pixels checked by the
 * receiver, on every device and tier that can take part (and between drivers through host memory);
 * then its outcomes: a timeout, abandonment while queued (by the peer, and of the waiter itself), and
 * argument errors that leave the lease held.
 */
class LeaseReleaseAndAcquireTest extends GpuTest {
    static final int W = 40;
    static final int H = 24;
    static final int FRAMES = 40;

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
        return perPair("release-and-acquire host copy", (a, b) -> SyncTierSelector.choose(a.capabilities(), b.capabilities()).tier()
                == SyncTier.HOST_COPY ? null : "the selector shares memory between them", (a, b) -> {
                    DeviceContext first = device(a, DeviceSelector.label(a));
                    DeviceContext second = device(b, DeviceSelector.label(b));
                    pingPong(first, second, SyncTier.HOST_COPY, null);
                });
    }

    private Stream<DynamicTest> onEveryDeviceOffering(SyncTier tier) {
        return perDevice("release-and-acquire " + tier, d -> whyNotSameDevice(d, tier), d -> pingPong(
                device(d, DeviceSelector.label(d) + "#a"), device(d, DeviceSelector.label(d) + "#b"), tier, tier.id()));
    }

    /** Participant 0 draws odd frames, participant 1 even ones; each thread acquires once, then only releases-and-acquires. */
    private void pingPong(DeviceContext a, DeviceContext b, SyncTier tier, String forcedTier) throws Exception {
        SharedSurface.Options options = SharedSurface.Options.defaults();
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(a, b), forcedTier == null ? options : options.withTier(forcedTier)));
        assertEquals(tier, surface.tier(), surface.tierReason());
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread ta = new Thread(() -> side(surface.endpoint(0), pa, 0, 1, 1, failure), "render-" + a.name());
        Thread tb = new Thread(() -> side(surface.endpoint(1), pb, 1, 0, 2, failure), "render-" + b.name());
        ta.start();
        tb.start();
        ta.join(60_000);
        tb.join(60_000);
        assertFalse(ta.isAlive() || tb.isAlive(), "ping-pong still running after 60 s");
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    /** One side: frames {@code first}, {@code first + 2}, ... up to {@link #FRAMES}; checks every frame it receives. */
    private static void side(SurfaceEndpoint endpoint, TestPattern pattern, long key, long nextKey, int first,
                             AtomicReference<Throwable> failure) {
        try {
            Lease lease = endpoint.acquire(key, 10 * SECOND_NANOS);
            for (int frame = first; frame <= FRAMES; frame += 2) {
                assertEquals(AcquireStatus.ACQUIRED, lease.status(), () -> endpoint + " (release-and-)acquire(" + key + ")");
                ByteBuffer data = lease.privateData();
                int previous = data != null && data.remaining() >= 4 ? data.getInt(data.position()) : -1;
                assertEquals(frame == 1 ? -1 : frame - 1, previous, "frame number in private data");
                long done = endpoint.device().submit(pattern.record(lease, previous >= 0, true, frame), lease);
                ByteBuffer out = ByteBuffer.allocate(4).putInt(0, frame);
                if (frame + 2 > FRAMES) {
                    lease.release(nextKey, out);
                } else {
                    assertSame(lease, lease.releaseAndAcquire(nextKey, out, key, 10 * SECOND_NANOS));
                }
                if (previous >= 0) {
                    assertTrue(endpoint.timeline().awaitValue(done, 10 * SECOND_NANOS), endpoint + ": own submit did not complete");
                    String mismatch = pattern.check(previous);
                    assertNull(mismatch, () -> endpoint + " received " + mismatch);
                }
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            endpoint.abandon(); // wakes the peer at once instead of letting it time out
        }
    }

    /**
     * Two devices whose best same-device tier is the host bridge, one surface between them: the outcome
     * tests are about the lease and the mutex, which every tier shares (as in MisuseMessagesTest).
     */
    private SharedSurface surfaceOnOneDevice() {
        DeviceContext a = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "a");
        DeviceContext b = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "b");
        return own(SharedSurface.create("s", W, H, List.of(a, b), SharedSurface.Options.defaults()));
    }

    @Test
    void aTimeoutReleasedAndLeftNothingQueued() throws Exception {
        SharedSurface surface = surfaceOnOneDevice();
        SurfaceEndpoint producer = surface.endpoint(0);
        TestPattern pattern = own(new TestPattern(producer.device(), W, H));
        Lease lease = producer.acquire(0, SECOND_NANOS);
        long done = producer.device().submit(pattern.record(lease, false, true, 1), lease);
        long start = System.nanoTime();
        assertEquals(AcquireStatus.TIMEOUT, lease.releaseAndAcquire(1, ByteBuffer.allocate(4).putInt(0, 1), 0, 50_000_000L).status());
        assertTrue(System.nanoTime() - start >= 50_000_000L, "returned before its timeout");
        assertFalse(lease.acquired());
        assertThrows(IllegalStateException.class, () -> lease.release(1, null), "a timed-out lease is not held");
        assertEquals(0, surface.mutex().waiterCount(), "a timed-out releaseAndAcquire left a waiter behind");
        // The release happened with the submit's fence value: the consumer gets frame 1.
        Lease consumer = surface.endpoint(1).acquire(1, SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, consumer.status());
        assertEquals(done, consumer.fenceValue());
        assertEquals(1, consumer.privateData().getInt(consumer.privateData().position()));
        consumer.release(0, null);
        assertTrue(producer.timeline().awaitValue(done, 10 * SECOND_NANOS), "frame 1 did not complete"); // before teardown frees it
        // Polling (timeout 0) returns at once; with nobody waiting for the key it is taken back.
        Lease again = producer.acquire(0, SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, again.releaseAndAcquire(0, null, 0, 0).status(), "released to its own key, taken back");
        assertEquals(AcquireStatus.TIMEOUT, again.releaseAndAcquire(1, null, 0, 0).status());
    }

    @Test
    void thePeerAbandoningWhileWeAreQueuedWakesUsAtOnce() throws Exception {
        SharedSurface surface = surfaceOnOneDevice();
        SurfaceEndpoint producer = surface.endpoint(0);
        SurfaceEndpoint consumer = surface.endpoint(1);
        Lease lease = producer.acquire(0, SECOND_NANOS);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                outcome.set(lease.releaseAndAcquire(1, null, 0, 20 * SECOND_NANOS).status());
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "render-" + producer.device().name());
        long start = System.nanoTime();
        waiter.start();
        assertEquals(AcquireStatus.ACQUIRED, consumer.acquire(1, 10 * SECOND_NANOS).status());
        while (surface.mutex().waiterCount() == 0 && waiter.isAlive()) {
            Thread.sleep(1); // the waiter queued for key 0 in the same step as its release
        }
        consumer.abandon(); // owns the surface: the mutex is abandoned
        waiter.join(10_000);
        assertFalse(waiter.isAlive(), "the queued releaseAndAcquire did not wake on abandonment");
        assertEquals(AcquireStatus.ABANDONED, outcome.get());
        assertTrue(System.nanoTime() - start < 10 * SECOND_NANOS, "woke only at its timeout");
        assertFalse(lease.acquired());
    }

    @Test
    void abandoningTheQueuedEndpointEndsItsWait() throws Exception {
        SharedSurface surface = surfaceOnOneDevice();
        SurfaceEndpoint producer = surface.endpoint(0);
        Lease lease = producer.acquire(0, SECOND_NANOS);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                outcome.set(lease.releaseAndAcquire(1, null, 0, 20 * SECOND_NANOS).status());
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "render-" + producer.device().name());
        waiter.start();
        while (surface.mutex().waiterCount() == 0 && waiter.isAlive()) {
            Thread.sleep(1);
        }
        producer.abandon(); // from another thread, as a shutdown does
        waiter.join(10_000);
        assertFalse(waiter.isAlive(), "the queued releaseAndAcquire did not end when its endpoint was abandoned");
        assertInstanceOf(IllegalStateException.class, outcome.get());
        assertFalse(lease.acquired() && lease.held, "the lease of an abandoned wait is not held");
        assertEquals(0, surface.mutex().waiterCount());
        // It did not own the surface when abandoned: the consumer still gets it.
        assertFalse(surface.mutex().isAbandoned());
        Lease consumer = surface.endpoint(1).acquire(1, SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, consumer.status());
        consumer.release(0, null);
    }

    @Test
    void anInterruptOnEntryChangesNothingAndWhileQueuedLeavesTheReleaseDone() throws Exception {
        SharedSurface surface = surfaceOnOneDevice();
        SurfaceEndpoint producer = surface.endpoint(0);
        Lease lease = producer.acquire(0, SECOND_NANOS);
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> lease.releaseAndAcquire(1, null, 0, SECOND_NANOS));
        assertTrue(lease.held && producer.handle().isOwner(), "an interrupt on entry dropped the lease");
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                outcome.set(lease.releaseAndAcquire(1, null, 0, 20 * SECOND_NANOS).status());
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "render-" + producer.device().name());
        waiter.start();
        while (surface.mutex().waiterCount() == 0 && waiter.isAlive()) {
            Thread.sleep(1);
        }
        waiter.interrupt();
        waiter.join(10_000);
        assertInstanceOf(InterruptedException.class, outcome.get());
        assertFalse(lease.held, "interrupted after the release: the lease is gone");
        assertEquals(0, surface.mutex().waiterCount(), "an interrupted wait left a waiter behind");
        Lease consumer = surface.endpoint(1).acquire(1, SECOND_NANOS); // the release stood
        assertEquals(AcquireStatus.ACQUIRED, consumer.status());
        consumer.release(0, null);
    }

    @Test
    void argumentErrorsLeaveTheLeaseHeld() throws Exception {
        SharedSurface surface = surfaceOnOneDevice();
        SurfaceEndpoint producer = surface.endpoint(0);
        TestPattern pattern = own(new TestPattern(producer.device(), W, H));
        Lease lease = producer.acquire(0, SECOND_NANOS);
        producer.device().submit(pattern.record(lease, false, true, 1), lease);
        ByteBuffer tooLong = ByteBuffer.allocate(SharedSurface.Options.defaults().maxPrivateDataBytes() + 1);
        assertThrows(IllegalArgumentException.class, () -> lease.releaseAndAcquire(1, tooLong, 0, SECOND_NANOS));
        assertThrows(IllegalArgumentException.class, () -> lease.releaseAndAcquire(1, null, 0, -1));
        assertTrue(lease.acquired() && lease.held, "an argument error dropped the lease");
        assertTrue(producer.handle().isOwner());
        // Still ours: a real release goes through, and the consumer receives frame 1.
        lease.release(1, ByteBuffer.allocate(4).putInt(0, 1));
        assertThrows(IllegalStateException.class, () -> lease.releaseAndAcquire(1, null, 0, 0), "not held any more");
        TestPattern consumerPattern = own(new TestPattern(surface.endpoint(1).device(), W, H));
        assertEquals(1, turn(surface.endpoint(1), consumerPattern, 1, 0, 2));
    }
}
