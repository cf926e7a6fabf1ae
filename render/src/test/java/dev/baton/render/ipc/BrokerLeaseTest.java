package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.HandoffSync;
import dev.baton.render.MemorySharing;
import dev.baton.render.vk.BrokerSurfaces;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.Lease;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.TestPattern;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer of another process uses the same {@link Lease} API as an in-process render thread
 * ({@link BrokerSurfaces}): acquire, record, {@code DeviceContext.submit(cmd, lease)}, release at
 * submit time. The broker's side here is a second client that plays the compositor: it acquires
 * with the compositor's key, waits for FENCE_REACHED, checks the pixels in the broker's memfd (a
 * frame-numbered test pattern drawn by the producer's GPU) and the private data, and releases
 * back. Real drivers, under the validation layer with synchronization validation: lavapipe imports
 * the memfd (nothing copied), SwiftShader cannot (its reporter thread copies each frame in).
 */
class BrokerLeaseTest {
    static final int W = 64, H = 32;
    static final long PRODUCER = 0L, COMPOSITOR = 1L;

    @TempDir
    Path tmp;
    final List<String> log = new CopyOnWriteArrayList<>();
    Broker broker;

    @BeforeEach
    void start() {
        broker = Broker.start(IpcTestSupport.socketPath(tmp), IpcTestSupport.sharingConfig(log));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void lavapipeHandsFramesOverWithTheLeaseApiAndNothingCopied() throws Exception {
        handOver("lavapipe", MemorySharing.HOST_MEMORY, HandoffSync.HOST_BRIDGE, 0);
    }

    @Test
    void swiftShaderCopiesOnTheReporterThreadAndTheRenderThreadNeverWaits() throws Exception {
        handOver("swiftshader", MemorySharing.HOST_COPY, HandoffSync.HOST_WAIT, W * H * 4);
    }

    /** Frames 1..6 through a broker surface: pixels, private data and fence values checked at the "compositor". */
    private void handOver(String deviceName, MemorySharing memory, HandoffSync sync, long copiedPerFrame) throws Exception {
        try (VulkanInstance vk = VulkanInstance.create(true)) {
            DeviceContext dev = device(vk, deviceName);
            try (BrokerClient compositor = BrokerClient.connect(broker.socketPath(), "compositor", 5 * SECOND);
                 BrokerClient producer = BrokerClient.connect(broker.socketPath(), "producer", 5 * SECOND)) {
                BrokerClient.Surface offered = producer.offer(W, H, SurfaceImage.FORMAT, SurfaceImage.USAGE,
                        memory == MemorySharing.HOST_COPY ? MEMORY_HOST_COPY : MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, PRODUCER, null, null,
                        5 * SECOND);
                BrokerClient.Surface granted = compositor.awaitGrant(5 * SECOND);
                assertNotNull(granted, "the broker shares the surface with the compositor client");
                int frames = 6;
                try (MappedMemory pages = MappedMemory.map(granted.memoryFd(0), granted.allocationBytes, false);
                     BrokerSurfaces links = BrokerSurfaces.over(producer, 5 * SECOND, 4, "producer")) {
                    SharedSurface surface = links.open(offered, dev);
                    try (TestPattern pattern = new TestPattern(dev, W, H)) {
                        assertTrue(surface.ofBroker());
                        assertEquals(memory, surface.memorySharing());
                        assertEquals(sync, surface.handoffSync());
                        assertThrows(IllegalStateException.class, surface::storedKey, "the mutex's diagnostics belong to the broker");
                        SurfaceEndpoint endpoint = surface.endpoint(0);
                        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                        long lastFence = 0;
                        for (int frame = 1; frame <= frames; frame++) {
                            Lease lease = endpoint.acquire(PRODUCER, 5 * SECOND);
                            assertEquals(AcquireStatus.ACQUIRED, lease.status(), "frame " + frame + ": " + links.failure());
                            assertEquals(lastFence, lease.fenceValue(), "the compositor passed back the value it acquired");
                            dev.submit(pattern.record(lease, false, true, frame), lease);
                            long submitted = lease.submittedValue();
                            assertEquals(lastFence + 1, submitted);
                            data.putLong(0, frame);
                            if (frame < frames) {
                                lease.release(COMPOSITOR, data);
                            } else {
                                // Release-then-wait: released at once; the compositor has not released back, so a poll times out.
                                assertEquals(AcquireStatus.TIMEOUT, lease.releaseAndAcquire(COMPOSITOR, data, PRODUCER, 0).status());
                            }
                            // The compositor's turn: its acquire, then the host bridge across processes (FENCE_REACHED).
                            assertEquals(AcquireStatus.ACQUIRED, compositor.acquire(granted, COMPOSITOR, 5 * SECOND));
                            long fence = compositor.fenceValue();
                            assertEquals(submitted, fence, "the release carried the submit's fence value");
                            assertEquals(frame, compositor.privateData().order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                            long deadline = System.nanoTime() + 5 * SECOND;
                            while (Long.compareUnsigned(granted.reachedFenceValue(), fence) < 0 && System.nanoTime() < deadline) {
                                compositor.socket().awaitReadable(10);
                                compositor.poll();
                            }
                            assertTrue(Long.compareUnsigned(granted.reachedFenceValue(), fence) >= 0, "FENCE_REACHED " + fence + " came");
                            ByteBuffer pixels = pages.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                            pixels.limit(W * H * 4);
                            assertNull(TestPattern.check(pixels, W, H, frame), "frame " + frame + " crossed intact");
                            assertTrue(compositor.release(granted, PRODUCER, fence, null));
                            lastFence = fence;
                        }
                        assertTrue(links.drain(5 * SECOND));
                        assertEquals(copiedPerFrame * frames, links.hostCopiedBytes(), "CPU copies: only where the device cannot import");
                        assertEquals(copiedPerFrame == 0 ? 0 : frames, links.hostCopies());
                        // The surface came back: one more access, then the producer abandons it while owning it.
                        Lease lease = endpoint.acquire(PRODUCER, 5 * SECOND);
                        assertEquals(AcquireStatus.ACQUIRED, lease.status());
                        endpoint.abandon();
                        long t0 = System.nanoTime();
                        assertEquals(AcquireStatus.ABANDONED, compositor.acquire(granted, COMPOSITOR, 5 * SECOND),
                                "the broker wakes the compositor: the producer's connection ended");
                        assertTrue(System.nanoTime() - t0 < 2 * SECOND, "promptly");
                        assertNotNull(links.failure(), "the producer knows why");
                    } finally {
                        surface.close();
                    }
                }
            } finally {
                dev.close();
            }
            assertEquals(0, vk.validationMessageCount(), () -> String.join("\n", vk.validationMessages()));
        }
        assertEquals(0, broker.violations(), String.join("\n", log));
    }

    @Test
    void aProducerWhoseBrokerDiesGetsAbandonedPromptlyAndSaysWhy() throws Exception {
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            DeviceContext dev = device(vk, "lavapipe");
            try (BrokerClient producer = BrokerClient.connect(broker.socketPath(), "producer", 5 * SECOND)) {
                BrokerClient.Surface offered = producer.offer(W, H, SurfaceImage.FORMAT, SurfaceImage.USAGE, MEMORY_HOST_MEMFD,
                        SYNC_HOST_BRIDGE, PRODUCER, null, null, 5 * SECOND);
                try (BrokerSurfaces links = BrokerSurfaces.over(producer, 5 * SECOND, 4, "producer")) {
                    SharedSurface surface = links.open(offered, dev);
                    try (TestPattern pattern = new TestPattern(dev, W, H)) {
                        SurfaceEndpoint endpoint = surface.endpoint(0);
                        Lease lease = endpoint.acquire(PRODUCER, 5 * SECOND);
                        assertEquals(AcquireStatus.ACQUIRED, lease.status());
                        dev.submit(pattern.record(lease, false, true, 1), lease);
                        lease.release(COMPOSITOR, null);
                        broker.close();
                        long t0 = System.nanoTime();
                        // Nobody will release to the producer's key; the broker is gone, so the wait ends at once, not at 10 s.
                        assertEquals(AcquireStatus.ABANDONED, endpoint.acquire(PRODUCER, 10 * SECOND).status());
                        assertTrue(System.nanoTime() - t0 < 2 * SECOND + BrokerClient.ANSWER_GRACE_NANOS, "within 2 s of its death");
                        assertTrue(links.failure().startsWith("the broker is gone"), links.failure());
                    } finally {
                        surface.close(); // bounded, and frees everything although the reporter stopped
                    }
                }
            } finally {
                dev.close();
            }
        }
    }

    private static DeviceContext device(VulkanInstance vk, String name) {
        try {
            return DeviceContext.builder(vk).device(name).name(name).build();
        } catch (IllegalArgumentException e) {
            Assumptions.abort("no " + name + " device here: " + e.getMessage());
            throw e;
        }
    }
}
