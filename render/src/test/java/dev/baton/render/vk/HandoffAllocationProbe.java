package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;

import dev.baton.render.SyncTier;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.HostBridge;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * The child-JVM side of {@link HandoffAllocationTest}: a GPU ping-pong between two devices of one
 * driver on one shared surface, two render threads (one per device) turning acquire - submit under
 * the lease - release, and the bytes every Baton thread of the handoff allocated in the steady state
 * (the render threads, plus the host-bridge thread in that tier), read with
 * {@code com.sun.management.ThreadMXBean}.
 *
 * <p>Arguments: expected tier, warm-up turns, measured turns, and optionally {@code releaseAndAcquire}
 * (each side's turn ends with {@link Lease#releaseAndAcquire} instead of release, then acquire). Prints one line
 * {@code RESULT tier=... handoffs=... bytes=... threads=...} (or {@code SKIP reason}) and exits 0;
 * anything else is a failure. The JVM flags (such as {@code -XX:-DoEscapeAnalysis}) are the test's.
 */
final class HandoffAllocationProbe {
    private static final long SECOND_NANOS = 1_000_000_000L;
    /** Submits a render thread may have in flight: it waits for its own submit this many turns back. */
    private static final int DEPTH = 3;
    /** Measuring windows at most (see the measuring loop). */
    private static final int WINDOWS = 3;

    private HandoffAllocationProbe() {}

    public static void main(String[] args) throws Exception {
        SyncTier expectedTier = SyncTier.valueOf(args[0]);
        int warmupTurns = Integer.parseInt(args[1]);
        int measuredTurns = Integer.parseInt(args[2]);
        boolean releaseAndAcquire = args.length > 3 && args[3].equals("releaseAndAcquire");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (VulkanInstance instance = VulkanInstance.create(true)) {
            PhysicalDeviceInfo physical = GpuTest.deviceWhoseBestTierIsOf(instance, expectedTier);
            if (physical == null) {
                System.out.println("SKIP no device whose best same-device tier is " + expectedTier);
                return;
            }
            DeviceContext a = DeviceContext.builder(instance).physicalDeviceIndex(physical.index()).name("probe#a").requireMemorySharing().build();
            DeviceContext b = DeviceContext.builder(instance).physicalDeviceIndex(physical.index()).name("probe#b").requireMemorySharing().build();
            SharedSurface surface = SharedSurface.create("probe", 16, 16, List.of(a, b), SharedSurface.Options.defaults());
            VkCommandBuffer workA = emptyCommandBuffer(a);
            VkCommandBuffer workB = emptyCommandBuffer(b);
            try {
                if (surface.tier() != expectedTier) {
                    throw new IllegalStateException("tier " + surface.tier() + ", expected " + expectedTier + ": " + surface.tierReason());
                }
                // Up to WINDOWS windows after the warm-up, a tail so neither side stops inside the last one.
                int totalTurns = warmupTurns + WINDOWS * measuredTurns + 200;
                Side sideA = new Side(surface.endpoint(0), workA, 0, 1, totalTurns);
                Side sideB = new Side(surface.endpoint(1), workB, 1, 0, totalTurns);
                sideA.releaseAndAcquire = sideB.releaseAndAcquire = releaseAndAcquire;
                Thread ta = new Thread(sideA, "baton-probe-render-a");
                Thread tb = new Thread(sideB, "baton-probe-render-b");
                ta.start();
                tb.start();

                awaitTurns(sideA, sideB, warmupTurns, ta, tb);
                long[] ids = batonThreadIds(threads);
                String[] names = new String[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    names[i] = nameOf(threads, ids[i]);
                }
                // A window that allocated is measured again (up to WINDOWS times): on a loaded machine C2 may still be
                // recompiling the loop after the warm-up, and its deoptimisations allocate once; an allocation per
                // handoff (even one per 1,600) shows in every window. The result is the first clean window, or the last.
                long turnsBefore = 0, turnsAfter = 0;
                long[] before = null, after = null;
                int windows = 0;
                while (windows < WINDOWS) {
                    windows++;
                    turnsBefore = sideA.turns + sideB.turns;
                    before = threads.getThreadAllocatedBytes(ids);
                    long turnsTarget = turnsBefore + 2L * measuredTurns;
                    while (sideA.turns + sideB.turns < turnsTarget) {
                        checkAlive(sideA, sideB, ta, tb);
                        Thread.sleep(2);
                    }
                    after = threads.getThreadAllocatedBytes(ids);
                    turnsAfter = sideA.turns + sideB.turns;
                    long windowBytes = 0;
                    for (int i = 0; i < ids.length; i++) {
                        windowBytes += after[i] - before[i];
                    }
                    if (windowBytes <= (turnsAfter - turnsBefore) / 100) { // the test's bound, 0.01 B per handoff
                        break;
                    }
                }
                ta.join(60_000);
                tb.join(60_000);
                checkAlive(sideA, sideB, ta, tb);
                if (ta.isAlive() || tb.isAlive()) {
                    throw new IllegalStateException("render threads did not finish");
                }
                StringBuilder perThread = new StringBuilder();
                long bytes = 0;
                for (int i = 0; i < ids.length; i++) {
                    long delta = after[i] - before[i];
                    bytes += delta;
                    perThread.append(i == 0 ? "" : ",").append(names[i]).append(':').append(delta);
                }
                System.out.println("RESULT tier=" + surface.tier() + " handoffs=" + (turnsAfter - turnsBefore) + " bytes=" + bytes
                        + " threads=" + perThread + " windows=" + windows + " validationMessages=" + instance.validationMessageCount());
            } finally {
                a.freeCommandBuffer(workA);
                b.freeCommandBuffer(workB);
                surface.close();
                b.close();
                a.close();
            }
        }
    }

    private static String nameOf(com.sun.management.ThreadMXBean threads, long id) {
        java.lang.management.ThreadInfo info = threads.getThreadInfo(id);
        return info == null ? "?" : info.getThreadName();
    }

    /** Both render threads, and every thread named like the host bridge's (none in the binary tier). */
    private static long[] batonThreadIds(com.sun.management.ThreadMXBean threads) {
        List<Long> ids = new ArrayList<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && (info.getThreadName().startsWith("baton-probe-render-") || info.getThreadName().startsWith(HostBridge.THREAD_NAME))) {
                ids.add(info.getThreadId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static void awaitTurns(Side sideA, Side sideB, int turns, Thread ta, Thread tb) throws InterruptedException {
        while (sideA.turns < turns || sideB.turns < turns) {
            checkAlive(sideA, sideB, ta, tb);
            Thread.sleep(2);
        }
    }

    private static void checkAlive(Side sideA, Side sideB, Thread ta, Thread tb) {
        for (Side s : new Side[] {sideA, sideB}) {
            Throwable t = s.failure.get();
            if (t != null) {
                throw new IllegalStateException("render thread failed", t);
            }
        }
    }

    private static VkCommandBuffer emptyCommandBuffer(DeviceContext device) {
        VkCommandBuffer cmd = device.allocateCommandBuffer();
        Commands.begin(cmd, VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT);
        Commands.end(cmd);
        return cmd;
    }

    /** One render thread: its endpoint, its prerecorded work and its keys. */
    private static final class Side implements Runnable {
        final SurfaceEndpoint endpoint;
        final VkCommandBuffer work;
        final long key;
        final long nextKey;
        final int totalTurns;
        final long[] submitted = new long[DEPTH];
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile long turns;

        /** Release-then-wait ({@link Lease#releaseAndAcquire}) instead of a release and a separate acquire. */
        boolean releaseAndAcquire;

        Side(SurfaceEndpoint endpoint, VkCommandBuffer work, long key, long nextKey, int totalTurns) {
            this.endpoint = endpoint;
            this.work = work;
            this.key = key;
            this.nextKey = nextKey;
            this.totalTurns = totalTurns;
        }

        @Override
        public void run() {
            try {
                Lease lease = null;
                for (int turn = 0; turn < totalTurns; turn++) {
                    if (lease == null) {
                        lease = endpoint.acquire(key, 10 * SECOND_NANOS);
                    }
                    if (lease.status() != AcquireStatus.ACQUIRED) {
                        throw new IllegalStateException(endpoint + " turn " + turn + ": " + lease.status());
                    }
                    // Bound the GPU queue: our submit DEPTH turns back must be done before the next one.
                    long old = submitted[turn % DEPTH];
                    if (old != 0 && !endpoint.timeline().awaitValue(old, 10 * SECOND_NANOS)) {
                        throw new IllegalStateException(endpoint + " turn " + turn + ": own submit " + old + " not done in 10 s");
                    }
                    submitted[turn % DEPTH] = endpoint.device().submit(work, lease);
                    if (releaseAndAcquire && turn + 1 < totalTurns) {
                        lease = lease.releaseAndAcquire(nextKey, null, key, 10 * SECOND_NANOS); // the next turn's lease
                    } else {
                        lease.release(nextKey, null);
                        lease = null;
                    }
                    turns = turn + 1;
                }
                long last = submitted[(totalTurns - 1) % DEPTH];
                if (!endpoint.timeline().awaitValue(last, 10 * SECOND_NANOS)) {
                    throw new IllegalStateException(endpoint + ": last submit " + last + " not done in 10 s");
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }
    }
}
