package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ipc.ProtocolViolation.Rule;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker's keyed-mutex service, in process: handoffs, timeouts, abandonment, and every broker-side rule. */
class BrokerTest {
    @TempDir
    Path tmp;
    final List<String> log = new CopyOnWriteArrayList<>();
    Broker broker;
    String path;

    @BeforeEach
    void start() {
        broker = Broker.start(IpcTestSupport.socketPath(tmp), IpcTestSupport.sharingConfig(log));
        path = broker.socketPath();
    }

    @AfterEach
    void stop() {
        broker.close();
        assertFalse(broker.isRunning(), "the loop thread ended");
    }

    private BrokerClient client(String name) {
        return BrokerClient.connect(path, name, 5 * SECOND);
    }

    private static BrokerClient.Surface offer(BrokerClient c, long initialKey) {
        return c.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, initialKey, null, null, 5 * SECOND);
    }

    @Test
    void twoClientsHandAKeyBackAndForthWithFenceAndPrivateDataAndSharedPixels() throws Exception {
        try (BrokerClient a = client("a"); BrokerClient b = client("b")) {
            BrokerClient.Surface sa = offer(a, 0L);
            BrokerClient.Surface sb = b.awaitGrant(5 * SECOND);
            assertEquals(sa.surfaceId, sb.surfaceId);
            assertEquals(1, sa.memoryFdCount());
            assertEquals(64 * 32 * 4, sa.allocationBytes, "width * height * 4, a whole number of pages here");
            assertEquals(Fds.SEALS_FIXED_SIZE, Fds.seals(sb.memoryFd(0)), "the broker sealed the memfd");
            assertNotEquals(0, Fds.truncate(sb.memoryFd(0), 1), "no client can shrink it");
            ByteBuffer data = ByteBuffer.allocateDirect(16);
            try (MappedMemory ma = MappedMemory.map(sa.memoryFd(0), sa.allocationBytes, true);
                 MappedMemory mb = MappedMemory.map(sb.memoryFd(0), sb.allocationBytes, true)) {
                ByteBuffer pa = ma.buffer();
                ByteBuffer pb = mb.buffer();
                long fence = 0;
                for (int i = 0; i < 200; i++) {
                    assertEquals(AcquireStatus.ACQUIRED, a.acquire(sa, 0L, SECOND));
                    assertEquals(fence, a.fenceValue());
                    pa.putInt(0, 2 * i);
                    data.putLong(0, 2 * i).putLong(8, -1L);
                    assertTrue(a.release(sa, 1L, ++fence, data));
                    assertEquals(AcquireStatus.ACQUIRED, b.acquire(sb, 1L, SECOND));
                    assertEquals(fence, b.fenceValue());
                    assertEquals(16, b.privateData().remaining());
                    assertEquals(2 * i, b.privateData().getLong(0));
                    assertEquals(2 * i, pb.getInt(0), "the pixels written by a are in b's mapping");
                    pb.putInt(0, 2 * i + 1);
                    data.putLong(0, 2 * i + 1);
                    assertTrue(b.release(sb, 0L, ++fence, data));
                }
            }
        }
        IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 0, 5 * SECOND, "both disconnected");
        assertEquals(0, broker.violations());
    }

    @Test
    void aPendingAcquireIsServedOnReleaseAndAnUnreleasedKeyTimesOut() throws Exception {
        try (BrokerClient a = client("a"); BrokerClient b = client("b")) {
            BrokerClient.Surface sa = offer(a, 0L);
            BrokerClient.Surface sb = b.awaitGrant(5 * SECOND);
            assertEquals(AcquireStatus.ACQUIRED, a.acquire(sa, 0L, SECOND));
            long t0 = System.nanoTime();
            assertEquals(AcquireStatus.TIMEOUT, b.acquire(sb, 1L, TimeUnit.MILLISECONDS.toNanos(50)));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(50), "not before the deadline");
            assertEquals(AcquireStatus.TIMEOUT, b.acquire(sb, 1L, 0L), "a poll answers at once");
            CompletableFuture<AcquireStatus> waiting = CompletableFuture.supplyAsync(() -> b.acquire(sb, 1L, 5 * SECOND));
            IpcTestSupport.awaitTrue(() -> broker.mutex(sa.surfaceId).ownerName() != null, SECOND, "a owns");
            Thread.sleep(50);
            assertFalse(waiting.isDone());
            a.release(sa, 1L, 5L, null);
            assertEquals(AcquireStatus.ACQUIRED, waiting.get(5, TimeUnit.SECONDS));
            assertEquals(5L, b.fenceValue());
        }
    }

    @Test
    void aClientThatDisappearsWhileOwningAbandonsTheSurfaceForItsWaiters() throws Exception {
        java.util.Set<String> before = IpcTestSupport.openFds();
        try (BrokerClient a = client("a"); BrokerClient b = client("b")) {
            BrokerClient.Surface sa = offer(a, 0L);
            BrokerClient.Surface sb = b.awaitGrant(5 * SECOND);
            assertEquals(AcquireStatus.ACQUIRED, b.acquire(sb, 0L, SECOND));
            CompletableFuture<AcquireStatus> waiting = CompletableFuture.supplyAsync(() -> a.acquire(sa, 1L, 10 * SECOND));
            Thread.sleep(50);
            b.socket().close(); // no BYE: as if the process died
            assertEquals(AcquireStatus.ABANDONED, waiting.get(5, TimeUnit.SECONDS));
            assertEquals(AcquireStatus.ABANDONED, a.acquire(sa, 0L, 0L), "sticky");
        }
        IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 0, 5 * SECOND, "both disconnected");
        IpcTestSupport.awaitTrue(() -> IpcTestSupport.fdsOpenedSince(before).isEmpty(), 5 * SECOND,
                "no fd left open (still open: " + IpcTestSupport.fdsOpenedSince(before) + ")");
    }

    @Test
    void theBrokersOwnSurfaceLooksUpAndAnInProcessHandleHandsOffToARemoteClient() throws Exception {
        try (BrokerClient a = client("a")) {
            BrokerClient.Surface sa = offer(a, 0L);
            var local = broker.mutex(sa.surfaceId).open("compositor");
            CompletableFuture<AcquireStatus> remote = CompletableFuture.supplyAsync(() -> a.acquire(sa, 0L, 5 * SECOND));
            assertEquals(AcquireStatus.ACQUIRED, remote.get(5, TimeUnit.SECONDS));
            a.release(sa, 1L, 3L, null);
            var r = local.acquire(1L, 5, TimeUnit.SECONDS);
            assertEquals(AcquireStatus.ACQUIRED, r.status());
            assertEquals(3L, r.fenceValue());
            remote = CompletableFuture.supplyAsync(() -> a.acquire(sa, 0L, 5 * SECOND));
            Thread.sleep(30);
            local.release(0L, 4L, null);
            broker.wakeup(); // the in-process releaser tells the loop to serve remote waiters
            assertEquals(AcquireStatus.ACQUIRED, remote.get(5, TimeUnit.SECONDS));
            assertEquals(4L, a.fenceValue());
        }
    }

    @Test
    void aVersionMismatchIsRefusedNamingBothVersions() throws Exception {
        try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
            ByteBuffer m = new MessageWriter().hello(1, 0, null, null, "future");
            m.putShort(H_VERSION, (short) (VERSION + 1));
            s.send(m, null, 0);
            assertTrue(s.awaitReadable(5000));
            assertTrue(s.receive() > 0);
            ByteBuffer r = s.receiveBuffer();
            assertEquals(TYPE_REFUSE, r.getShort(H_TYPE));
            String text = getText(r, REFUSE_TEXT, r.getShort(REFUSE_TEXT_LENGTH));
            assertTrue(text.contains("version " + VERSION) && text.contains("version " + (VERSION + 1)), text);
            assertTrue(IpcTestSupport.awaitEof(s, 5 * SECOND));
        }
        assertEquals(0, broker.violations(), "a mismatch is a refusal, not a violation");
    }

    /**
     * Sync choice 3 (shared timeline) carries exactly one sync fd, the exported timeline semaphore, of a
     * kind a driver exports one as (memfd, anonymous inode, driver device node) and of the size claimed;
     * a wrong count, {@code /dev/null}, a pipe or a size that is not the one claimed disconnects the
     * client; a right one is relayed in SURFACE_CREATED. No driver here exports timelines, so the fd
     * that passes is a memfd standing in for one: the broker never imports sync fds.
     */
    @Test
    void aSharedTimelineOfferCarriesExactlyOneTimelineFdAndAnythingElseIsAViolation() throws Exception {
        int timeline = Fds.memfdCreate("timeline", 0);
        int other = Fds.memfdCreate("other", 0);
        int devNull = Fds.open("/dev/null", LibC.O_RDWR);
        int[] pipe = Fds.pipe();
        try {
            int[][] fds = {{}, {timeline, other}, {devNull}, {pipe[0]}, {timeline}};
            long[][] claims = {{}, {0, 0}, {0}, {0}, {4096}};
            Rule[] rules = {Rule.FD_COUNT, Rule.FD_COUNT, Rule.FD_TYPE, Rule.FD_TYPE, Rule.FD_SIZE};
            for (int i = 0; i < fds.length; i++) {
                try (BrokerClient c = client("timeline-liar")) {
                    ByteBuffer m = c.writer().offer(1, 8, 8, 37, 0, MEMORY_HOST_MEMFD, SYNC_SHARED_TIMELINE, 0L, claims[i], fds[i].length);
                    expectViolation(c, m, fds[i].length == 0 ? null : fds[i], fds[i].length, rules[i]);
                }
            }
            assertTrue(log.stream().anyMatch(l -> l.contains("takes exactly one")), "the count rule names the sync choice: " + log);
            assertTrue(log.stream().anyMatch(l -> l.contains("character device of major 1")), "/dev/null is named: " + log);
            try (BrokerClient producer = client("timeline-producer"); BrokerClient consumer = client("timeline-consumer")) {
                BrokerClient.Surface s = producer.offer(8, 8, 37, 0, MEMORY_HOST_MEMFD, SYNC_SHARED_TIMELINE, 0L, new int[] {timeline},
                        new long[] {0}, 5 * SECOND);
                assertEquals(1, s.syncFdCount(), "the offerer gets the timeline back with the surface");
                assertEquals(SYNC_SHARED_TIMELINE, s.syncChoice);
                BrokerClient.Surface granted = consumer.awaitGrant(5 * SECOND);
                assertEquals(s.surfaceId, granted.surfaceId);
                assertEquals(1, granted.syncFdCount(), "relayed in SURFACE_CREATED to the one it was granted to");
                Fds.FileStatus st = new Fds.FileStatus();
                assertEquals(0, Fds.fstat(granted.syncFd(0), st));
                assertEquals(LibC.S_IFREG, st.type(), "the same memfd, passed on");
            }
        } finally {
            LibC.close(timeline);
            LibC.close(other);
            LibC.close(devNull);
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
    }

    /** Sends {@code m} (with fds) on a HELLO'd client and expects ERROR naming {@code rule}, then disconnection. */
    private void expectViolation(BrokerClient c, ByteBuffer m, int[] fds, int n, Rule rule) throws InterruptedException {
        long before = broker.violations();
        assertEquals(SeqPacketSocket.SENT, c.socket().send(m, fds, n));
        assertEquals(rule, IpcTestSupport.awaitErrorRule(c.socket(), 5 * SECOND));
        assertTrue(IpcTestSupport.awaitEof(c.socket(), 5 * SECOND), "disconnected after " + rule);
        IpcTestSupport.awaitTrue(() -> broker.violations() == before + 1, SECOND, "violation counted");
        IpcTestSupport.awaitTrue(() -> log.stream().anyMatch(l -> l.contains("protocol violation " + rule.name())),
                SECOND, "a log line names " + rule + ": " + log);
    }

    @Test
    void everyBrokerSideRuleDisconnectsTheClientAloneWithAOneLineLog() throws Exception {
        try (BrokerClient honest = client("honest")) {
            BrokerClient.Surface own = offer(honest, 0L);
            int other = own.surfaceId;

            try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
                s.send(new MessageWriter().surface(TYPE_ACQUIRE, 1, 0, 0, null), null, 0);
                assertEquals(Rule.STATE, IpcTestSupport.awaitErrorRule(s, 5 * SECOND), "ACQUIRE before HELLO");
            }
            try (BrokerClient c = client("c")) {
                expectViolation(c, c.writer().hello(1, 0, null, null, "again"), null, 0, Rule.STATE);
            }
            try (BrokerClient c = client("c")) {
                expectViolation(c, c.writer().surface(TYPE_ACQUIRE, other, 0, 0, null), null, 0, Rule.UNKNOWN_SURFACE);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                expectViolation(c, c.writer().surface(TYPE_RELEASE, s.surfaceId, 1, 1, null), null, 0, Rule.NOT_OWNER);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
                expectViolation(c, c.writer().surface(TYPE_ACQUIRE, s.surfaceId, 0, 0, null), null, 0, Rule.ALREADY_OWNER);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                c.socket().send(c.writer().surface(TYPE_ACQUIRE, s.surfaceId, 9, SECOND, null), null, 0);
                expectViolation(c, c.writer().surface(TYPE_ACQUIRE, s.surfaceId, 9, SECOND, null), null, 0, Rule.ACQUIRE_PENDING);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
                c.release(s, 0L, 10L, null);
                assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
                expectViolation(c, c.writer().surface(TYPE_RELEASE, s.surfaceId, 0, 9, null), null, 0, Rule.FENCE_BACKWARDS);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
                c.release(s, 0L, -1L, null); // unsigned: the largest fence value, not a negative one
                assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
                assertEquals(-1L, c.fenceValue());
                expectViolation(c, c.writer().surface(TYPE_RELEASE, s.surfaceId, 0, 5, null), null, 0, Rule.FENCE_BACKWARDS);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
                c.release(s, 0L, 4L, null);
                assertTrue(c.fenceReached(s, 4L));
                expectViolation(c, c.writer().surface(TYPE_FENCE_REACHED, s.surfaceId, 0, 3, null), null, 0, Rule.FENCE_REACHED);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                expectViolation(c, c.writer().surface(TYPE_FENCE_REACHED, s.surfaceId, 0, 1, null), null, 0, Rule.FENCE_REACHED);
            }
            try (BrokerClient c = client("c")) {
                BrokerClient.Surface s = offer(c, 0L);
                assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
                ByteBuffer m = c.writer().surface(TYPE_RELEASE, s.surfaceId, 0, 1, ByteBuffer.allocate(MAX_PRIVATE_DATA_BYTES));
                byte[] bytes = new byte[m.limit() + 8];
                m.get(0, bytes, 0, m.limit());
                ByteBuffer big = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                big.putInt(H_LENGTH, bytes.length).putInt(S_DATA_LENGTH, MAX_PRIVATE_DATA_BYTES + 8);
                big.putInt(H_SEQUENCE, m.getInt(H_SEQUENCE));
                ByteBuffer raw = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
                expectViolation(c, raw, null, 0, Rule.PRIVATE_DATA_LIMIT);
            }
            try (BrokerClient c = client("c")) {
                ByteBuffer m = c.writer().offer(1, 0, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0, null, 0);
                expectViolation(c, m, null, 0, Rule.FIELD);
            }
            try (BrokerClient c = client("c")) {
                for (int i = 0; i < 8; i++) {
                    offer(c, i);
                }
                expectViolation(c, c.writer().offer(1, 8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0, null, 0),
                        null, 0, Rule.LIMIT);
            }
            // The honest client was never disturbed.
            assertEquals(AcquireStatus.ACQUIRED, honest.acquire(own, 0L, SECOND));
        }
    }

    @Test
    void receivedFdsAreCheckedForTypeAndSizeAndClosedWhenRefused() throws Exception {
        java.util.Set<String> before = IpcTestSupport.openFds();
        int tiny = Fds.memfdCreate("tiny", 16);
        int devNull = Fds.open("/dev/null", LibC.O_RDWR);
        int[] pipe = Fds.pipe();
        try {
            try (BrokerClient c = client("c")) {
                expectViolation(c, c.writer().offer(1, 8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0,
                        new long[] {4096}, 1), new int[] {tiny}, 1, Rule.FD_SIZE);
            }
            try (BrokerClient c = client("c")) {
                expectViolation(c, c.writer().offer(1, 8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0,
                        new long[] {0}, 1), new int[] {devNull}, 1, Rule.FD_TYPE);
            }
            try (BrokerClient c = client("c")) {
                expectViolation(c, c.writer().offer(1, 8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0,
                        new long[] {0}, 1), new int[] {pipe[0]}, 1, Rule.FD_TYPE);
            }
            try (BrokerClient c = client("c")) {
                int[] many = new int[40];
                java.util.Arrays.fill(many, tiny);
                expectViolation(c, c.writer().offer(1, 8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0,
                        new long[] {16}, 1), many, many.length, Rule.FD_TRUNCATED);
            }
            try (BrokerClient c = client("c")) {
                expectViolation(c, c.writer().surface(TYPE_ACQUIRE, 1, 0, 0, null), new int[] {tiny}, 1, Rule.FD_COUNT);
            }
            try (BrokerClient c = client("c")) {
                // A correct one is accepted: the broker keeps the fd and hands it to importers.
                BrokerClient.Surface s = c.offer(8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_BINARY_SEMAPHORES, 0L,
                        new int[] {tiny}, new long[] {16}, 5 * SECOND);
                assertEquals(1, s.syncFdCount());
                Fds.FileStatus st = new Fds.FileStatus();
                assertEquals(0, Fds.fstat(s.syncFd(0), st));
                assertEquals(16, st.sizeBytes());
            }
        } finally {
            LibC.close(tiny);
            LibC.close(devNull);
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
        IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 0, 5 * SECOND, "all disconnected");
        IpcTestSupport.awaitTrue(() -> IpcTestSupport.fdsOpenedSince(before).isEmpty(), 5 * SECOND,
                "every received fd closed (still open: " + IpcTestSupport.fdsOpenedSince(before) + ")");
    }

    @Test
    void anOfferTheAllocatorCannotServeIsAnsweredWithErrorAndTheClientStays() {
        try (BrokerClient c = client("c")) {
            BrokerClient.BrokerRefusal e = assertThrows(BrokerClient.BrokerRefusal.class,
                    () -> c.offer(8, 8, 0, 0, MEMORY_DEVICE_OPAQUE_FD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND));
            assertTrue(e.getMessage().contains("host memfd only"), e.getMessage());
            BrokerClient.Surface s = offer(c, 0L);
            assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
        }
    }

    @Test
    void aHostCopyOfferGetsTheSameSealedMemfdWithItsChoiceEchoed() {
        try (BrokerClient c = client("copier")) {
            BrokerClient.Surface s = c.offer(64, 16, 37, 0, MEMORY_HOST_COPY, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            assertEquals(MEMORY_HOST_COPY, s.memoryChoice);
            assertEquals(1, s.memoryFdCount());
            Fds.FileStatus st = new Fds.FileStatus();
            assertEquals(0, Fds.fstat(s.memoryFd(0), st));
            assertEquals(4096, st.sizeBytes(), "64x16x4 bytes, rounded up to a page");
            assertEquals(Fds.SEALS_FIXED_SIZE, Fds.seals(s.memoryFd(0)) & Fds.SEALS_FIXED_SIZE, "sealed: no client can resize it");
            assertEquals(AcquireStatus.ACQUIRED, c.acquire(s, 0L, SECOND));
        }
    }

    @Test
    void aClientThatNeverSaysHelloIsDroppedAfterTheHelloTimeout() throws Exception {
        try (SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, 8)) {
            assertTrue(IpcTestSupport.awaitEof(s, 5 * SECOND));
        }
        IpcTestSupport.awaitTrue(() -> log.stream().anyMatch(l -> l.contains("no HELLO")), SECOND,
                "a log line says why: " + log);
    }

    @Test
    void brokerShutdownSendsByeAndWaitersSeeAbandonedWithAReason() throws Exception {
        BrokerClient a = client("a");
        BrokerClient.Surface s = offer(a, 0L);
        assertEquals(AcquireStatus.ACQUIRED, a.acquire(s, 0L, SECOND));
        a.release(s, 1L, 1L, null);
        CompletableFuture<AcquireStatus> waiting = CompletableFuture.supplyAsync(() -> a.acquire(s, 0L, 20 * SECOND));
        Thread.sleep(50);
        long t0 = System.nanoTime();
        broker.close();
        assertEquals(AcquireStatus.ABANDONED, waiting.get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 < 2 * SECOND);
        assertTrue(a.brokerGoneReason() != null, "the client says why");
        a.close();
        assertNull(SocketPaths.probe(path) == SocketPaths.Probe.LIVE ? "live" : null, "the socket is gone");
    }

    @Test
    void theConnectionCountIsBoundedAndASocketPairClientIsServedLikeAnyOther() throws Exception {
        Broker.Config config = IpcTestSupport.sharingConfig(log);
        config.maxConnections = 2;
        try (Broker small = Broker.startUnbound(config)) {
            SeqPacketSocket[] p1 = SeqPacketSocket.pair(MAX_MESSAGE_BYTES, 2 * MAX_FDS_PER_MESSAGE);
            SeqPacketSocket[] p2 = SeqPacketSocket.pair(MAX_MESSAGE_BYTES, 2 * MAX_FDS_PER_MESSAGE);
            SeqPacketSocket[] p3 = SeqPacketSocket.pair(MAX_MESSAGE_BYTES, 2 * MAX_FDS_PER_MESSAGE);
            small.adopt(p1[0]);
            small.adopt(p2[0]);
            try (BrokerClient a = BrokerClient.over(p1[1], "a", 5 * SECOND);
                 BrokerClient b = BrokerClient.over(p2[1], "b", 5 * SECOND)) {
                small.adopt(p3[0]);
                BrokerClient.BrokerRefusal e = assertThrows(BrokerClient.BrokerRefusal.class,
                        () -> BrokerClient.over(p3[1], "c", 5 * SECOND));
                assertTrue(e.getMessage().contains("at most 2 clients"), e.getMessage());
                BrokerClient.Surface sa = offer(a, 0L);
                BrokerClient.Surface sb = b.awaitGrant(5 * SECOND);
                assertEquals(AcquireStatus.ACQUIRED, a.acquire(sa, 0L, SECOND));
                a.release(sa, 1L, 1L, null);
                assertEquals(AcquireStatus.ACQUIRED, b.acquire(sb, 1L, SECOND));
                b.release(sb, 0L, 1L, null);
                assertTrue(b.fenceReached(sb, 1L));
                IpcTestSupport.awaitTrue(() -> small.reachedFenceValue(sa.surfaceId) == 1L, 5 * SECOND, "fence reached recorded");
                assertEquals(AcquireStatus.ACQUIRED, a.acquire(sa, 0L, SECOND));
                a.poll();
                assertEquals(1L, sa.reachedFenceValue(), "FENCE_REACHED is forwarded to the other participant");
            }
        }
    }
}
