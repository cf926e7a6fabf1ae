package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Tick-to-nanosecond conversion in integer arithmetic, against exact decimal arithmetic. No GPU. */
class GpuClockTest {
    /** Periods drivers report: 1 ns (Mesa, many), NVIDIA-like 1, AMD-like 10 and 40, Intel-like 83.333, 52.083. */
    private static final float[] PERIODS = {1.0f, 83.333336f, 52.083332f, 10.0f, 40.0f, 38.46154f, 0.5f, 1.0e-3f, 3.0f};

    private static long exact(long ticks, float period) {
        BigDecimal product = new BigDecimal(new BigInteger(Long.toUnsignedString(ticks))).multiply(new BigDecimal(period));
        BigInteger rounded = product.setScale(0, RoundingMode.HALF_UP).toBigIntegerExact();
        return rounded.bitLength() > 63 ? Long.MAX_VALUE : rounded.longValueExact();
    }

    @Test
    void matchesExactArithmeticNearBootAndEpochScaleCounters() {
        SplittableRandom random = new SplittableRandom(42);
        for (float period : PERIODS) {
            long maxTicks = (long) (Long.MAX_VALUE / (double) period / 2);
            for (int i = 0; i < 20_000; i++) {
                long ticks = i < 100 ? maxTicks - i : random.nextLong(maxTicks);
                assertEquals(exact(ticks, period), GpuClock.ticksToNanos(ticks, period), () -> "ticks " + ticks + " period " + period);
            }
            assertEquals(0, GpuClock.ticksToNanos(0, period));
        }
    }

    @Test
    void doubleArithmeticWouldLoseNanosecondsWhereIntegersDoNot() {
        // The old conversion, Math.round(ticks * (double) period): at 1e18 ns a double's spacing is 128 ns.
        long ticks = 1_000_000_000_000_000_063L;
        assertNotEquals(ticks, Math.round(ticks * (double) 1.0f), "this input must show the double rounding error");
        assertEquals(ticks, GpuClock.ticksToNanos(ticks, 1.0f));
        long intelTicks = 12_000_000_000_000_001L; // 83.333 ns ticks: a product near 1e18
        assertEquals(exact(intelTicks, 83.333336f), GpuClock.ticksToNanos(intelTicks, 83.333336f));
        assertNotEquals(exact(intelTicks, 83.333336f), Math.round(intelTicks * (double) 83.333336f));
    }

    @Test
    void saturatesInsteadOfWrappingAndRefusesNonsensePeriods() {
        assertEquals(Long.MAX_VALUE, GpuClock.ticksToNanos(-1L, 1.0f)); // 2^64 - 1 unsigned ticks
        assertEquals(Long.MAX_VALUE, GpuClock.ticksToNanos(Long.MAX_VALUE, 2.0f));
        assertThrows(IllegalArgumentException.class, () -> GpuClock.ticksToNanos(1, 0f));
        assertThrows(IllegalArgumentException.class, () -> GpuClock.ticksToNanos(1, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> GpuClock.ticksToNanos(1, Float.POSITIVE_INFINITY));
    }
}
