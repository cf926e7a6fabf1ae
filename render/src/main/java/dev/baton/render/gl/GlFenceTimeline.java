package dev.baton.render.gl;

import static org.lwjgl.egl.KHRFenceSync.*;
import static org.lwjgl.egl.KHRReusableSync.EGL_CONDITION_SATISFIED_KHR;
import static org.lwjgl.egl.KHRReusableSync.EGL_NO_SYNC_KHR;
import static org.lwjgl.opengl.GL32C.*;

import dev.baton.sync.Timeline;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.lwjgl.system.MemoryStack;

/**
 * A {@link Timeline} for a GL context, which has no timeline primitive of its own: a preallocated ring
 * of (value, fence) pairs. The owner thread inserts a fence after the GL work that produces value
 * {@code v} ({@link #signalAfterSubmittedWork(long)}); the value counts as reached when that fence has
 * signalled. Fences of one context signal in submission order, so reaching {@code v} implies every
 * lower value.
 *
 * <p><b>Fence kind.</b> When the EGL display has {@code EGL_KHR_fence_sync} (Mesa does), fences are
 * {@code EGLSyncKHR} objects ({@code eglCreateSyncKHR(EGL_SYNC_FENCE_KHR)} + {@code glFlush}), and
 * {@code eglClientWaitSyncKHR} works on <em>any</em> thread with or without a current context: every
 * thread may {@link #awaitValue} by waiting on the fence itself. Otherwise fences are {@code GLsync}
 * objects ({@code glFenceSync}), which only the GL owner thread may query: other threads then wait
 * on a monitor that the owner's {@link #poll()} (or its own {@link #awaitValue}) notifies, so the
 * owner must poll regularly (for example once per frame). {@link #usesEglFences()} says which.
 *
 * <p><b>Threads.</b> {@link #signalAfterSubmittedWork}, {@link #close()} and (with GLsync fences)
 * {@link #poll()}: the thread owning the {@link GlContext} only. {@link #completedValue()},
 * {@link #awaitValue} and {@link #signalFromHost}: any thread. Reaching a value happens-before
 * {@code awaitValue} returns true and before {@link #completedValue()} shows it.
 *
 * <p><b>Host signals.</b> GL has no way to wait for a value on the GPU without GL_EXT_semaphore, so a
 * GL consumer waits on the host before issuing its GL commands. {@link #signalFromHost(long)} only
 * advances the counter (for example when a host bridge saw a Vulkan producer reach the value); it
 * inserts nothing into GL's command stream.
 *
 * <p>No allocation after construction on the signal/poll/wait paths (the ring is preallocated).
 */
public final class GlFenceTimeline implements Timeline {
    /** Waits are cut into slices this long so that interrupts are noticed. */
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** How long {@link #signalAfterSubmittedWork} waits for a ring slot before giving up. */
    private static final long RING_FULL_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String name;
    private final GlContext context;
    private final FenceKind fences;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Ring, guarded by lock. Slot i holds values[i] and its fence syncs[i] (EGLSyncKHR or GLsync, 0 = free).
    private final long[] values;
    private final long[] syncs;
    private final int[] pins; // waiters currently blocked on syncs[i] outside the lock
    private final boolean[] retired; // signalled and popped, destroyed by the last unpinning waiter
    private int head; // oldest pending slot
    private int pending; // pending (unsignalled or not yet polled) fences from head
    private long lastSubmittedValue; // owner thread only
    private volatile long completedValue;
    private boolean closed;

    /**
     * @param name for messages, such as {@code "gl/surface-0"}
     * @param context the GL context whose command stream the fences follow; the calling thread must own it
     * @param capacity fences in flight before {@link #signalAfterSubmittedWork} has to wait (at least 2)
     * @param initialValue the starting {@link #completedValue()}
     */
    public GlFenceTimeline(String name, GlContext context, int capacity, long initialValue) {
        this(name, context, capacity, initialValue, true);
    }

    /** As above; {@code allowEglFences = false} forces GLsync fences (tests cover both kinds). */
    GlFenceTimeline(String name, GlContext context, int capacity, long initialValue, boolean allowEglFences) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity must be at least 2, was " + capacity);
        }
        context.checkOwner();
        this.name = name;
        this.context = context;
        this.fences = allowEglFences && context.eglFenceDisplay() != 0 ? new EglFences(context.eglFenceDisplay()) : new GlSyncFences();
        this.values = new long[capacity];
        this.syncs = new long[capacity];
        this.pins = new int[capacity];
        this.retired = new boolean[capacity];
        this.lastSubmittedValue = initialValue;
        this.completedValue = initialValue;
    }

    @Override
    public String name() {
        return name;
    }

    /** True when fences are EGL_KHR_fence_sync objects that any thread may wait on. */
    /** {@return the value of the newest fence inserted by {@link #signalAfterSubmittedWork} (0 if none). Owner thread} */
    public long lastSubmittedValue() {
        return lastSubmittedValue;
    }

    /** {@return true when fences are {@code EGL_KHR_fence_sync} objects that any thread may wait on} */
    public boolean usesEglFences() {
        return fences instanceof EglFences;
    }

    @Override
    public long completedValue() {
        return completedValue;
    }

    /**
     * Inserts a fence after all GL commands issued so far on the owner thread and flushes, so that
     * {@code value} is reached once that work completes. If the ring is full, first waits (up to 10 s)
     * for the oldest fence.
     *
     * @param value above every value signalled before (unsigned)
     * @throws IllegalStateException off the owner thread, after close, or if the ring stays full for
     *     10 s (the GPU stopped making progress)
     * @throws IllegalArgumentException if {@code value} does not increase
     */
    public void signalAfterSubmittedWork(long value) {
        context.checkOwner();
        if (Long.compareUnsigned(value, lastSubmittedValue) <= 0) {
            throw new IllegalArgumentException(name + ": value " + Long.toUnsignedString(value) + " must be above the last signalled "
                    + Long.toUnsignedString(lastSubmittedValue));
        }
        lock.lock();
        try {
            checkOpen();
            int slot = (head + pending) % values.length;
            long deadline = System.nanoTime() + RING_FULL_TIMEOUT_NANOS;
            while (pending == values.length || syncs[slot] != 0) {
                pollLocked();
                slot = (head + pending) % values.length;
                if (pending < values.length && syncs[slot] == 0) {
                    break;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(name + ": all " + values.length + " fences still pending after 10 s; "
                            + "the GL driver stopped making progress");
                }
                // Let pinned waiters release the slot; the oldest fence is our own submitted work.
                changed.awaitNanos(TimeUnit.MICROSECONDS.toNanos(100));
            }
            syncs[slot] = fences.insert();
            values[slot] = value;
            retired[slot] = false;
            pending++;
            lastSubmittedValue = value;
            changed.signalAll(); // waiters for a not-yet-submitted value can now wait on this fence
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + ": interrupted while waiting for a free fence slot", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks pending fences without blocking and advances {@link #completedValue()}. With GLsync
     * fences only the owner thread may call this, and other threads' waits depend on it.
     *
     * @return the completed value after polling
     */
    public long poll() {
        if (!usesEglFences()) {
            context.checkOwner();
        }
        lock.lock();
        try {
            if (!closed) {
                pollLocked();
            }
            return completedValue;
        } finally {
            lock.unlock();
        }
    }

    private void pollLocked() {
        while (pending > 0) {
            int slot = head;
            if (!retired[slot] && !fences.await(syncs[slot], 0)) {
                return;
            }
            advance(values[slot]);
            retire(slot);
            head = (head + 1) % values.length;
            pending--;
        }
    }

    private void retire(int slot) {
        if (pins[slot] == 0) {
            if (syncs[slot] != 0) {
                fences.destroy(syncs[slot]);
                syncs[slot] = 0;
            }
            retired[slot] = false;
        } else {
            retired[slot] = true;
        }
    }

    private void advance(long value) {
        if (Long.compareUnsigned(value, completedValue) > 0) {
            completedValue = value;
            changed.signalAll();
        }
    }

    /**
     * Waits until {@code value} is reached. With EGL fences, and on the owner thread, waits on the
     * fence that produces the value; with GLsync fences on another thread, waits for the owner's
     * {@link #poll()}. If no fence for {@code value} was submitted yet, waits for one (or for a host
     * signal) within the same timeout.
     *
     * @throws IllegalStateException if the timeline is closed
     */
    @Override
    public boolean awaitValue(long value, long timeoutNanos) throws InterruptedException {
        if (timeoutNanos < 0) {
            throw new IllegalArgumentException("timeoutNanos must be >= 0, was " + timeoutNanos);
        }
        if (reached(value)) {
            return true;
        }
        boolean mayTouchFences = usesEglFences() || context.owner() == Thread.currentThread();
        long deadline = System.nanoTime() + timeoutNanos;
        lock.lockInterruptibly();
        try {
            while (true) {
                checkOpen();
                if (mayTouchFences) {
                    pollLocked();
                }
                if (reached(value)) {
                    return true;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                int slot = mayTouchFences ? firstPendingSlotAtLeast(value) : -1;
                if (slot < 0) {
                    changed.awaitNanos(Math.min(remaining, WAIT_SLICE_NANOS));
                    continue;
                }
                long sync = syncs[slot];
                pins[slot]++;
                lock.unlock();
                try {
                    fences.await(sync, Math.min(remaining, WAIT_SLICE_NANOS)); // outcome re-read by pollLocked
                } finally {
                    lock.lock();
                    unpin(slot);
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException(name + ": interrupted while waiting for " + Long.toUnsignedString(value));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private int firstPendingSlotAtLeast(long value) {
        for (int i = 0; i < pending; i++) {
            int slot = (head + i) % values.length;
            if (Long.compareUnsigned(values[slot], value) >= 0) {
                return slot;
            }
        }
        return -1;
    }

    private void unpin(int slot) {
        if (--pins[slot] == 0 && retired[slot]) {
            fences.destroy(syncs[slot]);
            syncs[slot] = 0;
            retired[slot] = false;
            changed.signalAll(); // the owner may be waiting for this slot
        }
    }

    private boolean reached(long value) {
        return Long.compareUnsigned(completedValue, value) >= 0;
    }

    /**
     * Advances the counter to {@code value} without touching GL (see the class comment); lower values
     * are ignored. Any thread.
     */
    @Override
    public void signalFromHost(long value) {
        lock.lock();
        try {
            advance(value);
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
    }

    /**
     * Destroys every fence; idempotent. Owner thread, before the {@link GlContext} closes. Waiters
     * blocked in {@link #awaitValue} get an {@link IllegalStateException}.
     */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (!usesEglFences()) {
                context.checkOwner();
            }
            closed = true;
            for (int slot = 0; slot < syncs.length; slot++) {
                if (syncs[slot] != 0) {
                    retired[slot] = true;
                    if (pins[slot] == 0) {
                        retire(slot);
                    }
                }
            }
            pending = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return name + "[completed " + Long.toUnsignedString(completedValue) + ", " + (usesEglFences() ? "EGL" : "GLsync") + " fences]";
    }

    /** The two fence kinds behind one small interface. */
    private interface FenceKind {
        /** Inserts a fence after the current GL commands and flushes them. Owner thread. */
        long insert();

        /** True if signalled within {@code timeoutNanos} (0 polls). */
        boolean await(long sync, long timeoutNanos);

        void destroy(long sync);
    }

    /** EGL_KHR_fence_sync: waitable from any thread. */
    private static final class EglFences implements FenceKind {
        private final long display; // EGLDisplay

        EglFences(long display) {
            this.display = display;
        }

        @Override
        public long insert() {
            long sync; // EGLSyncKHR
            try (MemoryStack stack = MemoryStack.stackPush()) {
                // The empty attribute list by address: an IntBuffer wrapper would be an allocation per
                // release that escape analysis removes only in some compilations.
                long attributes = stack.nmalloc(4, 4);
                org.lwjgl.system.MemoryUtil.memPutInt(attributes, org.lwjgl.egl.EGL10.EGL_NONE);
                sync = neglCreateSyncKHR(display, EGL_SYNC_FENCE_KHR, attributes);
            }
            if (sync == EGL_NO_SYNC_KHR) {
                throw new IllegalStateException("eglCreateSyncKHR(EGL_SYNC_FENCE_KHR) failed: EGL error 0x"
                        + Integer.toHexString(org.lwjgl.egl.EGL10.eglGetError()) + " (is the context current on this thread?)");
            }
            // Other threads cannot flush this context's commands (EGL_SYNC_FLUSH_COMMANDS_BIT only
            // flushes the waiter's own context), so flush here or a foreign waiter could wait forever.
            glFlush();
            return sync;
        }

        @Override
        public boolean await(long sync, long timeoutNanos) {
            int result = eglClientWaitSyncKHR(display, sync, 0, timeoutNanos);
            if (result == org.lwjgl.egl.EGL10.EGL_FALSE) {
                throw new IllegalStateException("eglClientWaitSyncKHR failed: EGL error 0x" + Integer.toHexString(org.lwjgl.egl.EGL10.eglGetError()));
            }
            return result == EGL_CONDITION_SATISFIED_KHR;
        }

        @Override
        public void destroy(long sync) {
            eglDestroySyncKHR(display, sync);
        }
    }

    /** Core GLsync: the owner thread only. */
    private static final class GlSyncFences implements FenceKind {
        @Override
        public long insert() {
            long sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0); // GLsync
            glFlush();
            return sync;
        }

        @Override
        public boolean await(long sync, long timeoutNanos) {
            int result = glClientWaitSync(sync, 0, timeoutNanos); // flushed at insert, no FLUSH bit needed
            if (result == GL_WAIT_FAILED) {
                throw new IllegalStateException("glClientWaitSync failed: GL error 0x" + Integer.toHexString(glGetError()));
            }
            return result == GL_ALREADY_SIGNALED || result == GL_CONDITION_SATISFIED;
        }

        @Override
        public void destroy(long sync) {
            glDeleteSync(sync);
        }
    }
}
