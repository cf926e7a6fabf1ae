package dev.baton.render.ipc;

import dev.baton.sync.Timeline;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The compositor's view of a producer process's GPU timeline for one surface (host bridge across
 * processes): the producer's own timeline semaphore lives in its process; every FENCE_REACHED it sends
 * ({@link Broker.Listener#fenceReached}) advances this host-side copy, and waiters here wake. When the
 * producer is gone, {@link #detach} wakes every waiter, whose wait then returns false at once (its
 * value will never come; the keyed mutex reports the abandonment).
 *
 * <p>Thread-safe. {@link #signalFromHost} and {@link #completedValue} allocate nothing; a waiter
 * parks on a condition (no polling).
 */
public final class RemoteTimeline implements Timeline {
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition advanced = lock.newCondition();
    private volatile long value;
    private volatile boolean detached;

    /**
     * A timeline at 0.
     *
     * @param name for messages, such as {@code "plasma-1234/surface-3"}
     */
    public RemoteTimeline(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long completedValue() {
        return value;
    }

    @Override
    public boolean awaitValue(long target, long timeoutNanos) throws InterruptedException {
        if (timeoutNanos < 0) {
            throw new IllegalArgumentException("negative timeout " + timeoutNanos + " ns waiting for " + name + " >= " + target);
        }
        if (Long.compareUnsigned(value, target) >= 0) {
            return true;
        }
        long left = timeoutNanos;
        lock.lockInterruptibly();
        try {
            while (Long.compareUnsigned(value, target) < 0) {
                if (detached || left <= 0) {
                    return false;
                }
                left = advanced.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Advances to {@code reached} (a FENCE_REACHED); a value not above the current one is ignored. */
    @Override
    public void signalFromHost(long reached) {
        lock.lock();
        try {
            if (Long.compareUnsigned(reached, value) > 0) {
                value = reached;
                advanced.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The producer is gone: no value will come any more; every waiter returns false now. */
    public void detach() {
        lock.lock();
        try {
            detached = true;
            advanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** {@return whether {@link #detach} was called} */
    public boolean isDetached() {
        return detached;
    }

    @Override
    public String toString() {
        return name + " at " + Long.toUnsignedString(value) + (detached ? " (detached)" : "");
    }

}
