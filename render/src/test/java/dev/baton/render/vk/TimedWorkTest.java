package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Timestamped prerecorded work, host-clock mapping of device timestamps, and raw (surface-less) submits. */
class TimedWorkTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;

    private DeviceContext timedDevice(PhysicalDeviceInfo d, String name) {
        return own(DeviceContext.builder(instance).physicalDeviceIndex(d.index()).name(name).preferExtension(GpuClock.EXTENSION).build());
    }

    /**
     * On every device: with {@value GpuClock#EXTENSION} its timestamps are calibrated against
     * CLOCK_MONOTONIC (lavapipe here), without it they are bracketed between host clock reads (SwiftShader).
     */
    @TestFactory
    Stream<DynamicTest> timestampsMapToTheHostClock() {
        return perDevice("GPU clock", this::rejection, d -> {
            DeviceContext device = timedDevice(d, DeviceSelector.label(d));
            GpuClock clock = GpuClock.calibrate(device, SECOND_NANOS);
            if (d.extensions().contains(GpuClock.EXTENSION)) {
                assertTrue(clock.method().contains(GpuClock.EXTENSION), clock.method());
            } else {
                assertTrue(clock.method().startsWith("bracketed"), clock.method());
            }
            checkWorkFallsBetweenHostReads(device, clock);
        });
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

    @TestFactory
    Stream<DynamicTest> binaryLinkOrdersTwoDevicesWithoutASurface() {
        return perDevice("binary link", d -> whyNotSameDevice(d, SyncTier.BINARY_SEMAPHORE), this::binaryLinkOrdersTwoDevicesWithoutASurface);
    }

    private void binaryLinkOrdersTwoDevicesWithoutASurface(PhysicalDeviceInfo d) throws Exception {
        DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
        DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
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
