package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.app.demo.AbandonedTile;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.MappedMemory;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.scene.FrameStamp;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compositor's tile of a producer that died: its last frame stays in its place, dimmed and
 * labelled ABANDONED with the reason, until a new producer takes the place; a producer that leaves
 * with BYE gives its place up. Producers here are host-side clients of the real broker (CPU writes into
 * the broker's memfds, frame stamps and FENCE_REACHED as a producer process sends them): no GPU, no
 * child process. The assertions read the composite's pixels.
 */
class DeadProducerTileTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    static final int W = 256, H = 128;

    @TempDir
    Path tmp;

    /** A producer without a GPU: fills its surface with one colour and the frame stamp, then hands it over. */
    static final class HostProducer implements AutoCloseable {
        final BrokerClient client;
        final BrokerClient.Surface surface;
        final MappedMemory memory;
        final int red, green, blue;
        final ByteBuffer data = ByteBuffer.allocateDirect(ProduceCommand.PRIVATE_DATA_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long frame;

        HostProducer(String socket, String name, int red, int green, int blue) {
            client = BrokerClient.connect(socket, name, 5 * SECOND);
            surface = client.offer(W, H, 37, 0, Protocol.MEMORY_HOST_MEMFD, Protocol.SYNC_HOST_BRIDGE, ProduceCommand.PRODUCER_KEY,
                    null, null, 5 * SECOND);
            memory = MappedMemory.map(surface.memoryFd(0), surface.allocationBytes, true);
            this.red = red;
            this.green = green;
            this.blue = blue;
        }

        void deliver(int frames) {
            ByteBuffer px = memory.buffer();
            for (int n = 0; n < frames; n++) {
                assertEquals(AcquireStatus.ACQUIRED, client.acquire(surface, ProduceCommand.PRODUCER_KEY, 5 * SECOND));
                for (int i = 0; i < W * H; i++) {
                    px.put(4 * i, (byte) red).put(4 * i + 1, (byte) green).put(4 * i + 2, (byte) blue).put(4 * i + 3, (byte) 255);
                }
                FrameStamp.encode(px, W, 0, 0, W, H, frame);
                data.putLong(0, frame).putInt(8, 0).clear();
                long fence = frame + 1;
                assertTrue(client.release(surface, ProduceCommand.COMPOSITOR_KEY, fence, data));
                assertTrue(client.fenceReached(surface, fence));
                frame++;
            }
        }

        /** Closes the socket without BYE, as a killed process's socket is closed by the kernel. */
        void die() {
            memory.close();
            client.socket().close();
        }

        @Override
        public void close() {
            memory.close();
            client.close();
        }
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10 * SECOND;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(2);
        }
    }

    /** Pixels of the tile at (x, y) whose every channel is above 200: the label's white text (a dimmed frame has none). */
    static int labelPixels(byte[] rgba, int stride, int x, int y) {
        int n = 0;
        for (int j = H / 4; j < H - H / 4; j++) {   // the middle half: the frame stamps are in the top and bottom rows
            for (int i = 0; i < W; i++) {
                int o = ((y + j) * stride + x + i) * 4;
                if ((rgba[o] & 0xFF) > 200 && (rgba[o + 1] & 0xFF) > 200 && (rgba[o + 2] & 0xFF) > 200) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Pixels of the tile at (x, y), in its middle half, that equal {@code (r, g, b)}. */
    static int pixelsOf(byte[] rgba, int stride, int x, int y, int r, int g, int b) {
        int n = 0;
        for (int j = H / 4; j < H - H / 4; j++) {
            for (int i = 0; i < W; i++) {
                int o = ((y + j) * stride + x + i) * 4;
                if ((rgba[o] & 0xFF) == r && (rgba[o + 1] & 0xFF) == g && (rgba[o + 2] & 0xFF) == b) {
                    n++;
                }
            }
        }
        return n;
    }

    static int dimmed(int channel, float abandonedChannel) {
        return Math.round(abandonedChannel * 255 * (1 - AbandonedTile.KEPT)) + Math.round(channel * AbandonedTile.KEPT);
    }

    @Test
    void aDeadProducersLastFrameStaysDimmedAndLabelledUntilANewProducerTakesItsPlace() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        int middle = W * (H - 2 * (H / 4));
        try (ServeCompositor c = ServeCompositor.start(tmp.resolve("b").resolve("compositor.sock"), SECOND, log::add)) {
            String socket = c.broker().socketPath();
            HostProducer a = new HostProducer(socket, "a", 40, 200, 90);
            HostProducer b = new HostProducer(socket, "b", 30, 60, 220);
            try {
                a.deliver(3);
                b.deliver(3);
                ServeCompositor.Feed fa = c.feeds().get(0);
                ServeCompositor.Feed fb = c.feeds().get(1);
                awaitTrue(() -> fa.delivered() == 3 && fb.delivered() == 3, "both feeds' frames checked");
                int[] size = new int[2];
                byte[] before = c.composite(size);
                assertNotNull(before);
                assertEquals(List.of(fa, fb), c.tiles());
                int stride = size[0];
                assertEquals(middle, pixelsOf(before, stride, 0, 0, 40, 200, 90), "a's frame in the first tile");
                assertEquals(0, labelPixels(before, stride, 0, 0), "no label on a live tile");

                a.die();
                awaitTrue(fa::gone, "the broker dropped a");
                assertTrue(fa.showsAbandoned());
                byte[] after = c.composite(size);
                assertEquals(List.of(fa, fb), c.tiles(), "the dead producer keeps its place");
                int dr = dimmed(40, AbandonedTile.RED), dg = dimmed(200, AbandonedTile.GREEN), db = dimmed(90, AbandonedTile.BLUE);
                int kept = pixelsOf(after, stride, 0, 0, dr, dg, db);
                int label = labelPixels(after, stride, 0, 0);
                System.out.printf("dead producer's tile: %d of %d middle pixels are its last frame dimmed to (%d,%d,%d), %d are label text%n",
                        kept, middle, dr, dg, db, label);
                assertTrue(kept > middle / 2, "the last frame is kept, dimmed: " + kept + " of " + middle);
                assertEquals(0, pixelsOf(after, stride, 0, 0, 40, 200, 90), "no pixel keeps its live colour");
                assertTrue(label > 150, "the ABANDONED label and its reason are drawn on it: " + label + " text pixels");
                assertEquals(middle, pixelsOf(after, stride, W, 0, 30, 60, 220), "b's tile is untouched");
                assertEquals(0, labelPixels(after, stride, W, 0));

                // The label is the one AbandonedTile draws, with the reason: the same pixels as drawing it here.
                byte[] expected = before.clone();
                AbandonedTile.mark(expected, stride, 0, 0, W, H, "pid " + fa.pid + " gone: " + fa.goneReason());
                for (int j = 0; j < H; j++) {
                    for (int i = 0; i < W; i++) {
                        int o = (j * stride + i) * 4;
                        if (expected[o] != after[o] || expected[o + 1] != after[o + 1] || expected[o + 2] != after[o + 2]) {
                            throw new AssertionError("tile pixel (" + i + ", " + j + ") differs from the marked last frame");
                        }
                    }
                }

                try (HostProducer d = new HostProducer(socket, "d", 200, 120, 20)) {
                    ServeCompositor.Feed fd = c.feeds().get(2);
                    assertNotNull(c.composite(size));
                    assertEquals(List.of(fa, fb), c.tiles(), "before its first frame the new producer shows nowhere");
                    d.deliver(2);
                    awaitTrue(() -> fd.delivered() == 2, "the new producer's frames checked");
                    byte[] replaced = c.composite(size);
                    assertEquals(List.of(fd, fb), c.tiles(), "the new producer took the dead one's place");
                    assertEquals(middle, pixelsOf(replaced, size[0], 0, 0, 200, 120, 20), "its frame, unmarked");
                    assertEquals(0, labelPixels(replaced, size[0], 0, 0));

                    b.close(); // BYE: a clean exit gives the place up
                    awaitTrue(fb::gone, "the broker dropped b");
                    assertFalse(fb.showsAbandoned());
                    c.composite(size);
                    assertEquals(List.of(fd), c.tiles(), "a producer that said BYE leaves no tile");
                }
            } finally {
                a.close();
                b.close();
            }
            for (ServeCompositor.Feed f : c.feeds()) {
                assertEquals(0, f.failures(), f.name + ": every frame's stamp checked intact");
            }
        }
    }
}
