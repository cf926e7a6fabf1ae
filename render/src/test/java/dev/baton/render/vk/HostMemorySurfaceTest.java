package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link HostMemorySurface#importMemfdForTransfers}: two devices import one sealed memfd (as the
 * broker allocates it) as linear transfer images; what one device clears, the other reads back from
 * the same pages, with nothing copied, under the validation layer.
 */
class HostMemorySurfaceTest extends GpuTest {
    static final int W = 64;
    static final int H = 32;

    @Test
    void whatOneDeviceClearsTheOtherReadsFromTheSamePages() throws Exception {
        PhysicalDeviceInfo d = null;
        for (PhysicalDeviceInfo p : devices()) {
            if (p.hostMemoryImport() && rejection(p) == null) {
                d = p;
                break;
            }
        }
        requireOrSkip(d != null, "a Vulkan device that imports host memory (VK_EXT_external_memory_host)", "mesa-vulkan-drivers (lavapipe)");
        DeviceContext a = device(d, "transfer#a");
        DeviceContext b = device(d, "transfer#b");
        Assumptions.assumeTrue(a.hasExtension(DeviceContext.EXTERNAL_MEMORY_HOST), "skipped: " + a.name() + " lacks VK_EXT_external_memory_host");
        long bytes = ((long) W * H * 4 + 4095) / 4096 * 4096;
        SealedMemfd file = own(SealedMemfd.create("transfer", bytes));
        HostMemorySurface sa = own(HostMemorySurface.importMemfdForTransfers(a, file.fd(), bytes, W, H));
        HostMemorySurface sb = own(HostMemorySurface.importMemfdForTransfers(b, file.fd(), bytes, W, H));
        assertTrue(sa.direct() && sb.direct(), "a transfer image lives in the pages themselves");
        assertEquals(0, sa.copiedBytesPerFrame());
        TimedWork.initializeImage(a, sa.image().handle(), true);
        TimedWork.initializeImage(b, sb.image().handle(), true);
        TimedWork clear = own(TimedWork.create(a, sa.image().handle(), W, H, TimedWork.Kind.CLEAR, 1, true));
        TimedWork read = own(TimedWork.create(b, sb.image().handle(), W, H, TimedWork.Kind.READ, 1, true));
        VulkanTimeline ta = own(VulkanTimeline.create(a, "transfer#a/timeline", 0, false));
        VulkanTimeline tb = own(VulkanTimeline.create(b, "transfer#b/timeline", 0, false));
        ByteBuffer corner = read.hostBuffer().mapped();
        // Before any clear, the pages are the memfd's zeros.
        b.submit(read.commandBuffer(0), tb, 1);
        assertTrue(tb.awaitValue(1, 10_000_000_000L));
        assertEquals(0, corner.get(0), "a fresh memfd reads as zeros");
        a.submit(clear.commandBuffer(0), ta, 1);
        assertTrue(ta.awaitValue(1, 10_000_000_000L));
        b.submit(read.commandBuffer(0), tb, 2);
        assertTrue(tb.awaitValue(2, 10_000_000_000L));
        int[] expected = {64, 128, 191, 255}; // TimedWork's clear colour (0.25, 0.5, 0.75, 1) in RGBA8, +-1 for rounding
        for (int i = 0; i < TimedWork.READ_SIDE_PIXELS * TimedWork.READ_SIDE_PIXELS * 4; i++) {
            int got = Byte.toUnsignedInt(corner.get(i));
            assertTrue(Math.abs(got - expected[i % 4]) <= 1, "byte " + i + " of the corner device b read: " + got + ", expected " + expected[i % 4]);
        }
    }
}
