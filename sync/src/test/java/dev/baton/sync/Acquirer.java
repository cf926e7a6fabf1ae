package dev.baton.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.TimeUnit;

/** Test helper: one acquire on its own thread, with its outcome copied out of the reusable result. */
final class Acquirer {
    final Thread thread;
    volatile AcquireStatus status;
    volatile long fenceValue;
    volatile byte[] privateData;
    volatile Throwable failure;
    volatile long elapsedNanos;
    volatile boolean ownerAfterAcquire;

    Acquirer(KeyedMutex.Handle handle, long key, long timeoutNanos) {
        thread = new Thread(() -> {
            long start = System.nanoTime();
            try {
                AcquireResult r = timeoutNanos == KeyedMutex.INFINITE_TIMEOUT_NANOS
                        ? handle.acquire(key)
                        : handle.acquire(key, timeoutNanos, TimeUnit.NANOSECONDS);
                elapsedNanos = System.nanoTime() - start;
                fenceValue = r.fenceValue();
                byte[] bytes = new byte[r.privateData().remaining()];
                r.privateData().get(bytes);
                privateData = bytes;
                ownerAfterAcquire = r.status() == AcquireStatus.ACQUIRED && handle.isOwner();
                status = r.status();
            } catch (Throwable t) {
                elapsedNanos = System.nanoTime() - start;
                failure = t;
            }
        }, "acquirer-" + handle.deviceName() + "-" + Long.toHexString(key));
        thread.setDaemon(true);
        thread.start();
    }

    static Acquirer start(KeyedMutex.Handle handle, long key, long timeoutNanos) {
        return new Acquirer(handle, key, timeoutNanos);
    }

    /** Waits (bounded) for the acquire to return. */
    Acquirer join() throws InterruptedException {
        thread.join(10_000);
        assertFalse(thread.isAlive(), thread.getName() + " still blocked after 10 s");
        return this;
    }

    AcquireStatus joinStatus() throws InterruptedException {
        join();
        if (failure != null) {
            throw new AssertionError("acquire threw", failure);
        }
        return status;
    }

    boolean done() {
        return !thread.isAlive();
    }

    /** Bounded wait until the mutex has exactly {@code expected} queued acquires. */
    static void awaitWaiters(KeyedMutex mutex, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (mutex.waiterCount() != expected) {
            if (System.nanoTime() - deadline > 0) {
                fail("waiterCount stayed " + mutex.waiterCount() + ", expected " + expected);
            }
            Thread.sleep(1);
        }
        assertEquals(expected, mutex.waiterCount());
    }
}
