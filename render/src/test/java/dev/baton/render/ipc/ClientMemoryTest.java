package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ExportedImageMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client's own device memory in SURFACE_OFFER (memory choice 2 with a memory fd), without a GPU: the
 * broker refuses it by default, relays only memfds sealed against truncation under policy SEALED, any
 * memfd of the claimed size under TRUSTED, checks every memory fd's type and size by fstat (a
 * violation disconnects that client alone), and never maps a relayed fd itself.
 */
class ClientMemoryTest {
    static final long BYTES = 4096;

    @TempDir
    Path tmp;
    final List<String> log = new CopyOnWriteArrayList<>();
    Broker broker;

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private Broker start(Broker.ClientMemory policy) {
        Broker.Config config = IpcTestSupport.sharingConfig(log);
        config.clientMemory = policy;
        broker = Broker.start(IpcTestSupport.socketPath(tmp), config);
        return broker;
    }

    private BrokerClient client(String name) {
        return BrokerClient.connect(broker.socketPath(), name, 5 * SECOND);
    }

    /** What an exporter would describe: a 32x32 RGBA8 image in {@code allocation} bytes. */
    static ExportedImageMemory description(long allocation) {
        return new ExportedImageMemory() {
            @Override public int width() { return 32; }
            @Override public int height() { return 32; }
            @Override public int vkFormat() { return 37; }
            @Override public boolean linearTiling() { return false; }
            @Override public int vkUsage() { return 3; }
            @Override public int vkCreateFlags() { return 0; }
            @Override public int memoryTypeIndex() { return 2; }
            @Override public long allocationSizeBytes() { return allocation; }
            @Override public byte[] driverUuid() { return new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}; }
            @Override public byte[] deviceUuid() { return new byte[16]; }
            @Override public int dupFd() { throw new UnsupportedOperationException(); }
        };
    }

    private static BrokerClient.Surface offerMemory(BrokerClient c, int fd, long claimed) {
        return c.offer(32, 32, 37, 3, MEMORY_DEVICE_OPAQUE_FD, SYNC_HOST_BRIDGE, 0L, null, null, description(claimed), fd, 5 * SECOND);
    }

    private static boolean mappedHere(String memfdName) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.contains("memfd:" + memfdName));
    }

    @Test
    void byDefaultNoClientMemoryIsTakenAndTheClientStays() {
        start(Broker.ClientMemory.REFUSE);
        int fd = Fds.memfdCreate("client-memory-default", BYTES);
        Fds.addSeals(fd, Fds.SEALS_FIXED_SIZE);
        try (BrokerClient c = client("c")) {
            BrokerClient.BrokerRefusal e = assertThrows(BrokerClient.BrokerRefusal.class, () -> offerMemory(c, fd, BYTES));
            assertTrue(e.getMessage().contains("takes no memory from clients"), e.getMessage());
            BrokerClient.Surface s = c.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            assertEquals(MEMORY_HOST_MEMFD, s.memoryChoice, "still connected: a host memfd is served");
        } finally {
            LibC.close(fd);
        }
        assertEquals(0, broker.violations());
    }

    @Test
    void sealedPolicyRelaysASealedMemfdToTheOtherClientWithoutMappingItAndRefusesAnUnsealedOne() throws Exception {
        start(Broker.ClientMemory.SEALED);
        int sealed = Fds.memfdCreate("client-memory-sealed", BYTES);
        Fds.addSeals(sealed, Fds.SEALS_FIXED_SIZE);
        int unsealed = Fds.memfdCreate("client-memory-unsealed", BYTES);
        try (BrokerClient exporter = client("exporter"); BrokerClient importer = client("importer")) {
            BrokerClient.BrokerRefusal e = assertThrows(BrokerClient.BrokerRefusal.class, () -> offerMemory(exporter, unsealed, BYTES));
            assertTrue(e.getMessage().contains("not sealed against shrinking"), e.getMessage());
            BrokerClient.Surface mine = offerMemory(exporter, sealed, BYTES);
            assertEquals(MEMORY_DEVICE_OPAQUE_FD, mine.memoryChoice);
            BrokerClient.Surface granted = importer.awaitGrant(5 * SECOND);
            assertEquals(mine.surfaceId, granted.surfaceId);
            assertEquals(1, granted.memoryFdCount());
            ExportedImageMemory relayed = granted.exportedImageMemory();
            assertEquals(BYTES, relayed.allocationSizeBytes());
            assertEquals(2, relayed.memoryTypeIndex());
            assertEquals(3, relayed.vkUsage());
            assertEquals(16, relayed.driverUuid()[15], "the exporter's UUIDs travel for the importer to check");
            assertFalse(mappedHere("client-memory-sealed"), "the broker never mapped the client's memory");
            try (MappedMemory a = MappedMemory.map(sealed, BYTES, true); MappedMemory b = MappedMemory.map(granted.memoryFd(0), BYTES, false)) {
                a.buffer().putLong(64, 0x5eed);
                assertEquals(0x5eed, b.buffer().getLong(64), "the importer got the exporter's very pages");
            }
        } finally {
            LibC.close(sealed);
            LibC.close(unsealed);
        }
        assertEquals(0, broker.violations(), "a refused offer is not a violation");
    }

    @Test
    void trustedPolicyRelaysAnUnsealedMemfdAndSaysSoInTheLog() {
        start(Broker.ClientMemory.TRUSTED);
        int unsealed = Fds.memfdCreate("client-memory-trusted", BYTES);
        try (BrokerClient exporter = client("exporter"); BrokerClient importer = client("importer")) {
            BrokerClient.Surface mine = offerMemory(exporter, unsealed, BYTES);
            assertEquals(mine.surfaceId, importer.awaitGrant(5 * SECOND).surfaceId);
        } finally {
            LibC.close(unsealed);
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("not sealed against truncation") && l.contains("'exporter'")), log.toString());
    }

    /**
     * A hardware driver's OPAQUE_FD memory is no memfd (NVIDIA's is an fd of its control device, a
     * character device without a size; Mesa's a dma-buf): TRUSTED relays such a handle as it is. A
     * character device that is none of the kernel's memory devices stands in for one here
     * ({@code /dev/ptmx}); {@code /dev/null} stays refused ({@link #aMemoryFdThatIsNotWhatTheOfferClaimsDisconnectsThatClientAlone}).
     */
    @Test
    void trustedPolicyRelaysADriversOwnMemoryHandleThatIsNoMemfd() {
        start(Broker.ClientMemory.TRUSTED);
        int node = Fds.open("/dev/ptmx", LibC.O_RDWR | 0400 /* O_NOCTTY */);
        try (BrokerClient exporter = client("exporter"); BrokerClient importer = client("importer")) {
            BrokerClient.Surface mine = offerMemory(exporter, node, BYTES);
            BrokerClient.Surface granted = importer.awaitGrant(5 * SECOND);
            assertEquals(mine.surfaceId, granted.surfaceId);
            Fds.FileStatus st = new Fds.FileStatus();
            assertEquals(0, Fds.fstat(granted.memoryFd(0), st));
            assertEquals(LibC.S_IFCHR, st.type(), "the same device node, passed on");
            assertEquals(BYTES, granted.allocationBytes, "the allocation the exporter claimed");
        } finally {
            LibC.close(node);
        }
        assertEquals(0, broker.violations(), log.toString());
    }

    @Test
    void aMemoryFdThatIsNotWhatTheOfferClaimsDisconnectsThatClientAlone() throws Exception {
        start(Broker.ClientMemory.TRUSTED);
        int small = Fds.memfdCreate("client-memory-small", BYTES);
        int devNull = Fds.open("/dev/null", LibC.O_RDWR);
        int[] pipe = Fds.pipe();
        try (BrokerClient honest = client("honest")) {
            java.util.Set<String> before = IpcTestSupport.openFds();
            for (int[] fdAndClaim : new int[][] {{small, (int) BYTES * 2}, {devNull, (int) BYTES}, {pipe[0], (int) BYTES}, {small, 0}}) {
                try (BrokerClient c = client("liar")) {
                    assertThrows(BrokerClient.BrokerRefusal.class, () -> offerMemory(c, fdAndClaim[0], fdAndClaim[1]));
                }
            }
            try (BrokerClient c = client("wrong-choice")) {
                // A memory fd may only come with memory choice 2.
                assertThrows(BrokerClient.BrokerRefusal.class, () -> c.offer(32, 32, 37, 3, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L,
                        null, null, description(BYTES), small, 5 * SECOND));
            }
            IpcTestSupport.awaitTrue(() -> broker.violations() == 5, 5 * SECOND, "five violations: " + log);
            IpcTestSupport.awaitTrue(() -> broker.connectionCount() == 1, 5 * SECOND, "only the honest client left");
            IpcTestSupport.awaitTrue(() -> IpcTestSupport.fdsOpenedSince(before).isEmpty(), 5 * SECOND,
                    "every received fd closed (still open: " + IpcTestSupport.fdsOpenedSince(before) + ")");
            assertTrue(log.stream().anyMatch(l -> l.contains("FD_SIZE")), log.toString());
            assertTrue(log.stream().anyMatch(l -> l.contains("FD_TYPE")), log.toString());
            assertEquals(MEMORY_HOST_MEMFD, honest.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null,
                    5 * SECOND).memoryChoice, "the honest client is served on");
        } finally {
            LibC.close(small);
            LibC.close(devNull);
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
    }
}
