package dev.baton.app.bench;

import dev.baton.render.gl.EglContext;
import dev.baton.render.vk.GlEndpoint;
import dev.baton.render.window.TileCompositor;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;

/**
 * The GL side of a Vulkan -> GL pair: a worker that owns the GL context while the scenario runs and,
 * each turn, acquires the surface for its key, waits until the producer's frame may be used
 * ({@link GlEndpoint.GlLease#awaitReady}), composites its 4x4 corner into a canvas and reads that back
 * (as the Vulkan consumers of ping-pong read 4x4 pixels), then releases to the producer. The producer
 * is an ordinary {@link SurfaceRun} visit on the same {@link SurfaceRun.Mailbox}.
 *
 * <p>What it records, in its {@link Recorder}'s preallocated arrays (nothing is allocated per turn):
 * a CPU handoff from the producer's release to the lease being ready (the texture usable), and the
 * end-to-end time from the producer's submit to the read-back returning (the host clock; the read-back
 * blocks until GL's work is done). GL has no timestamps on the host clock here, so there is no GPU handoff.
 */
final class GlConsumer {
    /** Side of the square the consumer composites and reads back, as {@code TimedWork.READ_SIDE_PIXELS}. */
    static final int READ_SIDE = 4;

    private final String scenario;
    private final Phase phase;
    private final long stallNanos;
    private final EglContext context;
    private final GlEndpoint endpoint;
    private final TileCompositor canvas;
    private final ByteBuffer pixels;
    private final long key;
    private final long nextKey;
    private final SurfaceRun.Mailbox mailbox;
    final Recorder recorder;
    /** End-to-end samples (producer's submit to GL's read-back returning), nanoseconds. */
    final long[] endToEndNanos;
    int endToEndCount;
    private long lastCopiedBytes;

    /**
     * @param canvas a {@link #READ_SIDE}-square canvas on {@code context}; {@code pixels} holds its read-back
     */
    GlConsumer(String scenario, Phase phase, long stallNanos, EglContext context, GlEndpoint endpoint, TileCompositor canvas,
               ByteBuffer pixels, long key, long nextKey, SurfaceRun.Mailbox mailbox, Recorder recorder) {
        this.scenario = scenario;
        this.phase = phase;
        this.stallNanos = stallNanos;
        this.context = context;
        this.endpoint = endpoint;
        this.canvas = canvas;
        this.pixels = pixels;
        this.key = key;
        this.nextKey = nextKey;
        this.mailbox = mailbox;
        this.recorder = recorder;
        this.endToEndNanos = new long[recorder.capacity];
        this.lastCopiedBytes = endpoint.copiedBytes();
    }

    /** The worker body: takes the context, runs until the phase stops, closes GL's endpoint once idle, gives the context back. */
    void work() {
        try {
            context.makeCurrent();
            try {
                loop();
            } finally {
                try {
                    long deadline = System.nanoTime() + stallNanos;
                    while (!endpoint.surface().closeGlIfIdle()) {
                        if (System.nanoTime() > deadline) {
                            throw new StallException(scenario, endpoint + ": GL's last fence did not complete within "
                                    + stallNanos / 1_000_000 + " ms");
                        }
                        Thread.sleep(1);
                    }
                } finally {
                    context.release(); // the coordinating thread takes it back to tear down
                }
            }
        } catch (Throwable t) {
            phase.fail(t);
        }
    }

    private void loop() throws InterruptedException {
        SurfaceRun.Mailbox m = mailbox;
        Recorder rec = recorder;
        while (true) {
            long waitStart = System.nanoTime();
            GlEndpoint.GlLease lease = null;
            while (lease == null || !lease.acquired()) {
                if (phase.stopping()) {
                    return;
                }
                lease = endpoint.acquire(key, SurfaceRun.SLICE_NANOS);
                if (lease.status() == AcquireStatus.ABANDONED) {
                    throw new StallException(scenario, endpoint + " found the surface abandoned");
                }
                if (!lease.acquired() && System.nanoTime() - waitStart > stallNanos) {
                    throw new StallException(scenario, endpoint + " waited " + stallNanos / 1_000_000 + " ms for key " + key);
                }
            }
            if (!lease.awaitReady(stallNanos)) {
                throw new StallException(scenario, endpoint + ": the producer's frame did not complete within " + stallNanos / 1_000_000 + " ms");
            }
            long readyNanos = System.nanoTime();
            boolean measuring = phase.measuring();
            if (measuring && m.fromRecorder >= 0 && m.fromRecorder != rec.id) {
                rec.cpuHandoff(readyNanos - m.releaseNanos);
                rec.handoffs++;
            }
            canvas.blit(endpoint.framebuffer(), READ_SIDE, READ_SIDE, 0, 0);
            canvas.readback(pixels); // blocks until GL's work is done
            long doneNanos = System.nanoTime();
            if (measuring && endToEndCount < endToEndNanos.length && m.originNanos != 0) {
                endToEndNanos[endToEndCount++] = doneNanos - m.originNanos;
            }
            m.fromRecorder = rec.id;
            m.fromRecord = -1; // no GPU timestamps on GL's side
            m.releaseNanos = System.nanoTime();
            lease.release(nextKey, null);
            endpoint.poll();
            long copied = endpoint.copiedBytes();
            if (measuring) {
                rec.copiedBytes += copied - lastCopiedBytes;
            }
            lastCopiedBytes = copied;
        }
    }
}
