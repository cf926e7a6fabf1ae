package dev.baton.render.vk;

import dev.baton.render.DeviceLostException;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlFenceTimeline;
import dev.baton.render.gl.GlInfo;
import dev.baton.sync.AcquireResult;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.KeyedMutex;
import org.lwjgl.opengl.GL43C;
import dev.baton.sync.Timeline;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * An OpenGL participant of a {@link SharedSurface}: a GL texture (a {@link SurfaceMemory.GlView} of
 * the surface's memory choice: the Vulkan memory imported with {@code GL_EXT_memory_object_fd}, or a
 * texture of GL's own filled from host memory), the participant's keyed-mutex handle, and a fence
 * timeline. GL waits from the host whatever the surface's sync choice; what differs by memory choice
 * is asked of the view.
 *
 * <p>How GL waits and signals without GL semaphores (llvmpipe has none):
 * <ul>
 *   <li>host-bridge: after acquiring fence value {@code v}, GL must not touch the texture until the
 *       previous writer's timeline reached {@code v}; {@link GlLease#ready()} checks that without
 *       blocking (a compositor keeps showing its previous frame meanwhile) and
 *       {@link GlLease#awaitReady} blocks. On release after touching the texture, a GL fence is
 *       inserted for {@code v + 1}; the surface's host bridge forwards it to the next Vulkan owner's
 *       timeline, so the next writer's GPU waits for GL's reads, and no CPU waits for GL.
 *   <li>host-copy: readiness also uploads the previous writer's host pixels into GL's texture. A
 *       GL release after reading only passes the fence value on unchanged (GL's copy is its own); after
 *       {@link GlLease#markWritten()} it reads the texture back into host memory for the next owner.
 * </ul>
 *
 * <p>Thread contract: everything on the GL context's owner thread, except {@link #abandon()} (any
 * thread). With GL (not EGL) fences, call {@link #poll()} about once per frame so the host bridge sees
 * GL's progress.
 */
public final class GlEndpoint implements Participant, AutoCloseable {
    private final SharedSurface surface;
    private final GlContext context;
    private final KeyedMutex.Handle handle;
    private final GlFenceTimeline timeline;
    private final SurfaceMemory.GlView view;
    private final GlLease lease = new GlLease();
    private boolean closed;
    private volatile boolean abandoned;
    /** Bytes GL copied to move pixels between it and the Vulkan devices (host-copy only); owner thread. */
    private long copiedBytes;

    private GlEndpoint(SharedSurface surface, GlContext context, KeyedMutex.Handle handle, GlFenceTimeline timeline,
                       SurfaceMemory.GlView view) {
        this.surface = surface;
        this.context = context;
        this.handle = handle;
        this.timeline = timeline;
        this.view = view;
    }

    /**
     * Makes the GL endpoint of {@code surface}: its view of the surface's memory (an import of the
     * Vulkan allocation, or a texture of GL's own). All-or-nothing. GL owner thread.
     */
    static GlEndpoint create(SharedSurface surface, GlContext context, GlInfo info, int width, int height, KeyedMutex.Handle handle) {
        GlFenceTimeline timeline = null;
        try {
            timeline = new GlFenceTimeline(surface.name() + "@GL", context, 16, 0);
            SurfaceMemory.GlView view = surface.memory().gl(context, info, width, height);
            if (surface.sync() instanceof GlSemaphoreSync) {
                try {
                    ((GlSemaphoreSync) surface.sync()).connectGl(context, info);
                } catch (RuntimeException | Error e) {
                    view.close();
                    throw e;
                }
            }
            if (context.debugLabels() && context.glCapabilities().glObjectLabel != 0) {
                // GL has no label namespace for memory objects; the texture and framebuffer carry the name.
                String label = "baton " + surface.name() + "@GL";
                GL43C.glObjectLabel(GL43C.GL_TEXTURE, view.texture(), label + " texture");
                GL43C.glObjectLabel(GL43C.GL_FRAMEBUFFER, view.framebuffer(), label + " framebuffer");
            }
            return new GlEndpoint(surface, context, handle, timeline, view);
        } catch (RuntimeException | Error e) {
            if (timeline != null) {
                timeline.close();
            }
            throw e;
        }
    }

    /**
     * Acquires the surface for {@code key}, waiting at most {@code timeoutNanos} for the mutex (0
     * polls). Never waits for a GPU: check {@link GlLease#ready()} before touching the texture.
     *
     * @param key the key to acquire
     * @param timeoutNanos how long to wait for the mutex, in nanoseconds
     * @return this endpoint's reused lease (valid until its release)
     * @throws InterruptedException if interrupted while waiting; nothing is acquired
     */
    public GlLease acquire(long key, long timeoutNanos) throws InterruptedException {
        if (abandoned) {
            throw new IllegalStateException("acquire on " + this + ", which was abandoned (GlEndpoint.abandon);"
                    + " it takes no part in the surface any more: create a new surface");
        }
        if (lease.held) {
            throw new IllegalStateException(this + " already holds the surface (recursive acquire): release the lease"
                    + " (GlLease.release) before acquiring again");
        }
        return beginAccess(handle.acquire(key, timeoutNanos, TimeUnit.NANOSECONDS));
    }

    /** The tail of every acquire ({@link #acquire}, {@link GlLease#releaseAndAcquire}): the lease records the outcome. */
    private GlLease beginAccess(AcquireResult result) {
        lease.setOutcome(result.status(), result.fenceValue(), result.privateData());
        lease.ready = false;
        lease.touched = false;
        lease.written = false;
        lease.source = lease.held ? surface.lastSignaller : null;
        return lease;
    }

    /**
     * Gives up GL's part in the surface, for a compositor loop that dies or stops: closes its
     * keyed-mutex handle, so that if GL owns the surface the mutex is abandoned and every blocked
     * acquire of the Vulkan participants wakes at once with {@link AcquireStatus#ABANDONED} (sticky:
     * recreate the surface). Any thread, never blocks, never throws, idempotent; frees no GL objects
     * ({@link SharedSurface#close()} does, on the GL owner thread).
     */
    public void abandon() {
        abandoned = true;
        handle.close(); // the lease stays as it is: it belongs to the GL thread, and its release now throws

    }

    /** {@return this endpoint's reused lease: the one {@link #acquire} returned, still held until its release} */
    public GlLease lease() {
        return lease;
    }

    /** {@return true while this endpoint holds the surface} */
    public boolean holds() {
        return lease.held;
    }

    /** Advances the fence timeline (GL fences are only queried on this thread); once per frame. */
    public void poll() {
        timeline.poll();
    }

    /**
     * GL texture name of the surface as GL sees it.
     *
     * @return the name
     */
    public int texture() {
        return view.texture();
    }

    /**
     * GL framebuffer name with the texture attached (for blits and read-backs).
     *
     * @return the name
     */
    public int framebuffer() {
        return view.framebuffer();
    }

    /** {@return the surface width in pixels} */
    public int width() {
        return view.width();
    }

    /** {@return the surface height in pixels} */
    public int height() {
        return view.height();
    }

    /**
     * Bytes this endpoint has copied so far to move pixels between GL and the Vulkan participants: with
     * memory copied through the host, each upload of the writer's pixels and each read-back after GL
     * wrote; 0 with shared memory. GL owner thread.
     *
     * @return the bytes copied
     */
    public long copiedBytes() {
        return copiedBytes;
    }

    /** {@return the surface this endpoint belongs to} */
    public SharedSurface surface() {
        return surface;
    }

    /** The surface's GL semaphores when its sync is {@link GlSemaphoreSync}, else null (GL waits on the host). */
    private GlSemaphoreSync glSemaphores() {
        return surface.sync() instanceof GlSemaphoreSync ? (GlSemaphoreSync) surface.sync() : null;
    }

    /** {@return the GL context this endpoint lives in} */
    GlContext context() {
        return context;
    }

    @Override
    public Timeline signalTimeline() {
        return timeline;
    }

    /** Teardown without waiting: polls, then true once GL's last fence completed. Owner thread. */
    boolean idle() {
        timeline.poll();
        return Long.compareUnsigned(timeline.completedValue(), timeline.lastSubmittedValue()) >= 0;
    }

    /** Waits (teardown only) for GL's last fence. */
    boolean awaitIdle(long timeoutNanos) throws InterruptedException {
        return timeline.awaitValue(timeline.lastSubmittedValue(), timeoutNanos);
    }

    /** The lease of one acquire; one per endpoint, reused, GL owner thread only. */
    public final class GlLease extends LeaseState {
        private Participant source;   // whose timeline/pixels this acquire depends on, or null/ourselves
        private boolean ready;
        private boolean touched;
        private boolean written;

        /**
         * True once the texture holds the released pixels and GL may use it. Never blocks; in the
         * host-copy tier the first true call uploads the pixels.
         *
         * @return whether GL may use the texture now
         */
        public boolean ready() {
            checkHeld();
            if (!ready) {
                if (glSemaphores() != null) {
                    glSemaphores().glBeginAccess(view.texture()); // GL's GPU waits: GL's acquire of the memory
                    becomeReady();
                    return true;
                }
                Timeline t = source == null || source == GlEndpoint.this ? null : source.signalTimeline();
                if (t == null || reached(t)) {
                    becomeReady();
                }
            }
            return ready;
        }

        /**
         * Blocks until {@link #ready()} or the timeout.
         *
         * @param timeoutNanos how long to wait, in nanoseconds
         * @return false on timeout (the texture must not be used)
         * @throws InterruptedException if interrupted while waiting
         */
        public boolean awaitReady(long timeoutNanos) throws InterruptedException {
            checkHeld();
            if (!ready && glSemaphores() != null) {
                return ready(); // GL waits on its GPU: nothing to block for
            }
            if (!ready) {
                Timeline t = source == null || source == GlEndpoint.this ? null : source.signalTimeline();
                boolean reached;
                try {
                    reached = t == null || t.awaitValue(fenceValue, timeoutNanos);
                } catch (DeviceLostException lost) {
                    reached = false; // as in ready(): never ready, the surface is abandoned
                }
                if (reached) {
                    becomeReady();
                }
            }
            return ready;
        }

        /**
         * Whether the writer's timeline reached this lease's fence value. A writer whose device was
         * lost (reported by this very query, or before) never gets there: the lease stays not ready and
         * the loss has abandoned the surface, so the compositor sees ABANDONED instead of a throw.
         */
        private boolean reached(Timeline t) {
            try {
                return Long.compareUnsigned(t.completedValue(), fenceValue) >= 0;
            } catch (DeviceLostException lost) {
                return false;
            }
        }

        private void becomeReady() {
            if (source != null && source != GlEndpoint.this) {
                copiedBytes += view.beginAccess(); // memory copied through the host: upload the writer's pixels
            }
            // Our timeline follows the surface's values so GL's next fence value is above every earlier one.
            timeline.signalFromHost(fenceValue);
            ready = true;
            touched = true;
        }

        /** Says GL wrote the texture under this lease (host-copy then reads it back on release). */
        public void markWritten() {
            checkHeld();
            if (!ready) {
                throw new IllegalStateException("markWritten() before ready() on " + GlEndpoint.this + ": the previous owner's"
                        + " work may still be running; write only once ready() or awaitReady() returned true");
            }
            written = true;
        }

        /**
         * Releases to {@code nextKey} at submit time: after using the texture, a GL fence for the next
         * fence value (forwarded to Vulkan by the host bridge); without using it, the previous
         * obligations pass on unchanged.
         *
         * @param privateData copied; may be null
         * @param nextKey the key the next owner acquires with
         */
        public void release(long nextKey, ByteBuffer privateData) {
            checkHeld();
            long value = endAccess();
            held = false;
            SurfaceEndpoint next = surface.sync().releasing(GlEndpoint.this, value);
            handle.release(nextKey, value, privateData);
            if (next != null) {
                surface.sync().forward(GlEndpoint.this, value, next); // the host bridge forwards GL's fence
            }
        }

        /** Ends GL's access: returns the fence value to release with (a new one after touching the texture). */
        private long endAccess() {
            long value = fenceValue;
            if (touched && view.releaseSignals(written)) {
                value = fenceValue + 1;
                if (glSemaphores() != null) {
                    glSemaphores().glEndAccess(view.texture()); // GL's release of the memory, before the fence
                }
                copiedBytes += view.endAccess(timeline, value); // a GL fence, or a synchronous read-back signalled from the host
                surface.lastSignaller = GlEndpoint.this;
            }
            return value;
        }

        /**
         * Release-then-wait, as {@code KeReleaseMutex(mutex, Wait = TRUE)} followed by a wait: releases to
         * {@code releaseKey} as {@link #release} does and, in the same critical section of the keyed
         * mutex, queues GL for {@code acquireKey}; then waits up to {@code timeoutNanos} and begins the
         * new access as {@link GlEndpoint#acquire} does (check {@link #ready()} before touching the
         * texture). GL owner thread.
         *
         * @param releaseKey the key the next owner acquires with
         * @param privateData copied; may be null
         * @param acquireKey the key to wait for afterwards
         * @param timeoutNanos how long to wait for {@code acquireKey}, in nanoseconds; 0 polls
         * @return this lease, reused for the new access: check {@link #status()}
         * @throws IllegalArgumentException if {@code timeoutNanos} is negative or {@code privateData} is
         *     longer than the surface's maximum; nothing happens and the lease is still held
         * @throws IllegalStateException if the lease is not held (nothing happens), or the endpoint was
         *     abandoned (the lease is dropped)
         * @throws InterruptedException if interrupted before or while waiting: the release has happened
         *     (GL's access ended), nothing is acquired
         */
        public GlLease releaseAndAcquire(long releaseKey, ByteBuffer privateData, long acquireKey, long timeoutNanos)
                throws InterruptedException {
            checkHeld();
            if (timeoutNanos < 0) {
                throw new IllegalArgumentException("timeoutNanos is " + timeoutNanos + " ns; pass 0 to poll or a positive"
                        + " timeout. Nothing changed; " + GlEndpoint.this + " still holds the surface");
            }
            int length = privateData == null ? 0 : privateData.remaining();
            if (length > handle.mutex().maxPrivateDataBytes()) {
                throw new IllegalArgumentException("privateData has " + length + " bytes, more than the surface's maximum of "
                        + handle.mutex().maxPrivateDataBytes() + "; send at most that many. Nothing changed; " + GlEndpoint.this
                        + " still holds the surface");
            }
            // Checked before GL's access ends (which cannot be undone), so the mutex cannot refuse for it.
            long value = endAccess();
            held = false;
            SurfaceEndpoint next = surface.sync().releasing(GlEndpoint.this, value);
            if (next != null) {
                surface.sync().forward(GlEndpoint.this, value, next); // before: GL waits in the release next
            }
            AcquireResult result;
            try {
                result = handle.releaseAndAcquireNanos(releaseKey, value, privateData, acquireKey, timeoutNanos);
            } catch (InterruptedException e) {
                if (handle.isOwner()) {
                    handle.release(releaseKey, value, privateData); // interrupted on entry: finish the release
                }
                throw e;
            }
            return beginAccess(result);
        }

        private void checkHeld() {
            if (!held) {
                throw new IllegalStateException("GL lease of " + GlEndpoint.this + " is not held (status " + status + "): use a"
                        + " lease only between an acquire that returned ACQUIRED and its release; check acquired() first");
            }
        }
    }

    /** Closes textures, the fence timeline and the mutex handle. Idempotent; GL owner thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        handle.close();
        if (glSemaphores() != null) {
            glSemaphores().closeGl();
        }
        view.close();
        timeline.close();
    }

    @Override
    public String toString() {
        return surface.name() + "@GL";
    }
}
