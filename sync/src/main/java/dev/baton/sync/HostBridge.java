package dev.baton.sync;

import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Forwards timeline values between devices that cannot wait on each other's timelines: for each request
 * {@code (from, value, to)} a named thread ({@value #THREAD_NAME}, or the name given) waits until
 * {@code from} reaches {@code value} and then signals {@code value} on {@code to} from the host. One
 * bridge may serve many pairs of timelines: Baton's render module runs one per source device, since
 * one device's values are reached in the order its work was queued.
 *
 * <p>Requests sit in a preallocated bounded ring and are served one at a time in the order they were
 * accepted (forwarding value {@code v} after a later request's value would be harmless for timelines
 * but would delay it behind an unrelated device). A request not completed within
 * {@code requestTimeoutNanos} of being accepted is reported to the {@link FailureListener} and dropped
 * without signalling: signalling would tell {@code to} that work finished which did not.
 *
 * <p>Threading: {@link #forward} may be called from any thread; it is lock-free and never blocks
 * unless the ring is full, and then only up to {@code enqueueTimeoutNanos} before it throws. The listener runs on the
 * bridge thread. {@link #close()} is idempotent and may be called from any thread, including the
 * listener. Steady-state forwarding allocates nothing (the bridge thread's own waits allocate whatever
 * the {@link Timeline} implementation does).
 *
 * <p>Nothing accepted is lost: a request for which {@link #forward} returned normally is either
 * forwarded or reported to the listener, also when {@link #close()} races it or the listener throws.
 * A listener that throws does not stop the bridge: a {@link RuntimeException} is dropped (the
 * {@link #failureCount()} still counts the report); the first {@link Error} is kept
 * ({@link #listenerError()}), the bridge goes on forwarding and reporting, and once {@link #close()}
 * has drained the ring the bridge thread rethrows that Error, so the thread's uncaught-exception
 * handler (by default: printed to standard error) sees it rather than nobody. If the bridge thread
 * itself fails, it stops accepting requests ({@link #forward} throws as if closed), reports every
 * pending request as cancelled and rethrows the failure.
 */
public final class HostBridge implements AutoCloseable {
    /** The name of the bridge thread. */
    public static final String THREAD_NAME = "baton-host-bridge";

    /** Receives requests that could not be forwarded. Called on the bridge thread; must not block long. */
    @FunctionalInterface
    public interface FailureListener {
        /**
         * @param from the timeline that was awaited
         * @param value the value (unsigned) that was not forwarded
         * @param to the timeline that was not signalled
         * @param waitedNanos how long the request waited since {@link #forward} accepted it
         * @param cause null if {@code from} did not reach {@code value} within the request timeout;
         *     the exception a timeline threw; or a {@link CancellationException} if the bridge was
         *     closed before the request was served
         */
        void forwardFailed(Timeline from, long value, Timeline to, long waitedNanos, Throwable cause);
    }

    private static final long FULL_RING_POLL_NANOS = 50_000L;

    private final int capacity;
    private final long requestTimeoutNanos;
    private final long enqueueTimeoutNanos;
    private final FailureListener listener;
    // A bounded multi-producer single-consumer ring (Vyukov's sequence-per-slot design) over parallel
    // preallocated arrays: slot = index % capacity. sequence[slot] == 2 * index means free for the
    // producer of index; 2 * index + 1 means published for the consumer; the consumer frees it as
    // 2 * (index + capacity). Doubling keeps "published for index" and "free for index + 1" apart
    // even when capacity is 1 (Vyukov's index / index + 1 coincide there). No lock, so a forward()
    // racing the bridge thread never queues on a lock (which allocates).
    private final Timeline[] fromRing;
    private final Timeline[] toRing;
    private final long[] valueRing;
    private final long[] acceptedAtNanosRing;
    private final AtomicLongArray sequence;
    private final AtomicLong tail = new AtomicLong(); // next index a producer claims
    private volatile long head;                       // next index the bridge serves; written by it only
    private volatile boolean closed;
    private volatile long failuresReported;           // written by the bridge thread only
    private volatile long forwarded;                  // written by the bridge thread only
    private volatile Error listenerError;             // the listener's first Error; bridge thread only
    private final Thread thread;

    /**
     * Starts the bridge thread.
     *
     * @param capacity ring size: how many requests may be pending at once (allocated now)
     * @param requestTimeoutNanos how long a request may wait for its {@code from} value, counted from
     *     its acceptance, before it is reported to {@code listener} and dropped
     * @param enqueueTimeoutNanos how long {@link #forward} may block on a full ring before it throws
     * @param listener receives every request that was not forwarded
     * @throws IllegalArgumentException if a size or timeout is not positive
     */
    public HostBridge(int capacity, long requestTimeoutNanos, long enqueueTimeoutNanos, FailureListener listener) {
        this(THREAD_NAME, capacity, requestTimeoutNanos, enqueueTimeoutNanos, listener);
    }

    /**
     * Starts the bridge thread under its own name (e.g. {@value #THREAD_NAME} and the device whose
     * timelines it watches, when one bridge serves every surface of a device).
     *
     * @param threadName the bridge thread's name
     * @param capacity ring size: how many requests may be pending at once (allocated now)
     * @param requestTimeoutNanos how long a request may wait for its {@code from} value, counted from
     *     its acceptance, before it is reported to {@code listener} and dropped
     * @param enqueueTimeoutNanos how long {@link #forward} may block on a full ring before it throws
     * @param listener receives every request that was not forwarded
     * @throws IllegalArgumentException if a size or timeout is not positive
     */
    public HostBridge(String threadName, int capacity, long requestTimeoutNanos, long enqueueTimeoutNanos, FailureListener listener) {
        Objects.requireNonNull(threadName, "threadName");
        if (capacity <= 0 || requestTimeoutNanos <= 0 || enqueueTimeoutNanos <= 0) {
            throw new IllegalArgumentException("capacity, requestTimeoutNanos and enqueueTimeoutNanos must be > 0, got "
                    + capacity + ", " + requestTimeoutNanos + ", " + enqueueTimeoutNanos
                    + "; e.g. 64 requests, 1 s, 100 ms");
        }
        this.capacity = capacity;
        this.requestTimeoutNanos = requestTimeoutNanos;
        this.enqueueTimeoutNanos = enqueueTimeoutNanos;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.fromRing = new Timeline[capacity];
        this.toRing = new Timeline[capacity];
        this.valueRing = new long[capacity];
        this.acceptedAtNanosRing = new long[capacity];
        this.sequence = new AtomicLongArray(capacity);
        for (int i = 0; i < capacity; i++) {
            sequence.set(i, freeFor(i));
        }
        this.thread = new Thread(this::serve, threadName);
        this.thread.setDaemon(true); // a forgotten bridge must not keep the JVM alive; close() it anyway
        this.thread.start();
    }

    /**
     * Queues "when {@code from} reaches {@code value}, signal {@code value} on {@code to}". Any thread.
     * Lock-free and allocation-free; returns at once unless the ring is full.
     *
     * @param from the timeline to watch
     * @param value the value (unsigned)
     * @param to the timeline to signal
     * @throws IllegalStateException if the bridge is closed (a forward racing {@link #close()} is
     *     reported to the listener as cancelled, rejected here, or both: never lost silently), or the
     *     ring stayed full for {@code enqueueTimeoutNanos} (the bridge is stuck behind a timeline that
     *     does not advance)
     * @throws InterruptedException if interrupted while blocked on a full ring
     */
    public void forward(Timeline from, long value, Timeline to) throws InterruptedException {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        checkOpen();
        long index;
        long fullSinceNanos = 0L;
        boolean waitedForSpace = false;
        while (true) {
            index = tail.get();
            int slot = (int) (index % capacity);
            long lag = sequence.get(slot) - freeFor(index);
            if (lag == 0L) {
                if (tail.compareAndSet(index, index + 1)) {
                    break;
                }
            } else if (lag < 0L) {
                // Full: the slot still holds the request capacity places back (published, or
                // claimed and not yet published). Rare path: poll.
                long now = System.nanoTime();
                if (!waitedForSpace) {
                    waitedForSpace = true;
                    fullSinceNanos = now;
                } else if (now - fullSinceNanos >= enqueueTimeoutNanos) {
                    throw ringFull();
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException("forward to " + to.name() + " interrupted while the host bridge ring was full");
                }
                LockSupport.parkNanos(this, FULL_RING_POLL_NANOS);
                checkOpen();
            }
            // lag > 0: another producer claimed (and maybe published) this index first; retry
        }
        int slot = (int) (index % capacity);
        fromRing[slot] = from;
        toRing[slot] = to;
        valueRing[slot] = value;
        acceptedAtNanosRing[slot] = System.nanoTime();
        sequence.set(slot, publishedFor(index)); // publish (volatile write orders the plain writes above)
        LockSupport.unpark(thread);
        // Closed meanwhile: the drain may have passed this slot before it was published, so reject.
        // If closed is still false here, the close comes later and its drain (which starts after
        // closed is set and runs up to the tail it then reads) sees this published slot.
        checkOpen();
    }

    private static long freeFor(long index) {
        return 2 * index;
    }

    private static long publishedFor(long index) {
        return 2 * index + 1;
    }

    private IllegalStateException ringFull() {
        long oldest = head;
        int slot = (int) (oldest % capacity);
        Timeline from = fromRing[slot];
        return new IllegalStateException("host bridge ring full: " + capacity + " requests pending for "
                + TimeUnit.NANOSECONDS.toMillis(enqueueTimeoutNanos) + " ms; the oldest waits for "
                + (from == null ? "?" : from.name()) + " to reach " + Long.toUnsignedString(valueRing[slot])
                + ". Check that device is still submitting, or give the bridge a larger capacity");
    }

    /**
     * Requests accepted but not yet finished (a snapshot). Any thread.
     *
     * @return the number of requests in flight
     */
    public int pending() {
        return (int) Math.max(0L, tail.get() - head);
    }

    /**
     * How many requests {@link #forward} has accepted (or is accepting) so far: a mark for
     * {@link #awaitServed}. Any thread.
     *
     * @return the count of requests claimed since the bridge started
     */
    public long acceptedCount() {
        return tail.get();
    }

    /**
     * Waits until every request accepted before {@code mark} ({@link #acceptedCount()}) was forwarded or
     * reported, e.g. before destroying timelines that such requests name. Requests accepted after the
     * mark may still be pending. Polls (teardown only, not the handoff path). Any thread but the
     * bridge's own (the listener must not call it).
     *
     * @param mark a value {@link #acceptedCount()} returned
     * @param timeoutNanos how long to wait at most
     * @return true once they all were; false if the time ran out first (requests ahead of them wait
     *     for timelines that do not advance)
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitServed(long mark, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (head - mark < 0) {
            if (!thread.isAlive()) {
                return head - mark >= 0; // closed and drained: whatever was pending was reported
            }
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted waiting for the host bridge to serve its requests");
            }
            if (deadline - System.nanoTime() <= 0) {
                return false;
            }
            LockSupport.parkNanos(this, 100_000L);
        }
        return true;
    }

    /**
     * Requests forwarded so far. Any thread.
     *
     * @return the count
     */
    public long forwardedCount() {
        return forwarded;
    }

    /**
     * Requests reported to the listener so far. Any thread.
     *
     * @return the count
     */
    public long failureCount() {
        return failuresReported;
    }

    /**
     * The first {@link Error} the listener threw, or null. The bridge kept running after it and its
     * thread rethrows it once {@link #close()} has drained the ring. Any thread.
     *
     * @return the first error the listener threw, or null if it threw none
     */
    public Error listenerError() {
        return listenerError;
    }

    /** {@return the bridge thread (for diagnostics and tests)} */
    public Thread thread() {
        return thread;
    }

    /**
     * Stops the bridge thread promptly (it is interrupted out of any wait) and waits up to 5 s for it.
     * Requests not yet served are reported to the listener with a {@link CancellationException};
     * every request a {@link #forward} accepted before this call is forwarded or reported by the time
     * it returns (unless the 5 s pass first). Idempotent; any thread (from the listener it does not
     * wait for itself). Never throws: a listener {@link Error} is rethrown on the bridge thread, see
     * {@link #listenerError()}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.interrupt();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("host bridge is closed; create a new HostBridge to forward timeline values");
        }
    }

    private void serve() {
        Throwable fatal = null;
        try {
            while (!closed) {
                final long index = head;
                final int slot = (int) (index % capacity);
                if (sequence.get(slot) != publishedFor(index)) {
                    LockSupport.park(this); // empty: forward() unparks after publishing; close() interrupts
                    continue;
                }
                if (!serveOne(fromRing[slot], valueRing[slot], toRing[slot], acceptedAtNanosRing[slot])) {
                    break; // closed while waiting: this request is reported below with the rest
                }
                free(index, slot);
            }
        } catch (Throwable unexpected) {
            fatal = unexpected; // a bug of the bridge's own: stop accepting, report the rest, rethrow
        } finally {
            closed = true; // before the drain reads the tail, so every later forward() rejects
            reportPendingAsCancelled();
        }
        Error error = listenerError;
        if (fatal != null) {
            if (error != null && error != fatal) {
                fatal.addSuppressed(error);
            }
            rethrow(fatal);
        }
        if (error != null) {
            throw error; // not swallowed: the thread's uncaught-exception handler gets it
        }
    }

    private static void rethrow(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        throw new IllegalStateException("host bridge thread failed", t);
    }

    private void free(long index, int slot) {
        fromRing[slot] = null; // do not keep timelines reachable
        toRing[slot] = null;
        head = index + 1;
        sequence.set(slot, freeFor(index + capacity)); // hand the slot back to producers
    }

    /** Returns false if the bridge was closed before the request finished. */
    private boolean serveOne(Timeline from, long value, Timeline to, long acceptedAtNanos) {
        Throwable failure = null;
        try {
            boolean reached;
            while (true) {
                long remainingNanos = requestTimeoutNanos - (System.nanoTime() - acceptedAtNanos);
                try {
                    // A request that expired while queued still gets one poll: it may be done already.
                    reached = from.awaitValue(value, Math.max(0L, remainingNanos));
                } catch (InterruptedException e) {
                    if (closed) {
                        return false;
                    }
                    continue; // a stray interrupt: keep serving
                }
                if (reached || System.nanoTime() - acceptedAtNanos >= requestTimeoutNanos) {
                    break;
                }
            }
            if (reached) {
                to.signalFromHost(value);
                forwarded++;
                return true;
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        report(from, value, to, System.nanoTime() - acceptedAtNanos, failure);
        return true;
    }

    /**
     * Runs once closed is set. Reports every published request from head up to the tail read after
     * that. A slot claimed but not yet published is skipped rather than waited for: its producer
     * publishes after this read, so its final check in forward() sees closed and rejects it. The
     * published slots behind it are independent requests whose producers may have returned normally:
     * stopping at the first unpublished slot would lose them.
     */
    private void reportPendingAsCancelled() {
        CancellationException cancelled = null;
        long index = head;
        for (long end = tail.get(); index - end < 0; index++) {
            int slot = (int) (index % capacity);
            if (sequence.get(slot) != publishedFor(index)) {
                continue; // claimed, not published: rejected by its own forward()
            }
            if (cancelled == null) {
                cancelled = new CancellationException("host bridge closed before the request was served");
            }
            report(fromRing[slot], valueRing[slot], toRing[slot], System.nanoTime() - acceptedAtNanosRing[slot], cancelled);
            fromRing[slot] = null;
            toRing[slot] = null;
        }
        head = index; // no slot is handed back: the bridge accepts nothing more
    }

    private void report(Timeline from, long value, Timeline to, long waitedNanos, Throwable cause) {
        failuresReported++;
        try {
            listener.forwardFailed(from, value, to, waitedNanos, cause);
        } catch (RuntimeException listenerBug) {
            // The listener's own failure must not stop the bridge; the count still shows the report.
        } catch (Error listenerBug) {
            // Nor an Error (an AssertionError, an OutOfMemoryError while building a message): keep
            // serving, and rethrow the first one once the ring is drained (see serve()).
            if (listenerError == null) {
                listenerError = listenerBug;
            }
        }
    }

    @Override
    public String toString() {
        return "HostBridge[pending=" + pending() + ", forwarded=" + forwarded + ", failures=" + failuresReported
                + (closed ? ", closed" : "") + "]";
    }
}
