package dev.baton.sync;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * TEMPORARY stand-in so the Vulkan branch compiles before the real keyed mutex lands from the
 * sync branch; deleted in the commit before that merge. Minimal, monitor-based, FIFO not guaranteed.
 */
public final class KeyedMutex {
    private final int maxPrivateDataBytes;
    private Handle owner;
    private long key;
    private long fenceValue;
    private ByteBuffer privateData = ByteBuffer.allocate(0);
    private boolean abandoned;

    private KeyedMutex(long initialKey, int maxPrivateDataBytes) {
        this.key = initialKey;
        this.maxPrivateDataBytes = maxPrivateDataBytes;
    }

    public static KeyedMutex create() {
        return new KeyedMutex(0, 256);
    }

    public static KeyedMutex create(long initialKey, int maxPrivateDataBytes) {
        return new KeyedMutex(initialKey, maxPrivateDataBytes);
    }

    public Handle open(String deviceName) {
        return new Handle(deviceName);
    }

    public final class Handle implements AutoCloseable {
        private final String deviceName;
        private boolean lost;
        private boolean closed;

        private Handle(String deviceName) {
            this.deviceName = deviceName;
        }

        public AcquireResult acquire(long wantedKey, long timeout, TimeUnit unit) throws InterruptedException {
            synchronized (KeyedMutex.this) {
                check();
                if (timeout < 0) throw new IllegalArgumentException("negative timeout");
                if (owner == this) throw new IllegalStateException("recursive acquire by " + deviceName);
                long deadline = System.nanoTime() + unit.toNanos(timeout);
                while (!abandoned && (owner != null || key != wantedKey)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return new AcquireResult(AcquireStatus.TIMEOUT, 0, null);
                    TimeUnit.NANOSECONDS.timedWait(KeyedMutex.this, left);
                }
                if (abandoned) return new AcquireResult(AcquireStatus.ABANDONED, 0, null);
                owner = this;
                return new AcquireResult(AcquireStatus.ACQUIRED, fenceValue, privateData.asReadOnlyBuffer());
            }
        }

        public void release(long newKey) {
            synchronized (KeyedMutex.this) {
                check();
                if (owner != this) throw new IllegalMonitorStateException("not owner: " + deviceName);
                key = newKey;
                privateData = ByteBuffer.allocate(0);
                owner = null;
                KeyedMutex.this.notifyAll();
            }
        }

        public void release(long newKey, long newFenceValue, ByteBuffer data) {
            synchronized (KeyedMutex.this) {
                check();
                if (owner != this) throw new IllegalMonitorStateException("not owner: " + deviceName);
                if (Long.compareUnsigned(newFenceValue, fenceValue) < 0) throw new IllegalArgumentException("fence value decreases");
                int n = data == null ? 0 : data.remaining();
                if (n > maxPrivateDataBytes) throw new IllegalArgumentException("private data too long");
                ByteBuffer copy = ByteBuffer.allocate(n);
                if (data != null) copy.put(data.duplicate()).flip();
                key = newKey;
                fenceValue = newFenceValue;
                privateData = copy;
                owner = null;
                KeyedMutex.this.notifyAll();
            }
        }

        public boolean isOwner() {
            synchronized (KeyedMutex.this) {
                return owner == this;
            }
        }

        public void deviceLost() {
            synchronized (KeyedMutex.this) {
                lost = true;
                if (owner == this) {
                    owner = null;
                    abandoned = true;
                    KeyedMutex.this.notifyAll();
                }
            }
        }

        @Override
        public void close() {
            synchronized (KeyedMutex.this) {
                if (closed) return;
                closed = true;
                if (owner == this) {
                    owner = null;
                    abandoned = true;
                    KeyedMutex.this.notifyAll();
                }
            }
        }

        private void check() {
            if (lost) throw new DeviceRemovedException(deviceName + " was lost");
            if (closed) throw new IllegalStateException("handle closed");
        }
    }
}
