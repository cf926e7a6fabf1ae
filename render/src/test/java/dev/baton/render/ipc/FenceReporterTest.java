package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.sync.AcquireStatus;
import dev.baton.sync.FakeTimeline;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer's FENCE_REACHED sent from its own thread ({@link FenceReporter}) while the render thread
 * acquires and releases on the same connection: reported only once the timeline got there, in order,
 * never out of sequence (the broker would disconnect the client), and bounded when the GPU or the
 * broker never comes.
 */
class FenceReporterTest {
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

    private BrokerClient client(String name) {
        return BrokerClient.connect(broker.socketPath(), name, 5 * SECOND);
    }

    @Test
    void aReleasedValueIsReportedOnlyOnceTheTimelineReachesIt() throws Exception {
        FakeTimeline gpu = new FakeTimeline("gpu");
        try (BrokerClient a = client("a"); FenceReporter r = FenceReporter.start(a, gpu, 5 * SECOND, 2, "a")) {
            BrokerClient.Surface s = a.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            assertEquals(AcquireStatus.ACQUIRED, a.acquire(s, 0L, SECOND));
            assertTrue(a.release(s, 1L, 1L, null));
            assertTrue(r.released(s, 1L, SECOND));
            Thread.sleep(100);
            assertEquals(0L, broker.reachedFenceValue(s.surfaceId), "not reported before the GPU got there");
            gpu.signalFromHost(1L);
            IpcTestSupport.awaitTrue(() -> broker.reachedFenceValue(s.surfaceId) == 1L, 5 * SECOND, "FENCE_REACHED 1 at the broker");
            assertTrue(r.drain(SECOND));
            assertEquals(1L, r.reportedValue());
            assertNull(r.failure());
        }
        assertEquals(0, broker.violations(), String.join("\n", log));
    }

    @Test
    void reportsFromItsThreadInterleaveWithTheRenderThreadsMessagesWithoutBreakingTheSequenceAndAllocateNothing() throws Exception {
        FakeTimeline gpu = new FakeTimeline("gpu");
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean threads = mx instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() ? t : null;
        // Rounds of 500 frames after a warm-up (until C2 compiled the path, C1 code may allocate
        // temporaries; an allocation per frame would show in every round). Pass: one round at 0 B.
        int warmup = Integer.getInteger("baton.ipc.allocationWarmup", 3000);
        int rounds = 6;
        int perRound = 500;
        int frames = warmup + rounds * perRound;
        long[] renderAllocated = new long[rounds];
        long[] reporterAllocated = new long[rounds];
        try (BrokerClient a = client("a"); BrokerClient b = client("b"); FenceReporter r = FenceReporter.start(a, gpu, 5 * SECOND, 4, "a")) {
            BrokerClient.Surface s0 = a.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            BrokerClient.Surface s1 = a.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            BrokerClient.Surface b0 = b.awaitGrant(5 * SECOND);
            BrokerClient.Surface b1 = b.awaitGrant(5 * SECOND);
            assertNotNull(b1);
            // The consumer: acquires each surface in turn, waits for the producer's FENCE_REACHED of the
            // value it was released with (forwarded by the broker), hands it back.
            CompletableFuture<String> consumer = CompletableFuture.supplyAsync(() -> {
                for (int f = 0; f < frames; f++) {
                    BrokerClient.Surface s = f % 2 == 0 ? b0 : b1;
                    if (b.acquire(s, 1L, 5 * SECOND) != AcquireStatus.ACQUIRED) {
                        return "frame " + f + ": not acquired";
                    }
                    long fence = b.fenceValue();
                    long deadline = System.nanoTime() + 5 * SECOND;
                    while (Long.compareUnsigned(s.reachedFenceValue(), fence) < 0) {
                        if (System.nanoTime() - deadline > 0) {
                            return "frame " + f + ": no FENCE_REACHED " + fence + " (have " + s.reachedFenceValue() + ")";
                        }
                        b.socket().awaitReadable(10);
                        b.poll();
                    }
                    if (!b.release(s, 0L, fence, null)) {
                        return "frame " + f + ": broker gone";
                    }
                }
                return null;
            });
            Thread reporterThread = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("baton-fence-reporter-a")).findFirst().orElseThrow();
            // The render thread: releases at submit time, the "GPU" finishes a frame later.
            long renderStart = 0, reporterStart = 0;
            for (int f = 0; f <= frames; f++) {
                if (threads != null && f >= warmup && (f - warmup) % perRound == 0) {
                    long renderNow = threads.getCurrentThreadAllocatedBytes();
                    long reporterNow = threads.getThreadAllocatedBytes(reporterThread.getId());
                    if (f > warmup) {
                        renderAllocated[(f - warmup) / perRound - 1] = renderNow - renderStart;
                        reporterAllocated[(f - warmup) / perRound - 1] = reporterNow - reporterStart;
                    }
                    renderStart = threads.getCurrentThreadAllocatedBytes();
                    reporterStart = threads.getThreadAllocatedBytes(reporterThread.getId());
                }
                if (f == frames) {
                    break;
                }
                BrokerClient.Surface s = f % 2 == 0 ? s0 : s1;
                if (a.acquire(s, 0L, 5 * SECOND) != AcquireStatus.ACQUIRED) {
                    throw new AssertionError("frame " + f + " not acquired: " + a.brokerGoneReason());
                }
                long fence = f + 1;
                if (!a.release(s, 1L, fence, null) || !r.released(s, fence, 5 * SECOND)) {
                    throw new AssertionError("frame " + f + ": " + a.brokerGoneReason() + " / " + r.failure());
                }
                gpu.signalFromHost(fence - 1); // the previous frame completes while this one is queued
            }
            gpu.signalFromHost(frames);
            assertTrue(r.drain(5 * SECOND), "every value reported: " + r.failure());
            assertNull(consumer.get(30, TimeUnit.SECONDS));
            assertEquals(frames, r.reportedValue());
            assertEquals(frames, broker.reachedFenceValue(s1.surfaceId));
        }
        if (threads != null) {
            boolean cleanRound = false;
            StringBuilder report = new StringBuilder();
            for (int i = 0; i < rounds; i++) {
                report.append(String.format(" [render %d, reporter %d]", renderAllocated[i], reporterAllocated[i]));
                cleanRound |= renderAllocated[i] == 0 && reporterAllocated[i] == 0;
            }
            System.out.println("bytes allocated per round of " + perRound + " frames released and reported:" + report);
            assertTrue(cleanRound, "no round of " + perRound + " frames was allocation-free:" + report);
        }
        assertEquals(0, broker.violations(), "no message out of sequence or out of rule: " + String.join("\n", log));
    }

    @Test
    void aValueTheGpuNeverReachesFailsTheReporterWithinItsTimeoutAndThenTheRenderThreadHearsOfIt() throws Exception {
        FakeTimeline gpu = new FakeTimeline("gpu");
        try (BrokerClient a = client("a"); FenceReporter r = FenceReporter.start(a, gpu, TimeUnit.MILLISECONDS.toNanos(200), 1, "a")) {
            BrokerClient.Surface s = a.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            assertEquals(AcquireStatus.ACQUIRED, a.acquire(s, 0L, SECOND));
            assertTrue(a.release(s, 1L, 1L, null));
            long t0 = System.nanoTime();
            assertTrue(r.released(s, 1L, SECOND));
            assertFalse(r.released(s, 2L, 5 * SECOND), "the queue of one is full until the reporter gives up");
            long took = System.nanoTime() - t0;
            assertTrue(took < 2 * SECOND, "bounded by the GPU timeout, took " + took / 1e6 + " ms");
            assertTrue(r.failure().contains("did not reach fence value 1"), r.failure());
        }
    }

    @Test
    void aBrokerThatGoesAwayFailsTheReporterAtItsNextReport() throws Exception {
        FakeTimeline gpu = new FakeTimeline("gpu");
        try (BrokerClient a = client("a"); FenceReporter r = FenceReporter.start(a, gpu, 5 * SECOND, 2, "a")) {
            BrokerClient.Surface s = a.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            assertEquals(AcquireStatus.ACQUIRED, a.acquire(s, 0L, SECOND));
            assertTrue(a.release(s, 1L, 1L, null));
            assertTrue(r.released(s, 1L, SECOND));
            broker.close();
            IpcTestSupport.awaitTrue(() -> !broker.isRunning(), 5 * SECOND, "the broker stopped");
            gpu.signalFromHost(1L);
            long t0 = System.nanoTime();
            assertFalse(r.drain(5 * SECOND));
            assertTrue(System.nanoTime() - t0 < 2 * SECOND, "the failure is prompt");
            assertTrue(r.failure().startsWith("the broker is gone"), r.failure());
        }
    }
}
