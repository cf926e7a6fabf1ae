package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the drivers on this machine report and do, pinned down so a driver change shows up here. */
class DriverFactsTest extends GpuTest {
    // This test is about these two drivers by design (it pins what each reports); every other GPU test
    // picks its devices by capability.
    static final String LAVAPIPE = "llvmpipe";
    static final String SWIFTSHADER = "SwiftShader";

    /** A device on the first physical device whose name contains {@code driver}; skipped when it is missing. */
    private DeviceContext device(String driver, String participantName) {
        boolean present = instance.physicalDevices().stream().anyMatch(d -> d.name().contains(driver) || d.driverName().contains(driver));
        requireOrSkip(present, driver, driver.equals(SWIFTSHADER)
                ? "chromium-common (SwiftShader's ICD is /usr/lib/chromium/vk_swiftshader_icd.json; run through ./baton test)"
                : "mesa-vulkan-drivers");
        return own(DeviceContext.builder(instance).deviceNameContains(driver).name(participantName).requireMemorySharing().build());
    }
    @Test
    void capabilitiesAndPairTiers() {
        device(LAVAPIPE, "probe-lvp").close();
        device(SWIFTSHADER, "probe-sws").close();
        PhysicalDeviceInfo lvp = find(LAVAPIPE);
        PhysicalDeviceInfo sws = find(SWIFTSHADER);
        instance.physicalDevices().forEach(p -> System.out.println(p.summary()));
        instance.interopReport().forEach(r -> System.out.println(r.a().index() + "-" + r.b().index() + ": " + r.choice()));
        assertTrue(lvp.memoryExport() && lvp.memoryImport(), lvp.summary());
        assertFalse(lvp.binarySemaphoreExport() || lvp.timelineSemaphoreExport(), lvp.summary());
        assertTrue(sws.memoryExport() && sws.memoryImport() && sws.binarySemaphoreExport() && sws.binarySemaphoreImport(), sws.summary());
        assertFalse(sws.timelineSemaphoreExport(), sws.summary());
        for (VulkanInstance.PairTier row : instance.interopReport()) {
            boolean lvpA = row.a().name().contains(LAVAPIPE);
            boolean lvpB = row.b().name().contains(LAVAPIPE);
            boolean swsA = row.a().name().contains(SWIFTSHADER);
            boolean swsB = row.b().name().contains(SWIFTSHADER);
            if (lvpA && lvpB) {
                assertEquals(SyncTier.HOST_BRIDGE, row.choice().tier(), row.choice().reason());
            } else if (swsA && swsB) {
                assertEquals(SyncTier.BINARY_SEMAPHORE, row.choice().tier(), row.choice().reason());
            } else if ((lvpA && swsB) || (swsA && lvpB)) {
                assertEquals(SyncTier.HOST_COPY, row.choice().tier(), row.choice().reason());
            }
        }
    }

    @Test
    void builderSaysWhyEveryDeviceWasRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DeviceContext.builder(instance).deviceNameContains("no-such-gpu").build());
        for (PhysicalDeviceInfo d : instance.physicalDevices()) {
            assertTrue(e.getMessage().contains(d.name() + ": name does not contain 'no-such-gpu'"), e.getMessage());
        }
    }

    /** The host-bridge tier depends on this: a submit may wait for a value only the host signals later. */
    @Test
    void lavapipeHonoursWaitBeforeSignal() throws Exception {
        DeviceContext d = device(LAVAPIPE, "lvp");
        VulkanTimeline gate = own(VulkanTimeline.create(d, "gate", 0, false));
        VulkanTimeline done = own(VulkanTimeline.create(d, "done", 0, false));
        org.lwjgl.vulkan.VkCommandBuffer cmd = d.allocateCommandBuffer();
        Commands.begin(cmd, 0);
        Commands.end(cmd);
        long start = System.nanoTime();
        d.beginBatch();
        d.addWait(gate.handle(), 1, org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        d.addCommandBuffer(cmd);
        d.addSignal(done.handle(), 1);
        d.flushBatch();
        long submitMicros = (System.nanoTime() - start) / 1000;
        assertTrue(submitMicros < 100_000, "vkQueueSubmit2 blocked " + submitMicros + " us on an unsignalled wait");
        assertFalse(done.awaitValue(1, 100_000_000L), "work ran before its wait was signalled");
        gate.signalFromHost(1);
        assertTrue(done.awaitValue(1, 5 * SECOND_NANOS), "work never ran after the host signal");
        d.freeCommandBuffer(cmd);
    }

    private PhysicalDeviceInfo find(String driver) {
        List<PhysicalDeviceInfo> all = instance.physicalDevices();
        return all.stream().filter(p -> p.name().contains(driver)).findFirst().orElseThrow();
    }
}
