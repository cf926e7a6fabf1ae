package dev.baton.app.serve;

import static org.lwjgl.opengl.GL33C.*;

import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlImportedTexture;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlLocalTexture;
import dev.baton.render.scene.FrameStamp;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.lwjgl.system.MemoryUtil;

/**
 * How a producer process's frames reach the window's GL context: uploaded, or sampled in place.
 *
 * <p>Uploaded: the broker's surfaces are sealed memfds (host memory), and llvmpipe GL imports only an
 * OPAQUE_FD of its own driver, not host memory. So the consumer thread of {@link ServeCompositor}
 * copies each handed-over frame out of the shared pages once, checks its stamp and publishes it in its
 * {@link ServeCompositor.Feed}; here, once per frame the window has not shown yet, that checked frame is
 * copied into this feed's staging buffer under the feed's lock (a memcpy: the lock is never held across
 * a GL call, so a slow driver cannot hold up the consumer thread) and uploaded into a GL texture with
 * one {@code glTexSubImage2D} ({@link GlLocalTexture#upload}): width x height x 4 bytes from the CPU to
 * GL per new frame. Nothing here waits for a producer: without a new frame the texture keeps the last one.
 *
 * <p><b>In place</b> ({@link ServeCompositor.Feed#inPlace()}: the producer's device has the window GL's
 * driver and device, so the broker allocated its surfaces as exportable device memory): nothing is
 * copied or uploaded. The surface's consumer thread owns the keyed mutex and waited for the producer's
 * FENCE_REACHED; it hands the frame here ({@link ServeCompositor.Feed#takeInPlace}), this class imports
 * the surface's memory into a GL texture once per surface ({@code GL_EXT_memory_object_fd},
 * {@link GlImportedTexture}) and the window samples that texture while it holds the surface. When a
 * newer frame arrives, the one shown before is retired behind a GL fence ({@code glFenceSync} after
 * every draw that sampled it); once that fence has signalled (polled, never waited for, except at most
 * 1 s when a second retirement comes first) the consumer thread releases the surface back to the
 * producer. The stamp check reads back only the two stamp rows from GL ({@code glReadPixels}, 2 x width
 * x 4 bytes) per frame taken.
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
    // In place:
    private final GlInfo info;
    private final Map<Integer, GlImportedTexture> imported = new HashMap<>();
    private GlImportedTexture current;
    private ServeCompositor.InPlaceFrame held;      // sampled now
    private ServeCompositor.InPlaceFrame retired;   // sampled before; released once retiredSync signals
    private long retiredSync;
    private ServeCompositor.Feed inPlaceFeed;
    private ByteBuffer stampRows;
    private long inPlaceFrames;
    private long readBackBytes;
    private String importFailure;

    FeedTexture(GlContext context, GlInfo info) {
        this.context = context;
        this.info = info;
    }

    /**
     * Brings the feed's latest checked frame into the texture if the window has not shown it yet.
     *
     * @return true if a new frame was uploaded (then {@link #lastLatencyNanos} is its handoff latency)
     */
    boolean update(ServeCompositor.Feed feed) {
        if (feed.inPlace()) {
            return updateInPlace(feed);
        }
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

    private boolean updateInPlace(ServeCompositor.Feed feed) {
        inPlaceFeed = feed;
        pollRetired(false);
        ServeCompositor.InPlaceFrame f = feed.takeInPlace();
        if (f == null) {
            return false;
        }
        GlImportedTexture t = imported.get(f.surfaceId);
        if (t == null) {
            try {
                t = GlImportedTexture.importFrom(context, info, f.memory);
            } catch (RuntimeException e) {
                importFailure = e.getMessage();
                feed.finishInPlace(f); // not shown; its consumer releases it
                // Nor may the frame shown before stay held: the producer's ring would wait for it until a newer frame
                // is shown, which may never come. Retire it too (the tile shows no frame until one imports).
                retireHeld();
                current = null;
                return false;
            }
            imported.put(f.surfaceId, t);
        }
        checkStamp(feed, t, f.frame);
        retireHeld();
        held = f;
        current = t;
        shownFrame = f.frame;
        inPlaceFrames++;
        lastLatencyNanos = f.latencyNanos;
        return true;
    }

    /** Retires the frame shown so far behind a GL fence after every draw that sampled it; its consumer releases it once that signals. */
    private void retireHeld() {
        if (held == null) {
            return;
        }
        if (retired != null) {
            pollRetired(true); // a second retirement before the first's fence signalled: wait (bounded) for it
        }
        retired = held;
        retiredSync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
        glFlush();
        held = null;
    }

    /** Reads back the two rows {@link FrameStamp#decode} looks at (no full-frame read) and counts the result in the feed. */
    private void checkStamp(ServeCompositor.Feed feed, GlImportedTexture t, long frame) {
        int w = t.width();
        int rows = FrameStamp.ROWS + 2; // decode(.., tileHeight = ROWS + 2) reads rows ROWS/2 and ROWS/2 + 1
        if (stampRows == null || stampRows.capacity() < rows * w * 4) {
            if (stampRows != null) {
                MemoryUtil.memFree(stampRows);
            }
            stampRows = MemoryUtil.memCalloc(rows * w * 4);
        }
        ByteBuffer b = stampRows;
        b.clear();
        b.position(FrameStamp.ROWS / 2 * w * 4);
        t.readPixelsRgba8(0, FrameStamp.ROWS / 2, w, 1, b);                   // the top stamp's middle row
        b.position((FrameStamp.ROWS / 2 + 1) * w * 4);
        t.readPixelsRgba8(0, t.height() - 1 - FrameStamp.ROWS / 2, w, 1, b);  // the bottom stamp's middle row
        b.clear();
        readBackBytes += 2L * w * 4;
        feed.checkedInPlace(FrameStamp.decode(b, w, 0, 0, w, rows), frame);
    }

    /** Releases the retired frame once its GL fence signalled; with {@code wait}, waits at most 1 s for it first. */
    private void pollRetired(boolean wait) {
        if (retired == null) {
            return;
        }
        int r = glClientWaitSync(retiredSync, GL_SYNC_FLUSH_COMMANDS_BIT, wait ? 1_000_000_000L : 0L);
        if (r == GL_ALREADY_SIGNALED || r == GL_CONDITION_SATISFIED || wait) {
            if (r != GL_ALREADY_SIGNALED && r != GL_CONDITION_SATISFIED) {
                glFinish(); // the bounded wait ran out: make sure before handing the surface back
            }
            glDeleteSync(retiredSync);
            retiredSync = 0;
            inPlaceFeed.finishInPlace(retired);
            retired = null;
        }
    }

    /** {@return the GL texture name of the last frame shown, 0 before the first} */
    int texture() {
        if (current != null) {
            return current.texture();
        }
        return texture == null ? 0 : texture.texture();
    }

    /** {@return frames sampled in place (imported device memory: nothing uploaded)} */
    long inPlaceFrames() {
        return inPlaceFrames;
    }

    /** {@return bytes read back from GL for the stamp checks of frames sampled in place} */
    long readBackBytes() {
        return readBackBytes;
    }

    /** {@return why importing a surface into GL failed, or null} */
    String importFailure() {
        return importFailure;
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
        if (held != null || retired != null) {
            glFinish(); // every draw that sampled them is done: hand them back
            if (retired != null) {
                glDeleteSync(retiredSync);
                inPlaceFeed.finishInPlace(retired);
                retired = null;
            }
            if (held != null) {
                inPlaceFeed.finishInPlace(held);
                held = null;
            }
        }
        for (GlImportedTexture t : imported.values()) {
            t.close();
        }
        imported.clear();
        current = null;
        if (stampRows != null) {
            MemoryUtil.memFree(stampRows);
            stampRows = null;
        }
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
