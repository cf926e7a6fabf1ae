package dev.baton.sync;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A host-only {@link Timeline} for tests and GPU-less runs: a thread-safe unsigned 64-bit counter that
 * threads can wait on. Signalling is {@link #signalFromHost}; {@link #awaitValue} blocks on the
 * object's monitor. All methods are thread-safe. Not for the frame loop: waiting allocates nothing but
 * uses {@code Object.wait}, whose wake-up latency is the JVM's.
 */
public final class FakeTimeline implements Timeline {
    private final String name;
    private volatile long completedValue; // unsigned; written only under the monitor

    /**
     * A timeline at value 0.
     *
     * @param name for messages
     */
    public FakeTimeline(String name) {
        this(name, 0L);
    }

    /**
     * A timeline at {@code initialValue} (unsigned).
     *
     * @param name for messages
     * @param initialValue the starting value
     */
    public FakeTimeline(String name, long initialValue) {
        this.name = Objects.requireNonNull(name, "name");
        this.completedValue = initialValue;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long completedValue() {
        return completedValue;
    }

    @Override
    public boolean awaitValue(long value, long timeoutNanos) throws InterruptedException {
        if (timeoutNanos < 0) {
            throw new IllegalArgumentException("timeoutNanos must be >= 0, got " + timeoutNanos
                    + "; pass 0 to poll or a positive timeout to wait");
        }
        if (reached(value)) {
            return true;
        }
        if (timeoutNanos == 0L) {
            return false;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("awaitValue(" + Long.toUnsignedString(value) + ") on " + name + " interrupted");
        }
        final long deadlineNanos = System.nanoTime() + timeoutNanos;
        synchronized (this) {
            while (!reached(value)) {
                long remainingNanos = deadlineNanos - System.nanoTime();
                if (remainingNanos <= 0L) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, remainingNanos);
            }
            return true;
        }
    }

    @Override
    public void signalFromHost(long value) {
        synchronized (this) {
            if (Long.compareUnsigned(value, completedValue) > 0) {
                completedValue = value;
                notifyAll();
            }
        }
    }

    private boolean reached(long value) {
        return Long.compareUnsigned(completedValue, value) >= 0;
    }

    @Override
    public String toString() {
        return "FakeTimeline[" + name + " @ " + Long.toUnsignedString(completedValue) + "]";
    }
}
