package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.BrokerSurface;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer's ring goes on through the surfaces the compositor gives back: the serve window holds the
 * surface it shows until a newer frame replaces it, and withdraws a newer one it did not take in time, so
 * a producer that insisted on its ring's order waited for ever on the held one while the other was free
 * (InPlaceWindowTest saw 2 frames in 25 s under load). Here a consumer client keeps the first surface a
 * {@code produce} child hands it and gives every frame of the second back: the producer must still hand
 * over all its frames, through the second surface, and exit 0.
 */
class ProducerRingTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    static final int FRAMES = 6;

    @TempDir
    Path tmp;

    private static String readLog(ProducerProcess p) {
        try {
            return Files.readString(p.log());
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Test
    void aSurfaceTheCompositorKeepsDoesNotStopTheRing() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        List<Integer> consumers = new CopyOnWriteArrayList<>();
        Broker.Config config = new Broker.Config();
        config.log = log::add;
        config.listener = new Broker.Listener() {
            @Override
            public void surfaceCreated(Broker broker, BrokerSurface surface) {
                for (int id : consumers) {
                    broker.grant(surface, id);
                }
            }
        };
        Path socket = Files.createDirectory(tmp.resolve("b"), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"))).resolve("s.sock");
        try (Broker broker = Broker.start(socket, config);
             BrokerClient consumer = BrokerClient.connect(broker.socketPath(), "consumer", 5 * SECOND)) {
            consumers.add(consumer.clientId());
            ProducerProcess p = ProducerProcess.start(ProducerProcessesTest.classPath(), List.of("--connect", broker.socketPath(),
                    "--size", "64x64", "--ring", "2", "--frames", String.valueOf(FRAMES), "--fps", "30", "--acquire-timeout-ms", "500"),
                    tmp.resolve("produce.log"));
            try (p) {
                BrokerClient.Surface a = consumer.awaitGrant(20 * SECOND);
                BrokerClient.Surface b = consumer.awaitGrant(10 * SECOND);
                assertNotNull(a, () -> "the producer offered its surfaces: " + log + " " + readLog(p));
                assertNotNull(b, "and a second one");
                // Frame 0 arrives on the first surface: keep it, as the window keeps the frame it shows.
                assertEquals(AcquireStatus.ACQUIRED, consumer.acquire(a, 1L, 30 * SECOND));
                List<Long> frames = new ArrayList<>();
                frames.add(consumer.privateData().order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                while (frames.size() < FRAMES) {
                    AcquireStatus st = consumer.acquire(b, 1L, 5 * SECOND);
                    assertEquals(AcquireStatus.ACQUIRED, st, "frame " + frames.size() + " came on the surface given back: "
                            + Files.readString(p.log()));
                    long fence = consumer.fenceValue();
                    frames.add(consumer.privateData().order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                    long deadline = System.nanoTime() + 5 * SECOND;
                    while (Long.compareUnsigned(b.reachedFenceValue(), fence) < 0 && System.nanoTime() < deadline) {
                        consumer.socket().awaitReadable(10);
                        consumer.poll();
                    }
                    assertTrue(Long.compareUnsigned(b.reachedFenceValue(), fence) >= 0, "FENCE_REACHED " + fence);
                    assertTrue(consumer.release(b, 0L, fence, null));
                }
                assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), frames, "every frame, in order, the first kept on its surface");
                // The producer has handed all its frames over; it exits 0 without the kept surface coming back.
                Integer code = p.awaitExit(TimeUnit.SECONDS.toMillis(30));
                assertEquals(Integer.valueOf(0), code, Files.readString(p.log()));
                assertTrue(Files.readString(p.log()).contains(FRAMES + " frames handed over"), Files.readString(p.log()));
            }
        }
    }
}
