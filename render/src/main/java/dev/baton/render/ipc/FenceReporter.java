package dev.baton.render.ipc;

import dev.baton.sync.Timeline;
import java.util.concurrent.TimeUnit;

/**
 * The host bridge's "fence value reached" side of a producer process, off its render thread: the
 * render thread releases a surface at submit time with the fence value that submit signals and hands
 * that (surface, value) to {@link #released}; this reporter's own thread waits, bounded, on the
 * producer's timeline for the values in the order they were released and sends FENCE_REACHED for
 * each. So the render thread can record and submit frame n+1 into the next surface of its ring while
 * the GPU still runs frame n (the compositor reads surface n once FENCE_REACHED arrives).
 *
 * <p>Every wait is bounded: the thread waits on the timeline in slices of {@link #SLICE_NANOS} and
 * gives up ({@link #failure()}) when one value takes longer than the GPU timeout; {@link #released}
 * waits at most its timeout for room in the queue; {@link #drain} and {@link #close} are bounded too.
 * A reporter that failed (GPU timeout, broker gone) says so from {@link #released} and {@link #failure()}.
 * Steady state allocates nothing: the queue is two preallocated arrays, the monitor is this object.
 *
 * <p>Threads: {@link #released}, {@link #drain} and {@link #close} from the render thread (one);
 * sends go through {@link BrokerClient#fenceReached}, which may be called from any thread.
 */
public final class FenceReporter implements AutoCloseable {
    /** The longest single wait on the timeline, so that {@link #close} is noticed promptly. */
    public static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final BrokerClient client;
    private final Timeline timeline;
    private final long gpuTimeoutNanos;
    private final BrokerClient.Surface[] surfaces;
    private final long[] values;
    private final Timeline[] timelines;
    private final java.util.function.LongSupplier[] finishers;
    // What the finishers copied (written by the reporter's thread, under this object's monitor).
    private long finishedBytes;
    private long finishedNanos;
    private long finishedMaxNanos;
    private long finishes;
    private int head;
    private int size;
    private long reported;
    private volatile String failure;
    private volatile boolean stopping;
    private final Thread thread;

    /**
     * Starts the reporter's thread.
     *
     * @param client the connection FENCE_REACHED goes over
     * @param timeline the producer's timeline, which its submits signal (null when every value names its own)
     * @param gpuTimeoutNanos the longest one released value may take to be reached
     * @param capacity values released and not yet reported at most (the render thread waits for room beyond)
     * @param name for the thread's name
     * @return the started reporter, owned by the caller
     */
    public static FenceReporter start(BrokerClient client, Timeline timeline, long gpuTimeoutNanos, int capacity, String name) {
        FenceReporter r = new FenceReporter(client, timeline, gpuTimeoutNanos, capacity, name);
        r.thread.start();
        return r;
    }

    private FenceReporter(BrokerClient client, Timeline timeline, long gpuTimeoutNanos, int capacity, String name) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity + ": at least 1");
        }
        this.client = client;
        this.timeline = timeline;
        this.gpuTimeoutNanos = gpuTimeoutNanos;
        this.surfaces = new BrokerClient.Surface[capacity];
        this.values = new long[capacity];
        this.timelines = new Timeline[capacity];
        this.finishers = new java.util.function.LongSupplier[capacity];
        this.thread = new Thread(this::run, "baton-fence-reporter-" + name);
        this.thread.setDaemon(true);
    }

    /**
     * Queues a released value: FENCE_REACHED for {@code surface} goes out once the timeline reaches
     * {@code value}. Call after the RELEASE carrying that value was sent, values increasing. Waits at
     * most {@code timeoutNanos} for room. Render thread; allocation-free.
     *
     * @param surface the surface the value was released on
     * @param value the released fence value
     * @param timeoutNanos how long to wait for room at most
     * @return false if the reporter failed ({@link #failure()} says why) or no room came in time
     * @throws InterruptedException if interrupted while waiting for room
     */
    public boolean released(BrokerClient.Surface surface, long value, long timeoutNanos) throws InterruptedException {
        return released(surface, timeline, value, null, timeoutNanos);
    }

    /**
     * As {@link #released(BrokerClient.Surface, long, long)}, for a value signalled on {@code on} (one
     * timeline per surface, as a {@link dev.baton.render.vk.SharedSurface} of a broker has) and with
     * {@code finisher} run on this reporter's thread once the value is reached and before FENCE_REACHED
     * goes out: the host copy of a device that cannot import the broker's pages ({@code
     * MemfdSurface.finishOnHost}), which then leaves the render thread. Values are reported in the
     * order they were queued, each when its own timeline reaches it (one queue, so in submission order).
     *
     * @param surface the surface the value was released on
     * @param on the timeline the value is signalled on
     * @param value the released fence value
     * @param finisher what to run before reporting (returns the bytes it copied), or null
     * @param timeoutNanos how long to wait for room at most
     * @return false if the reporter failed ({@link #failure()} says why) or no room came in time
     * @throws InterruptedException if interrupted while waiting for room
     */
    public boolean released(BrokerClient.Surface surface, Timeline on, long value, java.util.function.LongSupplier finisher,
                            long timeoutNanos) throws InterruptedException {
        if (on == null) {
            throw new IllegalArgumentException("no timeline for the value " + Long.toUnsignedString(value) + " released on surface "
                    + surface.surfaceId + ": start the reporter with one, or pass the surface's");
        }
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (this) {
            while (size == values.length && failure == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    failure = "no FENCE_REACHED went out for " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms ("
                            + values.length + " values waiting for the GPU)";
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            if (failure != null) {
                return false;
            }
            int tail = (head + size) % values.length;
            surfaces[tail] = surface;
            values[tail] = value;
            timelines[tail] = on;
            finishers[tail] = finisher;
            size++;
            notifyAll();
            return true;
        }
    }

    /**
     * Waits at most {@code timeoutNanos} until every queued value was reported (before a clean exit,
     * so the compositor is not left waiting for the last frames).
     *
     * @param timeoutNanos how long to wait at most
     * @return true if nothing is left to report
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean drain(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (this) {
            while (size > 0 && failure == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return size == 0;
        }
    }

    /**
     * Waits at most {@code timeoutNanos} until nothing this reporter was given still runs on the host:
     * every queued value reported, or the reporter stopped after a failure (what was still queued is
     * then never touched). Teardown calls it before unmapping what a finisher copies into.
     *
     * @param timeoutNanos how long to wait at most
     * @return true if no finisher runs now or later
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean quiesce(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        if (drain(timeoutNanos)) {
            return true;
        }
        if (failure == null && !stopping) {
            return false;
        }
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        return !thread.isAlive();
    }

    /** {@return bytes the finishers copied so far} */
    public synchronized long finishedBytes() {
        return finishedBytes;
    }

    /** {@return how many finishers ran} */
    public synchronized long finishes() {
        return finishes;
    }

    /** {@return nanoseconds the finishers took in all} */
    public synchronized long finishedNanos() {
        return finishedNanos;
    }

    /** {@return the longest one finisher took, in nanoseconds} */
    public synchronized long finishedMaxNanos() {
        return finishedMaxNanos;
    }

    /** {@return the highest value reported so far (0 before the first)} */
    public synchronized long reportedValue() {
        return reported;
    }

    /** {@return why the reporter stopped reporting (the GPU timed out, the broker is gone), or null} */
    public String failure() {
        return failure;
    }

    /**
     * Stops the thread (what is still queued is not reported) and waits for it: at most one timeline
     * slice plus one bounded send ({@link BrokerClient#ANSWER_GRACE_NANOS}), so that the client's socket
     * can be closed afterwards. Idempotent.
     */
    @Override
    public void close() {
        stopping = true;
        synchronized (this) {
            notifyAll();
        }
        try {
            thread.join(TimeUnit.NANOSECONDS.toMillis(BrokerClient.ANSWER_GRACE_NANOS + SLICE_NANOS) + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (!stopping) {
                BrokerClient.Surface surface;
                long value;
                Timeline timeline;
                java.util.function.LongSupplier finisher;
                synchronized (this) {
                    while (size == 0 && !stopping) {
                        TimeUnit.NANOSECONDS.timedWait(this, SLICE_NANOS);
                    }
                    if (stopping) {
                        return;
                    }
                    surface = surfaces[head];
                    value = values[head];
                    timeline = timelines[head];
                    finisher = finishers[head];
                }
                long deadline = System.nanoTime() + gpuTimeoutNanos;
                while (!timeline.awaitValue(value, Math.min(SLICE_NANOS, Math.max(0, deadline - System.nanoTime())))) {
                    if (stopping) {
                        return;
                    }
                    if (deadline - System.nanoTime() <= 0) {
                        fail("the GPU did not reach fence value " + Long.toUnsignedString(value) + " within "
                                + TimeUnit.NANOSECONDS.toMillis(gpuTimeoutNanos) + " ms");
                        return;
                    }
                }
                if (finisher != null) {
                    long start = System.nanoTime();
                    long copied = finisher.getAsLong();
                    long took = System.nanoTime() - start;
                    synchronized (this) {
                        finishedBytes += copied;
                        finishedNanos += took;
                        finishedMaxNanos = Math.max(finishedMaxNanos, took);
                        finishes++;
                    }
                }
                if (!client.fenceReached(surface, value)) {
                    fail("the broker is gone: " + client.brokerGoneReason());
                    return;
                }
                synchronized (this) {
                    surfaces[head] = null;
                    timelines[head] = null;
                    finishers[head] = null;
                    head = (head + 1) % values.length;
                    size--;
                    reported = value;
                    notifyAll();
                }
            }
        } catch (InterruptedException e) {
            fail("interrupted");
        } catch (RuntimeException e) {
            fail(e.toString());
        }
    }

    private void fail(String why) {
        synchronized (this) {
            if (failure == null) {
                failure = why;
            }
            notifyAll();
        }
    }
}
