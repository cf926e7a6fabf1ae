package dev.baton.bench;

import dev.baton.sync.AcquireResult;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.KeyedMutex;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

/**
 * The keyed mutex's two costs that matter, beside the JDK primitives it is built from:
 * <ul>
 *   <li>{@code uncontended}: one acquire + release on an idle mutex (AverageTime, ns/op);</li>
 *   <li>{@code *PingPong}: two threads handing one token back and forth; each invocation is "wait for
 *       the token, then pass it on", so its sample is one handoff's latency (SampleTime: p50, p99...;
 *       AverageTime too, because SampleTime's own sample buffers show up in {@code -prof gc}).
 *       {@code keyedMutexPingPong} is two devices (handles) on keys 0/1 with acquire + release;
 *       {@code keyedReleaseAndAcquirePingPong} is the same handoff with one
 *       {@link KeyedMutex.Handle#releaseAndAcquireNanos} per turn (release-then-wait, queued in the
 *       release's critical section; an invocation is "pass the token on, wait for it back");
 *       {@code parkUnparkPingPong}
 *       is a volatile turn flag with {@link LockSupport} park/unpark (the floor for a blocking handoff);
 *       {@code lockConditionPingPong} is {@link ReentrantLock} + {@link Condition}.</li>
 * </ul>
 * Every wait in a ping-pong is finite (10 ms) and checks {@link Control#stopMeasurement}, so the partner
 * finishing its last invocation first can never hang the run.
 *
 * <p>Run with {@code -prof gc} to see {@code gc.alloc.rate.norm} (bytes allocated per operation).
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KeyedMutexBenchmark {
    static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    @State(Scope.Thread)
    public static class Uncontended {
        KeyedMutex mutex;
        KeyedMutex.Handle handle;

        @Setup
        public void open() {
            mutex = KeyedMutex.create();
            handle = mutex.open("bench");
        }

        @TearDown
        public void close() {
            mutex.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public AcquireStatus uncontended(Uncontended s) throws InterruptedException {
        AcquireStatus status = s.handle.acquire(0L).status();
        s.handle.release(0L);
        return status;
    }

    /** Two devices, two handles, keys 0 and 1; {@code spinNanos} 0 parks at once, 2000 is the default. */
    @State(Scope.Group)
    public static class KeyedPingPong {
        @Param({"0", "2000"})
        public long spinNanos;

        KeyedMutex mutex;
        KeyedMutex.Handle ping;
        KeyedMutex.Handle pong;

        @Setup
        public void open() {
            mutex = KeyedMutex.create(0L, KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES, spinNanos);
            ping = mutex.open("ping");
            pong = mutex.open("pong");
        }

        @TearDown
        public void close() {
            mutex.close();
        }
    }

    /** Waits (in finite slices) for {@code key}; false if the measurement stopped first. */
    static boolean await(KeyedMutex.Handle handle, long key, Control control) throws InterruptedException {
        while (true) {
            AcquireResult r = handle.acquireNanos(key, WAIT_SLICE_NANOS);
            if (r.status() == AcquireStatus.ACQUIRED) {
                return true;
            }
            if (r.status() != AcquireStatus.TIMEOUT) {
                throw new IllegalStateException("unexpected " + r);
            }
            if (control.stopMeasurement) {
                return false;
            }
        }
    }

    @Benchmark
    @Group("keyedMutexPingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void keyedPing(KeyedPingPong s, Control control) throws InterruptedException {
        if (await(s.ping, 0L, control)) {
            s.ping.release(1L, 0L, null);
        }
    }

    @Benchmark
    @Group("keyedMutexPingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void keyedPong(KeyedPingPong s, Control control) throws InterruptedException {
        if (await(s.pong, 1L, control)) {
            s.pong.release(0L, 0L, null);
        }
    }

    /** As {@link KeyedPingPong}, plus whether each side holds the token between invocations. */
    @State(Scope.Group)
    public static class ReleaseAndAcquirePingPong {
        @Param({"0", "2000"})
        public long spinNanos;

        KeyedMutex mutex;
        KeyedMutex.Handle ping;
        KeyedMutex.Handle pong;
        boolean pingHolds; // written by ping's thread only
        boolean pongHolds; // written by pong's thread only

        @Setup
        public void open() {
            mutex = KeyedMutex.create(0L, KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES, spinNanos);
            ping = mutex.open("ping");
            pong = mutex.open("pong");
        }

        @TearDown
        public void close() {
            mutex.close();
        }
    }

    /**
     * One turn of a release-then-wait ping-pong: take the token first if not held (the first turn, or
     * after a wait slice ran out), then pass it to {@code nextKey} and wait for {@code myKey} in one
     * call. Returns whether the token came back.
     */
    static boolean releaseAndAwait(KeyedMutex.Handle handle, boolean holds, long myKey, long nextKey, Control control)
            throws InterruptedException {
        if (!holds && !await(handle, myKey, control)) {
            return false;
        }
        AcquireResult r = handle.releaseAndAcquireNanos(nextKey, 0L, null, myKey, WAIT_SLICE_NANOS);
        if (r.status() == AcquireStatus.ACQUIRED) {
            return true;
        }
        if (r.status() != AcquireStatus.TIMEOUT) {
            throw new IllegalStateException("unexpected " + r);
        }
        return false; // the next invocation waits in slices (and sees stopMeasurement)
    }

    @Benchmark
    @Group("keyedReleaseAndAcquirePingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void releaseAndAcquirePing(ReleaseAndAcquirePingPong s, Control control) throws InterruptedException {
        s.pingHolds = releaseAndAwait(s.ping, s.pingHolds, 0L, 1L, control);
    }

    @Benchmark
    @Group("keyedReleaseAndAcquirePingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void releaseAndAcquirePong(ReleaseAndAcquirePingPong s, Control control) throws InterruptedException {
        s.pongHolds = releaseAndAwait(s.pong, s.pongHolds, 1L, 0L, control);
    }

    @State(Scope.Group)
    public static class ParkPingPong {
        volatile int turn; // 0: ping's turn, 1: pong's
        volatile Thread pingThread;
        volatile Thread pongThread;
    }

    @Benchmark
    @Group("parkUnparkPingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void parkPing(ParkPingPong s, Control control) {
        Thread me = Thread.currentThread();
        if (s.pingThread != me) {
            s.pingThread = me;
        }
        while (s.turn != 0) {
            if (control.stopMeasurement) {
                return;
            }
            LockSupport.parkNanos(s, WAIT_SLICE_NANOS);
        }
        s.turn = 1;
        LockSupport.unpark(s.pongThread);
    }

    @Benchmark
    @Group("parkUnparkPingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void parkPong(ParkPingPong s, Control control) {
        Thread me = Thread.currentThread();
        if (s.pongThread != me) {
            s.pongThread = me;
        }
        while (s.turn != 1) {
            if (control.stopMeasurement) {
                return;
            }
            LockSupport.parkNanos(s, WAIT_SLICE_NANOS);
        }
        s.turn = 0;
        LockSupport.unpark(s.pingThread);
    }

    @State(Scope.Group)
    public static class LockPingPong {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        int turn; // guarded by lock
    }

    static void lockTurn(LockPingPong s, int mine, Control control) throws InterruptedException {
        s.lock.lock();
        try {
            while (s.turn != mine) {
                if (control.stopMeasurement) {
                    return;
                }
                s.changed.awaitNanos(WAIT_SLICE_NANOS);
            }
            s.turn = 1 - mine;
            s.changed.signal();
        } finally {
            s.lock.unlock();
        }
    }

    @Benchmark
    @Group("lockConditionPingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void lockPing(LockPingPong s, Control control) throws InterruptedException {
        lockTurn(s, 0, control);
    }

    @Benchmark
    @Group("lockConditionPingPong")
    @GroupThreads(1)
    @BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
    public void lockPong(LockPingPong s, Control control) throws InterruptedException {
        lockTurn(s, 1, control);
    }
}
