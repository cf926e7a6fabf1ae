package dev.baton.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostBridgeTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    record Failure(Timeline from, long value, Timeline to, long waitedNanos, Throwable cause) {}

    final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
    final List<HostBridge> bridges = Collections.synchronizedList(new ArrayList<>());

    HostBridge bridge(int capacity, long requestTimeoutNanos, long enqueueTimeoutNanos) {
        HostBridge b = new HostBridge(capacity, requestTimeoutNanos, enqueueTimeoutNanos,
                (from, value, to, waited, cause) -> failures.add(new Failure(from, value, to, waited, cause)));
        bridges.add(b);
        return b;
    }

    @AfterEach
    void closeAll() {
        bridges.forEach(HostBridge::close);
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10 * SECOND;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    @Nested
    class Forwarding {
        @Test
        void forwardsAValueOnceTheSourceReachesIt() throws Exception {
            HostBridge bridge = bridge(8, 10 * SECOND, SECOND);
            assertEquals(HostBridge.THREAD_NAME, bridge.thread().getName());
            FakeTimeline gpu = new FakeTimeline("gpu");
            FakeTimeline gl = new FakeTimeline("gl");
            bridge.forward(gpu, 3, gl);
            Thread.sleep(30);
            assertEquals(0, gl.completedValue(), "forwarded before the source reached the value");
            gpu.signalFromHost(3);
            assertTrue(gl.awaitValue(3, 10 * SECOND));
            assertEquals(3, gl.completedValue());
            awaitTrue(() -> bridge.forwardedCount() == 1, "forwarded count");
            assertTrue(failures.isEmpty());
        }

        @Test
        void awaitServedWaitsForTheRequestsAcceptedBeforeItsMarkOnly() throws Exception {
            HostBridge bridge = bridge(8, 10 * SECOND, SECOND);
            FakeTimeline a = new FakeTimeline("a");
            FakeTimeline b = new FakeTimeline("b");
            FakeTimeline out = new FakeTimeline("out");
            bridge.forward(a, 1, out);
            long mark = bridge.acceptedCount();
            assertEquals(1, mark);
            assertFalse(bridge.awaitServed(mark, 30_000_000L), "served before its source reached the value");
            a.signalFromHost(1);
            assertTrue(bridge.awaitServed(mark, 10 * SECOND));
            assertEquals(1, out.completedValue());
            bridge.forward(b, 2, out); // after the mark: pending, and awaitServed(mark) does not wait for it
            assertTrue(bridge.awaitServed(mark, 0L));
            assertFalse(bridge.awaitServed(bridge.acceptedCount(), 20_000_000L));
            bridge.close(); // the pending one is reported as cancelled; the drained bridge serves every mark
            assertTrue(bridge.awaitServed(bridge.acceptedCount(), SECOND));
            awaitTrue(() -> failures.size() == 1, "the pending request reported at close");
        }

        @Test
        void servesRequestsInOrder() throws Exception {
            HostBridge bridge = bridge(16, 10 * SECOND, SECOND);
            FakeTimeline src = new FakeTimeline("src");
            List<Long> seen = Collections.synchronizedList(new ArrayList<>());
            FakeTimeline recorder = new FakeTimeline("dst");
            // A destination that records the order of signals.
            Timeline dst = new Timeline() {
                @Override public String name() { return "dst"; }
                @Override public long completedValue() { return recorder.completedValue(); }
                @Override public boolean awaitValue(long v, long t) throws InterruptedException { return recorder.awaitValue(v, t); }
                @Override public void signalFromHost(long v) { seen.add(v); recorder.signalFromHost(v); }
            };
            for (long v = 1; v <= 10; v++) {
                bridge.forward(src, v, dst);
            }
            src.signalFromHost(10); // every request is satisfiable at once; order must still hold
            assertTrue(dst.awaitValue(10, 10 * SECOND));
            awaitTrue(() -> seen.size() == 10, "ten signals");
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), seen);
        }

        @Test
        void forwardDoesNotBlockTheCaller() throws Exception {
            HostBridge bridge = bridge(64, 10 * SECOND, SECOND);
            FakeTimeline never = new FakeTimeline("never");
            FakeTimeline dst = new FakeTimeline("dst");
            long start = System.nanoTime();
            for (int i = 0; i < 64; i++) {
                bridge.forward(never, 1_000 + i, dst);
            }
            assertTrue(System.nanoTime() - start < SECOND, "forward blocked on a non-full ring");
            assertEquals(64, bridge.pending());
        }

        @Test
        void steadyStateForwardAllocatesNothingOnTheCallersThread() throws Exception {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            HostBridge bridge = bridge(1024, 10 * SECOND, 10 * SECOND);
            FakeTimeline src = new FakeTimeline("src", Long.MAX_VALUE); // every value already reached
            FakeTimeline dst = new FakeTimeline("dst");
            long value = 0;
            for (int round = 0; round < 3; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 20_000; i++) {
                    bridge.forward(src, ++value, dst);
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                final long last = value;
                awaitTrue(() -> dst.completedValue() == last, "drain");
                if (round == 2) {
                    assertTrue(allocated < 1024, allocated + " bytes for 20,000 forwards");
                }
            }
            assertTrue(failures.isEmpty());
        }
    }

    @Nested
    class Failures {
        @Test
        void aRequestWaitingTooLongIsReportedNotDroppedSilently() throws Exception {
            HostBridge bridge = bridge(8, TimeUnit.MILLISECONDS.toNanos(50), SECOND);
            FakeTimeline stuck = new FakeTimeline("stuck");
            FakeTimeline dst = new FakeTimeline("dst");
            FakeTimeline ok = new FakeTimeline("ok", 100);
            bridge.forward(stuck, 7, dst);
            bridge.forward(ok, 5, dst); // served after the stuck one is given up
            awaitTrue(() -> dst.completedValue() == 5, "the request behind the stuck one");
            assertEquals(1, failures.size());
            Failure f = failures.peek();
            assertSame(stuck, f.from());
            assertEquals(7, f.value());
            assertSame(dst, f.to());
            assertNull(f.cause(), "a timeout has no cause");
            assertTrue(f.waitedNanos() >= TimeUnit.MILLISECONDS.toNanos(50), "reported early: " + f.waitedNanos());
            assertEquals(1, bridge.failureCount());
            assertFalse(dst.completedValue() >= 7, "a value that was never reached was signalled");
        }

        @Test
        void aTimelineThatThrowsIsReported() throws Exception {
            HostBridge bridge = bridge(8, SECOND, SECOND);
            RuntimeException boom = new IllegalStateException("device lost");
            FakeTimeline broken = new FakeTimeline("broken");
            Timeline throwing = new Timeline() {
                @Override public String name() { return "throwing"; }
                @Override public long completedValue() { return 0; }
                @Override public boolean awaitValue(long v, long t) { throw boom; }
                @Override public void signalFromHost(long v) { }
            };
            bridge.forward(throwing, 1, broken);
            awaitTrue(() -> failures.size() == 1, "a report");
            assertSame(boom, failures.peek().cause());
        }

        @Test
        void aFullRingBlocksWithAFiniteTimeoutThenThrowsClearly() throws Exception {
            HostBridge bridge = bridge(2, 30 * SECOND, TimeUnit.MILLISECONDS.toNanos(100));
            FakeTimeline stuck = new FakeTimeline("stuck-gpu");
            FakeTimeline dst = new FakeTimeline("dst");
            bridge.forward(stuck, 1, dst);
            bridge.forward(stuck, 2, dst);
            // Full now: the request being served keeps its slot until it is done.
            long start = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
                bridge.forward(stuck, 3, dst);
            });
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(100), "gave up early: " + elapsed);
            assertTrue(elapsed < 5 * SECOND);
            assertTrue(e.getMessage().contains("ring full") && e.getMessage().contains("stuck-gpu"), e.getMessage());
        }

        @Test
        void aRingOfOneHoldsOneRequestAndNeverOverwritesIt() throws Exception {
            // With one slot, "published for the consumer" must not read as "free for the next
            // producer": a second forward while the first is pending waits for the slot.
            HostBridge bridge = bridge(1, 30 * SECOND, 10 * SECOND);
            FakeTimeline src = new FakeTimeline("src");
            FakeTimeline first = new FakeTimeline("first");
            FakeTimeline second = new FakeTimeline("second");
            bridge.forward(src, 1, first);
            awaitTrue(() -> bridge.pending() == 1, "the first request");
            Thread.sleep(20); // let the bridge start serving it
            AtomicReference<Throwable> secondOutcome = new AtomicReference<>();
            Thread producer = new Thread(() -> {
                try {
                    bridge.forward(src, 2, second); // must wait for the slot, not overwrite it
                } catch (Throwable e) {
                    secondOutcome.set(e);
                }
            });
            producer.start();
            Thread.sleep(50);
            assertTrue(producer.isAlive(), "a forward into a full one-slot ring returned at once");
            src.signalFromHost(2);
            assertTrue(first.awaitValue(1, 10 * SECOND), "the first request was lost");
            producer.join(10_000);
            assertNull(secondOutcome.get());
            assertTrue(second.awaitValue(2, 10 * SECOND), "the second request was lost");
            awaitTrue(() -> bridge.forwardedCount() == 2, "two forwards");
            src.signalFromHost(1_002);
            for (long v = 3; v < 1_003; v++) { // and the one slot keeps cycling
                bridge.forward(src, v, first);
            }
            assertTrue(first.awaitValue(1_002, 10 * SECOND));
            awaitTrue(() -> bridge.forwardedCount() == 1_002, "every forward");
            assertTrue(failures.isEmpty());
        }

        @Test
        void aFullRingDrainsOnceTheSourceAdvances() throws Exception {
            HostBridge bridge = bridge(2, 30 * SECOND, 10 * SECOND);
            FakeTimeline src = new FakeTimeline("src");
            FakeTimeline dst = new FakeTimeline("dst");
            bridge.forward(src, 1, dst);
            bridge.forward(src, 2, dst);
            Thread signaller = new Thread(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
                src.signalFromHost(3);
            });
            signaller.start();
            bridge.forward(src, 3, dst); // blocks until the bridge drains
            assertTrue(dst.awaitValue(3, 10 * SECOND));
            signaller.join(10_000);
        }
    }

    @Nested
    class ListenerFailures {
        @Test
        void anErrorFromTheListenerDoesNotStopTheBridgeAndIsRethrownAfterTheDrain() throws Exception {
            List<Long> reportedValues = Collections.synchronizedList(new ArrayList<>());
            AssertionError listenerBug = new AssertionError("listener bug");
            HostBridge bridge = new HostBridge(8, TimeUnit.MILLISECONDS.toNanos(50), SECOND, (from, value, to, waited, cause) -> {
                reportedValues.add(value);
                throw listenerBug; // every report fails, as with an OutOfMemoryError building a message
            });
            bridges.add(bridge);
            AtomicReference<Throwable> uncaught = new AtomicReference<>();
            bridge.thread().setUncaughtExceptionHandler((thread, e) -> uncaught.set(e));
            FakeTimeline stuck = new FakeTimeline("stuck");
            FakeTimeline ok = new FakeTimeline("ok", 100);
            FakeTimeline dst = new FakeTimeline("dst");
            bridge.forward(stuck, 7, dst); // times out after 50 ms: the listener throws
            bridge.forward(ok, 5, dst);    // still forwarded after that
            awaitTrue(() -> dst.completedValue() == 5, "the request behind the failed report");
            assertTrue(bridge.thread().isAlive(), "the listener's Error killed the bridge thread");
            assertSame(listenerBug, bridge.listenerError());
            HostBridge slow = bridge; // requests still pending at close are reported too
            slow.forward(stuck, 8, dst);
            slow.forward(stuck, 9, dst);
            slow.close();
            assertFalse(bridge.thread().isAlive());
            assertEquals(List.of(7L, 8L, 9L), reportedValues.subList(0, reportedValues.size()));
            assertEquals(3, bridge.failureCount());
            assertSame(listenerBug, uncaught.get(), "the Error was swallowed instead of rethrown after the drain");
        }
    }

    @Nested
    class Closing {
        @Test
        void closeStopsTheThreadPromptlyIsIdempotentAndReportsPendingRequests() throws Exception {
            HostBridge bridge = bridge(8, 60 * SECOND, SECOND);
            FakeTimeline stuck = new FakeTimeline("stuck");
            FakeTimeline dst = new FakeTimeline("dst");
            bridge.forward(stuck, 1, dst);
            bridge.forward(stuck, 2, dst);
            Thread.sleep(20);
            long start = System.nanoTime();
            bridge.close();
            assertTrue(System.nanoTime() - start < 2 * SECOND, "close was not prompt");
            assertFalse(bridge.thread().isAlive());
            bridge.close();
            assertEquals(2, failures.size());
            assertTrue(failures.stream().allMatch(f -> f.cause() instanceof CancellationException));
            assertEquals(0, dst.completedValue());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> bridge.forward(stuck, 3, dst));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }

        @Test
        void aRequestAcceptedWhileAnEarlierOneIsStillBeingPublishedIsNotLostAtClose() throws Exception {
            // Producer P1 claims slot i and is preempted before publishing it; P2 claims i + 1,
            // publishes and returns (accepted); then close() runs. The drain must not stop at the
            // unpublished slot i: every accepted request is forwarded or reported. 6 producers
            // forwarding flat out on 2 cores are preempted anywhere, also between claim and
            // publish; each round closes a bridge in mid-stream.
            final int producers = 6;
            // Request n of producer p has value (p << 40) + n. Both sets are written on the bridge
            // thread only and read after close() joined it.
            BitSet[] signalled = new BitSet[producers];
            BitSet[] reported = new BitSet[producers];
            for (int p = 0; p < producers; p++) {
                signalled[p] = new BitSet(1 << 20);
                reported[p] = new BitSet(1 << 20);
            }
            for (int round = 0; round < 30; round++) {
                for (int p = 0; p < producers; p++) {
                    signalled[p].clear();
                    reported[p].clear();
                }
                long[] acceptedUpTo = new long[producers]; // producer p's requests 1..n returned normally
                HostBridge bridge = new HostBridge(1 << 16, 10 * SECOND, SECOND,
                        (from, value, to, waited, cause) -> reported[(int) (value >>> 40)].set((int) value));
                bridges.add(bridge);
                Timeline src = new FakeTimeline("src", -1L); // every value already reached
                Timeline dst = new Timeline() {
                    @Override public String name() { return "dst"; }
                    @Override public long completedValue() { return 0; }
                    @Override public boolean awaitValue(long v, long t) { return false; }
                    @Override public void signalFromHost(long v) { signalled[(int) (v >>> 40)].set((int) v); }
                };
                CountDownLatch started = new CountDownLatch(producers);
                List<Thread> threads = new ArrayList<>();
                for (int p = 0; p < producers; p++) {
                    final int producer = p;
                    final long base = (long) p << 40;
                    Thread t = new Thread(() -> {
                        started.countDown();
                        long n = 0;
                        try {
                            while (n < Integer.MAX_VALUE) {
                                bridge.forward(src, base + n + 1, dst);
                                n++;
                            }
                        } catch (IllegalStateException | InterruptedException closed) {
                            // closed (or a full ring at close): stop
                        }
                        acceptedUpTo[producer] = n; // published by Thread.join below
                    }, "producer-" + p);
                    t.start();
                    threads.add(t);
                }
                started.await();
                long closeAt = System.nanoTime() + 300_000L;
                while (System.nanoTime() < closeAt) {
                    Thread.onSpinWait();
                }
                bridge.close();
                for (Thread t : threads) {
                    t.join(10_000);
                    assertFalse(t.isAlive(), t.getName() + " still running after close");
                }
                long accepted = 0;
                long lost = 0;
                String example = null;
                for (int p = 0; p < producers; p++) {
                    accepted += acceptedUpTo[p];
                    BitSet seen = (BitSet) signalled[p].clone();
                    seen.or(reported[p]);
                    int missing = seen.nextClearBit(1);
                    if (missing <= acceptedUpTo[p]) {
                        lost += acceptedUpTo[p] - seen.get(1, (int) acceptedUpTo[p] + 1).cardinality();
                        example = example == null ? "producer " + p + "'s request " + missing : example;
                    }
                }
                assertEquals(0, lost, "round " + round + ": " + lost + " of " + accepted
                        + " accepted requests were neither forwarded nor reported, e.g. " + example);
            }
        }

        @Test
        void closingAnIdleBridge() {
            HostBridge bridge = bridge(1, SECOND, SECOND);
            bridge.close();
            assertFalse(bridge.thread().isAlive());
            assertTrue(failures.isEmpty());
        }

        @Test
        void badArguments() {
            assertThrows(IllegalArgumentException.class, () -> new HostBridge(0, 1, 1, (a, b, c, d, e) -> { }));
            assertThrows(IllegalArgumentException.class, () -> new HostBridge(1, 0, 1, (a, b, c, d, e) -> { }));
            assertThrows(NullPointerException.class, () -> new HostBridge(1, 1, 1, null));
        }
    }
}
