package dev.baton.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Randomised stress: 8 worker threads on 8 handles (plus one spare handle used only for misuse) acquire
 * random keys with random timeouts, release to random keys with growing fence values and private data,
 * misuse the API now and then, and get interrupted by a chaos thread, while a checker thread
 * continuously verifies the protocol invariants under the mutex lock.
 *
 * <p>Checked: mutual exclusion (a shared owner marker set by whoever acquired), fence value and private
 * data consistent with each other and never decreasing, no lost wake-up (at every instant the checker
 * samples: if the mutex is unowned, no waiter for its stored key is queued), no residue (the waiter
 * count returns to 0 and the queue is empty at the end), and progress (many successful handoffs).
 */
class KeyedMutexStressTest {
    static final int WORKERS = 8;
    static final long MIN_OPERATIONS = 1_000_000;
    static final long MAX_RUN_NANOS = TimeUnit.SECONDS.toNanos(25);
    static final long[] KEYS = {0L, 1L, 1L << 32, (1L << 32) | 1L, -1L, Long.MIN_VALUE};
    static final long[] TIMEOUTS_NANOS = {0, 0, 0, 0, 0, 2_000, 20_000, 200_000, 1_000_000};

    /** Once parking at once (the default) and once spinning first, so both wait paths are stressed. */
    @ParameterizedTest(name = "spinNanos={0}")
    @ValueSource(longs = {0L, 2_000L})
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void randomisedProtocolKeepsItsInvariants(long spinNanos) throws Exception {
        KeyedMutex mutex = KeyedMutex.create(0L, 16, spinNanos);
        KeyedMutex.Handle spare = mutex.open("spare");
        AtomicReference<Object> ownerMarker = new AtomicReference<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        LongAdder operations = new LongAdder();
        LongAdder acquired = new LongAdder();
        LongAdder blockedAcquired = new LongAdder();
        LongAdder timeouts = new LongAdder();
        LongAdder interrupts = new LongAdder();
        AtomicLong highestFence = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        long startNanos = System.nanoTime();
        List<Thread> workers = new ArrayList<>();

        for (int w = 0; w < WORKERS; w++) {
            final KeyedMutex.Handle handle = mutex.open("worker-" + w);
            final long seed = 0x5EED_0000L + w;
            Thread t = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                ByteBuffer data = ByteBuffer.allocate(16);
                // The chaos interrupts may start before the gun: never let one skip the run.
                while (start.getCount() > 0) {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        interrupts.increment();
                    }
                }
                while (operations.sum() < MIN_OPERATIONS && System.nanoTime() - startNanos < MAX_RUN_NANOS) {
                    long key = KEYS[random.nextInt(KEYS.length)];
                    long timeoutNanos = TIMEOUTS_NANOS[random.nextInt(TIMEOUTS_NANOS.length)];
                    AcquireResult r;
                    try {
                        operations.increment();
                        r = handle.acquireNanos(key, timeoutNanos);
                    } catch (InterruptedException e) {
                        interrupts.increment();
                        continue;
                    } catch (Throwable e) {
                        failures.add("acquire threw " + e);
                        return;
                    }
                    if (r.status() == AcquireStatus.TIMEOUT) {
                        timeouts.increment();
                        if (random.nextInt(8) == 0) {
                            operations.increment();
                            expectNotOwner(handle, failures);
                        }
                        continue;
                    }
                    if (r.status() != AcquireStatus.ACQUIRED) {
                        failures.add("unexpected " + r.status());
                        return;
                    }
                    acquired.increment();
                    if (timeoutNanos != 0) {
                        blockedAcquired.increment();
                    }
                    if (!ownerMarker.compareAndSet(null, handle)) {
                        failures.add("mutual exclusion broken: " + handle + " acquired while " + ownerMarker.get() + " owns");
                        return;
                    }
                    // The private data must be the 8-byte fence value the last releaser wrote (or empty
                    // after the initial state / a plain release), whatever thread released.
                    long fence = r.fenceValue();
                    ByteBuffer got = r.privateData();
                    if (got.remaining() == 8 && got.getLong(0) != fence) {
                        failures.add("private data " + got.getLong(0) + " does not match fence " + fence);
                    }
                    long seen = highestFence.get();
                    if (Long.compareUnsigned(fence, seen) < 0) {
                        failures.add("fence went backwards: " + fence + " after " + seen);
                    }
                    if (random.nextInt(16) == 0) {
                        operations.increment();
                        try {
                            handle.acquireNanos(key, 0);
                            failures.add("recursive acquire did not throw");
                        } catch (IllegalStateException expected) {
                            // rule 4
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    if (random.nextInt(16) == 0 && fence != 0) {
                        operations.increment();
                        try {
                            handle.release(key, fence - 1, null);
                            failures.add("lower fence accepted");
                        } catch (IllegalArgumentException expected) {
                            // rule 6: still owner
                        }
                    }
                    if (ownerMarker.get() != handle) {
                        failures.add("owner marker changed under " + handle);
                    }
                    ownerMarker.set(null);
                    long newKey = KEYS[random.nextInt(KEYS.length)];
                    operations.increment();
                    if (random.nextInt(4) == 0) {
                        handle.release(newKey);
                    } else {
                        long newFence = fence + random.nextInt(3);
                        highestFence.accumulateAndGet(newFence, (x, y) -> Long.compareUnsigned(x, y) >= 0 ? x : y);
                        data.clear();
                        data.putLong(0, newFence).limit(8);
                        handle.release(newKey, newFence, data);
                    }
                    if (random.nextInt(32) == 0) {
                        operations.increment();
                        expectNotOwner(handle, failures); // double release
                    }
                }
            }, "stress-worker-" + w);
            workers.add(t);
            t.start();
        }

        Thread checker = new Thread(() -> {
            SplittableRandom random = new SplittableRandom(7);
            while (workers.stream().anyMatch(Thread::isAlive)) {
                String violation = mutex.invariantViolation();
                if (violation != null) {
                    failures.add(violation);
                }
                if (random.nextInt(64) == 0) {
                    workers.get(random.nextInt(WORKERS)).interrupt();
                }
                if (random.nextInt(4) == 0) {
                    expectNotOwner(spare, failures);
                }
                Thread.onSpinWait();
            }
        }, "stress-checker");
        start.countDown();
        checker.start();
        for (Thread t : workers) {
            t.join(TimeUnit.NANOSECONDS.toMillis(MAX_RUN_NANOS) + 30_000);
        }
        checker.join(30_000);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        System.out.printf("stress (spinNanos=" + spinNanos + "): %d operations in %d ms: %d acquired (%d after blocking), %d timeouts, %d interrupts%n",
                operations.sum(), elapsedMillis, acquired.sum(), blockedAcquired.sum(), timeouts.sum(), interrupts.sum());

        assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
        assertTrue(operations.sum() >= MIN_OPERATIONS, "only " + operations.sum() + " operations in " + elapsedMillis + " ms");
        assertTrue(acquired.sum() > 10_000, "too little progress: " + acquired.sum());
        assertTrue(blockedAcquired.sum() > 100, "too few blocking handoffs: " + blockedAcquired.sum());
        assertEquals(0, mutex.waiterCount(), "waiters left behind");
        assertNull(mutex.invariantViolation());
        assertTrue(!mutex.isAbandoned());
        mutex.close();
    }

    static void expectNotOwner(KeyedMutex.Handle handle, ConcurrentLinkedQueue<String> failures) {
        try {
            handle.release(0);
            failures.add("release by non-owner " + handle + " succeeded");
        } catch (IllegalMonitorStateException expected) {
            // rule 5
        }
    }
}
