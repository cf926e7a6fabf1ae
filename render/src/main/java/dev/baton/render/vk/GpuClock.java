package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.EXTCalibratedTimestamps.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.VkResults;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * Maps one device's timestamp ticks to the host's {@link System#nanoTime()} clock (CLOCK_MONOTONIC on
 * Linux): {@code hostNanos = ticks * nanosPerTick + offsetNanos}.
 *
 * <p>Two ways, chosen by {@link #calibrate}: with {@value #EXTENSION} enabled on the device and a
 * CLOCK_MONOTONIC domain offered, a pair of calibrated timestamps (the sample with the smallest
 * {@code maxDeviation} of several); otherwise by bracketing: submit a command buffer that only writes a
 * timestamp, note the host time before the submit and after its completion, and take the midpoint of
 * the tightest of several brackets. {@link #uncertaintyNanos()} says how far off the mapping may be.
 *
 * <p>Immutable once made; {@link #calibrate} runs on the device's thread and waits (setup only).
 */
public final class GpuClock {
    /** The device extension for calibrated timestamps; enable it with {@code DeviceContext.Builder#preferExtension}. */
    public static final String EXTENSION = "VK_EXT_calibrated_timestamps";
    private static final int SAMPLES = 25;

    private final float nanosPerTick; // VkPhysicalDeviceLimits::timestampPeriod, exactly as the driver reports it
    private final long offsetNanos;
    private final long uncertaintyNanos;
    private final String method;

    private GpuClock(float nanosPerTick, long offsetNanos, long uncertaintyNanos, String method) {
        this.nanosPerTick = nanosPerTick;
        this.offsetNanos = offsetNanos;
        this.uncertaintyNanos = uncertaintyNanos;
        this.method = method;
    }

    /**
     * Calibrates {@code device}'s timestamps against the host clock. Submits and waits (up to
     * {@code timeoutNanos} per bracket) when the extension is missing.
     *
     * @param device the device whose timestamps are mapped
     * @param timeoutNanos the most to wait for each bracketing submit, in nanoseconds
     * @return the mapping
     * @throws IllegalStateException if a bracketing submit does not complete in time
     * @throws InterruptedException if interrupted while waiting for a submit
     */
    public static GpuClock calibrate(DeviceContext device, long timeoutNanos) throws InterruptedException {
        float period;
        try (MemoryStack stack = stackPush()) {
            VkPhysicalDeviceProperties props = VkPhysicalDeviceProperties.malloc(stack);
            vkGetPhysicalDeviceProperties(device.vkDevice().getPhysicalDevice(), props);
            period = props.limits().timestampPeriod();
        }
        if (device.hasExtension(EXTENSION) && offersMonotonic(device)) {
            return calibrated(device, period);
        }
        return bracketed(device, period, timeoutNanos);
    }

    private static boolean offersMonotonic(DeviceContext device) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            VkPhysicalDevice pd = device.vkDevice().getPhysicalDevice();
            VkResults.check(vkGetPhysicalDeviceCalibrateableTimeDomainsEXT(pd, count, null), "vkGetPhysicalDeviceCalibrateableTimeDomainsEXT");
            IntBuffer domains = stack.mallocInt(count.get(0));
            VkResults.check(vkGetPhysicalDeviceCalibrateableTimeDomainsEXT(pd, count, domains), "vkGetPhysicalDeviceCalibrateableTimeDomainsEXT");
            boolean deviceDomain = false;
            boolean monotonic = false;
            for (int i = 0; i < count.get(0); i++) {
                deviceDomain |= domains.get(i) == VK_TIME_DOMAIN_DEVICE_EXT;
                monotonic |= domains.get(i) == VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT;
            }
            return deviceDomain && monotonic;
        }
    }

    private static GpuClock calibrated(DeviceContext device, float period) {
        try (MemoryStack stack = stackPush()) {
            VkCalibratedTimestampInfoEXT.Buffer infos = VkCalibratedTimestampInfoEXT.calloc(2, stack);
            infos.get(0).sType$Default().timeDomain(VK_TIME_DOMAIN_DEVICE_EXT);
            infos.get(1).sType$Default().timeDomain(VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT);
            LongBuffer stamps = stack.mallocLong(2);
            LongBuffer deviation = stack.mallocLong(1);
            long bestDeviation = Long.MAX_VALUE;
            long bestOffset = 0;
            for (int i = 0; i < SAMPLES; i++) {
                VkResults.check(vkGetCalibratedTimestampsEXT(device.vkDevice(), infos, stamps, deviation),
                        "vkGetCalibratedTimestampsEXT on " + device.name());
                if (Long.compareUnsigned(deviation.get(0), bestDeviation) < 0) {
                    bestDeviation = deviation.get(0);
                    bestOffset = stamps.get(1) - ticksToNanos(stamps.get(0), period);
                }
            }
            return new GpuClock(period, bestOffset, bestDeviation, EXTENSION + " (DEVICE vs CLOCK_MONOTONIC, max deviation "
                    + bestDeviation + " ns)");
        }
    }

    private static GpuClock bracketed(DeviceContext device, float period, long timeoutNanos) throws InterruptedException {
        long pool;
        try (MemoryStack stack = stackPush()) {
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateQueryPool(device.vkDevice(), VkQueryPoolCreateInfo.calloc(stack).sType$Default()
                    .queryType(VK_QUERY_TYPE_TIMESTAMP).queryCount(1), null, p), "vkCreateQueryPool on " + device.name());
            pool = p.get(0);
        }
        VkCommandBuffer cmd = device.allocateCommandBuffer();
        VulkanTimeline done = null;
        try {
            Commands.begin(cmd, 0);
            vkCmdResetQueryPool(cmd, pool, 0, 1);
            vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, pool, 0);
            Commands.end(cmd);
            done = VulkanTimeline.create(device, device.name() + "/clock", 0, false);
            long bestWidth = Long.MAX_VALUE;
            long bestOffset = 0;
            for (int i = 1; i <= SAMPLES; i++) {
                long before = System.nanoTime();
                device.submit(cmd, done, i);
                if (!done.awaitValue(i, timeoutNanos)) {
                    throw new IllegalStateException(device.name() + ": a timestamp-only submit did not complete in "
                            + timeoutNanos / 1_000_000 + " ms while calibrating its clock");
                }
                long after = System.nanoTime();
                long ticks;
                try (MemoryStack stack = stackPush()) {
                    LongBuffer value = stack.mallocLong(1);
                    VkResults.check(vkGetQueryPoolResults(device.vkDevice(), pool, 0, 1, value, 8,
                            VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT), "vkGetQueryPoolResults on " + device.name());
                    ticks = value.get(0);
                }
                if (after - before < bestWidth) {
                    bestWidth = after - before;
                    bestOffset = before + bestWidth / 2 - ticksToNanos(ticks, period);
                }
            }
            return new GpuClock(period, bestOffset, bestWidth / 2, "bracketed: a timestamp-only submit between host clock reads "
                    + "(no " + EXTENSION + "; tightest bracket of " + SAMPLES + " is " + bestWidth / 1000 + " us wide)");
        } finally {
            if (done != null) {
                done.close();
            }
            device.freeCommandBuffer(cmd);
            vkDestroyQueryPool(device.vkDevice(), pool, null);
        }
    }

    /**
     * The host time ({@link System#nanoTime()} scale) of a device timestamp.
     *
     * @param ticks a raw device timestamp
     * @return the host time in nanoseconds
     */
    public long hostNanos(long ticks) {
        return ticksToNanos(ticks, nanosPerTick) + offsetNanos;
    }

    /**
     * {@code ticks * period} rounded to the nearest nanosecond, exactly. Ticks are unsigned 64-bit;
     * hardware counters run from boot or the epoch (about 1e18 ns), where a double has a spacing of
     * 128 ns, so the product is formed in 128-bit integer arithmetic from the float's exact value
     * {@code mantissa * 2^exponent}. Results past {@code Long.MAX_VALUE} ns (292 years) saturate.
     */
    static long ticksToNanos(long ticks, float period) {
        if (!(period > 0) || Float.isInfinite(period)) {
            throw new IllegalArgumentException("timestampPeriod must be a positive finite number of nanoseconds, got " + period);
        }
        int bits = Float.floatToRawIntBits(period);
        int biased = (bits >>> 23) & 0xff;
        long mantissa = biased == 0 ? (bits & 0x7fffff) : ((bits & 0x7fffff) | 0x800000);
        int exponent = (biased == 0 ? 1 : biased) - 127 - 23; // period == mantissa * 2^exponent exactly
        long lo = ticks * mantissa;
        long hi = Math.multiplyHigh(ticks, mantissa) + ((ticks >> 63) & mantissa); // unsigned 128-bit product
        if (exponent >= 0) {
            if (hi != 0 || lo < 0 || exponent >= 63 || (lo >>> (63 - exponent)) != 0) {
                return Long.MAX_VALUE;
            }
            return lo << exponent;
        }
        int shift = -exponent; // 1..149: round half up at bit (shift - 1)
        if (shift >= 128) {
            return 0;
        }
        long roundedLo;
        long roundedHi;
        if (shift <= 64) {
            long half = 1L << (shift - 1);
            roundedLo = lo + half;
            roundedHi = hi + (Long.compareUnsigned(roundedLo, lo) < 0 ? 1 : 0);
        } else {
            roundedLo = lo;
            roundedHi = hi + (1L << (shift - 65));
        }
        long resultHi;
        long resultLo;
        if (shift < 64) {
            resultLo = (roundedLo >>> shift) | (roundedHi << (64 - shift));
            resultHi = roundedHi >>> shift;
        } else {
            resultLo = roundedHi >>> (shift - 64);
            resultHi = 0;
        }
        return resultHi != 0 || resultLo < 0 ? Long.MAX_VALUE : resultLo;
    }

    /** {@return how far {@link #hostNanos} may be off (the calibration's max deviation or half the bracket)} */
    public long uncertaintyNanos() {
        return uncertaintyNanos;
    }

    /** {@return how the mapping was obtained, in a sentence for reports} */
    public String method() {
        return method;
    }

    /** {@return the device's timestamp period (nanoseconds per tick) as the driver reports it} */
    public double nanosPerTick() {
        return nanosPerTick;
    }
}
