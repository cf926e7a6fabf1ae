package dev.baton.app.bench;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.BrokerSurface;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.ipc.SeqPacketListener;
import dev.baton.render.ipc.SeqPacketSocket;
import dev.baton.render.ipc.SocketPaths;
import dev.baton.sync.AcquireStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lwjgl.system.MemoryUtil;

/**
 * The cross-process rows, CPU only (no GPU on either side): a raw {@code SOCK_SEQPACKET} round trip
 * of a 40-byte message (the size of an ACQUIRE) between this process and a child JVM, the floor of
 * any broker; and the keyed mutex through the broker between the same kind of two processes: this
 * process's client releases key 1 to the child's client, which acquires and releases key 0 back,
 * every message going through the broker's loop in this process. A sample of the keyed-mutex row is
 * half a full cycle (one handoff: releaser to broker to acquirer, two socket hops, as a raw round
 * trip), so its "x floor" is the protocol's cost per handoff over the raw round trip.
 */
final class CrossProcessPingPong {
    private CrossProcessPingPong() {}

    private static Process partner(String mode, String socket) throws IOException {
        return new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xmx64m", "-cp", System.getProperty("java.class.path"), CrossProcessPartner.class.getName(), mode, socket))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static Path socketDir() throws IOException {
        Path dir = SocketPaths.defaultSocketPath().getParent().resolve("bench-" + ProcessHandle.current().pid());
        Files.createDirectories(dir.getParent());
        return dir;
    }

    /** The raw round trip: warm-up, reset, then measure; one sample per round trip. */
    static void raw(Series series, long warmupNanos, long measureNanos, long stallNanos) throws IOException, InterruptedException {
        Path sock = socketDir().resolve("raw.sock");
        Process child = null;
        ByteBuffer msg = MemoryUtil.memCalloc(40);
        try (SeqPacketListener l = SocketPaths.bindServer(sock, 4)) {
            child = partner("echo", sock.toString());
            int fd = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((fd = l.accept()) < 0) {
                if (System.nanoTime() - deadline > 0 || !child.isAlive()) {
                    throw new IllegalStateException("the bench's partner process did not connect within 30 s");
                }
                Thread.sleep(5);
            }
            try (SeqPacketSocket s = new SeqPacketSocket(fd, 64, 0)) {
                loop(s, msg, series, System.nanoTime() + warmupNanos, stallNanos);
                series.reset();
                ThreadCosts costs = new ThreadCosts(Thread.currentThread());
                costs.start();
                long start = System.nanoTime();
                long n = loop(s, msg, series, start + measureNanos, stallNanos);
                long elapsed = System.nanoTime() - start;
                costs.stop();
                series.totals(n, elapsed, costs.cpuNanos(), 0, costs.allocatedBytes());
            }
        } finally {
            MemoryUtil.memFree(msg);
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(sock);
            Files.deleteIfExists(sock.getParent());
        }
    }

    private static long loop(SeqPacketSocket s, ByteBuffer msg, Series series, long end, long stallNanos) {
        long n = 0;
        int stallMillis = (int) Math.max(1, stallNanos / 1_000_000);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            s.send(msg, null, 0);
            int r;
            while ((r = s.receive()) == SeqPacketSocket.NOTHING) {
                if (!s.awaitReadable(stallMillis)) {
                    throw new IllegalStateException("raw socket round trip stalled for " + stallMillis + " ms");
                }
            }
            if (r == SeqPacketSocket.EOF) {
                throw new IllegalStateException("the bench's partner process closed its socket");
            }
            series.record(System.nanoTime() - t0);
            n++;
        }
        return n;
    }

    /**
     * A quiet broker configuration that grants every surface created to the client that says HELLO
     * as {@code partnerName}, whose id it writes into {@code partnerId[0]}.
     */
    static Broker.Config grantingTo(String partnerName, int[] partnerId) {
        Broker.Config config = new Broker.Config();
        config.log = line -> { };
        config.listener = new Broker.Listener() {
            @Override
            public void clientConnected(Broker b, int clientId, String name, int pid) {
                if (name.equals(partnerName)) {
                    partnerId[0] = clientId;
                }
            }

            @Override
            public void surfaceCreated(Broker b, BrokerSurface surface) {
                b.grant(surface, partnerId[0]);
            }
        };
        return config;
    }

    /** The keyed mutex through the broker: one sample per handoff (half a cycle). */
    static void broker(Series series, long warmupNanos, long measureNanos, long stallNanos) throws IOException, InterruptedException {
        Path sock = socketDir().resolve("broker.sock");
        int[] partnerId = {0};
        Broker.Config config = grantingTo("bench-partner", partnerId);
        Process child = null;
        try (Broker broker = Broker.start(sock, config)) {
            child = partner("handoff", broker.socketPath());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (broker.connectionCount() < 1 || partnerId[0] == 0) {
                if (System.nanoTime() - deadline > 0 || !child.isAlive()) {
                    throw new IllegalStateException("the bench's partner process did not connect to the broker within 30 s");
                }
                Thread.sleep(5);
            }
            try (BrokerClient a = BrokerClient.connect(broker.socketPath(), "bench", TimeUnit.SECONDS.toNanos(5))) {
                BrokerClient.Surface s = a.offer(32, 32, 37, 0, Protocol.MEMORY_HOST_MEMFD, Protocol.SYNC_HOST_BRIDGE, 0L, null, null,
                        TimeUnit.SECONDS.toNanos(5));
                long[] fence = {0};
                cycles(a, s, fence, series, System.nanoTime() + warmupNanos, stallNanos);
                series.reset();
                ThreadCosts costs = new ThreadCosts(Thread.currentThread(), brokerThread());
                costs.start();
                long start = System.nanoTime();
                long n = cycles(a, s, fence, series, start + measureNanos, stallNanos);
                long elapsed = System.nanoTime() - start;
                costs.stop();
                series.totals(n, elapsed, costs.cpuNanos(), 0, costs.allocatedBytes());
            }
        } finally {
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(sock.getParent());
        }
    }

    /** The broker's loop thread (its CPU time and allocations are charged to the row). */
    private static Thread brokerThread() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("baton-broker")) {
                return t;
            }
        }
        throw new IllegalStateException("the broker's loop thread is not running");
    }

    private static long cycles(BrokerClient a, BrokerClient.Surface s, long[] fence, Series series, long end, long stallNanos) {
        long n = 0;
        if (a.acquire(s, 0L, stallNanos) != AcquireStatus.ACQUIRED) {
            throw new IllegalStateException("cross-process keyed mutex: the first acquire failed (" + a.brokerGoneReason() + ")");
        }
        fence[0] = Math.max(fence[0], a.fenceValue());
        while (true) {
            long t0 = System.nanoTime();
            a.release(s, 1L, ++fence[0], null);
            AcquireStatus st = a.acquire(s, 0L, stallNanos);
            long cycle = System.nanoTime() - t0;
            if (st != AcquireStatus.ACQUIRED) {
                throw new IllegalStateException("cross-process keyed mutex handoff stalled or was abandoned (" + st + ")");
            }
            fence[0] = a.fenceValue();
            series.record(cycle / 2);
            series.record(cycle - cycle / 2);
            n += 2;
            if (System.nanoTime() >= end) {
                // leave it owned by us: the next call starts with an acquire it already holds
                a.release(s, 0L, ++fence[0], null);
                return n;
            }
        }
    }
}
