package dev.baton.app.demo;

import dev.baton.render.vk.GlEndpoint;
import dev.baton.render.vk.SharedSurface;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The compositor's side of one producer: which of its ring's surfaces the compositor is showing and
 * which it has acquired but is still waiting on. Surfaces are taken in the producer's ring order
 * with non-blocking acquires; a surface is shown only once its pixels are ready (the producer's GPU
 * reached the released fence value), and the surface shown before goes back to the producer then.
 * So the compositor never stalls on a producer, and never shows a frame still being drawn.
 *
 * <p>Threading: the compositor's GL thread only.
 */
final class ProducerFeed {
    final Producer producer;
    final List<SharedSurface> ring;
    final LatencyWindow latency = new LatencyWindow(512);
    private int nextSlot;
    private int pendingSlot = -1;
    private int displayedSlot = -1;
    private long displayedFrame = -1;
    private long lastFrame = -1;
    private boolean abandoned;
    private long handoffs;
    private long skippedFrames;
    private long badPayloads;
    private long handoffsAtRateMark;
    private long rateMarkNanos = System.nanoTime();
    private double handoffsPerSecond;
    private long framesAtRateMark;
    private double producerFramesPerSecond;
    private final long startNanos = System.nanoTime();

    ProducerFeed(Producer producer, List<SharedSurface> ring) {
        this.producer = producer;
        this.ring = ring;
    }

    /**
     * Takes what the producer released since the last call. Never blocks.
     *
     * @return true when a newer frame became the displayed one
     */
    boolean update() throws InterruptedException {
        // Fences first, even once abandoned: the producer's last submits may wait (through the host
        // bridge) for our earlier releases, and it frees its command buffers only after they ran.
        pollFences();
        updateRates();
        if (abandoned) {
            return false;
        }
        if (pendingSlot < 0) {
            GlEndpoint.GlLease lease = ring.get(nextSlot).glEndpoint().acquire(Producer.COMPOSITOR_KEY, 0);
            if (lease.status() == AcquireStatus.ABANDONED) {
                abandoned = true;
                return false;
            }
            if (lease.status() != AcquireStatus.ACQUIRED) {
                return false;
            }
            pendingSlot = nextSlot;
            nextSlot = (nextSlot + 1) % ring.size();
        }
        GlEndpoint.GlLease pending = ring.get(pendingSlot).glEndpoint().lease();
        if (!pending.ready()) {
            return false;
        }
        long now = System.nanoTime();
        ByteBuffer data = pending.privateData();
        if (FramePayload.valid(data) && FramePayload.producer(data) == producer.index) {
            long frame = FramePayload.frame(data);
            latency.record(now - FramePayload.timestampNanos(data));
            if (lastFrame >= 0 && frame > lastFrame + 1) {
                skippedFrames += frame - lastFrame - 1;
            }
            lastFrame = frame;
            displayedFrame = frame;
        } else {
            badPayloads++;
            displayedFrame = -1;
        }
        if (displayedSlot >= 0) {
            ring.get(displayedSlot).glEndpoint().lease().release(Producer.PRODUCER_KEY, null);
        }
        displayedSlot = pendingSlot;
        pendingSlot = -1;
        handoffs++;
        return true;
    }

    /** Every half second or so, whether or not frames arrive (a stalled producer reads 0). */
    private void updateRates() {
        long now = System.nanoTime();
        if (now - rateMarkNanos < 500_000_000L) {
            return;
        }
        handoffsPerSecond = (handoffs - handoffsAtRateMark) * 1e9 / (now - rateMarkNanos);
        handoffsAtRateMark = handoffs;
        long frames = producer.framesSubmitted();
        producerFramesPerSecond = (frames - framesAtRateMark) * 1e9 / (now - rateMarkNanos);
        framesAtRateMark = frames;
        rateMarkNanos = now;
    }

    /** The endpoint of the surface on display, or null before the first frame or once abandoned. */
    GlEndpoint displayed() {
        return displayedSlot < 0 || abandoned ? null : ring.get(displayedSlot).glEndpoint();
    }

    /** Frame number of the surface on display (from its private data), or -1. */
    long displayedFrame() {
        return displayedFrame;
    }

    boolean abandoned() {
        if (!abandoned) {
            for (SharedSurface s : ring) {
                abandoned |= s.isAbandoned();
            }
        }
        return abandoned;
    }

    long handoffs() {
        return handoffs;
    }

    long skippedFrames() {
        return skippedFrames;
    }

    long badPayloads() {
        return badPayloads;
    }

    /** Handoffs the compositor took per second, over the last half second or so. */
    double handoffsPerSecond() {
        return handoffsPerSecond;
    }

    /** Frames the producer submitted per second (its achieved rate), over the same span. */
    double producerFramesPerSecond() {
        return producerFramesPerSecond;
    }

    /** Seconds since this feed (its producer) started. */
    double secondsRunning() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Polls the GL fences of this producer's surfaces (GL fences only signal when polled). GL thread. */
    void pollFences() {
        for (SharedSurface s : ring) {
            s.glEndpoint().poll();
        }
    }

    /** Gives back every surface the compositor holds (before stopping the producer). GL thread. */
    void releaseAll() {
        pendingSlot = -1;
        displayedSlot = -1;
        for (SharedSurface s : ring) {
            GlEndpoint e = s.glEndpoint();
            if (e.holds()) {
                e.lease().release(Producer.PRODUCER_KEY, null);
            }
        }
    }
}
