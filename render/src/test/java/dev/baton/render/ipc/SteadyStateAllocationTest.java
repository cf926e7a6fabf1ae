package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.sync.AcquireStatus;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handoff path allocates nothing: once compiled, a thousand round trips between two clients cost the
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
            // Rounds of 1,000 round trips after a warm-up. Until C2 has compiled the path (late on a loaded
            // machine), C1 code allocates temporaries that C2's escape analysis removes, so an early round
            // may allocate; a per-handoff allocation would show in every round. Pass: one round at 0 B.
            int warmup = Integer.getInteger("baton.ipc.allocationWarmup", 3000);
            int rounds = 8;
            int perRound = 1000;
            long[] bAllocated = new long[rounds];
            Thread tb = new Thread(() -> {
                ByteBuffer data = ByteBuffer.allocateDirect(8);
                long start = 0;
                for (int i = 0; i < warmup + rounds * perRound; i++) {
                    if (i >= warmup && (i - warmup) % perRound == 0) {
                        if (i > warmup) {
                            bAllocated[(i - warmup) / perRound - 1] = threads.getCurrentThreadAllocatedBytes() - start;
                        }
                        start = threads.getCurrentThreadAllocatedBytes();
                    }
                    if (b.acquire(sb, 1L, 10 * SECOND) != AcquireStatus.ACQUIRED) {
                        return;
                    }
                    data.putLong(0, b.fenceValue());
                    b.release(sb, 0L, b.fenceValue() + 1, data);
                }
                bAllocated[rounds - 1] = threads.getCurrentThreadAllocatedBytes() - start;
            }, "client-b");
            tb.start();
            ByteBuffer data = ByteBuffer.allocateDirect(8);
            long[] aAllocated = new long[rounds];
            long[] loopAllocated = new long[rounds];
            long aStart = 0;
            long loopStart = 0;
            for (int i = 0; i <= warmup + rounds * perRound; i++) {
                if (i >= warmup && (i - warmup) % perRound == 0) {
                    long aNow = threads.getCurrentThreadAllocatedBytes();
                    long loopNow = threads.getThreadAllocatedBytes(loop.getId());
                    if (i > warmup) {
                        aAllocated[(i - warmup) / perRound - 1] = aNow - aStart;
                        loopAllocated[(i - warmup) / perRound - 1] = loopNow - loopStart;
                    }
                    aStart = threads.getCurrentThreadAllocatedBytes();
                    loopStart = threads.getThreadAllocatedBytes(loop.getId());
                }
                if (i == warmup + rounds * perRound) {
                    break;
                }
                assertEquals(AcquireStatus.ACQUIRED, a.acquire(sa, 0L, 10 * SECOND));
                data.putLong(0, a.fenceValue());
                a.release(sa, 1L, a.fenceValue() + 1, data);
            }
            tb.join(20_000);
            boolean cleanRound = false;
            StringBuilder report = new StringBuilder();
            for (int r = 0; r < rounds; r++) {
                report.append(String.format(" [loop %d, a %d, b %d]", loopAllocated[r], aAllocated[r], bAllocated[r]));
                cleanRound |= loopAllocated[r] == 0 && aAllocated[r] == 0 && bAllocated[r] == 0;
            }
            System.out.println("bytes allocated per round of " + perRound + " round trips:" + report);
            assertTrue(cleanRound, "no round of " + perRound + " round trips was allocation-free:" + report);
        }
    }
}
