package dev.baton.sync;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A keyed mutex guarding one shared surface, with the semantics of Windows'
 * {@code IDXGIKeyedMutex} / {@code D3DKMTAcquireKeyedMutex2} as fixed by Baton's keyed-mutex contract:
 * the releaser names the key of the next owner and passes a GPU fence value and private data; only an
 * acquire for that key can take the surface.
 *
 * <h2>Model</h2>
 * State: an owner (a {@link Handle}, or none), a 64-bit key (an identity: every bit counts,
 * {@code -1L} and {@link Long#MIN_VALUE} are ordinary keys), an unsigned 64-bit fence value that never
 * decreases, 0..{@link #maxPrivateDataBytes()} bytes of private data, and a sticky abandoned flag. A new
 * mutex is unowned, holds the initial key, fence value 0 and no private data.
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li>Ownership belongs to a {@link Handle} (one per participating device), not to a thread: any
 *       thread of the owning device may {@link Handle#release release}.</li>
 *   <li>A handle serves <em>one acquiring thread at a time</em> (normally its device's submit thread).
 *       A second {@code acquire} (or {@code releaseAndAcquire}) through the same handle while one is in
 *       progress throws {@link IllegalStateException}; this is what lets each handle reuse one
 *       {@link AcquireResult}.</li>
 *   <li>{@link Handle#release}, {@link Handle#isOwner}, {@link Handle#deviceLost}, {@link Handle#close},
 *       {@link #open}, {@link #isAbandoned}, {@link #close} and {@link #waiterCount} may be called from
 *       any thread.</li>
 *   <li>Happens-before: everything a thread did before a release that stored key K happens-before
 *       everything after the acquire of K that it enables (the usual monitor guarantee).</li>
 * </ul>
 *
 * <h2>Handoff</h2>
 * Waiters sit in one FIFO queue; a release that stores key K hands ownership <em>directly</em> to the
 * oldest waiter for K (there is no window in which a third party can barge in, and exactly one waiter
 * wakes) and copies the fence value and private data into that waiter's {@link AcquireResult}. A waiter
 * may spin for {@link #spinNanos()} before parking (default 0: see {@link #DEFAULT_SPIN_NANOS}). The
 * steady-state handoff path allocates nothing.
 *
 * <h2>Release-then-wait</h2>
 * {@link Handle#releaseAndAcquire} is {@code KeReleaseMutex(mutex, Wait = TRUE)} followed by a wait:
 * it releases (rules 5-6) and queues the handle for the key it wants next in the same critical
 * section, so the peer's release hands the mutex straight back. If that key is the released key, the
 * waiters already queued for it are served first (FIFO) and the caller queues behind them; if none
 * waits, the caller takes it back at once. An argument error changes nothing (the caller still owns
 * the mutex); after the release, the outcomes are those of an acquire.
 *
 * <h2>Why no wake-up is lost and nothing is left behind</h2>
 * Every state change happens under one lock, and the invariant "while the mutex is unowned and not
 * abandoned, no queued waiter wants the stored key" holds whenever the lock is free: an acquire only
 * queues if it cannot take the mutex at once, and a release, or a granted waiter that is interrupted
 * before it returns, hands the mutex on to the oldest waiter for the stored key before unlocking. A
 * waiter that times out or is interrupted takes the lock and unlinks itself; if it finds that a grant
 * (or abandonment, or close) reached it first, a timeout accepts that outcome (the grant wins) and an
 * interrupt passes the grant on as above. So the queue never holds a cancelled waiter, and a grant is
 * never dropped.
 *
 * <h2>Closing and device loss while an acquire is blocked</h2>
 * <ul>
 *   <li>A handle closed (or reported lost, see {@link Handle#deviceLost}) while its own acquire is
 *       queued: that acquire throws {@link IllegalStateException} ({@link DeviceRemovedException}); it
 *       leaves no waiter behind and the mutex is not abandoned, since the handle did not own it.</li>
 *   <li>If a release had already granted that handle the mutex before the close, the grant stands and
 *       the close abandons the mutex, as closing any owner does (rule 8). The acquire returns
 *       {@link AcquireStatus#ACQUIRED} if it had seen the grant; if its thread was interrupted at that
 *       moment, so that it could neither refuse the grant nor pass it on, it throws the closed (lost)
 *       exception above, not {@link InterruptedException} (something did change), and the thread's
 *       interrupt status stays set.</li>
 *   <li>{@link #close()} with acquires blocked, whatever keys they wait for and even if the mutex is
 *       unowned: the mutex is abandoned and every blocked acquire returns
 *       {@link AcquireStatus#ABANDONED}; then every handle is closed, so the next call on any of them
 *       throws {@link IllegalStateException}.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * A timeout is an outcome ({@link AcquireStatus#TIMEOUT}), abandonment is an outcome
 * ({@link AcquireStatus#ABANDONED}); misuse throws: release by a non-owner
 * {@link IllegalMonitorStateException}, recursive or concurrent acquire and use after close
 * {@link IllegalStateException}, bad arguments {@link IllegalArgumentException}, use after device loss
 * {@link DeviceRemovedException}. Every failed call changes nothing.
 */
public final class KeyedMutex implements AutoCloseable {
    /** Private data capacity used by {@link #create()}: 256 bytes, as in D3DKMT. */
    public static final int DEFAULT_MAX_PRIVATE_DATA_BYTES = 256;

    /**
     * Upper bound on {@code maxPrivateDataBytes}: every handle preallocates that many bytes, so the
     * private data is meant for small descriptors, not payloads.
     */
    public static final int MAX_PRIVATE_DATA_BYTES_LIMIT = 1 << 20;

    /**
     * Spin budget used by {@link #create()} and {@link #create(long, int)}: none. Measured on the 2-core
     * VMs Baton targets (see the README's JMH table), a 2 us spin made ping-pong handoffs slower, not
     * faster: when both threads share a core the spinner delays the very thread it waits for (p50 about
     * 9 us instead of about 2.3 us), and when they sit on different cores a wake-up costs about 50 us,
     * far beyond any spin worth burning. Pass a spin budget to {@link #create(long, int, long)} on
     * machines with dedicated cores and fast wake-ups.
     */
    public static final long DEFAULT_SPIN_NANOS = 0L;

    /** A timeout of this many nanoseconds (what {@link TimeUnit#toNanos} saturates to) never expires. */
    public static final long INFINITE_TIMEOUT_NANOS = Long.MAX_VALUE;

    // Handle.waitState values. Written by others only under the lock and only while WAITING.
    private static final int IDLE = 0;
    private static final int WAITING = 1;
    private static final int GRANTED = 2;
    private static final int WOKEN_ABANDONED = 3;
    private static final int CANCELLED_CLOSED = 4;
    private static final int CANCELLED_LOST = 5;

    // Handle.lifecycle bits.
    private static final int LOST = 1;
    private static final int CLOSED = 2;

    private final ReentrantLock lock = new ReentrantLock();
    private final int maxPrivateDataBytes;
    private final long spinNanos;

    // Guarded by lock. owner and abandoned are volatile only for the lock-free queries.
    private volatile Handle owner;
    private volatile boolean abandoned;
    private long key;
    private long fenceValue;
    private final ByteBuffer privateDataStore;
    private int privateDataLength;
    private Handle waitHead;
    private Handle waitTail;
    private volatile int waiterCount;
    private boolean closed;
    private final ArrayList<Handle> handles = new ArrayList<>();

    private KeyedMutex(long initialKey, int maxPrivateDataBytes, long spinNanos) {
        this.key = initialKey;
        this.maxPrivateDataBytes = maxPrivateDataBytes;
        this.spinNanos = spinNanos;
        this.privateDataStore = ByteBuffer.allocate(maxPrivateDataBytes);
    }

    /** {@return a mutex with initial key 0, {@link #DEFAULT_MAX_PRIVATE_DATA_BYTES} and {@link #DEFAULT_SPIN_NANOS}} */
    public static KeyedMutex create() {
        return create(0L, DEFAULT_MAX_PRIVATE_DATA_BYTES, DEFAULT_SPIN_NANOS);
    }

    /**
     * A mutex with the given initial key and private-data capacity, spinning {@link #DEFAULT_SPIN_NANOS}.
     *
     * @param initialKey the key the first acquire must ask for (any 64-bit value)
     * @param maxPrivateDataBytes the most private data one release may store, 0..{@link #MAX_PRIVATE_DATA_BYTES_LIMIT}
     * @return the mutex
     * @throws IllegalArgumentException if {@code maxPrivateDataBytes} is out of range
     */
    public static KeyedMutex create(long initialKey, int maxPrivateDataBytes) {
        return create(initialKey, maxPrivateDataBytes, DEFAULT_SPIN_NANOS);
    }

    /**
     * As {@link #create(long, int)}, with an explicit spin budget.
     *
     * @param initialKey the key the first acquire must ask for (any 64-bit value)
     * @param maxPrivateDataBytes the most private data one release may store, 0..{@link #MAX_PRIVATE_DATA_BYTES_LIMIT}
     * @param spinNanos how long a blocked acquire busy-waits before parking; 0 parks at once (best when
     *     cores are oversubscribed), a few microseconds suits partners running on their own cores
     * @return the mutex
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static KeyedMutex create(long initialKey, int maxPrivateDataBytes, long spinNanos) {
        if (maxPrivateDataBytes < 0 || maxPrivateDataBytes > MAX_PRIVATE_DATA_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxPrivateDataBytes must be in 0.." + MAX_PRIVATE_DATA_BYTES_LIMIT
                    + ", got " + maxPrivateDataBytes + "; pass DEFAULT_MAX_PRIVATE_DATA_BYTES unless you need more");
        }
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spinNanos must be >= 0, got " + spinNanos
                    + "; pass 0 to park at once or DEFAULT_SPIN_NANOS");
        }
        return new KeyedMutex(initialKey, maxPrivateDataBytes, spinNanos);
    }

    /**
     * Opens the handle through which one device takes part. Call once per device; the handle is closed
     * by {@link Handle#close()} or by closing the mutex. Any thread.
     *
     * @param deviceName a name for messages, such as {@code "lavapipe#1"}
     * @return the handle, owned by the caller
     * @throws IllegalStateException if the mutex is closed
     */
    public Handle open(String deviceName) {
        Objects.requireNonNull(deviceName, "deviceName is null: pass a name for messages, such as \"lavapipe#1\"");
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("cannot open a handle for '" + deviceName
                        + "': the keyed mutex is closed; create a new mutex (and surface)");
            }
            Handle handle = new Handle(deviceName);
            handles.add(handle);
            return handle;
        } finally {
            lock.unlock();
        }
    }

    /** {@return true once the mutex is abandoned (sticky: recreate the mutex and the surface). Any thread, never blocks} */
    public boolean isAbandoned() {
        return abandoned;
    }

    /** {@return the private-data capacity in bytes fixed at creation} */
    public int maxPrivateDataBytes() {
        return maxPrivateDataBytes;
    }

    /** {@return the spin budget in nanoseconds fixed at creation} */
    public long spinNanos() {
        return spinNanos;
    }

    /**
     * Diagnostic: how many acquires are queued right now. A snapshot; 0 whenever no acquire is blocked
     * (timeouts and interrupts leave no waiter behind). Any thread, never blocks.
     *
     * @return the number of queued acquires
     */
    public int waiterCount() {
        return waiterCount;
    }

    /**
     * Diagnostic: the key stored by the last release (the key the next acquire must hold). A
     * snapshot for monitoring panels; takes the lock briefly. Any thread.
     *
     * @return the key
     */
    public long storedKey() {
        lock.lock();
        try {
            return key;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Diagnostic: the device name of the owning handle, or null while unowned. Any thread, lock-free.
     *
     * @return the name, or null
     */
    public String ownerName() {
        Handle h = owner;
        return h == null ? null : h.deviceName();
    }

    /**
     * Abandons the mutex on behalf of a participant that does not own it but whose released work can
     * never complete (its device was lost after its release, so the fence value it passed on will
     * never be reached and the surface's contents are undefined): every blocked acquire wakes with
     * {@link AcquireStatus#ABANDONED} and every later acquire returns it (sticky, as any abandonment).
     * A current owner keeps its ownership until it releases; that release stores nothing and hands
     * the mutex to nobody. Idempotent; any thread; never blocks beyond the internal lock; a no-op on a
     * closed mutex.
     */
    public void abandon() {
        lock.lock();
        try {
            if (closed || abandoned) {
                return;
            }
            Handle keep = owner;
            abandonLocked();
            owner = keep;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the mutex and every handle opened from it. If the mutex was in use (owned, or with blocked
     * acquires) it is abandoned: blocked acquires return {@link AcquireStatus#ABANDONED}. Later use of
     * any of its handles throws {@link IllegalStateException}. Idempotent; any thread; never throws.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (owner != null || waitHead != null) {
                abandonLocked();
            }
            for (Handle handle : handles) {
                handle.lifecycle |= CLOSED;
            }
            handles.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Test hook: the protocol invariants, checked under the lock so the state is consistent. Returns
     * null if they hold, else a description. The key one rules out lost wake-ups: while the mutex is
     * unowned and not abandoned, no waiter for the stored key may be queued.
     */
    String invariantViolation() {
        lock.lock();
        try {
            int count = 0;
            Handle previous = null;
            for (Handle h = waitHead; h != null; h = h.next) {
                count++;
                if (h.prev != previous) {
                    return "broken prev link at " + h;
                }
                if (h.waitState != WAITING) {
                    return "queued handle " + h + " in state " + h.waitState;
                }
                if (owner == null && !abandoned && h.waiterKey == key) {
                    return "lost wake-up: mutex unowned with key " + hex(key) + " but " + h + " waits for it";
                }
                if (h == owner) {
                    return "owner " + h + " is queued";
                }
                previous = h;
            }
            if (previous != waitTail) {
                return "tail mismatch";
            }
            if (count != waiterCount) {
                return "waiterCount " + waiterCount + " but " + count + " queued";
            }
            if (abandoned && count != 0) { // an owner may remain: abandon() lets it finish its access
                return "abandoned but owner=" + owner + ", waiters=" + count;
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        Handle o = owner;
        return "KeyedMutex[" + (abandoned ? "abandoned" : o == null ? "unowned" : "owner=" + o.deviceName)
                + ", waiters=" + waiterCount + "]";
    }

    // ---- queue and handoff; all *Locked methods run with lock held ----

    private void enqueueLocked(Handle h, long waitKey, Thread thread) {
        h.waiterKey = waitKey;
        h.waiterThread = thread;
        h.next = null;
        h.prev = waitTail;
        if (waitTail == null) {
            waitHead = h;
        } else {
            waitTail.next = h;
        }
        waitTail = h;
        waiterCount++;
        h.waitState = WAITING;
    }

    private void unlinkLocked(Handle h) {
        Handle p = h.prev;
        Handle n = h.next;
        if (p == null) {
            waitHead = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            waitTail = p;
        } else {
            n.prev = p;
        }
        h.prev = null;
        h.next = null;
        waiterCount--;
    }

    /**
     * Makes the mutex unowned with the stored key and, if someone waits for that key, hands ownership
     * to the oldest such waiter. Returns the thread to unpark (after unlocking), or null.
     */
    private Thread handOffLocked() {
        owner = null;
        if (abandoned) {
            return null; // the owner that abandon() let finish released: nobody may take over
        }
        final long k = key;
        for (Handle h = waitHead; h != null; h = h.next) {
            if (h.waiterKey == k) {
                unlinkLocked(h);
                owner = h;
                h.result.setAcquired(fenceValue, privateDataStore, privateDataLength);
                Thread t = h.waiterThread;
                h.waiterThread = null;
                h.waitState = GRANTED; // volatile write publishes owner and the result to the waiter
                return t;
            }
        }
        return null;
    }

    private boolean hasWaiterLocked(long waitKey) {
        for (Handle h = waitHead; h != null; h = h.next) {
            if (h.waiterKey == waitKey) {
                return true;
            }
        }
        return false;
    }

    private void abandonLocked() {
        abandoned = true;
        owner = null;
        Handle h = waitHead;
        while (h != null) {
            Handle n = h.next;
            unlinkLocked(h);
            h.result.setEmpty(AcquireStatus.ABANDONED);
            Thread t = h.waiterThread;
            h.waiterThread = null;
            h.waitState = WOKEN_ABANDONED;
            LockSupport.unpark(t); // abandonment is rare: waking under the lock keeps this simple
            h = n;
        }
    }

    private static String hex(long value) {
        return String.format("0x%016x", value);
    }

    /**
     * One device's view of the mutex. Created by {@link KeyedMutex#open}; see the class Javadoc of
     * {@link KeyedMutex} for which thread may call what.
     */
    public final class Handle implements AutoCloseable {
        private final String deviceName;
        private final AcquireResult result;
        private volatile int lifecycle;

        // Intrusive wait-queue node (this handle's single in-flight acquire). Guarded by lock, except
        // waitState, which the waiting thread reads without it.
        private Handle prev;
        private Handle next;
        private long waiterKey;
        private Thread waiterThread;
        private volatile int waitState;

        private Handle(String deviceName) {
            this.deviceName = deviceName;
            this.result = new AcquireResult(maxPrivateDataBytes);
        }

        /** {@return the device name given to {@link KeyedMutex#open}} */
        public String deviceName() {
            return deviceName;
        }

        /** {@return the mutex this handle belongs to} */
        public KeyedMutex mutex() {
            return KeyedMutex.this;
        }

        /**
         * Waits without a deadline until the mutex is released with {@code key}, then owns it.
         * Equivalent to {@code acquireNanos(key, INFINITE_TIMEOUT_NANOS)}: prefer a finite timeout, an
         * acquire for a key nobody releases hangs forever.
         *
         * @param key the key to wait for
         * @return the outcome and the last release's fence value and private data
         * @throws InterruptedException if interrupted while waiting; the mutex is not acquired
         * @see #acquireNanos(long, long)
         */
        public AcquireResult acquire(long key) throws InterruptedException {
            return acquireNanos(key, INFINITE_TIMEOUT_NANOS);
        }

        /**
         * As {@link #acquireNanos(long, long)} with the timeout in {@code unit}; a timeout that
         * saturates to {@link Long#MAX_VALUE} nanoseconds never expires.
         *
         * @param key the key to wait for
         * @param timeout how long to wait, in {@code unit}; 0 polls
         * @param unit the timeout's unit
         * @return the outcome and the last release's fence value and private data
         * @throws InterruptedException if interrupted while waiting; the mutex is not acquired
         */
        public AcquireResult acquire(long key, long timeout, TimeUnit unit) throws InterruptedException {
            Objects.requireNonNull(unit, "unit is null: pass the TimeUnit of the timeout, such as TimeUnit.MILLISECONDS");
            if (timeout < 0) {
                throw negativeTimeout(timeout + " " + unit);
            }
            return acquireNanos(key, unit.toNanos(timeout));
        }

        /**
         * Takes ownership once the mutex is unowned and holds {@code key} (all 64 bits compared).
         * Calling thread: the one thread currently acquiring through this handle.
         *
         * <p>Outcomes: {@link AcquireStatus#ACQUIRED} with the fence value and private data of the last
         * release; {@link AcquireStatus#TIMEOUT} if the key did not come before the deadline (never
         * earlier than {@code timeoutNanos} after the call; 0 polls and never blocks; nothing is left
         * behind); {@link AcquireStatus#ABANDONED} if the mutex is or becomes abandoned. Waiters for one
         * key are served first-come first-served. If a grant and the deadline race, the grant wins
         * (the wake-up is consumed, never lost).
         *
         * @param timeoutNanos 0 to poll, {@link #INFINITE_TIMEOUT_NANOS} never to expire
         * @param key the key to wait for
         * @return this handle's reusable result, valid until the next acquire through this handle
         * @throws IllegalArgumentException if {@code timeoutNanos} is negative
         * @throws IllegalStateException if this handle already owns the mutex (recursion), another
         *     thread is acquiring through it, or it is (or gets) closed
         * @throws DeviceRemovedException if this handle's device is (or gets) lost
         * @throws InterruptedException if interrupted while blocked; nothing is left behind, and a grant
         *     that raced the interrupt is passed on to the next waiter for the key (if the grant was
         *     abandoned by closing this handle first, the close is reported instead: see the class
         *     Javadoc, "Closing and device loss while an acquire is blocked")
         */
        public AcquireResult acquireNanos(long key, long timeoutNanos) throws InterruptedException {
            if (timeoutNanos < 0) {
                throw negativeTimeout(timeoutNanos + " ns");
            }
            checkUsable("acquire");
            final ReentrantLock lock = KeyedMutex.this.lock;
            lock.lock();
            try {
                checkUsable("acquire");
                if (abandoned) {
                    result.setEmpty(AcquireStatus.ABANDONED);
                    return result;
                }
                if (owner == this) {
                    throw new IllegalStateException("handle '" + deviceName + "' already owns this keyed mutex"
                            + " (acquire key " + hex(key) + "): recursive acquire is not supported;"
                            + " release it before acquiring again");
                }
                if (waitState != IDLE) {
                    throw new IllegalStateException("another thread is already acquiring through handle '"
                            + deviceName + "'; a handle serves one acquiring thread at a time:"
                            + " acquire from the device's submit thread only, or open one handle per device");
                }
                if (owner == null && KeyedMutex.this.key == key) {
                    owner = this;
                    result.setAcquired(fenceValue, privateDataStore, privateDataLength);
                    return result;
                }
                if (timeoutNanos == 0L) {
                    result.setEmpty(AcquireStatus.TIMEOUT);
                    return result;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException("acquire(" + hex(key) + ") on '" + deviceName
                            + "' was interrupted before waiting; nothing changed");
                }
                enqueueLocked(this, key, Thread.currentThread());
            } finally {
                lock.unlock();
            }
            return awaitHandoff(key, timeoutNanos);
        }

        private AcquireResult awaitHandoff(long key, long timeoutNanos) throws InterruptedException {
            final boolean timed = timeoutNanos != INFINITE_TIMEOUT_NANOS;
            final long startNanos = System.nanoTime();
            final long deadlineNanos = startNanos + timeoutNanos; // compared by difference: overflow-safe
            final long spinBudgetNanos = timed ? Math.min(spinNanos, timeoutNanos) : spinNanos;
            int state;
            if (spinBudgetNanos > 0) {
                int spins = 0;
                while ((state = waitState) == WAITING) {
                    Thread.onSpinWait();
                    if ((++spins & 63) == 0 && System.nanoTime() - startNanos >= spinBudgetNanos) {
                        break;
                    }
                }
            }
            while ((state = waitState) == WAITING) {
                if (Thread.interrupted()) {
                    return cancel(key, true);
                }
                if (timed) {
                    long remainingNanos = deadlineNanos - System.nanoTime();
                    if (remainingNanos <= 0L) {
                        return cancel(key, false);
                    }
                    LockSupport.parkNanos(KeyedMutex.this, remainingNanos);
                } else {
                    LockSupport.park(KeyedMutex.this);
                }
            }
            return finish(state, key);
        }

        /** Undoes this handle's queued acquire after a timeout or interrupt, or accepts what raced in. */
        private AcquireResult cancel(long key, boolean interrupted) throws InterruptedException {
            final int state;
            Thread passedTo = null;
            lock.lock();
            try {
                state = waitState;
                if (state == WAITING) {
                    unlinkLocked(this);
                    waiterThread = null;
                    waitState = IDLE;
                    if (!interrupted) {
                        result.setEmpty(AcquireStatus.TIMEOUT);
                        return result;
                    }
                } else if (interrupted) {
                    waitState = IDLE;
                    if (state == GRANTED) {
                        if (owner == this) {
                            // A release chose us just before the interrupt: pass the grant on so that
                            // the next waiter for the key gets it, or the mutex is left unowned holding
                            // the key. Nothing is left behind, so the interrupt is reported.
                            passedTo = handOffLocked();
                        } else {
                            // The grant can no longer be passed on: it was used or abandoned before we
                            // got the lock. Reporting "interrupted, nothing changed" would hide that.
                            return grantTakenAway(key);
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
            if (interrupted) {
                LockSupport.unpark(passedTo); // null-safe
                result.setEmpty(AcquireStatus.TIMEOUT);
                throw new InterruptedException("acquire(" + hex(key) + ") on '" + deviceName
                        + "' was interrupted while waiting; nothing changed");
            }
            return finish(state, key); // the deadline raced a grant, abandonment or close: report that
        }

        /**
         * Lock held. An interrupted waiter found that a release had granted it the mutex and that the
         * grant is gone: its handle was closed or lost since (which abandoned the mutex, as closing any
         * owner does), or another thread of its device already released it. Reports what happened and
         * keeps the thread's interrupt status, since this is not an {@link InterruptedException}.
         */
        private AcquireResult grantTakenAway(long key) {
            Thread.currentThread().interrupt();
            int lc = lifecycle;
            if ((lc & LOST) != 0) {
                throw new DeviceRemovedException("acquire(" + hex(key) + ") on handle '" + deviceName
                        + "': a release granted it the mutex, then its device was reported lost, which"
                        + " abandoned the mutex (the interrupt came too late to refuse the grant); recreate"
                        + " the device, the mutex and the surface");
            }
            if ((lc & CLOSED) != 0) {
                throw new IllegalStateException("acquire(" + hex(key) + ") on handle '" + deviceName
                        + "': a release granted it the mutex, then the handle (or the mutex) was closed,"
                        + " which abandoned the mutex (the interrupt came too late to refuse the grant);"
                        + " recreate the mutex and the surface to take part again");
            }
            // Another thread of this device saw the grant and already released: the acquire did happen.
            return result;
        }

        private AcquireResult finish(int state, long key) {
            waitState = IDLE; // we are unlinked: nobody else writes waitState now
            switch (state) {
                case GRANTED:
                case WOKEN_ABANDONED:
                    return result; // filled in by the releaser / abandoner
                case CANCELLED_LOST:
                    throw deviceRemoved("acquire(" + hex(key) + ")");
                case CANCELLED_CLOSED:
                    throw new IllegalStateException("handle '" + deviceName + "' was closed while acquire("
                            + hex(key) + ") waited; open a new handle to take part again");
                default:
                    throw new AssertionError("unexpected wait state " + state);
            }
        }

        /**
         * Releases with plain {@code release(key)} semantics: stores {@code key}, keeps the fence value,
         * clears the private data, and hands the mutex to the oldest waiter for {@code key} (if any).
         * Any thread of the owning device.
         *
         * @param key the key the next acquire must hold
         * @throws IllegalMonitorStateException if this handle does not own the mutex (nothing changes)
         * @throws IllegalStateException if this handle is closed
         * @throws DeviceRemovedException if this handle's device was lost
         */
        public void release(long key) {
            releaseInternal(key, 0L, null, false);
        }

        /**
         * Releases, storing {@code key}, the unsigned fence value the releaser's submitted GPU work will
         * signal, and a copy of {@code privateData}'s remaining bytes (its position is not changed; a
         * null buffer stores no data). Wakes exactly one waiter: the oldest for {@code key}. Any thread
         * of the owning device. Never blocks beyond the internal lock; allocates nothing.
         *
         * @param key the key the next acquire must hold
         * @param fenceValue the value the releaser's GPU work signals (unsigned)
         * @param privateData data for the next owner, or null
         * @throws IllegalMonitorStateException if this handle does not own the mutex (nothing changes)
         * @throws IllegalArgumentException if {@code fenceValue} is below the stored fence value
         *     (unsigned) or {@code privateData} is longer than {@link #maxPrivateDataBytes()}; nothing
         *     changes and the caller still owns the mutex
         * @throws IllegalStateException if this handle is closed
         * @throws DeviceRemovedException if this handle's device was lost
         */
        public void release(long key, long fenceValue, ByteBuffer privateData) {
            releaseInternal(key, fenceValue, privateData, true);
        }

        private void releaseInternal(long newKey, long newFenceValue, ByteBuffer privateData, boolean withFence) {
            checkUsable("release");
            Thread wake;
            lock.lock();
            try {
                checkUsable("release");
                checkReleaseLocked(newKey, newFenceValue, privateData, withFence);
                wake = storeReleaseLocked(newKey, newFenceValue, privateData, withFence);
            } finally {
                lock.unlock();
            }
            LockSupport.unpark(wake); // outside the lock so the woken thread does not collide with us
        }

        /** Lock held. Throws if this handle may not release with these arguments; changes nothing. */
        private void checkReleaseLocked(long newKey, long newFenceValue, ByteBuffer privateData, boolean withFence) {
            if (owner != this) {
                throw notOwner(newKey);
            }
            if (withFence) {
                if (Long.compareUnsigned(newFenceValue, fenceValue) < 0) {
                    throw new IllegalArgumentException("fenceValue " + Long.toUnsignedString(newFenceValue)
                            + " is below the stored fence value " + Long.toUnsignedString(fenceValue)
                            + " (unsigned); fence values never decrease: pass a value >= "
                            + Long.toUnsignedString(fenceValue) + ". Nothing changed; '" + deviceName
                            + "' still owns the mutex");
                }
                int length = privateData == null ? 0 : privateData.remaining();
                if (length > maxPrivateDataBytes) {
                    throw new IllegalArgumentException("privateData has " + length
                            + " bytes, more than this mutex's maximum of " + maxPrivateDataBytes
                            + "; send at most that many (or create the mutex with a larger"
                            + " maxPrivateDataBytes). Nothing changed; '" + deviceName + "' still owns the mutex");
                }
            }
        }

        /**
         * Lock held, arguments checked. Stores the release (rules 5-6) and hands the mutex to the
         * oldest waiter for {@code newKey}; returns the thread to unpark after unlocking, or null.
         */
        private Thread storeReleaseLocked(long newKey, long newFenceValue, ByteBuffer privateData, boolean withFence) {
            int length = 0;
            if (withFence) {
                length = privateData == null ? 0 : privateData.remaining();
                fenceValue = newFenceValue;
                if (length > 0) {
                    privateDataStore.put(0, privateData, privateData.position(), length);
                }
            }
            privateDataLength = length;
            key = newKey;
            return handOffLocked();
        }

        /**
         * Release-then-wait, as {@code KeReleaseMutex(mutex, Wait = TRUE)} followed by a wait: releases
         * exactly as {@link #release(long, long, ByteBuffer)} (rules 5-6) and, in the same critical
         * section, queues this handle as a waiter for {@code acquireKey}, so that the peer's release of
         * {@code acquireKey} hands the mutex straight to it; then waits as {@link #acquireNanos} does.
         * No release of {@code acquireKey} can slip in between and find nobody waiting. Calling thread:
         * the one thread acquiring through this handle.
         *
         * <p>If {@code acquireKey == releaseKey}: the release hands the mutex to the oldest waiter for
         * that key first (FIFO, rule 7) and this handle queues behind the waiters already there; if
         * nobody waits for it, this handle takes it back at once (ACQUIRED with the fence value and
         * private data it just stored), as a kernel mutex released with {@code Wait = TRUE} and waited
         * on again is re-acquired when nobody else waits.
         *
         * <p>Outcomes are those of {@link #acquireNanos} for the acquire half: ACQUIRED, TIMEOUT (0
         * polls: the release is done and the acquire did not block), ABANDONED; an interrupt while
         * waiting throws {@link InterruptedException} and leaves no waiter behind. In every outcome
         * except an argument error the release has happened: the caller no longer owns the mutex unless
         * the result says ACQUIRED.
         *
         * @param releaseKey the key the next owner must hold
         * @param fenceValue the unsigned fence value this handle's submitted work will signal
         * @param privateData copied (position unchanged); null stores none
         * @param acquireKey the key to wait for afterwards
         * @param timeoutNanos for the acquire half: 0 to poll, {@link #INFINITE_TIMEOUT_NANOS} never to expire
         * @return this handle's reusable result, as {@link #acquireNanos}
         * @throws IllegalMonitorStateException if this handle does not own the mutex
         * @throws IllegalArgumentException if {@code timeoutNanos} is negative, {@code fenceValue} is
         *     below the stored fence value (unsigned) or {@code privateData} is too long
         * @throws IllegalStateException if another thread is acquiring through this handle, or this
         *     handle is closed (or gets closed while waiting, as {@link #acquireNanos})
         * @throws DeviceRemovedException if this handle's device is (or gets) lost
         * @throws InterruptedException if the thread is interrupted on entry and the call would block
         *     (then nothing happens: the caller still owns the mutex), or while waiting (then the release
         *     has happened and no waiter is left behind); every other exception changes nothing
         */
        public AcquireResult releaseAndAcquireNanos(long releaseKey, long fenceValue, ByteBuffer privateData,
                                                    long acquireKey, long timeoutNanos) throws InterruptedException {
            if (timeoutNanos < 0) {
                throw negativeTimeout(timeoutNanos + " ns");
            }
            checkUsable("releaseAndAcquire");
            Thread wake;
            final ReentrantLock lock = KeyedMutex.this.lock;
            lock.lock();
            try {
                checkUsable("releaseAndAcquire");
                checkReleaseLocked(releaseKey, fenceValue, privateData, true);
                if (waitState != IDLE) {
                    throw new IllegalStateException("another thread is already acquiring through handle '"
                            + deviceName + "'; a handle serves one acquiring thread at a time. Nothing changed; '"
                            + deviceName + "' still owns the mutex");
                }
                // As in acquire, an interrupt is answered only by a call that would block: one that
                // must queue after releasing. It is checked before the release, so nothing changes.
                boolean takesItBack = releaseKey == acquireKey && !hasWaiterLocked(releaseKey);
                if (timeoutNanos != 0L && !takesItBack && Thread.interrupted()) {
                    throw new InterruptedException("releaseAndAcquire(" + hex(releaseKey) + ", " + hex(acquireKey)
                            + ") on '" + deviceName + "' was interrupted before releasing; nothing changed, '"
                            + deviceName + "' still owns the mutex");
                }
                wake = storeReleaseLocked(releaseKey, fenceValue, privateData, true);
                if (abandoned) {
                    result.setEmpty(AcquireStatus.ABANDONED); // abandon() ran during our access
                    return result;
                }
                if (owner == null && KeyedMutex.this.key == acquireKey) {
                    // Nobody waited for releaseKey and it is the key we want: take it back at once.
                    owner = this;
                    result.setAcquired(KeyedMutex.this.fenceValue, privateDataStore, privateDataLength);
                    return result;
                }
                if (timeoutNanos == 0L) {
                    result.setEmpty(AcquireStatus.TIMEOUT);
                } else {
                    enqueueLocked(this, acquireKey, Thread.currentThread());
                }
            } finally {
                lock.unlock();
            }
            LockSupport.unpark(wake); // null-safe; outside the lock, as in release
            if (timeoutNanos == 0L) {
                return result;
            }
            return awaitHandoff(acquireKey, timeoutNanos);
        }

        /**
         * As {@link #releaseAndAcquireNanos} with the timeout in {@code unit}; a timeout that saturates
         * to {@link Long#MAX_VALUE} nanoseconds never expires.
         *
         * @param releaseKey the key the next owner must hold
         * @param fenceValue the unsigned fence value this handle's submitted work will signal
         * @param privateData copied (position unchanged); null stores none
         * @param acquireKey the key to wait for afterwards
         * @param timeout how long the acquire half may wait, in {@code unit}; 0 polls
         * @param unit the timeout's unit
         * @return this handle's reusable result, as {@link #releaseAndAcquireNanos}
         * @throws NullPointerException if {@code unit} is null (nothing changed)
         * @throws IllegalArgumentException if {@code timeout} is negative (nothing changed), or as
         *     {@link #releaseAndAcquireNanos}
         * @throws InterruptedException as {@link #releaseAndAcquireNanos}: on entry when the call would
         *     block (nothing changed), or while waiting (the release has happened)
         */
        public AcquireResult releaseAndAcquire(long releaseKey, long fenceValue, ByteBuffer privateData,
                                               long acquireKey, long timeout, TimeUnit unit) throws InterruptedException {
            Objects.requireNonNull(unit, "unit is null: pass the TimeUnit of the timeout, such as TimeUnit.MILLISECONDS");
            if (timeout < 0) {
                throw negativeTimeout(timeout + " " + unit);
            }
            return releaseAndAcquireNanos(releaseKey, fenceValue, privateData, acquireKey, unit.toNanos(timeout));
        }

        /**
         * True if this handle owns the mutex. Any thread, never blocks.
         *
         * @return whether this handle owns the mutex
         * @throws IllegalStateException if this handle is closed
         * @throws DeviceRemovedException if this handle's device was lost
         */
        public boolean isOwner() {
            checkUsable("isOwner");
            return owner == this;
        }

        /**
         * Reports that this handle's device is lost (called by the GPU layer, any thread). From now on
         * every operation on this handle throws {@link DeviceRemovedException}; if it owned the mutex the
         * mutex is abandoned; an acquire blocked on this handle throws {@link DeviceRemovedException}.
         * Idempotent; a no-op on a closed handle.
         */
        public void deviceLost() {
            lock.lock();
            try {
                int lc = lifecycle;
                if ((lc & (LOST | CLOSED)) != 0) {
                    return;
                }
                lifecycle = lc | LOST;
                detachLocked(CANCELLED_LOST);
            } finally {
                lock.unlock();
            }
        }

        /**
         * Closes this handle. If it owns the mutex, the mutex is abandoned (every blocked acquire wakes
         * with {@link AcquireStatus#ABANDONED}); an acquire blocked on this handle throws
         * {@link IllegalStateException}. Later use throws {@link IllegalStateException}. Idempotent, any
         * thread, never throws (also after device loss, so try-with-resources always works).
         */
        @Override
        public void close() {
            lock.lock();
            try {
                int lc = lifecycle;
                if ((lc & CLOSED) != 0) {
                    return;
                }
                lifecycle = lc | CLOSED;
                detachLocked(CANCELLED_CLOSED);
                handles.remove(this);
            } finally {
                lock.unlock();
            }
        }

        private void detachLocked(int cancelState) {
            if (owner == this) {
                abandonLocked();
            } else if (waitState == WAITING) {
                unlinkLocked(this);
                Thread t = waiterThread;
                waiterThread = null;
                waitState = cancelState;
                LockSupport.unpark(t);
            }
        }

        private void checkUsable(String operation) {
            int lc = lifecycle;
            if (lc != 0) {
                if ((lc & LOST) != 0) {
                    throw deviceRemoved(operation);
                }
                throw new IllegalStateException(operation + " on closed handle '" + deviceName
                        + "': open a new handle from the mutex (KeyedMutex.open) to take part again");
            }
        }

        private DeviceRemovedException deviceRemoved(String operation) {
            return new DeviceRemovedException(operation + " on handle '" + deviceName
                    + "': its device was reported lost; recreate the device and open a new handle"
                    + " (if this device owned the mutex, the mutex is abandoned: recreate it and the surface)");
        }

        private IllegalMonitorStateException notOwner(long newKey) {
            Handle o = owner;
            String state = abandoned ? "the mutex is abandoned" : o == null ? "nobody owns it" : "'" + o.deviceName + "' owns it";
            return new IllegalMonitorStateException("release(" + hex(newKey) + ") by handle '" + deviceName
                    + "', which does not own the keyed mutex (" + state + "); only the owner may release:"
                    + " acquire first and release exactly once. Nothing changed");
        }

        @Override
        public String toString() {
            return "KeyedMutex.Handle['" + deviceName + "']";
        }
    }

    private static IllegalArgumentException negativeTimeout(String timeout) {
        return new IllegalArgumentException("timeout must be >= 0, got " + timeout
                + "; pass 0 to poll, a positive timeout to wait, or acquire(key) to wait without a deadline");
    }
}
