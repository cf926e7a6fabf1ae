package dev.baton.app.serve;

import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlLocalTexture;
import java.nio.ByteBuffer;
import org.lwjgl.system.MemoryUtil;

/**
 * How a producer process's frames reach the window's GL context, and the one place that changes when
 * GL can import the broker's memory.
 *
 * <p>Today: the broker's surfaces are sealed memfds (host memory), and llvmpipe GL imports only an
 * OPAQUE_FD of its own driver, not host memory. So the consumer thread of {@link ServeCompositor}
 * copies each handed-over frame out of the shared pages once, checks its stamp and publishes it in its
 * {@link ServeCompositor.Feed}; here, once per frame the window has not shown yet, that checked frame is
 * copied into this feed's staging buffer under the feed's lock (a memcpy: the lock is never held across
 * a GL call, so a slow driver cannot hold up the consumer thread) and uploaded into a GL texture with
 * one {@code glTexSubImage2D} ({@link GlLocalTexture#upload}): width x height x 4 bytes from the CPU to
 * GL per new frame. Nothing here waits for a producer: without a new frame the texture keeps the last one.
 *
 * <p>A GL import of the shared memory (a memory object on the memfd, where a driver offers it) would
 * replace this class alone: {@link #update} would then acquire the surface for the window's GL and bind
 * the imported texture instead of uploading, and {@link #texture} would name it; the window only calls
 * these two methods.
 *
 * <p>Thread contract: the window's (GL context owner's) thread only. No allocation per frame: the
 * staging buffer and the texture are made at the first frame and again only if the size changes.
 */
final class FeedTexture implements AutoCloseable {
    private final GlContext context;
    private GlLocalTexture texture;
    private ByteBuffer staging;
    private final long[] latency = new long[1];
    private long shownFrame = -1;
    private long uploads;
    private long uploadedBytes;
    private long uploadNanos;
    private long lastLatencyNanos = -1;

    FeedTexture(GlContext context) {
        this.context = context;
    }

    /**
     * Brings the feed's latest checked frame into the texture if the window has not shown it yet.
     *
     * @return true if a new frame was uploaded (then {@link #lastLatencyNanos} is its handoff latency)
     */
    boolean update(ServeCompositor.Feed feed) {
        int w = feed.width();
        int h = feed.height();
        if (w <= 0 || h <= 0 || feed.lastFrame() == shownFrame) {
            return false;
        }
        int bytes = w * h * 4;
        if (staging == null || staging.capacity() < bytes) {
            if (staging != null) {
                MemoryUtil.memFree(staging);
            }
            staging = MemoryUtil.memAlloc(bytes);
        }
        staging.clear();
        long t0 = System.nanoTime();
        long frame = feed.copyLatest(staging, latency);
        if (frame < 0 || frame == shownFrame) {
            return false;
        }
        if (texture == null || texture.width() != w || texture.height() != h) {
            if (texture != null) {
                texture.close();
            }
            texture = new GlLocalTexture(context, w, h);
        }
        texture.upload(staging);
        uploadNanos += System.nanoTime() - t0;
        shownFrame = frame;
        uploads++;
        uploadedBytes += bytes;
        lastLatencyNanos = latency[0];
        return true;
    }

    /** {@return the GL texture name of the last frame shown, 0 before the first} */
    int texture() {
        return texture == null ? 0 : texture.texture();
    }

    /** {@return the frame number shown, -1 before the first} */
    long shownFrame() {
        return shownFrame;
    }

    /** {@return frames uploaded so far} */
    long uploads() {
        return uploads;
    }

    /** {@return bytes uploaded so far} */
    long uploadedBytes() {
        return uploadedBytes;
    }

    /** {@return time this thread spent copying frames to staging and in {@code glTexSubImage2D}, in nanoseconds} */
    long uploadNanos() {
        return uploadNanos;
    }

    /** {@return the handoff latency of the frame last uploaded, -1 before the first} */
    long lastLatencyNanos() {
        return lastLatencyNanos;
    }

    /** Frees the texture and the staging buffer. Idempotent; owner thread. */
    @Override
    public void close() {
        if (texture != null) {
            texture.close();
            texture = null;
        }
        if (staging != null) {
            MemoryUtil.memFree(staging);
            staging = null;
        }
    }
}
