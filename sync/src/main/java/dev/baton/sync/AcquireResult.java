package dev.baton.sync;

import java.nio.ByteBuffer;

/**
 * What {@link KeyedMutex.Handle#acquire} returns: the status and, on {@link AcquireStatus#ACQUIRED},
 * the fence value and private data stored by the last release.
 *
 * <p><b>Reuse, not allocation.</b> Each handle owns exactly one {@code AcquireResult} and returns it
 * from every acquire, so the handoff path allocates nothing. Its contents are valid until the next
 * {@code acquire} through the same handle; copy what you need to keep longer. Read it from the thread
 * that called {@code acquire} (or hand it on with your own happens-before edge).
 */
public final class AcquireResult {
    private AcquireStatus status = AcquireStatus.TIMEOUT;
    private long fenceValue;
    private final ByteBuffer data;          // the handle's private copy of the released private data
    private final ByteBuffer readOnlyView;  // what privateData() hands out; never the writable one
    private int dataLength;

    AcquireResult(int maxPrivateDataBytes) {
        this.data = ByteBuffer.allocate(maxPrivateDataBytes);
        this.readOnlyView = data.asReadOnlyBuffer();
    }

    /** {@return the outcome; anything but {@link AcquireStatus#ACQUIRED} means the caller does not own the mutex} */
    public AcquireStatus status() {
        return status;
    }

    /**
     * The unsigned 64-bit fence value of the last release (compare with {@link Long#compareUnsigned}):
     * the acquirer's GPU work must wait until the shared timeline reaches it before touching the
     * surface. 0 unless {@link #status()} is {@link AcquireStatus#ACQUIRED}.
     *
     * @return the fence value
     */
    public long fenceValue() {
        return fenceValue;
    }

    /**
     * The private data of the last release: a read-only buffer whose position..limit is that data
     * (empty unless {@link #status()} is {@link AcquireStatus#ACQUIRED}). Every call returns the same
     * buffer rewound to the data, so no call allocates. Valid until the next acquire through the same
     * handle.
     *
     * @return the data between position and limit
     */
    public ByteBuffer privateData() {
        readOnlyView.limit(dataLength).position(0);
        return readOnlyView;
    }

    /** {@return true if {@link #status()} is {@link AcquireStatus#ACQUIRED}} */
    public boolean acquired() {
        return status == AcquireStatus.ACQUIRED;
    }

    // Writers below are called with the mutex lock held (or by the acquiring thread before it returns).

    void setAcquired(long fenceValue, ByteBuffer store, int length) {
        this.status = AcquireStatus.ACQUIRED;
        this.fenceValue = fenceValue;
        this.dataLength = length;
        if (length > 0) {
            data.put(0, store, 0, length);
        }
    }

    void setEmpty(AcquireStatus status) {
        this.status = status;
        this.fenceValue = 0L;
        this.dataLength = 0;
    }

    @Override
    public String toString() {
        return status == AcquireStatus.ACQUIRED
                ? "AcquireResult[ACQUIRED, fenceValue=" + Long.toUnsignedString(fenceValue)
                        + ", privateDataBytes=" + dataLength + "]"
                : "AcquireResult[" + status + "]";
    }
}
