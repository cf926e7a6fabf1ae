package dev.baton.sync;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.annotations.Param;
import org.jetbrains.kotlinx.lincheck.paramgen.IntGen;
import org.jetbrains.kotlinx.lincheck.strategy.managed.modelchecking.ModelCheckingOptions;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the keyed-mutex protocol against {@link Model}, a plain sequential state machine
 * written straight from the contract. Three handles (A, B, C), acquired with timeout 0 (polls never block,
 * timeout 0, acquires never block). Keys
 * 0..2 map to {@code 0}, {@code 1L << 32} and {@code -1L} so that keys equal in their low 32 bits are
 * in play. Each operation returns its outcome, exceptions included, as a string. A handle serves one
 * acquiring thread at a time (its result object is reused), so each handle's acquires run on one thread
 * ({@code nonParallelGroup}); releases, device loss and other handles run on any thread. A's
 * {@code releaseAndAcquire} (timeout 0) runs in A's group and must be one atomic step: release, then poll.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:2")
@Param(name = "fence", gen = IntGen.class, conf = "0:2")
public class KeyedMutexLincheckTest {
    static final long[] KEYS = {0L, 1L << 32, -1L};

    private final KeyedMutex mutex = KeyedMutex.create(0L, 8);
    private final KeyedMutex.Handle a = mutex.open("A");
    private final KeyedMutex.Handle b = mutex.open("B");
    private final KeyedMutex.Handle c = mutex.open("C");

    @Operation(nonParallelGroup = "acquireA")
    public String acquireA(@Param(name = "key") int key) {
        return acquire(a, key);
    }

    @Operation(nonParallelGroup = "acquireB")
    public String acquireB(@Param(name = "key") int key) {
        return acquire(b, key);
    }

    @Operation(nonParallelGroup = "acquireC")
    public String acquireC(@Param(name = "key") int key) {
        return acquire(c, key);
    }

    /** Release-then-poll through A's acquiring slot, so in A's group: release and acquire as one step. */
    @Operation(nonParallelGroup = "acquireA")
    public String releaseAndAcquireA(@Param(name = "key") int releaseKey, @Param(name = "fence") int fence,
                                     @Param(name = "key") int acquireKey) {
        try {
            AcquireResult r = a.releaseAndAcquire(KEYS[releaseKey], fence, ByteBuffer.wrap(new byte[] {(byte) (10 + fence)}),
                    KEYS[acquireKey], 0, TimeUnit.NANOSECONDS);
            if (r.status() != AcquireStatus.ACQUIRED) {
                return r.status().name();
            }
            ByteBuffer data = r.privateData();
            return "ACQUIRED fence=" + r.fenceValue() + " data=" + (data.hasRemaining() ? data.get(0) : -1);
        } catch (IllegalMonitorStateException e) {
            return "NotOwner";
        } catch (IllegalArgumentException e) {
            return "BadArgument";
        } catch (InterruptedException e) {
            return "Interrupted";
        }
    }

    @Operation
    public String releaseA(@Param(name = "key") int key, @Param(name = "fence") int fence) {
        return release(a, key, fence);
    }

    @Operation
    public String releaseB(@Param(name = "key") int key, @Param(name = "fence") int fence) {
        return release(b, key, fence);
    }

    @Operation
    public String plainReleaseC(@Param(name = "key") int key) {
        return release(c, key, -1);
    }

    @Operation
    public String loseC() {
        c.deviceLost();
        return "lost";
    }

    private static String acquire(KeyedMutex.Handle h, int key) {
        try {
            AcquireResult r = h.acquire(KEYS[key], 0, TimeUnit.NANOSECONDS);
            if (r.status() != AcquireStatus.ACQUIRED) {
                return r.status().name();
            }
            ByteBuffer data = r.privateData();
            return "ACQUIRED fence=" + r.fenceValue() + " data=" + (data.hasRemaining() ? data.get(0) : -1);
        } catch (DeviceRemovedException e) {
            return "DeviceRemoved";
        } catch (IllegalStateException e) {
            return "IllegalState";
        } catch (InterruptedException e) {
            return "Interrupted";
        }
    }

    private static String release(KeyedMutex.Handle h, int key, int fence) {
        try {
            if (fence < 0) {
                h.release(KEYS[key]);
            } else {
                h.release(KEYS[key], fence, ByteBuffer.wrap(new byte[] {(byte) (10 + fence)}));
            }
            return "ok";
        } catch (IllegalMonitorStateException e) {
            return "NotOwner";
        } catch (IllegalArgumentException e) {
            return "BadArgument";
        } catch (DeviceRemovedException e) {
            return "DeviceRemoved";
        }
    }

    /** The sequential specification, written from the contract, not from the implementation. */
    public static class Model {
        private int owner = -1; // 0=A, 1=B, 2=C
        private long key;
        private long fence;
        private int data = -1;
        private boolean abandoned;
        private boolean lostC;

        public String acquireA(int key) { return acquire(0, key); }
        public String acquireB(int key) { return acquire(1, key); }
        public String acquireC(int key) { return acquire(2, key); }
        public String releaseA(int key, int fence) { return release(0, key, fence); }
        public String releaseB(int key, int fence) { return release(1, key, fence); }
        public String plainReleaseC(int key) { return release(2, key, -1); }

        /** Release per rules 5-6, then (no waiter can be queued: every acquire polls) poll acquireKey. */
        public String releaseAndAcquireA(int releaseKey, int newFence, int acquireKey) {
            String released = release(0, releaseKey, newFence);
            if (!released.equals("ok")) {
                return released;
            }
            return acquire(0, acquireKey);
        }

        public String loseC() {
            if (!lostC) {
                lostC = true;
                if (owner == 2) {
                    abandoned = true;
                    owner = -1;
                }
            }
            return "lost";
        }

        private String acquire(int handle, int k) {
            if (handle == 2 && lostC) {
                return "DeviceRemoved";
            }
            if (abandoned) {
                return "ABANDONED";
            }
            if (owner == handle) {
                return "IllegalState";
            }
            if (owner == -1 && key == KEYS[k]) {
                owner = handle;
                return "ACQUIRED fence=" + fence + " data=" + data;
            }
            return "TIMEOUT";
        }

        private String release(int handle, int k, int newFence) {
            if (handle == 2 && lostC) {
                return "DeviceRemoved";
            }
            if (owner != handle) {
                return "NotOwner";
            }
            if (newFence >= 0) {
                if (newFence < fence) {
                    return "BadArgument";
                }
                fence = newFence;
                data = 10 + newFence;
            } else {
                data = -1;
            }
            key = KEYS[k];
            owner = -1;
            return "ok";
        }
    }

    @Test
    @Timeout(value = 150, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void modelChecking() {
        ModelCheckingOptions options = new ModelCheckingOptions()
                .iterations(8)
                .invocationsPerIteration(200)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(2)
                .sequentialSpecification(Model.class);
        LinChecker.check(KeyedMutexLincheckTest.class, options);
    }

    @Test
    @Timeout(value = 150, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stress() {
        StressOptions options = new StressOptions()
                .iterations(30)
                .invocationsPerIteration(1_000)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .sequentialSpecification(Model.class);
        LinChecker.check(KeyedMutexLincheckTest.class, options);
    }
}
