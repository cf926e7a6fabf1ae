package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Timestamped prerecorded work, host-clock mapping of device timestamps, and raw (surface-less) submits. */
class TimedWorkTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;

    private DeviceContext timedDevice(String driver, String name) {
        device(driver, name + "-probe").close(); // skips/fails with the package name when the driver is missing
        return own(DeviceContext.builder(instance).deviceNameContains(driver).name(name).preferExtension(GpuClock.EXTENSION).build());
    }

    @Test
    void lavapipeTimestampsMapToTheHostClockThroughCalibration() throws Exception {
        DeviceContext d = timedDevice(LAVAPIPE, "lavapipe");
        GpuClock clock = GpuClock.calibrate(d, SECOND_NANOS);
        assertTrue(clock.method().contains(GpuClock.EXTENSION), clock.method());
        checkWorkFallsBetweenHostReads(d, clock);
    }

    @Test
    void swiftShaderTimestampsMapToTheHostClockByBracketing() throws Exception {
        DeviceContext d = timedDevice(SWIFTSHADER, "swiftshader");
        GpuClock clock = GpuClock.calibrate(d, SECOND_NANOS);
        assertTrue(clock.method().startsWith("bracketed"), clock.method());
        checkWorkFallsBetweenHostReads(d, clock);
    }

    private void checkWorkFallsBetweenHostReads(DeviceContext d, GpuClock clock) throws Exception {
        SurfaceImage image = own(SurfaceImage.createPrivate(d, W, H));
        TimedWork.initializeImage(d, image.handle(), false);
        TimedWork clear = own(TimedWork.create(d, image.handle(), W, H, TimedWork.Kind.CLEAR, 2, false));
        TimedWork read = own(TimedWork.create(d, image.handle(), W, H, TimedWork.Kind.READ, 2, false));
        VulkanTimeline done = own(VulkanTimeline.create(d, "done", 0, false));
        RawSubmission submit = new RawSubmission(d);
        long before = System.nanoTime();
        submit.begin().commandBuffer(clear.commandBuffer(1)).signalTimeline(done, 1).submit();
        submit.begin().waitTimeline(done, 1).commandBuffer(read.commandBuffer(0)).signalTimeline(done, 2).submit();
        assertTrue(done.awaitValue(2, 5 * SECOND_NANOS), "timed work did not complete in 5 s");
        long after = System.nanoTime();
        long slack = clock.uncertaintyNanos() + 50_000; // conversion rounding and clock-read jitter
        long clearStart = clock.hostNanos(clear.startTicks(1));
        long clearEnd = clock.hostNanos(clear.endTicks(1));
        long readStart = clock.hostNanos(read.startTicks(0));
        long readEnd = clock.hostNanos(read.endTicks(0));
        assertTrue(clearStart <= clearEnd && clearEnd <= readStart && readStart <= readEnd,
                "timestamps out of order: " + clearStart + " " + clearEnd + " " + readStart + " " + readEnd);
        assertTrue(clearStart >= before - slack && readEnd <= after + slack,
                "device times [" + (clearStart - before) + ", " + (readEnd - before) + "] ns not within the host window [0, "
                        + (after - before) + "] ns (" + clock.method() + ")");
        // The read copied the cleared colour (0.25, 0.5, 0.75, 1.0 as UNORM bytes).
        int pixel = read.hostBuffer().mapped().order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0);
        assertEquals(0xFFBF8040, pixel, () -> String.format("read back 0x%08x", pixel));
    }

    @Test
    void binaryLinkOrdersTwoSwiftShaderDevicesWithoutASurface() throws Exception {
        DeviceContext a = device(SWIFTSHADER, "swiftshader#a");
        DeviceContext b = device(SWIFTSHADER, "swiftshader#b");
        BinarySemaphoreLink link = own(BinarySemaphoreLink.create(a, b));
        VulkanTimeline gate = own(VulkanTimeline.create(a, "gate", 0, false));
        VulkanTimeline aDone = own(VulkanTimeline.create(a, "a", 0, false));
        VulkanTimeline bDone = own(VulkanTimeline.create(b, "b", 0, false));
        SurfaceImage ia = own(SurfaceImage.createPrivate(a, W, H));
        SurfaceImage ib = own(SurfaceImage.createPrivate(b, W, H));
        TimedWork.initializeImage(a, ia.handle(), false);
        TimedWork.initializeImage(b, ib.handle(), false);
        TimedWork wa = own(TimedWork.create(a, ia.handle(), W, H, TimedWork.Kind.CLEAR, 1, false));
        TimedWork wb = own(TimedWork.create(b, ib.handle(), W, H, TimedWork.Kind.READ, 1, false));
        new RawSubmission(a).begin().waitTimeline(gate, 1).commandBuffer(wa.commandBuffer(0))
                .signalTimeline(aDone, 1).signalBinary(link.signalSide()).submit();
        new RawSubmission(b).begin().waitBinary(link.waitSide()).commandBuffer(wb.commandBuffer(0)).signalTimeline(bDone, 1).submit();
        assertFalse(bDone.awaitValue(1, 200_000_000L), "b ran before a's gated work");
        gate.signalFromHost(1);
        assertTrue(bDone.awaitValue(1, 5 * SECOND_NANOS), "b never ran after a's work");
        assertTrue(aDone.awaitValue(1, 0));
    }
}
