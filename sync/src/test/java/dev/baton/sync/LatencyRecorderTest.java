package dev.baton.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    @Nested
    class Percentiles {
        @Test
        void oneToAThousand() {
            LatencyRecorder r = new LatencyRecorder();
            for (int i = 1000; i >= 1; i--) {
                r.record(i); // order does not matter
            }
            LatencyRecorder.Summary s = r.summary();
            assertEquals(1000, s.recorded());
            // below 2048 every value is its own bucket at 3 significant digits: exact
            assertEquals(500, s.p50Nanos());
            assertEquals(900, s.p90Nanos());
            assertEquals(990, s.p99Nanos());
            assertEquals(999, s.p999Nanos());
            assertEquals(1000, s.maxNanos());
        }

        @Test
        void largeValuesWithinAThousandth() {
            LatencyRecorder r = new LatencyRecorder();
            for (int i = 1; i <= 1000; i++) {
                r.record(i * 1_000_000L); // 1..1000 ms
            }
            LatencyRecorder.Summary s = r.summary();
            assertEquals(500_000_000, s.p50Nanos(), 500_000);
            assertEquals(990_000_000, s.p99Nanos(), 990_000);
            assertTrue(s.p50Nanos() >= 500_000_000, "HdrHistogram reports the highest equivalent value: " + s);
        }

        @Test
        void singleSampleAndEmpty() {
            LatencyRecorder r = LatencyRecorder.upTo(1_000_000);
            assertEquals(0, r.summary().recorded());
            assertEquals(0, r.summary().maxNanos());
            r.record(42);
            LatencyRecorder.Summary s = r.summary();
            assertEquals(42, s.p50Nanos());
            assertEquals(42, s.p999Nanos());
            assertEquals(42, s.maxNanos());
        }

        @Test
        void outOfRangeSamplesClamp() {
            LatencyRecorder r = LatencyRecorder.upTo(1_000_000);
            r.record(-5);
            assertEquals(0, r.summary().maxNanos());
            r.record(5_000_000_000L);
            assertEquals(1_000_000, r.summary().maxNanos(), 1_000);
            assertEquals(2, r.recorded());
        }

        @Test
        void summaryFormatsMicroseconds() {
            LatencyRecorder r = new LatencyRecorder();
            r.record(1500);
            assertTrue(r.summary().toString().contains("p50=1.5us"), r.summary().toString());
        }
    }

    @Nested
    class Recording {
        @Test
        void keepsEverySample() {
            LatencyRecorder r = new LatencyRecorder();
            for (int i = 0; i < 100; i++) {
                r.record(i < 90 ? 1_000_000 : i); // nothing is forgotten: the old huge samples stay
            }
            LatencyRecorder.Summary s = r.summary();
            assertEquals(100, s.recorded());
            assertEquals(1_000_000, s.maxNanos(), 1_000);
            assertEquals(1_000_000, s.p50Nanos(), 1_000);
        }

        @Test
        void resetForgets() {
            LatencyRecorder r = new LatencyRecorder();
            r.record(7);
            r.summary();
            r.record(8);
            r.reset();
            assertEquals(0, r.summary().recorded());
            assertEquals(0, r.recorded());
            r.record(9);
            assertEquals(9, r.summary().maxNanos());
        }

        @Test
        void rejectsATinyRange() {
            assertThrows(IllegalArgumentException.class, () -> LatencyRecorder.upTo(1));
        }

        @Test
        void histogramIsACopy() {
            LatencyRecorder r = new LatencyRecorder();
            r.record(100);
            var copy = r.histogram();
            r.record(200);
            assertEquals(1, copy.getTotalCount());
            assertEquals(2, r.recorded());
        }

        @Test
        void recordAllocatesNothing() {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            LatencyRecorder r = new LatencyRecorder();
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

        @Test
        void aReaderSamplesWhileTheWriterRecords() throws Exception {
            LatencyRecorder r = new LatencyRecorder();
            int samples = 2_000_000;
            AtomicBoolean done = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                for (int i = 0; i < samples; i++) {
                    r.record(1_000 + (i & 1023));
                }
                done.set(true);
            }, "latency-writer");
            writer.start();
            long previous = 0;
            int reads = 0;
            while (!done.get()) {
                long now = r.summary().recorded();
                assertTrue(now >= previous, "the count went backwards: " + previous + " then " + now);
                previous = now;
                reads++;
            }
            writer.join(10_000);
            assertEquals(samples, r.recorded(), "every sample survives " + reads + " concurrent reads");
            assertEquals(2023, r.summary().maxNanos());
        }
    }
}
