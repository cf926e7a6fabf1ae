package dev.baton.app.bench;

/**
 * The phase a scenario's worker threads are in, set by the coordinating thread and polled by the
 * workers once per iteration (a volatile read: no allocation, no lock). Workers record samples only
 * while {@link #measuring()}; they leave their loop once {@link #stopping()}.
 */
final class Phase {
    private static final int WARMUP = 0;
    private static final int MEASURE = 1;
    private static final int STOP = 2;

    private volatile int phase = WARMUP;
    /** The first failure of any worker (a stall, a device loss); the coordinator rethrows it. */
    private volatile Throwable failure;

    boolean measuring() {
        return phase == MEASURE;
    }

    boolean stopping() {
        return phase == STOP;
    }

    void measure() {
        phase = MEASURE;
    }

    void stop() {
        phase = STOP;
    }

    void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        phase = STOP;
    }

    Throwable failure() {
        return failure;
    }
}
