package dev.baton.app.bench;

import java.lang.management.ManagementFactory;

/**
 * CPU time and bytes allocated by a set of threads between {@link #start} and {@link #stop}, from
 * HotSpot's {@code com.sun.management.ThreadMXBean}. Reading it allocates, so call it only around
 * a measured phase, never inside one.
 */
public final class ThreadCosts {
    private static final com.sun.management.ThreadMXBean BEAN =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final long[] threadIds;
    private long cpuStart;
    private long allocStart;
    private long cpuNanos;
    private long allocatedBytes;

    public ThreadCosts(Thread... threads) {
        threadIds = new long[threads.length];
        for (int i = 0; i < threads.length; i++) {
            threadIds[i] = threads[i].getId();
        }
        if (BEAN.isThreadCpuTimeSupported() && !BEAN.isThreadCpuTimeEnabled()) {
            BEAN.setThreadCpuTimeEnabled(true);
        }
        if (BEAN.isThreadAllocatedMemorySupported() && !BEAN.isThreadAllocatedMemoryEnabled()) {
            BEAN.setThreadAllocatedMemoryEnabled(true);
        }
    }

    public void start() {
        cpuStart = cpu();
        allocStart = allocated();
    }

    public void stop() {
        cpuNanos = cpu() - cpuStart;
        // HotSpot counts TLAB allocations when a TLAB is retired, so an idle phase can read a few bytes below zero.
        allocatedBytes = Math.max(0, allocated() - allocStart);
    }

    public long cpuNanos() {
        return cpuNanos;
    }

    public long allocatedBytes() {
        return allocatedBytes;
    }

    private long cpu() {
        long sum = 0;
        for (long id : threadIds) {
            long t = BEAN.getThreadCpuTime(id);
            sum += Math.max(0, t);
        }
        return sum;
    }

    private long allocated() {
        long[] bytes = BEAN.getThreadAllocatedBytes(threadIds);
        long sum = 0;
        for (long b : bytes) {
            sum += Math.max(0, b);
        }
        return sum;
    }
}
