package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwjgl.system.MemoryUtil;

/** Across a real child JVM: a memfd crosses with its content, SO_PEERCRED, SIGKILL of an owner, and the measurements. */
class CrossProcessTest {
    @TempDir
    Path tmp;

    private static int acceptWithin(SeqPacketListener l, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() - deadline < 0) {
            int fd = l.accept();
            if (fd >= 0) {
                return fd;
            }
            Thread.sleep(2);
        }
        throw new AssertionError("the child did not connect in time");
    }

    @Test
    void aMemfdCrossesToAChildProcessWithItsContentAndPeerCredentialsNameTheChild() throws Exception {
        Path sock = IpcTestSupport.socketPath(tmp);
        try (SeqPacketListener l = SocketPaths.bindServer(sock, 4);
             IpcTestSupport.Child child = new IpcTestSupport.Child(IpcChild.class, "memfd", sock.toString())) {
            String connected = child.awaitLine("CONNECTED");
            try (SeqPacketSocket s = new SeqPacketSocket(acceptWithin(l, 20 * SECOND), 64, 4)) {
                assertEquals(child.process.pid(), s.peerPid(), "SO_PEERCRED names the child: " + connected);
                assertEquals(LibC.getuid(), s.peerUid());
                int memfd = Fds.memfdCreate("crossing", 4096);
                try (MappedMemory m = MappedMemory.map(memfd, 4096, true)) {
                    m.buffer().putLong(0, 41L);
                    ByteBuffer msg = MemoryUtil.memAlloc(1).put(0, (byte) 1);
                    assertEquals(SeqPacketSocket.SENT, s.send(msg, new int[] {memfd}, 1));
                    MemoryUtil.memFree(msg);
                    LibC.close(memfd);
                    assertTrue(s.awaitReadable(20_000), "the child answered");
                    assertEquals(4, s.receive());
                    assertEquals(0x600d, s.receiveBuffer().getInt(0));
                    assertEquals(42L, m.buffer().getLong(0), "the child's write to the passed memfd is visible here");
                }
            }
            assertEquals(0, child.awaitExit(20), child.lines.toString());
        }
    }

    @Test
    void sigkillOfAChildThatOwnsTheSurfaceWakesTheBrokersOtherWaiterAbandoned() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Broker.Config config = IpcTestSupport.sharingConfig(log);
        CountDownLatch childHello = new CountDownLatch(1);
        Broker.Listener sharing = config.listener;
        config.listener = new Broker.Listener() {
            @Override
            public void clientConnected(Broker broker, int clientId, String name, int pid) {
                sharing.clientConnected(broker, clientId, name, pid);
                if (name.equals("owner-child")) {
                    childHello.countDown();
                }
            }

            @Override
            public void clientGone(Broker broker, int clientId, String reason) {
                sharing.clientGone(broker, clientId, reason);
            }

            @Override
            public void surfaceCreated(Broker broker, BrokerSurface surface) {
                sharing.surfaceCreated(broker, surface);
            }
        };
        LibC.getpid();
        try (Broker broker = Broker.start(IpcTestSupport.socketPath(tmp), config)) {
            int fdsBeforeClients = IpcTestSupport.openFdCount();
            BrokerClient a = BrokerClient.connect(IpcTestSupport.socketPath(tmp).toString(), "waiter", 5 * SECOND);
            int fdsBeforeChild = IpcTestSupport.openFdCount();
            BrokerClient.Surface s;
            long abandonedAfterNanos;
            try (IpcTestSupport.Child child = new IpcTestSupport.Child(IpcChild.class, "owner", broker.socketPath(), "7")) {
                assertTrue(childHello.await(30, TimeUnit.SECONDS), "the child said HELLO");
                s = a.offer(32, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 7L, null, null, 5 * SECOND);
                child.awaitLine("OWNED");
                CompletableFuture<long[]> waiting = CompletableFuture.supplyAsync(() -> {
                    AcquireStatus st = a.acquire(s, 8L, 20 * SECOND);
                    return new long[] {st.ordinal(), System.nanoTime()};
                });
                Thread.sleep(100); // the acquire is pending in the broker
                long killedAt = System.nanoTime();
                child.process.destroyForcibly(); // SIGKILL
                long[] r = waiting.get(20, TimeUnit.SECONDS);
                assertEquals(AcquireStatus.ABANDONED.ordinal(), r[0]);
                abandonedAfterNanos = r[1] - killedAt;
                assertTrue(child.process.waitFor(10, TimeUnit.SECONDS));
            }
            System.out.printf("SIGKILL of the owning child -> broker's other waiter ABANDONED after %.1f ms%n",
                    abandonedAfterNanos / 1e6);
            assertTrue(broker.isRunning());
            IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 1, 5 * SECOND, "the child's connection closed");
            s.close(); // our own copy of the surface's memfd (received with SURFACE_CREATED)
            // The broker still holds the memfd of the surface 'waiter' created (after the child connected).
            IpcTestSupport.awaitTrue(() -> IpcTestSupport.openFdCount() == fdsBeforeChild + 1, 5 * SECOND,
                    "fd count back to " + fdsBeforeChild + " + the live surface's memfd (now " + IpcTestSupport.openFdCount() + ")");
            a.close();
            IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 0 && IpcTestSupport.openFdCount() == fdsBeforeClients,
                    5 * SECOND, "fd count back to " + fdsBeforeClients + " once its creator left (now "
                    + IpcTestSupport.openFdCount() + ")");
            IpcTestSupport.awaitTrue(() -> log.stream().anyMatch(l -> l.contains("'owner-child'") && l.contains("closed the connection")),
                    5 * SECOND, "the broker logged the child's disconnect: " + log);
        }
    }

    /**
     * Measurements (not a timed assertion): the raw SOCK_SEQPACKET round trip between two processes
     * and the keyed-mutex handoff through the broker between two processes. Run with
     * {@code -Dbaton.ipc.measure=true}.
     */
    @Test
    void measureRoundTrips() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("baton.ipc.measure"),
                "a measurement, not a check: run with -Dbaton.ipc.measure=true to print the figures");
        int warmup = 2000;
        int n = Integer.getInteger("baton.ipc.roundTrips", 5000);
        Path sock = IpcTestSupport.socketPath(tmp);
        long[] raw = new long[n];
        try (SeqPacketListener l = SocketPaths.bindServer(sock, 4);
             IpcTestSupport.Child child = new IpcTestSupport.Child(IpcChild.class, "echo", sock.toString(),
                     String.valueOf(warmup + n))) {
            child.awaitLine("CONNECTED");
            try (SeqPacketSocket s = new SeqPacketSocket(acceptWithin(l, 20 * SECOND), 64, 0)) {
                ByteBuffer msg = MemoryUtil.memCalloc(40); // the size of an ACQUIRE
                for (int i = 0; i < warmup + n; i++) {
                    long t0 = System.nanoTime();
                    s.send(msg, null, 0);
                    int r;
                    while ((r = s.receive()) == SeqPacketSocket.NOTHING) {
                        s.awaitReadable(5000);
                    }
                    assertEquals(40, r);
                    if (i >= warmup) {
                        raw[i - warmup] = System.nanoTime() - t0;
                    }
                }
                MemoryUtil.memFree(msg);
            }
            child.awaitExit(20);
        }
        long[] handoff = new long[n];
        Path sock2 = tmp.resolve("c").resolve("compositor.sock");
        List<String> log = new CopyOnWriteArrayList<>();
        try (Broker broker = Broker.start(sock2, IpcTestSupport.sharingConfig(log));
             IpcTestSupport.Child child = new IpcTestSupport.Child(IpcChild.class, "handoff", broker.socketPath(),
                     String.valueOf(warmup + n));
             BrokerClient a = BrokerClient.connect(broker.socketPath(), "parent", 5 * SECOND)) {
            IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 2, 30 * SECOND, "child connected");
            Thread.sleep(200); // its HELLO is in
            BrokerClient.Surface s = a.offer(32, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            child.awaitLine("GRANTED");
            ByteBuffer data = ByteBuffer.allocateDirect(8);
            long fence = 0;
            long previous = 0;
            for (int i = 0; i < warmup + n + 1; i++) {
                assertEquals(AcquireStatus.ACQUIRED, a.acquire(s, 0L, 10 * SECOND), "round trip " + i);
                long now = System.nanoTime();
                if (i > warmup) {
                    handoff[i - warmup - 1] = now - previous;
                }
                previous = now;
                assertEquals(fence, a.fenceValue());
                fence++;
                data.putLong(0, fence);
                if (i < warmup + n) {
                    a.release(s, 1L, fence, data);
                } else {
                    break;
                }
                fence++; // the child releases fence + 1
            }
            assertTrue(child.awaitLine("DONE").startsWith("DONE"));
        }
        Arrays.sort(raw);
        Arrays.sort(handoff);
        System.out.printf("raw SOCK_SEQPACKET round trip, 2 processes, 40-byte message: p50 %.1f us, p99 %.1f us (n=%d)%n",
                raw[n / 2] / 1e3, raw[n * 99 / 100] / 1e3, n);
        System.out.printf("keyed-mutex round trip through the broker (parent -> broker -> child -> broker -> parent, 2 handoffs):"
                + " p50 %.1f us, p99 %.1f us (n=%d); ratio to raw p50 %.2fx%n",
                handoff[n / 2] / 1e3, handoff[n * 99 / 100] / 1e3, n, (double) handoff[n / 2] / raw[n / 2]);
    }
}
