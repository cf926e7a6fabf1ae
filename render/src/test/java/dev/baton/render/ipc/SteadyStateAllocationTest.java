package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.sync.AcquireStatus;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handoff path allocates nothing: after warm-up, a thousand handoffs between two clients cost the
 * broker's loop thread and each client thread 0 heap bytes (HotSpot's per-thread allocation counter).
 */
class SteadyStateAllocationTest {
    @TempDir
    Path tmp;

    @Test
    void handoffsThroughTheBrokerAllocateNothing() throws Exception {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean
                && ((com.sun.management.ThreadMXBean) mx).isThreadAllocatedMemorySupported(),
                "this JVM cannot count per-thread allocation");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        List<String> log = new CopyOnWriteArrayList<>();
        try (Broker broker = Broker.start(IpcTestSupport.socketPath(tmp), IpcTestSupport.sharingConfig(log));
             BrokerClient a = BrokerClient.connect(broker.socketPath(), "a", 5 * SECOND);
             BrokerClient b = BrokerClient.connect(broker.socketPath(), "b", 5 * SECOND)) {
            BrokerClient.Surface sa = a.offer(16, 16, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            BrokerClient.Surface sb = b.awaitGrant(5 * SECOND);
            Thread loop = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("baton-broker")).findFirst().orElseThrow();
            AtomicLong bAllocated = new AtomicLong(-1);
            int warmup = 3000;
            int measured = 1000;
            Thread tb = new Thread(() -> {
                ByteBuffer data = ByteBuffer.allocateDirect(8);
                long start = 0;
                for (int i = 0; i < warmup + measured; i++) {
                    if (i == warmup) {
                        start = threads.getCurrentThreadAllocatedBytes();
                    }
                    if (b.acquire(sb, 1L, 10 * SECOND) != AcquireStatus.ACQUIRED) {
                        return;
                    }
                    data.putLong(0, b.fenceValue());
                    b.release(sb, 0L, b.fenceValue() + 1, data);
                }
                bAllocated.set(threads.getCurrentThreadAllocatedBytes() - start);
            }, "client-b");
            tb.start();
            ByteBuffer data = ByteBuffer.allocateDirect(8);
            long aStart = 0;
            long loopStart = 0;
            for (int i = 0; i < warmup + measured; i++) {
                if (i == warmup) {
                    aStart = threads.getCurrentThreadAllocatedBytes();
                    loopStart = threads.getThreadAllocatedBytes(loop.getId());
                }
                assertEquals(AcquireStatus.ACQUIRED, a.acquire(sa, 0L, 10 * SECOND));
                data.putLong(0, a.fenceValue());
                a.release(sa, 1L, a.fenceValue() + 1, data);
            }
            long aAllocated = threads.getCurrentThreadAllocatedBytes() - aStart;
            tb.join(20_000);
            long loopAllocated = threads.getThreadAllocatedBytes(loop.getId()) - loopStart;
            System.out.printf("allocated over %d round trips: broker loop %d B, client a %d B, client b %d B%n",
                    measured, loopAllocated, aAllocated, bAllocated.get());
            assertEquals(0, loopAllocated, "broker loop thread");
            assertEquals(0, aAllocated, "client a");
            assertEquals(0, bAllocated.get(), "client b");
        }
    }
}
