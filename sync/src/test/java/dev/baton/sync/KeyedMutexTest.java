package dev.baton.sync;

import static dev.baton.sync.Acquirer.awaitWaiters;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One {@code @Nested} class per rule of the keyed-mutex contract. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KeyedMutexTest {
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Generous upper bound for "promptly" on a noisy 2-core VM. */
    static final long PROMPT_NANOS = TimeUnit.SECONDS.toNanos(2);

    KeyedMutex mutex;
    KeyedMutex.Handle a;
    KeyedMutex.Handle b;
    KeyedMutex.Handle c;

    @BeforeEach
    void open() {
        mutex = KeyedMutex.create();
        a = mutex.open("gpu-a");
        b = mutex.open("gpu-b");
        c = mutex.open("gpu-c");
    }

    @AfterEach
    void noResidueAndClose() {
        if (!mutex.isAbandoned()) {
            assertNull(mutex.invariantViolation());
        }
        mutex.close();
    }

    static ByteBuffer bytes(int... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length);
        for (int v : values) {
            buffer.put((byte) v);
        }
        return buffer.flip();
    }

    static byte[] toArray(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    AcquireStatus poll(KeyedMutex.Handle h, long key) throws InterruptedException {
        return h.acquire(key, 0, TimeUnit.NANOSECONDS).status();
    }

    @Nested
    class Rule1NewMutex {
        @Test
        void isUnownedWithKeyZeroFenceZeroAndNoData() throws Exception {
            assertFalse(a.isOwner());
            assertFalse(mutex.isAbandoned());
            AcquireResult r = a.acquire(0, 0, TimeUnit.MILLISECONDS);
            assertEquals(AcquireStatus.ACQUIRED, r.status());
            assertEquals(0L, r.fenceValue());
            assertEquals(0, r.privateData().remaining());
            assertTrue(a.isOwner());
        }

        @Test
        void honoursTheInitialKey() throws Exception {
            try (KeyedMutex m = KeyedMutex.create(42L, 16)) {
                KeyedMutex.Handle h = m.open("h");
                assertEquals(AcquireStatus.TIMEOUT, h.acquire(0, 0, TimeUnit.NANOSECONDS).status());
                assertEquals(AcquireStatus.ACQUIRED, h.acquire(42, 0, TimeUnit.NANOSECONDS).status());
                assertEquals(16, m.maxPrivateDataBytes());
            }
        }

        @Test
        void rejectsBadCreationArguments() {
            assertThrows(IllegalArgumentException.class, () -> KeyedMutex.create(0, -1));
            assertThrows(IllegalArgumentException.class,
                    () -> KeyedMutex.create(0, KeyedMutex.MAX_PRIVATE_DATA_BYTES_LIMIT + 1));
            assertThrows(IllegalArgumentException.class, () -> KeyedMutex.create(0, 1, -1));
            assertEquals(256, KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES);
        }
    }

    @Nested
    class Rule2KeysAreIdentities {
        @Test
        void acquireSucceedsOnlyForTheStoredKey() throws Exception {
            assertEquals(AcquireStatus.TIMEOUT, poll(a, 1));
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
        }

        @Test
        void keysDifferingOnlyInTheirHigh32BitsDoNotAlias() throws Exception {
            long high = 1L << 32;
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(high);
            assertEquals(AcquireStatus.TIMEOUT, poll(b, 0), "0 must not alias 1<<32");
            assertEquals(AcquireStatus.ACQUIRED, poll(b, high));
            b.release(0xDEAD_BEEF_0000_0001L);
            assertEquals(AcquireStatus.TIMEOUT, poll(c, 0x0000_0000_0000_0001L));
            assertEquals(AcquireStatus.TIMEOUT, poll(c, 0xDEAD_BEEE_0000_0001L));
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 0xDEAD_BEEF_0000_0001L));
        }

        @Test
        void blockedWaiterForHighKeyIsNotWokenByLowKey() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer waiter = Acquirer.start(b, 5L << 32, 10_000 * MS);
            awaitWaiters(mutex, 1);
            a.release(5L);
            Thread.sleep(50);
            assertFalse(waiter.done(), "a waiter for 5<<32 woke on key 5");
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 5L));
            c.release(5L << 32);
            assertEquals(AcquireStatus.ACQUIRED, waiter.joinStatus());
        }

        @Test
        void minusOneAndMinValueAreOrdinaryKeys() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(-1L);
            assertEquals(AcquireStatus.TIMEOUT, poll(b, Long.MAX_VALUE));
            assertEquals(AcquireStatus.ACQUIRED, poll(b, -1L));
            b.release(Long.MIN_VALUE);
            assertEquals(AcquireStatus.TIMEOUT, poll(a, 0));
            assertEquals(AcquireStatus.ACQUIRED, poll(a, Long.MIN_VALUE));
        }

        @Test
        void whileOwnedEveryAcquireWaitsWhateverItsKey() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            assertEquals(AcquireStatus.TIMEOUT, poll(b, 0));
            assertEquals(AcquireStatus.TIMEOUT, b.acquire(0, 20, TimeUnit.MILLISECONDS).status());
            assertTrue(a.isOwner());
        }
    }

    @Nested
    class Rule3Timeouts {
        @Test
        void zeroPollsAndNeverBlocks() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            long start = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                assertEquals(AcquireStatus.TIMEOUT, poll(b, 0));
            }
            assertTrue(System.nanoTime() - start < PROMPT_NANOS);
            assertEquals(0, mutex.waiterCount());
        }

        @Test
        void oneMillisecondTimesOutNoEarlierThanTheDeadline() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            for (int i = 0; i < 20; i++) {
                long start = System.nanoTime();
                AcquireStatus s = b.acquire(0, 1, TimeUnit.MILLISECONDS).status();
                long elapsed = System.nanoTime() - start;
                assertEquals(AcquireStatus.TIMEOUT, s);
                assertTrue(elapsed >= MS, "returned after " + elapsed + " ns, before the 1 ms deadline");
                assertTrue(elapsed < PROMPT_NANOS, "1 ms timeout took " + elapsed + " ns");
                assertEquals(0, mutex.waiterCount(), "a timed-out waiter stayed queued");
            }
        }

        @Test
        void oneSecondTimesOutNoEarlierThanTheDeadline() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            long start = System.nanoTime();
            AcquireStatus s = b.acquire(0, 1000, TimeUnit.MILLISECONDS).status();
            long elapsed = System.nanoTime() - start;
            assertEquals(AcquireStatus.TIMEOUT, s);
            assertTrue(elapsed >= 1000 * MS, "returned after " + elapsed + " ns, before 1000 ms");
            assertTrue(elapsed < 1000 * MS + PROMPT_NANOS, "1000 ms timeout took " + elapsed + " ns");
            assertEquals(0, mutex.waiterCount());
        }

        @Test
        void finiteTimeoutReturnsPromptlyAfterAMatchingRelease() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer waiter = Acquirer.start(b, 7, 20_000 * MS);
            awaitWaiters(mutex, 1);
            long releasedAt = System.nanoTime();
            a.release(7, 3, bytes(1, 2, 3));
            assertEquals(AcquireStatus.ACQUIRED, waiter.joinStatus());
            assertTrue(System.nanoTime() - releasedAt < PROMPT_NANOS);
            assertEquals(3L, waiter.fenceValue);
            assertArrayEquals(new byte[] {1, 2, 3}, waiter.privateData);
        }

        @Test
        void infiniteNeverExpires() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer noDeadline = Acquirer.start(b, 1, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            Acquirer saturated = new Acquirer(c, 2, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 2);
            Thread.sleep(1_200);
            assertFalse(noDeadline.done(), "an infinite acquire returned without a release");
            assertFalse(saturated.done());
            a.release(1);
            assertEquals(AcquireStatus.ACQUIRED, noDeadline.joinStatus());
            b.release(2);
            assertEquals(AcquireStatus.ACQUIRED, saturated.joinStatus());
        }

        @Test
        void timeUnitThatSaturatesIsInfinite() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    outcome.set(b.acquire(9, Long.MAX_VALUE, TimeUnit.DAYS).status());
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            t.start();
            awaitWaiters(mutex, 1);
            Thread.sleep(100);
            assertTrue(t.isAlive());
            a.release(9);
            t.join(10_000);
            assertEquals(AcquireStatus.ACQUIRED, outcome.get());
        }

        @Test
        void negativeTimeoutIsABadArgumentAndChangesNothing() throws Exception {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> a.acquire(0, -1, TimeUnit.MILLISECONDS));
            assertTrue(e.getMessage().contains("-1") && e.getMessage().contains("pass 0 to poll"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.acquireNanos(0, Long.MIN_VALUE));
            assertFalse(a.isOwner());
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
        }

        @Test
        void aGrantRacingTheDeadlineIsNeverLost() throws Exception {
            // Release at about the moment a 1 ms acquire expires, many times. Either the grant won
            // (ACQUIRED, the waiter owns it) or the timeout did (TIMEOUT, and the mutex is unowned
            // holding the key): the key is never lost and no waiter is left behind.
            for (int i = 0; i < 300; i++) {
                assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
                Acquirer waiter = Acquirer.start(b, 1, MS);
                long spinUntil = System.nanoTime() + (i % 3) * MS / 2;
                while (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                }
                a.release(1);
                waiter.join();
                assertNull(waiter.failure);
                assertNull(mutex.invariantViolation());
                assertEquals(0, mutex.waiterCount());
                if (waiter.status == AcquireStatus.ACQUIRED) {
                    assertTrue(b.isOwner());
                    b.release(0);
                } else {
                    assertEquals(AcquireStatus.TIMEOUT, waiter.status);
                    assertTrue(waiter.elapsedNanos >= MS, "timed out early: " + waiter.elapsedNanos);
                    assertEquals(AcquireStatus.ACQUIRED, poll(c, 1), "the key was lost");
                    c.release(0);
                }
            }
        }

        @Test
        void timeoutLeavesNoResidue() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            assertEquals(AcquireStatus.TIMEOUT, b.acquire(1, 5, TimeUnit.MILLISECONDS).status());
            assertEquals(0, mutex.waiterCount());
            a.release(1); // nobody waits any more: the mutex stays unowned holding key 1
            assertFalse(b.isOwner());
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 1));
        }
    }

    @Nested
    class Rule3Interrupts {
        @Test
        void interruptedWaiterThrowsAndLeavesNoResidue() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer waiter = Acquirer.start(b, 1, 20_000 * MS);
            awaitWaiters(mutex, 1);
            waiter.thread.interrupt();
            waiter.join();
            assertInstanceOf(InterruptedException.class, waiter.failure);
            assertEquals(0, mutex.waiterCount());
            a.release(1);
            assertFalse(b.isOwner());
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 1));
        }

        @Test
        void interruptOfAnInfiniteWait() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer waiter = Acquirer.start(b, 1, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 1);
            waiter.thread.interrupt();
            waiter.join();
            assertInstanceOf(InterruptedException.class, waiter.failure);
            assertEquals(0, mutex.waiterCount());
        }

        @Test
        void alreadyInterruptedThreadThrowsInsteadOfBlocking() {
            Thread.currentThread().interrupt();
            try {
                assertEquals(AcquireStatus.ACQUIRED, poll(a, 0), "a poll that can succeed does not block");
                assertThrows(InterruptedException.class, () -> b.acquire(0, 1, TimeUnit.SECONDS));
                assertEquals(0, mutex.waiterCount());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                Thread.interrupted();
            }
        }

        @Test
        void aGrantRacingAnInterruptIsNeverLost() throws Exception {
            // Release and interrupt at nearly the same moment, many times. Whatever wins, the key is
            // never lost: either the waiter owns the mutex, or it is unowned holding the key.
            for (int i = 0; i < 300; i++) {
                assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
                Acquirer waiter = Acquirer.start(b, 1, 20_000 * MS);
                awaitWaiters(mutex, 1);
                Thread interrupter = new Thread(waiter.thread::interrupt);
                interrupter.start();
                a.release(1);
                interrupter.join(10_000);
                waiter.join();
                assertNull(mutex.invariantViolation());
                assertEquals(0, mutex.waiterCount());
                if (waiter.failure == null) {
                    assertEquals(AcquireStatus.ACQUIRED, waiter.status);
                    assertTrue(b.isOwner());
                    b.release(0);
                } else {
                    assertInstanceOf(InterruptedException.class, waiter.failure);
                    assertFalse(b.isOwner());
                    assertEquals(AcquireStatus.ACQUIRED, poll(c, 1), "the interrupted grant was lost");
                    c.release(0);
                }
            }
        }

        @Test
        void anInterruptedGrantPassesToTheNextWaiterOfThatKey() throws Exception {
            // Same race with a second waiter queued behind: if the first is interrupted after being
            // chosen, the second must get the key (it must not stay parked while the mutex is free).
            for (int i = 0; i < 200; i++) {
                assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
                Acquirer first = Acquirer.start(b, 1, 20_000 * MS);
                awaitWaiters(mutex, 1);
                Acquirer second = Acquirer.start(c, 1, 20_000 * MS);
                awaitWaiters(mutex, 2);
                Thread interrupter = new Thread(first.thread::interrupt);
                interrupter.start();
                a.release(1);
                interrupter.join(10_000);
                first.join();
                if (first.failure == null) {
                    assertTrue(b.isOwner());
                    b.release(1);
                }
                assertEquals(AcquireStatus.ACQUIRED, second.joinStatus(), "the wake-up was lost");
                c.release(0);
                assertEquals(0, mutex.waiterCount());
            }
        }
    }

    @Nested
    class Rule3InterruptRacingGrantAndClose {
        @Test
        void anInterruptedWaiterNeverHidesThatItsGrantWasAbandoned() throws Exception {
            // A shutdown interrupts a device thread blocked in acquire while another thread releases to
            // it and then closes its handle. If the release grants the waiter the mutex before the
            // interrupted waiter takes the lock, the close abandons a mutex the waiter owned: the
            // waiter must then not report "interrupted, nothing changed" (rule 3: no residue). Whatever
            // the interleaving, an InterruptedException means the mutex is exactly as if the waiter
            // had never queued: not abandoned, unowned, holding the released key.
            int interruptedOutcomes = 0;
            int abandonedOutcomes = 0;
            for (int i = 0; i < 1_000; i++) {
                try (KeyedMutex m = KeyedMutex.create()) {
                    KeyedMutex.Handle releaser = m.open("releaser");
                    KeyedMutex.Handle waiterHandle = m.open("waiter");
                    KeyedMutex.Handle probe = m.open("probe");
                    assertEquals(AcquireStatus.ACQUIRED, poll(releaser, 0));
                    Acquirer waiter = Acquirer.start(waiterHandle, 1, KeyedMutex.INFINITE_TIMEOUT_NANOS);
                    awaitWaiters(m, 1);
                    waiter.thread.interrupt();
                    long spinUntil = System.nanoTime() + (i % 20) * 3_000L; // vary who wins
                    while (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    }
                    releaser.release(1);
                    waiterHandle.close();
                    waiter.join();
                    assertEquals(0, m.waiterCount());
                    if (waiter.failure instanceof InterruptedException) {
                        interruptedOutcomes++;
                        assertFalse(m.isAbandoned(), "iteration " + i + ": the waiter reported '"
                                + waiter.failure.getMessage() + "' but its grant was abandoned by the close");
                        assertEquals(AcquireStatus.ACQUIRED, poll(probe, 1), "iteration " + i + ": the key was lost");
                    } else if (m.isAbandoned()) {
                        abandonedOutcomes++;
                        // The waiter owned the mutex when its handle was closed: it says so, either by
                        // returning the grant or by failing as a closed handle.
                        assertTrue(waiter.status == AcquireStatus.ACQUIRED
                                || waiter.failure instanceof IllegalStateException, "iteration " + i
                                + ": status " + waiter.status + ", failure " + waiter.failure);
                    }
                }
            }
            assertTrue(interruptedOutcomes + abandonedOutcomes > 0, "the race never ran either way");
        }
    }

    @Nested
    class Rule4NoRecursion {
        @Test
        void acquireByTheOwnerFailsAtOnceAndChangesNothing() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            long start = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.acquire(0));
            assertThrows(IllegalStateException.class, () -> a.acquire(1, 1, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - start < PROMPT_NANOS);
            assertTrue(e.getMessage().contains("recursive") && e.getMessage().contains("release it"), e.getMessage());
            assertTrue(a.isOwner());
            assertEquals(0, mutex.waiterCount());
            a.release(0);
        }

        @Test
        void aSecondAcquiringThreadOnOneHandleIsRejected() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer waiter = Acquirer.start(b, 1, 20_000 * MS);
            awaitWaiters(mutex, 1);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.acquire(1, 1, TimeUnit.SECONDS));
            assertTrue(e.getMessage().contains("one acquiring thread"), e.getMessage());
            assertEquals(1, mutex.waiterCount());
            a.release(1);
            assertEquals(AcquireStatus.ACQUIRED, waiter.joinStatus());
        }
    }

    @Nested
    class Rule5Release {
        @Test
        void releaseByANonOwnerFailsAndChangesNothing() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            IllegalMonitorStateException e = assertThrows(IllegalMonitorStateException.class, () -> b.release(1));
            assertTrue(e.getMessage().contains("does not own") && e.getMessage().contains("'gpu-a' owns it"), e.getMessage());
            assertThrows(IllegalMonitorStateException.class, () -> b.release(1, 5, bytes(1)));
            assertTrue(a.isOwner());
            a.release(2);
            assertEquals(AcquireStatus.TIMEOUT, poll(c, 1), "the failed release changed the key");
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 2));
        }

        @Test
        void releaseOfAnUnownedMutexAndDoubleReleaseAreNonOwnerReleases() throws Exception {
            assertThrows(IllegalMonitorStateException.class, () -> a.release(0));
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(3);
            assertThrows(IllegalMonitorStateException.class, () -> a.release(4));
            assertEquals(AcquireStatus.ACQUIRED, poll(b, 3));
        }

        @Test
        void releaseWakesExactlyOneWaiterOfTheNewKey() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            try (KeyedMutex.Handle d = mutex.open("gpu-d")) {
                Acquirer w1 = Acquirer.start(b, 1, 20_000 * MS);
                Acquirer w2 = Acquirer.start(c, 1, 20_000 * MS);
                Acquirer other = Acquirer.start(d, 2, 20_000 * MS);
                awaitWaiters(mutex, 3);
                a.release(1);
                long deadline = System.nanoTime() + PROMPT_NANOS;
                while (!w1.done() && !w2.done() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                Thread.sleep(50);
                assertTrue(w1.done() ^ w2.done(), "exactly one waiter of key 1 must wake");
                assertFalse(other.done(), "the waiter of key 2 woke");
                assertEquals(2, mutex.waiterCount());
                Acquirer winner = w1.done() ? w1 : w2;
                KeyedMutex.Handle winnerHandle = winner == w1 ? b : c;
                assertEquals(AcquireStatus.ACQUIRED, winner.joinStatus());
                assertTrue(winner.ownerAfterAcquire);
                winnerHandle.release(2);
                assertEquals(AcquireStatus.ACQUIRED, other.joinStatus());
                d.release(1);
                assertEquals(AcquireStatus.ACQUIRED, (winner == w1 ? w2 : w1).joinStatus());
            }
        }

        @Test
        void anyThreadOfTheOwningDeviceMayRelease() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Thread other = new Thread(() -> a.release(5, 9, bytes(4)));
            other.start();
            other.join(10_000);
            assertFalse(a.isOwner());
            AcquireResult r = b.acquire(5, 0, TimeUnit.NANOSECONDS);
            assertEquals(AcquireStatus.ACQUIRED, r.status());
            assertEquals(9L, r.fenceValue());
        }
    }

    @Nested
    class Rule6FenceAndPrivateData {
        @Test
        void fenceValueAndPrivateDataRoundTrip() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(1, 17, bytes(10, 20, 30));
            AcquireResult r = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            assertEquals(AcquireStatus.ACQUIRED, r.status());
            assertEquals(17L, r.fenceValue());
            assertArrayEquals(new byte[] {10, 20, 30}, toArray(r.privateData()));
            assertTrue(r.privateData().isReadOnly());
            b.release(0, 18, ByteBuffer.allocateDirect(4).putInt(0, 0x01020304));
            r = a.acquire(0, 0, TimeUnit.NANOSECONDS);
            assertEquals(18L, r.fenceValue());
            assertArrayEquals(new byte[] {1, 2, 3, 4}, toArray(r.privateData()));
        }

        @Test
        void privateDataIsCopiedOnReleaseAndTheCallersPositionIsKept() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            ByteBuffer mine = ByteBuffer.allocate(8).put(new byte[] {9, 9, 1, 2, 3, 9, 9, 9});
            mine.position(2).limit(5);
            a.release(1, 1, mine);
            assertEquals(2, mine.position());
            assertEquals(5, mine.limit());
            mine.put(2, (byte) 77).put(3, (byte) 77).put(4, (byte) 77); // the caller reuses its buffer
            AcquireResult r = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            assertArrayEquals(new byte[] {1, 2, 3}, toArray(r.privateData()));
        }

        @Test
        void privateDataViewRewindsOnEveryCallAndCannotBeWritten() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(1, 1, bytes(5, 6));
            AcquireResult r = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            r.privateData().get();
            assertEquals(2, r.privateData().remaining());
            assertSame(r.privateData(), r.privateData(), "no allocation per call");
            assertThrows(java.nio.ReadOnlyBufferException.class, () -> r.privateData().put(0, (byte) 1));
        }

        @Test
        void plainReleaseKeepsTheFenceAndClearsPrivateData() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(1, 40, bytes(1, 2));
            assertEquals(AcquireStatus.ACQUIRED, poll(b, 1));
            b.release(2);
            AcquireResult r = c.acquire(2, 0, TimeUnit.NANOSECONDS);
            assertEquals(40L, r.fenceValue());
            assertEquals(0, r.privateData().remaining());
        }

        @Test
        void nullPrivateDataStoresNone() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(1, 2, bytes(1));
            assertEquals(AcquireStatus.ACQUIRED, poll(b, 1));
            b.release(0, 3, null);
            AcquireResult r = a.acquire(0, 0, TimeUnit.NANOSECONDS);
            assertEquals(3L, r.fenceValue());
            assertEquals(0, r.privateData().remaining());
        }

        @Test
        void lowerFenceIsABadArgumentAndTheCallerStillOwns() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(0, 10, bytes(1));
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.release(1, 9, bytes(2)));
            assertTrue(e.getMessage().contains(">= 10") && e.getMessage().contains("still owns"), e.getMessage());
            assertTrue(a.isOwner());
            assertEquals(AcquireStatus.TIMEOUT, poll(b, 1));
            a.release(1, 10, bytes(3)); // an equal fence value is fine
            AcquireResult r = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            assertEquals(10L, r.fenceValue());
            assertArrayEquals(new byte[] {3}, toArray(r.privateData()));
        }

        @Test
        void fenceValuesCompareUnsigned() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(0, 0x8000_0000_0000_0000L, null); // negative as a signed long, huge unsigned
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            assertThrows(IllegalArgumentException.class, () -> a.release(0, Long.MAX_VALUE, null));
            a.release(0, -1L, null); // 2^64-1: the largest fence value
            AcquireResult r = a.acquire(0, 0, TimeUnit.NANOSECONDS);
            assertEquals(-1L, r.fenceValue());
            assertThrows(IllegalArgumentException.class, () -> a.release(0, 0x8000_0000_0000_0000L, null));
            a.release(0);
        }

        @Test
        void tooMuchPrivateDataIsABadArgumentAndTheCallerStillOwns() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(0, 1, bytes(7));
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            ByteBuffer big = ByteBuffer.allocate(KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES + 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.release(1, 5, big));
            assertTrue(e.getMessage().contains("257") && e.getMessage().contains("256"), e.getMessage());
            assertTrue(a.isOwner());
            assertEquals(AcquireStatus.TIMEOUT, poll(b, 1));
            ByteBuffer exact = ByteBuffer.allocate(KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES);
            a.release(1, 1, exact);
            AcquireResult r = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            assertEquals(1L, r.fenceValue(), "the rejected release changed the fence value");
            assertEquals(256, r.privateData().remaining());
        }
    }

    @Nested
    class Rule7FifoAmongWaitersOfOneKey {
        @Test
        void waitersOfOneKeyAreServedFirstComeFirstServed() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            List<KeyedMutex.Handle> handles = new ArrayList<>();
            List<Acquirer> waiters = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                KeyedMutex.Handle h = mutex.open("fifo-" + i);
                handles.add(h);
                waiters.add(Acquirer.start(h, 1, 20_000 * MS));
                // fixes the arrival order; from i == 3 on the key-2 waiter is queued too
                awaitWaiters(mutex, i + 1 + (i > 2 ? 1 : 0));
                if (i == 2) {
                    Acquirer.start(b, 2, 20_000 * MS); // a waiter of another key in the middle
                    awaitWaiters(mutex, i + 2);
                }
            }
            a.release(1);
            for (int i = 0; i < 6; i++) {
                assertEquals(AcquireStatus.ACQUIRED, waiters.get(i).joinStatus(), "waiter " + i);
                for (int j = i + 1; j < 6; j++) {
                    assertFalse(waiters.get(j).done(), "waiter " + j + " overtook waiter " + i);
                }
                handles.get(i).release(i == 5 ? 2 : 1);
            }
            awaitWaiters(mutex, 0);
            assertTrue(b.isOwner());
            b.release(0);
        }
    }

    @Nested
    class Rule8Abandonment {
        @Test
        void closingTheOwningHandleAbandonsAndWakesEveryBlockedWaiter() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer w1 = Acquirer.start(b, 1, 20_000 * MS);
            Acquirer w2 = Acquirer.start(c, 2, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 2);
            a.close();
            assertEquals(AcquireStatus.ABANDONED, w1.joinStatus());
            assertEquals(AcquireStatus.ABANDONED, w2.joinStatus());
            assertTrue(mutex.isAbandoned());
            assertEquals(0, mutex.waiterCount());
        }

        @Test
        void abandonByANonOwnerWakesWaitersAndLetsTheOwnerFinishItsAccess() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(1, 7, null);                       // a's work for fence 7 will never finish
            assertEquals(AcquireStatus.ACQUIRED, poll(b, 1));
            Acquirer waiter = Acquirer.start(c, 2, 20_000 * MS);
            awaitWaiters(mutex, 1);
            mutex.abandon();                             // a's device was lost after its release
            assertEquals(AcquireStatus.ABANDONED, waiter.joinStatus());
            assertTrue(mutex.isAbandoned());
            assertNull(mutex.invariantViolation(), "the owner may stay until it releases");
            assertTrue(b.isOwner(), "the owner keeps its access until it releases");
            assertEquals(AcquireStatus.ABANDONED, b.releaseAndAcquire(2, 8, null, 3, 0, TimeUnit.NANOSECONDS).status());
            assertFalse(b.isOwner());
            assertEquals(AcquireStatus.ABANDONED, poll(c, 2), "the release handed the mutex to nobody");
            assertEquals(AcquireStatus.ABANDONED, poll(a, 1));
            mutex.abandon();                             // idempotent
            assertNull(mutex.invariantViolation());
        }

        @Test
        void abandonmentIsStickyAndNeverLooksLikeSuccess() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.close();
            for (int i = 0; i < 3; i++) {
                AcquireResult r = b.acquire(0, 1, TimeUnit.SECONDS);
                assertEquals(AcquireStatus.ABANDONED, r.status());
                assertFalse(r.acquired());
                assertEquals(AcquireStatus.ABANDONED, c.acquire(0).status());
                assertEquals(AcquireStatus.ABANDONED, poll(c, 12345));
            }
            assertTrue(mutex.isAbandoned());
            assertThrows(IllegalMonitorStateException.class, () -> b.release(0));
        }

        @Test
        void deviceLossOfTheOwnerAbandons() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer w = Acquirer.start(b, 1, 20_000 * MS);
            awaitWaiters(mutex, 1);
            a.deviceLost();
            assertEquals(AcquireStatus.ABANDONED, w.joinStatus());
            assertTrue(mutex.isAbandoned());
        }

        @Test
        void closingOrLosingANonOwnerDoesNotAbandon() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            b.close();
            c.deviceLost();
            assertFalse(mutex.isAbandoned());
            a.release(0);
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
        }

        @Test
        void closingTheMutexWhileInUseAbandonsIt() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer w = Acquirer.start(b, 1, 20_000 * MS);
            awaitWaiters(mutex, 1);
            mutex.close();
            assertEquals(AcquireStatus.ABANDONED, w.joinStatus());
            assertTrue(mutex.isAbandoned());
            assertThrows(IllegalStateException.class, () -> a.release(0));
        }
    }

    @Nested
    class ClosingTheMutex {
        @Test
        void blockedAcquiresOfAnUnownedMutexWakeAbandonedAndTheirHandlesAreClosed() throws Exception {
            // Unowned, holding key 0, with acquires blocked for other keys: close() still abandons.
            Acquirer w1 = Acquirer.start(b, 1, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            Acquirer w2 = Acquirer.start(c, 2, 20_000 * MS);
            awaitWaiters(mutex, 2);
            mutex.close();
            assertEquals(AcquireStatus.ABANDONED, w1.joinStatus());
            assertEquals(AcquireStatus.ABANDONED, w2.joinStatus());
            assertTrue(mutex.isAbandoned());
            assertEquals(0, mutex.waiterCount());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.acquire(1, 0, TimeUnit.NANOSECONDS));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Nested
    class Rule9DeviceLossAndClose {
        @Test
        void everyOperationOnALostHandleThrowsDeviceRemoved() {
            a.deviceLost();
            DeviceRemovedException e = assertThrows(DeviceRemovedException.class, () -> a.acquire(0, 0, TimeUnit.SECONDS));
            assertTrue(e.getMessage().contains("gpu-a") && e.getMessage().contains("recreate the device"), e.getMessage());
            assertThrows(DeviceRemovedException.class, () -> a.acquire(0));
            assertThrows(DeviceRemovedException.class, () -> a.release(0));
            assertThrows(DeviceRemovedException.class, () -> a.release(0, 1, null));
            assertThrows(DeviceRemovedException.class, a::isOwner);
            assertInstanceOf(IllegalStateException.class, e);
            a.deviceLost(); // reporting twice is harmless
            a.close();      // closing a lost handle works (try-with-resources)
            assertThrows(IllegalStateException.class, a::isOwner);
        }

        @Test
        void aBlockedAcquireOnALostHandleThrowsDeviceRemoved() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer w = Acquirer.start(b, 1, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 1);
            b.deviceLost();
            w.join();
            assertInstanceOf(DeviceRemovedException.class, w.failure);
            assertEquals(0, mutex.waiterCount());
            assertFalse(mutex.isAbandoned());
        }

        @Test
        void closingTwiceIsHarmlessAndUseAfterCloseThrows() {
            a.close();
            a.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.acquire(0, 0, TimeUnit.SECONDS));
            assertTrue(e.getMessage().contains("closed") && e.getMessage().contains("open a new handle"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> a.release(0));
            assertThrows(IllegalStateException.class, a::isOwner);
            a.deviceLost(); // a late device-loss report on a closed handle is ignored
            mutex.close();
            mutex.close();
            assertThrows(IllegalStateException.class, () -> mutex.open("late"));
            assertThrows(IllegalStateException.class, () -> b.release(0));
            assertFalse(mutex.isAbandoned(), "closing an idle mutex is not abandonment");
        }

        @Test
        void closingAHandleWhileItsAcquireBlocksFailsThatAcquire() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer w = Acquirer.start(b, 1, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 1);
            b.close();
            w.join();
            assertInstanceOf(IllegalStateException.class, w.failure);
            assertEquals(0, mutex.waiterCount());
            assertFalse(mutex.isAbandoned());
        }
    }

    /** Test helper: one releaseAndAcquire on its own thread, its outcome copied out. */
    static final class ReleaseAndAcquirer {
        final Thread thread;
        volatile AcquireStatus status;
        volatile long fenceValue;
        volatile byte[] privateData;
        volatile Throwable failure;
        volatile long elapsedNanos;

        ReleaseAndAcquirer(KeyedMutex.Handle h, long releaseKey, long fence, ByteBuffer data, long acquireKey, long timeoutNanos) {
            thread = new Thread(() -> {
                long start = System.nanoTime();
                try {
                    AcquireResult r = h.releaseAndAcquireNanos(releaseKey, fence, data, acquireKey, timeoutNanos);
                    elapsedNanos = System.nanoTime() - start;
                    fenceValue = r.fenceValue();
                    privateData = toArray(r.privateData());
                    status = r.status();
                } catch (Throwable e) {
                    elapsedNanos = System.nanoTime() - start;
                    failure = e;
                }
            }, "release-and-acquire-" + h.deviceName());
            thread.setDaemon(true);
            thread.start();
        }

        AcquireStatus joinStatus() throws InterruptedException {
            thread.join(10_000);
            assertFalse(thread.isAlive(), thread.getName() + " still blocked after 10 s");
            if (failure != null) {
                throw new AssertionError("releaseAndAcquire threw", failure);
            }
            return status;
        }

        Throwable joinFailure() throws InterruptedException {
            thread.join(10_000);
            assertFalse(thread.isAlive(), thread.getName() + " still blocked after 10 s");
            return failure;
        }
    }

    @Nested
    class ReleaseAndAcquire {
        @Test
        void releasesToThePeerAndIsQueuedBeforeThePeerCanRunSoItsReleaseHandsStraightBack() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer peer = Acquirer.start(b, 1, 20_000 * MS);
            awaitWaiters(mutex, 1);
            ReleaseAndAcquirer me = new ReleaseAndAcquirer(a, 1, 5, bytes(7, 8), 0, 20_000 * MS);
            assertEquals(AcquireStatus.ACQUIRED, peer.joinStatus());
            // The peer was granted in the same critical section that queued us: we are already there.
            assertEquals(1, mutex.waiterCount(), "the releaser was not queued when its release woke the peer");
            assertEquals(5L, peer.fenceValue);
            assertArrayEquals(new byte[] {7, 8}, peer.privateData);
            assertFalse(a.isOwner());
            b.release(0, 6, bytes(9));
            assertEquals(AcquireStatus.ACQUIRED, me.joinStatus());
            assertEquals(6L, me.fenceValue);
            assertArrayEquals(new byte[] {9}, me.privateData);
            assertTrue(a.isOwner());
            a.release(0);
        }

        @Test
        void zeroTimeoutReleasesAndPollsWithoutResidue() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            AcquireResult r = a.releaseAndAcquire(1, 3, bytes(1), 0, 0, TimeUnit.NANOSECONDS);
            assertEquals(AcquireStatus.TIMEOUT, r.status());
            assertFalse(a.isOwner());
            assertEquals(0, mutex.waiterCount());
            AcquireResult got = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            assertEquals(AcquireStatus.ACQUIRED, got.status(), "the release did not happen");
            assertEquals(3L, got.fenceValue());
            b.release(0);
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 0), "a waiter was left behind for key 0");
        }

        @Test
        void zeroTimeoutTakesItBackWhenNobodyWaitsForThatKey() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            AcquireResult r = a.releaseAndAcquire(4, 2, bytes(5), 4, 0, TimeUnit.NANOSECONDS);
            assertEquals(AcquireStatus.ACQUIRED, r.status());
            assertEquals(2L, r.fenceValue());
            assertArrayEquals(new byte[] {5}, toArray(r.privateData()));
            assertTrue(a.isOwner());
            a.release(0);
        }

        @Test
        void finiteTimeoutTimesOutNoEarlierThanTheDeadlineWithoutResidue() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            long start = System.nanoTime();
            AcquireResult r = a.releaseAndAcquire(1, 0, null, 0, 20, TimeUnit.MILLISECONDS);
            long elapsed = System.nanoTime() - start;
            assertEquals(AcquireStatus.TIMEOUT, r.status());
            assertTrue(elapsed >= 20 * MS, "timed out after " + elapsed + " ns, before the 20 ms deadline");
            assertTrue(elapsed < 20 * MS + PROMPT_NANOS);
            assertEquals(0, mutex.waiterCount());
            assertFalse(a.isOwner());
            assertEquals(AcquireStatus.ACQUIRED, poll(b, 1));
        }

        @Test
        void sameKeyWithOthersWaitingGoesToTheOldestWaiterFirstAndQueuesBehindThem() throws Exception {
            // KeReleaseMutex(Wait = TRUE) then a wait: the released mutex goes to the waiters already
            // queued for it (FIFO, rule 7); the releaser is served after them.
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer first = Acquirer.start(b, 3, 20_000 * MS);
            awaitWaiters(mutex, 1);
            Acquirer second = Acquirer.start(c, 3, 20_000 * MS);
            awaitWaiters(mutex, 2);
            ReleaseAndAcquirer me = new ReleaseAndAcquirer(a, 3, 1, null, 3, 20_000 * MS);
            assertEquals(AcquireStatus.ACQUIRED, first.joinStatus());
            awaitWaiters(mutex, 2); // second, then us
            b.release(3);
            assertEquals(AcquireStatus.ACQUIRED, second.joinStatus());
            assertTrue(me.thread.isAlive(), "the releaser overtook a waiter queued before it");
            c.release(3, 2, bytes(4));
            assertEquals(AcquireStatus.ACQUIRED, me.joinStatus());
            assertEquals(2L, me.fenceValue);
            a.release(0);
        }

        @Test
        void fifoWithOtherWaitersOfTheAcquireKey() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer earlier = Acquirer.start(c, 0, 20_000 * MS); // waits for 0 before we queue for it
            awaitWaiters(mutex, 1);
            Acquirer peer = Acquirer.start(b, 1, 20_000 * MS);
            awaitWaiters(mutex, 2);
            ReleaseAndAcquirer me = new ReleaseAndAcquirer(a, 1, 0, null, 0, 20_000 * MS);
            assertEquals(AcquireStatus.ACQUIRED, peer.joinStatus());
            b.release(0);
            assertEquals(AcquireStatus.ACQUIRED, earlier.joinStatus(), "the earlier waiter for 0 was overtaken");
            assertTrue(me.thread.isAlive());
            c.release(0);
            assertEquals(AcquireStatus.ACQUIRED, me.joinStatus());
            a.release(0);
        }

        @Test
        void interruptWhileQueuedThrowsLeavesNoWaiterAndTheReleaseStands() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            ReleaseAndAcquirer me = new ReleaseAndAcquirer(a, 1, 8, null, 0, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 1);
            me.thread.interrupt();
            assertInstanceOf(InterruptedException.class, me.joinFailure());
            assertEquals(0, mutex.waiterCount());
            assertFalse(a.isOwner());
            AcquireResult r = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            assertEquals(AcquireStatus.ACQUIRED, r.status());
            assertEquals(8L, r.fenceValue());
            b.release(0);
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 0), "the interrupted waiter kept key 0");
        }

        @Test
        void anInterruptOnEntryChangesNothingWhenTheCallWouldBlock() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Thread.currentThread().interrupt();
            try {
                InterruptedException e = assertThrows(InterruptedException.class,
                        () -> a.releaseAndAcquire(1, 1, bytes(1), 0, 1, TimeUnit.SECONDS));
                assertTrue(e.getMessage().contains("still owns"), e.getMessage());
                assertTrue(a.isOwner(), "the release happened although the call threw");
                Thread.currentThread().interrupt();
                // A poll never blocks, so it does not answer the interrupt: it releases and polls.
                assertEquals(AcquireStatus.TIMEOUT, a.releaseAndAcquire(1, 1, null, 0, 0, TimeUnit.NANOSECONDS).status());
                assertTrue(Thread.currentThread().isInterrupted());
            } finally {
                Thread.interrupted();
            }
            assertEquals(AcquireStatus.ACQUIRED, poll(b, 1), "the poll's release did not happen");
            assertEquals(0, mutex.waiterCount());
            b.release(0);
        }

        @Test
        void abandonmentWhileQueuedWakesItWithAbandoned() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Acquirer peer = Acquirer.start(b, 1, 20_000 * MS);
            awaitWaiters(mutex, 1);
            ReleaseAndAcquirer me = new ReleaseAndAcquirer(a, 1, 0, null, 0, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            assertEquals(AcquireStatus.ACQUIRED, peer.joinStatus());
            b.close(); // the new owner dies
            assertEquals(AcquireStatus.ABANDONED, me.joinStatus());
            assertTrue(mutex.isAbandoned());
            assertEquals(0, mutex.waiterCount());
        }

        @Test
        void closingOrLosingItsOwnHandleWhileQueuedFailsTheWait() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            ReleaseAndAcquirer closed = new ReleaseAndAcquirer(a, 1, 0, null, 0, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 1);
            a.close();
            assertInstanceOf(IllegalStateException.class, closed.joinFailure());
            assertFalse(mutex.isAbandoned(), "the handle did not own the mutex while it waited");
            assertEquals(AcquireStatus.ACQUIRED, poll(b, 1));
            ReleaseAndAcquirer lost = new ReleaseAndAcquirer(b, 2, 0, null, 0, KeyedMutex.INFINITE_TIMEOUT_NANOS);
            awaitWaiters(mutex, 1);
            b.deviceLost();
            assertInstanceOf(DeviceRemovedException.class, lost.joinFailure());
            assertEquals(0, mutex.waiterCount());
            assertEquals(AcquireStatus.ACQUIRED, poll(c, 2));
        }

        @Test
        void argumentErrorsChangeNothingAndTheCallerStillOwns() throws Exception {
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(0, 10, bytes(1));
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            assertThrows(IllegalArgumentException.class, () -> a.releaseAndAcquire(1, 9, null, 0, 1, TimeUnit.SECONDS));
            ByteBuffer big = ByteBuffer.allocate(KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES + 1);
            assertThrows(IllegalArgumentException.class, () -> a.releaseAndAcquire(1, 11, big, 0, 1, TimeUnit.SECONDS));
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                    () -> a.releaseAndAcquire(1, 11, null, 0, -1, TimeUnit.SECONDS));
            assertTrue(negative.getMessage().contains("pass 0 to poll"), negative.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.releaseAndAcquireNanos(1, 11, null, 0, -1));
            assertThrows(NullPointerException.class, () -> a.releaseAndAcquire(1, 11, null, 0, 1, null));
            IllegalMonitorStateException notOwner = assertThrows(IllegalMonitorStateException.class,
                    () -> b.releaseAndAcquire(1, 11, null, 0, 1, TimeUnit.SECONDS));
            assertTrue(notOwner.getMessage().contains("does not own"), notOwner.getMessage());
            assertTrue(a.isOwner());
            assertEquals(0, mutex.waiterCount());
            assertEquals(AcquireStatus.TIMEOUT, poll(b, 1), "a failed call released the mutex");
            a.release(1, 10, bytes(2));
            AcquireResult r = b.acquire(1, 0, TimeUnit.NANOSECONDS);
            assertEquals(10L, r.fenceValue(), "a failed call changed the fence value");
            assertArrayEquals(new byte[] {2}, toArray(r.privateData()));
            c.close();
            assertThrows(IllegalStateException.class, () -> c.releaseAndAcquire(0, 10, null, 0, 0, TimeUnit.NANOSECONDS));
            b.deviceLost(); // b owned it: abandoned
            assertThrows(DeviceRemovedException.class, () -> b.releaseAndAcquire(0, 10, null, 0, 0, TimeUnit.NANOSECONDS));
        }

        @Test
        void aPingPongOfReleaseAndAcquireHandsOffEveryTurnInOrder() throws Exception {
            final int turns = 20_000;
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            AtomicReference<Throwable> pongFailure = new AtomicReference<>();
            Thread pong = new Thread(() -> {
                try {
                    AcquireResult r = b.acquire(1, 10, TimeUnit.SECONDS);
                    for (int i = 0; i < turns; i++) {
                        assertEquals(AcquireStatus.ACQUIRED, r.status());
                        assertEquals(2L * i + 1, r.fenceValue());
                        r = i == turns - 1 ? null : b.releaseAndAcquire(0, 2L * i + 2, null, 1, 10, TimeUnit.SECONDS);
                    }
                    b.release(0, 2L * turns, null);
                } catch (Throwable e) {
                    pongFailure.set(e);
                }
            }, "pong");
            pong.start();
            AcquireResult r = a.releaseAndAcquire(1, 1, null, 0, 10, TimeUnit.SECONDS);
            for (int i = 1; i < turns; i++) {
                assertEquals(AcquireStatus.ACQUIRED, r.status(), "turn " + i);
                assertEquals(2L * i, r.fenceValue());
                r = a.releaseAndAcquire(1, 2L * i + 1, null, 0, 10, TimeUnit.SECONDS);
            }
            assertEquals(AcquireStatus.ACQUIRED, r.status());
            assertEquals(2L * turns, r.fenceValue());
            pong.join(10_000);
            assertFalse(pong.isAlive(), "pong still running");
            assertNull(pongFailure.get());
            a.release(0);
        }
    }

    @Nested
    class SteadyStateAllocation {
        @Test
        void uncontendedAcquireAndReleaseAllocateNothing() throws Exception {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            ByteBuffer data = ByteBuffer.allocateDirect(64);
            long fence = 0;
            for (int round = 0; round < 3; round++) { // warm up, then measure
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200_000; i++) {
                    a.acquire(0, 0, TimeUnit.NANOSECONDS);
                    a.release(0, ++fence, data);
                    a.acquire(0);
                    a.release(0);
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                if (round == 2) {
                    assertTrue(allocated < 4096, allocated + " bytes for 400,000 acquire/release pairs");
                }
            }
        }

        @Test
        void aReleaseAndAcquirePingPongAllocatesNothingOnEitherThread() throws Exception {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            final int turns = 20_000; // per round; rounds 0-1 warm up
            long[] pongAllocated = new long[3];
            AtomicReference<Throwable> pongFailure = new AtomicReference<>();
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            Thread pong = new Thread(() -> {
                try {
                    AcquireResult r = b.acquire(1, 10, TimeUnit.SECONDS);
                    for (int round = 0; round < 3; round++) {
                        long before = threads.getCurrentThreadAllocatedBytes();
                        for (int i = 0; i < turns; i++) {
                            if (r.status() != AcquireStatus.ACQUIRED) {
                                throw new AssertionError("pong: " + r.status());
                            }
                            r = b.releaseAndAcquire(0, 0, null, 1, 10, TimeUnit.SECONDS);
                        }
                        pongAllocated[round] = threads.getCurrentThreadAllocatedBytes() - before;
                    }
                    if (r.status() != AcquireStatus.ACQUIRED) { // ping's final release(1)
                        throw new AssertionError("pong's last turn: " + r.status());
                    }
                    b.release(0);
                } catch (Throwable e) {
                    pongFailure.set(e);
                }
            }, "pong");
            pong.start();
            AcquireResult r = null;
            long pingAllocated = 0;
            for (int round = 0; round < 3; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < turns; i++) {
                    r = a.releaseAndAcquire(1, 0, null, 0, 10, TimeUnit.SECONDS);
                    if (r.status() != AcquireStatus.ACQUIRED) {
                        throw new AssertionError("ping: " + r.status());
                    }
                }
                pingAllocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            a.release(1); // pong's last releaseAndAcquire waits for it
            pong.join(10_000);
            assertFalse(pong.isAlive(), "pong still running");
            assertNull(pongFailure.get());
            assertTrue(pingAllocated < 1024, pingAllocated + " bytes on ping for " + turns + " handoffs");
            assertTrue(pongAllocated[2] < 1024, pongAllocated[2] + " bytes on pong for " + turns + " handoffs");
            assertEquals(AcquireStatus.ACQUIRED, poll(a, 0));
            a.release(0);
        }
    }
}
