package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ipc.ProtocolViolation.Rule;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwjgl.system.MemoryUtil;

/**
 * A hostile client throws everything at the broker while two honest clients keep handing a key back
 * and forth: the broker survives, the honest clients see every handoff in order, and the broker's fd
 * count returns to where it started.
 */
class HostileClientTest {
    @TempDir
    Path tmp;

    @Test
    void theBrokerSurvivesAndHonestClientsSeeEveryHandoff() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Broker.Config config = new Broker.Config();
        config.log = log::add;
        config.helloTimeoutNanos = SECOND;
        ConcurrentHashMap<String, Integer> honestIds = new ConcurrentHashMap<>();
        config.listener = new Broker.Listener() {
            @Override
            public void clientConnected(Broker broker, int clientId, String name, int pid) {
                if (name.startsWith("honest-")) {
                    honestIds.put(name, clientId);
                }
            }

            @Override
            public void surfaceCreated(Broker broker, BrokerSurface surface) {
                Integer a = honestIds.get("honest-a");
                Integer b = honestIds.get("honest-b");
                if (a != null && b != null && surface.creatorClientId() == a) {
                    broker.grant(surface, b);
                }
            }
        };
        LibC.getpid(); // loads LWJGL and libc first: their one-time setup is not the broker's
        java.util.Set<String> fdsBefore = IpcTestSupport.openFds();
        Broker broker = Broker.start(IpcTestSupport.socketPath(tmp), config);
        String path = broker.socketPath();
        java.util.Set<String> fdsAtStart = IpcTestSupport.openFds();
        try {
            BrokerClient a = BrokerClient.connect(path, "honest-a", 5 * SECOND);
            BrokerClient b = BrokerClient.connect(path, "honest-b", 5 * SECOND);
            BrokerClient.Surface sa = a.offer(64, 64, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            BrokerClient.Surface sb = b.awaitGrant(5 * SECOND);
            assertEquals(sa.surfaceId, sb.surfaceId);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong handoffs = new AtomicLong();
            List<String> honestErrors = new CopyOnWriteArrayList<>();
            CountDownLatch done = new CountDownLatch(2);
            Thread ta = honest(a, sa, 0L, 1L, stop, handoffs, honestErrors, done);
            Thread tb = honest(b, sb, 1L, 0L, stop, handoffs, honestErrors, done);
            ta.start();
            tb.start();

            Random random = new Random(42);
            // 1. Random bytes, raw and after a good HELLO.
            for (int i = 0; i < 150; i++) {
                try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
                    if (i % 2 == 1) {
                        s.send(new MessageWriter().hello(1, 0, null, null, "random"), null, 0);
                    }
                    byte[] junk = new byte[1 + random.nextInt(700)];
                    random.nextBytes(junk);
                    if (i % 3 == 0 && junk.length >= HEADER_BYTES) { // plausible headers reach the deeper checks
                        ByteBuffer h = ByteBuffer.wrap(junk).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        h.putInt(H_MAGIC, MAGIC).putShort(H_VERSION, (short) VERSION).putInt(H_LENGTH, junk.length);
                        h.putInt(H_SEQUENCE, i % 2 == 1 ? 2 : 1);
                    }
                    sendRaw(s, junk);
                    IpcTestSupport.awaitEof(s, 5 * SECOND);
                }
            }
            // 2. Truncated HELLOs, an oversized message, a wrong version, out-of-order messages.
            byte[] hello = bytes(new MessageWriter().hello(1, 0, null, null, "truncated"));
            for (int cut = 1; cut < hello.length; cut += 7) {
                try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
                    sendRaw(s, java.util.Arrays.copyOf(hello, cut));
                    IpcTestSupport.awaitEof(s, 5 * SECOND);
                }
            }
            try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
                sendRaw(s, new byte[4096]);
                assertEquals(Rule.OVERSIZED, IpcTestSupport.awaitErrorRule(s, 5 * SECOND));
            }
            try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
                ByteBuffer m = new MessageWriter().hello(1, 0, null, null, "v9");
                m.putShort(H_VERSION, (short) 9);
                s.send(m, null, 0);
                assertTrue(IpcTestSupport.awaitEof(s, 5 * SECOND));
            }
            try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
                s.send(new MessageWriter().surface(TYPE_RELEASE, sa.surfaceId, 1, 1, null), null, 0);
                assertEquals(Rule.STATE, IpcTestSupport.awaitErrorRule(s, 5 * SECOND));
            }
            try (BrokerClient h = BrokerClient.connect(path, "skipper", 5 * SECOND)) {
                MessageWriter w = h.writer();
                w.bye(0); // consumes a sequence number without sending: the next message skips one
                h.socket().send(w.surface(TYPE_ACQUIRE, 1, 0, 0, null), null, 0);
                assertEquals(Rule.SEQUENCE, IpcTestSupport.awaitErrorRule(h.socket(), 5 * SECOND));
            }
            // 3. Surfaces it does not own, fences going backwards.
            try (BrokerClient h = BrokerClient.connect(path, "thief", 5 * SECOND)) {
                h.socket().send(h.writer().surface(TYPE_RELEASE, sa.surfaceId, 1, Long.MAX_VALUE, null), null, 0);
                assertEquals(Rule.UNKNOWN_SURFACE, IpcTestSupport.awaitErrorRule(h.socket(), 5 * SECOND));
            }
            try (BrokerClient h = BrokerClient.connect(path, "thief", 5 * SECOND)) {
                h.socket().send(h.writer().surface(TYPE_ACQUIRE, sa.surfaceId, 1, 0, null), null, 0);
                assertEquals(Rule.UNKNOWN_SURFACE, IpcTestSupport.awaitErrorRule(h.socket(), 5 * SECOND));
            }
            try (BrokerClient h = BrokerClient.connect(path, "backwards", 5 * SECOND)) {
                BrokerClient.Surface s = h.offer(8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 5L, null, null, 5 * SECOND);
                assertEquals(AcquireStatus.ACQUIRED, h.acquire(s, 5L, SECOND));
                h.release(s, 5L, 100L, null);
                assertEquals(AcquireStatus.ACQUIRED, h.acquire(s, 5L, SECOND));
                h.socket().send(h.writer().surface(TYPE_RELEASE, s.surfaceId, 5, 99, null), null, 0);
                assertEquals(Rule.FENCE_BACKWARDS, IpcTestSupport.awaitErrorRule(h.socket(), 5 * SECOND));
            }
            // 4. Fds that are not what they claim.
            int tiny = Fds.memfdCreate("tiny", 16);
            int devNull = Fds.open("/dev/null", LibC.O_RDWR);
            int[] pipe = Fds.pipe();
            int[][] liars = {{tiny}, {devNull}, {pipe[0]}, {tiny, tiny, tiny, tiny, tiny, tiny, tiny, tiny, tiny, tiny,
                tiny, tiny, tiny, tiny, tiny, tiny, tiny, tiny, tiny, tiny}};
            Rule[] expected = {Rule.FD_SIZE, Rule.FD_TYPE, Rule.FD_TYPE, Rule.FD_TRUNCATED};
            for (int i = 0; i < liars.length; i++) {
                try (BrokerClient h = BrokerClient.connect(path, "liar", 5 * SECOND)) {
                    ByteBuffer m = h.writer().offer(1, 8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0, new long[] {4096}, 1);
                    h.socket().send(m, liars[i], liars[i].length);
                    assertEquals(expected[i], IpcTestSupport.awaitErrorRule(h.socket(), 5 * SECOND));
                }
            }
            LibC.close(tiny);
            LibC.close(devNull);
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
            // 5. A client that never reads: it asks and asks, and the broker's queue for it fills up.
            try (BrokerClient h = BrokerClient.connect(path, "deaf", 5 * SECOND)) {
                BrokerClient.Surface s = h.offer(8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
                long deadline = System.nanoTime() + 20 * SECOND;
                boolean dropped = false;
                while (!dropped && System.nanoTime() - deadline < 0) {
                    int r = h.socket().send(h.writer().surface(TYPE_ACQUIRE, s.surfaceId, 77, 0, null), null, 0);
                    if (r == SeqPacketSocket.PEER_GONE) {
                        dropped = true;
                    } else if (r == SeqPacketSocket.WOULD_BLOCK) {
                        h.socket().awaitWritable(20);
                    }
                    dropped |= log.stream().anyMatch(l -> l.contains("'deaf'") && l.contains("send queue"));
                }
                assertTrue(dropped, "the broker dropped the client that does not read");
                IpcTestSupport.awaitTrue(() -> log.stream().anyMatch(l -> l.contains("'deaf'") && l.contains("send queue")),
                        5 * SECOND, "the drop was for its full send queue");
            }
            // 6. 1,000 rapid connect/disconnects, some after HELLO.
            for (int i = 0; i < 1000; i++) {
                SeqPacketSocket s;
                while (true) {
                    try {
                        s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8);
                        break;
                    } catch (NativeException e) {
                        if (e.errno() != LibC.EAGAIN) {
                            throw e;
                        }
                        Thread.sleep(1); // the backlog is full: let the broker accept
                    }
                }
                if (i % 4 == 0) {
                    s.send(new MessageWriter().hello(1, 0, null, null, "storm"), null, 0);
                }
                s.close();
            }

            stop.set(true);
            assertTrue(done.await(20, TimeUnit.SECONDS), "honest clients finished");
            assertEquals(List.of(), honestErrors);
            assertTrue(handoffs.get() > 0, "the honest clients kept handing off");
            assertTrue(broker.isRunning(), "the broker survived");
            System.out.println("hostile test: " + handoffs.get() + " honest handoffs, " + broker.violations()
                    + " violations, " + broker.disconnects() + " disconnects");
            a.close();
            b.close();
            IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 0, 10 * SECOND, "every connection gone");
            IpcTestSupport.awaitTrue(() -> IpcTestSupport.fdsOpenedSince(fdsAtStart).isEmpty(), 10 * SECOND,
                    "every fd the clients brought closed (still open: " + IpcTestSupport.fdsOpenedSince(fdsAtStart) + ")");
        } finally {
            broker.close();
        }
        IpcTestSupport.awaitTrue(() -> IpcTestSupport.fdsOpenedSince(fdsBefore).isEmpty(), 5 * SECOND,
                "closing the broker closes its socket and eventfd (still open: " + IpcTestSupport.fdsOpenedSince(fdsBefore) + ")");
    }

    private static Thread honest(BrokerClient c, BrokerClient.Surface s, long myKey, long nextKey, AtomicBoolean stop,
            AtomicLong handoffs, List<String> errors, CountDownLatch done) {
        Thread t = new Thread(() -> {
            ByteBuffer data = ByteBuffer.allocateDirect(8);
            long lastFence = -1;
            try {
                while (true) {
                    AcquireStatus st = c.acquire(s, myKey, 10 * SECOND);
                    if (st != AcquireStatus.ACQUIRED) {
                        if (!stop.get()) {
                            errors.add(c + " got " + st + ": " + c.brokerGoneReason());
                        }
                        return;
                    }
                    long fence = c.fenceValue();
                    if (lastFence >= 0 && fence != lastFence + 1) {
                        errors.add("fence " + fence + " after " + lastFence + ": a handoff was lost or repeated");
                    }
                    if (fence > 0 && c.privateData().getLong(0) != fence) {
                        errors.add("private data " + c.privateData().getLong(0) + " with fence " + fence);
                    }
                    handoffs.incrementAndGet();
                    data.putLong(0, fence + 1);
                    // Once told to stop, a's last release hands the key on once more so b finishes too.
                    c.release(s, nextKey, fence + 1, data);
                    lastFence = fence + 1;
                    if (stop.get()) {
                        return;
                    }
                }
            } catch (RuntimeException e) {
                errors.add(e.toString());
            } finally {
                done.countDown();
            }
        }, "honest-" + myKey);
        t.setDaemon(true);
        return t;
    }

    private static byte[] bytes(ByteBuffer m) {
        byte[] b = new byte[m.remaining()];
        m.get(m.position(), b);
        return b;
    }

    private static void sendRaw(SeqPacketSocket s, byte[] bytes) {
        ByteBuffer m = MemoryUtil.memAlloc(bytes.length).put(bytes).flip();
        try {
            s.send(m, null, 0);
        } finally {
            MemoryUtil.memFree(m);
        }
    }
}
