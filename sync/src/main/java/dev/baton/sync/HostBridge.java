package dev.baton.sync;

import java.util.concurrent.LinkedBlockingQueue;

/** TEMPORARY stand-in (see KeyedMutex): one thread forwarding timeline values from host. */
public final class HostBridge implements AutoCloseable {
    private record Job(Timeline from, long value, Timeline to) {}

    private final LinkedBlockingQueue<Job> jobs = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    public HostBridge() {
        thread = new Thread(this::run, "baton-host-bridge");
        thread.setDaemon(true);
        thread.start();
    }

    public void forward(Timeline from, long value, Timeline to) {
        jobs.add(new Job(from, value, to));
    }

    private void run() {
        try {
            while (!closed) {
                Job job = jobs.take();
                while (!closed && !job.from.awaitValue(job.value, 10_000_000L)) {
                    // keep waiting in slices so close() is prompt
                }
                if (!closed) job.to.signalFromHost(job.value);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
