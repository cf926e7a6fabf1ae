package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.HandoffSync;
import dev.baton.render.SyncTier;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Issue 9 defect 6: a driver that reports OPAQUE_FD timelines exportable and then fails to create one
 * (seen on AMD, Vulkan-ValidationLayers #5947) must not fail the surface: it falls back to the next
 * tier and says so in its tier reason. Simulated by {@link SharedTimelineSync#simulateBrokenExportForTest},
 * which makes every device advertise exportable timelines and the exportable creation throw; the
 * surface then hands frames over with pixel checks on the tier it fell back to.
 */
class TimelineExportFallbackTest extends GpuTest {
    static final int W = 48;
    static final int H = 32;

    @AfterEach
    void stopSimulating() {
        SharedTimelineSync.simulateBrokenExportForTest = false;
    }

    /** The simulation needs a device that shares semaphores at all (it pretends only the timeline part). */
    private String whyNot(PhysicalDeviceInfo d) {
        String rejected = rejection(d);
        if (rejected != null) {
            return rejected;
        }
        return d.extensions().contains(DeviceContext.EXTERNAL_SEMAPHORE_FD) ? null
                : "it lacks " + DeviceContext.EXTERNAL_SEMAPHORE_FD + ", so no semaphore tier can be simulated on it";
    }

    @TestFactory
    Stream<DynamicTest> fallsBackToTheNextTier() {
        return perDevice("broken timeline export", this::whyNot, d -> {
            DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
            DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
            SharedTimelineSync.simulateBrokenExportForTest = true;
            assertEquals(SyncTier.SHARED_TIMELINE, dev.baton.render.SyncTierSelector.choose(
                    List.of(SharedSurface.capabilitiesOf(a), SharedSurface.capabilitiesOf(b)), null).tier(),
                    "the simulated driver advertises exportable timelines, so the selector picks them first");
            SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(a, b), SharedSurface.Options.defaults()));
            SharedTimelineSync.simulateBrokenExportForTest = false;
            System.out.println(name(d) + ": " + surface.tier() + " (" + surface.tierReason() + ")");
            assertNotEquals(HandoffSync.SHARED_TIMELINE, surface.handoffSync());
            assertEquals(SyncTier.SHARED_TIMELINE.memory(), surface.memorySharing(), "the memory choice stays");
            assertTrue(surface.tierReason().contains("exportable timeline") && surface.tierReason().contains(surface.tier().toString()),
                    surface.tierReason());
            assertTrue(!surface.feasibleTiers().contains(SyncTier.SHARED_TIMELINE), "a tier switch must not offer the broken tier again");
            TestPattern pa = own(new TestPattern(a, W, H));
            TestPattern pb = own(new TestPattern(b, W, H));
            assertEquals(-1, turn(surface.endpoint(0), pa, 0, 1, 1));
            for (int frame = 2; frame <= 12; frame += 2) {
                assertEquals(frame - 1, turn(surface.endpoint(1), pb, 1, 0, frame));
                assertEquals(frame, turn(surface.endpoint(0), pa, 0, 1, frame + 1));
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> aForcedSharedTimelineFailsClearly() {
        return perDevice("broken timeline export, forced", this::whyNot, d -> {
            DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
            DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
            SharedTimelineSync.simulateBrokenExportForTest = true;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedSurface.create("s", W, H, List.of(a, b),
                    SharedSurface.Options.defaults().withTier(SyncTier.SHARED_TIMELINE.id())));
            assertTrue(e.getMessage().contains("drop the override"), e.getMessage());
        });
    }
}
