package dev.baton.render.vk;

import dev.baton.sync.AcquireStatus;
import dev.baton.sync.KeyedMutex;
import java.nio.ByteBuffer;

/**
 * The keyed mutex as one {@link SurfaceEndpoint} uses it, wherever the mutex lives: a
 * {@link KeyedMutex.Handle} of a surface of this process ({@link #local}), or the connection to the
 * broker that owns the surface's mutex in another process ({@link BrokerSurfaces}). The endpoint's
 * acquire, release and release-then-wait, and so every {@link Lease}, go through this and never ask
 * which kind it has.
 *
 * <p>Threading: the endpoint's thread, except {@link #close()} (any thread). The steady-state
 * acquire and release allocate nothing.
 */
interface MutexPort {
    /**
     * Waits at most {@code timeoutNanos} for {@code key}; on ACQUIRED, {@link #fenceValue()} and
     * {@link #privateData()} hold the last release's.
     */
    AcquireStatus acquire(long key, long timeoutNanos) throws InterruptedException;

    /** Releases to {@code releaseKey} and queues for {@code acquireKey} in one step, then waits as {@link #acquire}. */
    AcquireStatus releaseAndAcquire(long releaseKey, long fenceValue, ByteBuffer privateData, long acquireKey, long timeoutNanos)
            throws InterruptedException;

    /** Releases to {@code key} with {@code fenceValue} and {@code privateData} (may be null). */
    void release(long key, long fenceValue, ByteBuffer privateData);

    /** {@return the fence value of the last ACQUIRED} */
    long fenceValue();

    /** {@return the private data of the last ACQUIRED (read-only, valid until the next acquire)} */
    ByteBuffer privateData();

    /**
     * Whether this participant owns the mutex now.
     *
     * @return true while it owns it
     * @throws IllegalStateException if the handle is closed, or {@link dev.baton.sync.DeviceRemovedException} if its device was lost
     */
    boolean isOwner();

    /** {@return whether the mutex is abandoned (for a broker's surface: it answered ABANDONED, or this side ended the connection). Any thread} */
    boolean isAbandoned();

    /** This participant's device was lost: the mutex is abandoned if it owned it. Any thread. */
    void deviceLost();

    /** Leaves the mutex (abandons it if owned). Idempotent, any thread, never throws. */
    void close();

    /** The port over a handle of a mutex of this process. */
    static MutexPort local(KeyedMutex.Handle handle) {
        return new Local(handle);
    }

    /** {@link #local}: forwards to the handle and keeps its reused result. */
    final class Local implements MutexPort {
        private final KeyedMutex.Handle handle;
        private dev.baton.sync.AcquireResult last;

        Local(KeyedMutex.Handle handle) {
            this.handle = handle;
        }

        @Override
        public AcquireStatus acquire(long key, long timeoutNanos) throws InterruptedException {
            last = handle.acquireNanos(key, timeoutNanos);
            return last.status();
        }

        @Override
        public AcquireStatus releaseAndAcquire(long releaseKey, long fenceValue, ByteBuffer privateData, long acquireKey,
                                               long timeoutNanos) throws InterruptedException {
            last = handle.releaseAndAcquireNanos(releaseKey, fenceValue, privateData, acquireKey, timeoutNanos);
            return last.status();
        }

        @Override
        public void release(long key, long fenceValue, ByteBuffer privateData) {
            handle.release(key, fenceValue, privateData);
        }

        @Override
        public long fenceValue() {
            return last == null ? 0 : last.fenceValue();
        }

        @Override
        public ByteBuffer privateData() {
            return last == null ? null : last.privateData();
        }

        @Override
        public boolean isOwner() {
            return handle.isOwner();
        }

        @Override
        public boolean isAbandoned() {
            return handle.mutex().isAbandoned();
        }

        @Override
        public void deviceLost() {
            handle.deviceLost();
        }

        @Override
        public void close() {
            handle.close();
        }
    }
}
