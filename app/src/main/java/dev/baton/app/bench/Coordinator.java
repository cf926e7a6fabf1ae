package dev.baton.app.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs one scenario's worker threads through warm-up, measurement and stop on the calling thread,
 * with a watchdog: every worker must finish within the stall timeout after the stop, or the scenario
 * fails with a {@link StallException} naming it (its threads are daemons and are left behind, as
 * are its GPU objects, which may still be in use).
 */
final class Coordinator {
    /** What the coordinator measured around the measured phase. */
    /**
     * @param cpuNanos        CPU time of the scenario's Java threads (workers and charged threads)
     * @param processCpuNanos CPU time of the whole process, including the drivers' native threads
     *                        (lavapipe and SwiftShader execute the "GPU" work on the CPU)
     */
    record Measured(long elapsedNanos, long cpuNanos, long allocatedBytes, long processCpuNanos, ThreadCount threads) {}

    /** Name prefix of every thread Baton starts (the bench's workers, host bridges, the broker). */
    static final String BATON_PREFIX = "baton-";
    /** Name prefix of the bench's own worker threads (the application's render threads, one per device). */
    static final String BENCH_PREFIX = "baton-bench-";

    /**
     * Baton threads alive at the end of a scenario's measured phase, counted by name prefix.
     *
     * @param total   every {@value #BATON_PREFIX} thread: the bench's workers and the library's own
     * @param library the library's own threads (host bridges, broker): {@code total} less the bench's workers
     */
    record ThreadCount(int total, int library) {}

    /** Counts live Baton threads by name (allocates and briefly stops the JVM: never inside a measured phase). */
    static ThreadCount countThreads() {
        int total = 0;
        int library = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.isAlive() || !t.getName().startsWith(BATON_PREFIX)) {
                continue;
            }
            total++;
            if (!t.getName().startsWith(BENCH_PREFIX)) {
                library++;
            }
        }
        return new ThreadCount(total, library);
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private Coordinator() {}

    /**
     * @param bodies       one per worker thread, named by {@code names}
     * @param alsoCharge   threads whose CPU and allocation are charged to the scenario (e.g. a host bridge)
     * @param afterWorkers run after the workers were joined (e.g. stop a bridge thread that they needed until the end)
     */
    static Measured run(String scenario, Phase phase, List<String> names, List<Runnable> bodies, List<Thread> alsoCharge,
                        long warmupNanos, long measureNanos, long stallNanos, Runnable afterWorkers) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            Thread t = new Thread(bodies.get(i), names.get(i));
            t.setDaemon(true);
            threads.add(t);
        }
        List<Thread> charged = new ArrayList<>(threads);
        charged.addAll(alsoCharge);
        ThreadCosts costs = new ThreadCosts(charged.toArray(new Thread[0]));
        for (Thread t : threads) {
            t.start();
        }
        sleepUnlessFailed(phase, warmupNanos);
        costs.start();
        long processStart = OS.getProcessCpuTime();
        long start = System.nanoTime();
        phase.measure();
        sleepUnlessFailed(phase, measureNanos);
        phase.stop();
        long elapsed = System.nanoTime() - start;
        long processCpu = OS.getProcessCpuTime() - processStart;
        costs.stop();
        ThreadCount threadCount = countThreads(); // after the measurement, before the workers are joined
        long deadline = System.nanoTime() + stallNanos;
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                throw new StallException(scenario, "thread " + t.getName() + " did not finish within " + stallNanos / 1_000_000
                        + " ms of the stop");
            }
        }
        if (afterWorkers != null) {
            afterWorkers.run();
        }
        Throwable failure = phase.failure();
        if (failure instanceof StallException s) {
            throw s;
        }
        if (failure != null) {
            throw new IllegalStateException("scenario '" + scenario + "' failed: " + failure, failure);
        }
        return new Measured(elapsed, costs.cpuNanos(), costs.allocatedBytes(), processCpu, threadCount);
    }

    private static void sleepUnlessFailed(Phase phase, long nanos) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        while (phase.failure() == null) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.min(50, Math.max(1, left / 1_000_000)));
        }
    }

    /**
     * Live threads whose name starts with {@code prefix} (e.g. the host bridges, one per source device,
     * named {@code baton-host-bridge-<device>}), to diff around a creation.
     */
    static Set<Thread> threadsNamed(String prefix) {
        Set<Thread> found = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                found.add(t);
            }
        }
        return found;
    }
}
