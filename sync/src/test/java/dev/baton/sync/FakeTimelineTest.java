package dev.baton.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FakeTimelineTest {
    @Test
    void signalRaisesAndNeverLowers() {
        FakeTimeline t = new FakeTimeline("t");
        assertEquals(0, t.completedValue());
        t.signalFromHost(5);
        t.signalFromHost(3); // lower: harmless
        assertEquals(5, t.completedValue());
        t.signalFromHost(-1L); // 2^64-1 unsigned
        assertEquals(-1L, t.completedValue());
        t.signalFromHost(7);
        assertEquals(-1L, t.completedValue());
    }

    @Test
    void awaitPollsAndTimesOutNoEarlierThanTheDeadline() throws Exception {
        FakeTimeline t = new FakeTimeline("t", 2);
        assertTrue(t.awaitValue(2, 0));
        assertFalse(t.awaitValue(3, 0));
        long start = System.nanoTime();
        assertFalse(t.awaitValue(3, TimeUnit.MILLISECONDS.toNanos(20)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(20));
        assertThrows(IllegalArgumentException.class, () -> t.awaitValue(1, -1));
    }

    @Test
    void awaitWakesOnSignalAndOnInterrupt() throws Exception {
        FakeTimeline t = new FakeTimeline("t");
        AtomicBoolean reached = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            try {
                reached.set(t.awaitValue(10, TimeUnit.SECONDS.toNanos(20)));
            } catch (InterruptedException e) {
                // not expected here
            }
        });
        waiter.start();
        Thread.sleep(20);
        t.signalFromHost(10);
        waiter.join(10_000);
        assertTrue(reached.get());

        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread blocked = new Thread(() -> {
            try {
                t.awaitValue(11, TimeUnit.SECONDS.toNanos(20));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        blocked.start();
        Thread.sleep(20);
        blocked.interrupt();
        blocked.join(10_000);
        assertTrue(thrown.get() instanceof InterruptedException);
    }
}
