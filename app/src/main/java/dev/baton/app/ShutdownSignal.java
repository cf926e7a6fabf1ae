package dev.baton.app;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (SIGINT/SIGTERM) as a request, not an abort: the JVM's shutdown hook sets
 * {@link #requested()} and then waits (at most {@code graceMillis}) for the command's loop to
 * finish its orderly teardown ({@link #done()}), so importers close before exporters and every
 * surface's last fence completes even when the user interrupts.
 *
 * <p>Threading: {@link #requested()} from any thread; {@link #done()} once, from the command's thread.
 */
public final class ShutdownSignal implements AutoCloseable {
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean requested;

    public ShutdownSignal(long graceMillis) {
        hook = new Thread(() -> {
            requested = true;
            try {
                finished.await(graceMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "baton-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** True once the user asked the process to stop. */
    public boolean requested() {
        return requested;
    }

    /** The command finished its teardown: the hook may let the JVM exit. */
    public void done() {
        finished.countDown();
    }

    /** Marks done and, when the process is not already shutting down, removes the hook. */
    @Override
    public void close() {
        done();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running: done() above lets it finish
        }
    }
}
