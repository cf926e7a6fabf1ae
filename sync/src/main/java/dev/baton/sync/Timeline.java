package dev.baton.sync;

/**
 * A monotonically increasing unsigned 64-bit counter that a device (or the host) signals and that
 * others wait on: a Vulkan timeline semaphore, a chain of GL fences, or {@link FakeTimeline} in tests.
 *
 * <p>Keyed-mutex fence values are timeline values: the releaser's submitted work signals the fence
 * value it released with, and the acquirer's work waits for it (rule 10 of the keyed-mutex contract).
 * A surface uses the same value on every participant's timeline, so no translation table is needed:
 * a host bridge forwards value {@code v} from one timeline to another unchanged.
 *
 * <p>Values compare unsigned ({@link Long#compareUnsigned}). Implementations are thread-safe unless
 * they say otherwise.
 */
public interface Timeline {
    /** {@return a name for messages and reports, such as {@code "lavapipe#1/surface-0"}} */
    String name();

    /** {@return the highest value known to be reached. Never decreases. Never blocks} */
    long completedValue();

    /**
     * Blocks the calling thread until {@link #completedValue()} reaches {@code value} (unsigned) or
     * the timeout passes. A timeout of 0 polls.
     *
     * @param value the value to wait for (unsigned)
     * @param timeoutNanos how long to wait, in nanoseconds
     * @return true if the value was reached, false on timeout (a timeout is an outcome, not an error)
     * @throws IllegalArgumentException if {@code timeoutNanos} is negative
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    boolean awaitValue(long value, long timeoutNanos) throws InterruptedException;

    /**
     * Signals {@code value} from the host. Signalling a value not above {@link #completedValue()} is
     * harmless and does nothing (a bridge may race a GPU signal of the same value).
     *
     * @param value the value (unsigned)
     */
    void signalFromHost(long value);
}
