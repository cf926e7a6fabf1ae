package dev.baton.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    @Nested
    class Percentiles {
        @Test
        void oneToAThousand() {
            LatencyRecorder r = new LatencyRecorder(1000);
            for (int i = 1000; i >= 1; i--) {
                r.record(i); // order does not matter
            }
            LatencyRecorder.Summary s = r.summary();
            assertEquals(1000, s.n());
            assertEquals(1000, s.recorded());
            assertEquals(500, s.p50Nanos());
            assertEquals(900, s.p90Nanos());
            assertEquals(990, s.p99Nanos());
            assertEquals(999, s.p999Nanos());
            assertEquals(1000, s.maxNanos());
        }

        @Test
        void singleSampleAndEmpty() {
            LatencyRecorder r = new LatencyRecorder(4);
            assertEquals(0, r.summary().n());
            assertEquals(0, r.summary().maxNanos());
            r.record(42);
            LatencyRecorder.Summary s = r.summary();
            assertEquals(42, s.p50Nanos());
            assertEquals(42, s.p999Nanos());
            assertEquals(42, s.maxNanos());
        }

        @Test
        void negativeSamplesClampToZero() {
            LatencyRecorder r = new LatencyRecorder(2);
            r.record(-5);
            assertEquals(0, r.summary().maxNanos());
        }

        @Test
        void summaryFormatsMicroseconds() {
            LatencyRecorder r = new LatencyRecorder(2);
            r.record(1500);
            assertTrue(r.summary().toString().contains("p50=1.5us"), r.summary().toString());
        }
    }

    @Nested
    class Ring {
        @Test
        void keepsTheMostRecentCapacitySamples() {
            LatencyRecorder r = new LatencyRecorder(10);
            for (int i = 0; i < 100; i++) {
                r.record(i < 90 ? 1_000_000 : i); // the old huge samples are overwritten
            }
            LatencyRecorder.Summary s = r.summary();
            assertEquals(100, s.recorded());
            assertEquals(10, s.n());
            assertEquals(99, s.maxNanos());
            assertEquals(94, s.p50Nanos());
        }

        @Test
        void resetForgets() {
            LatencyRecorder r = new LatencyRecorder(3);
            r.record(7);
            r.reset();
            assertEquals(0, r.summary().n());
            assertEquals(0, r.recorded());
        }

        @Test
        void rejectsNonPositiveCapacity() {
            assertThrows(IllegalArgumentException.class, () -> new LatencyRecorder(0));
        }

        @Test
        void recordAllocatesNothing() {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            LatencyRecorder r = new LatencyRecorder(1024);
            for (int round = 0; round < 3; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 1_000_000; i++) {
                    r.record(i);
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                if (round == 2) {
                    assertTrue(allocated < 1024, allocated + " bytes for 1,000,000 records");
                }
            }
        }
    }
}
