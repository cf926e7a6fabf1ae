package dev.baton.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTier;
import dev.baton.render.vk.PhysicalDeviceInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.lwjgl.vulkan.VK10;
import org.lwjgl.vulkan.VK12;

/** The bench's scenarios come from what each device reports, not from its name: checked on descriptions alone. */
class BenchPlanTest {
    private static final int CPU = VK10.VK_PHYSICAL_DEVICE_TYPE_CPU;
    private static final int DISCRETE = VK10.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
    private static final int SWIFTSHADER = VK12.VK_DRIVER_ID_GOOGLE_SWIFTSHADER;
    private static final int LLVMPIPE = VK12.VK_DRIVER_ID_MESA_LLVMPIPE;
    private static final int NVIDIA = VK12.VK_DRIVER_ID_NVIDIA_PROPRIETARY;

    /** A device sharing memory, with binary and/or timeline semaphores exportable as asked. */
    static PhysicalDeviceInfo device(int index, String name, int type, int driverId, String uuid, boolean binary, boolean timeline) {
        return new PhysicalDeviceInfo(index, name, type, name + " driver", "1.0", driverId, (1 << 22) | (3 << 12), uuid, uuid, Set.of(),
                true, true, false, binary, binary, timeline, timeline, false, false, false);
    }

    /** {@code d}, also importing host memory for a linear RGBA8 image (VK_EXT_external_memory_host), as lavapipe does. */
    static PhysicalDeviceInfo importingHostMemory(PhysicalDeviceInfo d) {
        return new PhysicalDeviceInfo(d.index(), d.name(), d.deviceType(), d.driverName(), d.driverInfo(), d.driverId(), d.apiVersion(),
                d.driverUuidHex(), d.deviceUuidHex(), d.extensions(), d.memoryExport(), d.memoryImport(), d.memoryDedicatedOnly(),
                d.binarySemaphoreExport(), d.binarySemaphoreImport(), d.timelineSemaphoreExport(), d.timelineSemaphoreImport(),
                d.dmaBufExport(), d.dmaBufImport(), d.dmaBufDedicatedOnly(), true, d.driverVersion());
    }

    static final PhysicalDeviceInfo SWS = device(0, "SwiftShader Device (Subzero)", CPU, SWIFTSHADER, "aa", true, false);
    static final PhysicalDeviceInfo LVP = importingHostMemory(device(1, "llvmpipe (LLVM 15.0.6, 256 bits)", CPU, LLVMPIPE, "bb", false, false));
    static final InteropCapabilities GL_ON_LVP = InteropCapabilities.forGl("GL llvmpipe", "bb", "bb", true);

    @Test
    void thisMachineGivesTodaysScenariosByCapability() {
        BenchPlan plan = BenchPlan.of(List.of(SWS, LVP), Arrays.asList(null, null), null, GL_ON_LVP);
        // The device GL runs on is the primary one (the demo's default), though it enumerates second.
        assertEquals(List.of(LVP, SWS), plan.devices.stream().map(BenchPlan.Device::info).toList());
        assertEquals(List.of(SyncTier.HOST_BRIDGE), plan.devices.get(0).tiers());
        assertEquals(List.of(SyncTier.BINARY_SEMAPHORE, SyncTier.HOST_BRIDGE), plan.devices.get(1).tiers());
        assertEquals(1, plan.crosses.size());
        assertEquals(SyncTier.HOST_COPY, plan.crosses.get(0).tier());
        assertTrue(plan.excluded.isEmpty(), plan.excluded.toString());
        // Host memory: lavapipe's two VkDevices import it, SwiftShader's do not (so the cross pair copies).
        assertEquals(List.of(LVP), plan.hostMemory.stream().map(BenchPlan.Device::info).toList());
        assertTrue(plan.notRun.contains("host-memory ping-pong on vk0 SwiftShader x2: SwiftShader Device (Subzero) does not import"
                + " host memory for a linear RGBA8 image (VK_EXT_external_memory_host)"), plan.notRun.toString());
        assertTrue(plan.notRun.stream().anyMatch(n -> n.startsWith("host-memory vk1 lavapipe<->vk0 SwiftShader: the selector copies instead")
                && n.contains("cannot import host memory")), plan.notRun.toString());
        // Vulkan -> GL on both: lavapipe shares memory with GL llvmpipe (same UUIDs, host bridge), SwiftShader copies.
        assertEquals(List.of(LVP, SWS), plan.glPairs.stream().map(g -> g.device().info()).toList());
        assertEquals(List.of(SyncTier.HOST_BRIDGE, SyncTier.HOST_COPY), plan.glPairs.stream().map(BenchPlan.GlPair::tier).toList());
        assertEquals(2, plan.notRun.size(), plan.notRun.toString());
    }

    @Test
    void twoDifferentDriversThatBothImportHostMemoryShareItAcrossDevices() {
        PhysicalDeviceInfo sws = importingHostMemory(SWS);
        BenchPlan plan = BenchPlan.of(List.of(sws, LVP), Arrays.asList(null, null), null, GL_ON_LVP);
        assertEquals(SyncTier.HOST_MEMORY, plan.crosses.get(0).tier(), plan.crosses.get(0).reason());
        assertEquals(2, plan.hostMemory.size(), "both drivers' own pairs too");
        assertTrue(plan.notRun.isEmpty(), plan.notRun.toString());
    }

    @Test
    void withoutAGlRendererTheGlPairsAreListedWithTheReason() {
        BenchPlan plan = BenchPlan.of(List.of(SWS, LVP), Arrays.asList(null, null), null, null, d -> null, d -> "no GL renderer (libEGL missing)");
        assertTrue(plan.glPairs.isEmpty());
        assertTrue(plan.notRun.contains("Vulkan -> GL pair vk1 lavapipe: no GL renderer (libEGL missing)"), plan.notRun.toString());
        assertTrue(plan.notRun.contains("Vulkan -> GL pair vk0 SwiftShader: no GL renderer (libEGL missing)"), plan.notRun.toString());
    }

    @Test
    void eachDeviceIsPairedWithTheGlRendererReachableForIt() {
        InteropCapabilities glOnSws = InteropCapabilities.forGl("GL swiftshader-gl", "aa", "aa", true);
        BenchPlan plan = BenchPlan.of(List.of(SWS, LVP), Arrays.asList(null, null), null, GL_ON_LVP,
                d -> d.equals(SWS) ? glOnSws : GL_ON_LVP, d -> "unused");
        assertEquals(List.of(SyncTier.HOST_BRIDGE, SyncTier.HOST_BRIDGE), plan.glPairs.stream().map(BenchPlan.GlPair::tier).toList(),
                "each device shares memory with the GL on its own UUIDs");
        assertEquals(glOnSws, plan.glPairs.get(1).gl());
    }

    @Test
    void aHardwareDeviceComesFirstWithEveryTierItOffers() {
        PhysicalDeviceInfo gpu = device(2, "NVIDIA GeForce RTX 4090", DISCRETE, NVIDIA, "cc", true, true);
        BenchPlan plan = BenchPlan.of(List.of(SWS, LVP, gpu), Arrays.asList(null, null, null), null, GL_ON_LVP);
        assertEquals(gpu, plan.primary().info());
        assertEquals(List.of(SyncTier.SHARED_TIMELINE, SyncTier.BINARY_SEMAPHORE, SyncTier.HOST_BRIDGE), plan.primary().tiers());
        assertEquals(3, plan.crosses.size(), "every pair of different devices");
    }

    @Test
    void deviceNamesLimitTheRunAndTheOthersAreListedWithTheReason() {
        BenchPlan plan = BenchPlan.of(List.of(SWS, LVP), Arrays.asList(null, "no timelineSemaphore feature"), "vk0", null);
        assertEquals(List.of(SWS), plan.devices.stream().map(BenchPlan.Device::info).toList());
        assertEquals(List.of("vk1 lavapipe (llvmpipe (LLVM 15.0.6, 256 bits)): not named by --device"), plan.excluded);
        BenchPlan rejected = BenchPlan.of(List.of(SWS, LVP), Arrays.asList(null, "no timelineSemaphore feature"), null, null);
        assertEquals(List.of("vk1 lavapipe (llvmpipe (LLVM 15.0.6, 256 bits)): no timelineSemaphore feature"), rejected.excluded);
        assertThrows(IllegalArgumentException.class, () -> BenchPlan.of(List.of(SWS, LVP), Arrays.asList(null, null), "e", null));
    }

    @Test
    void withOneDriverItBenchesThatOne() {
        BenchPlan sws = BenchPlan.of(List.of(SWS), Arrays.asList((String) null), null, GL_ON_LVP);
        assertEquals(SWS, sws.primary().info());
        assertTrue(sws.crosses.isEmpty());
        assertTrue(sws.hostMemory.isEmpty(), "SwiftShader does not import host memory");
        assertEquals(1, sws.glPairs.size());
        // lavapipe alone (VK_DRIVER_FILES naming its ICD): its host-memory ping-pong and its GL pair.
        BenchPlan lvp = BenchPlan.of(List.of(LVP), Arrays.asList((String) null), null, GL_ON_LVP);
        assertEquals(List.of(LVP), lvp.hostMemory.stream().map(BenchPlan.Device::info).toList());
        assertEquals(SyncTier.HOST_BRIDGE, lvp.glPairs.get(0).tier());
        assertTrue(lvp.notRun.isEmpty(), lvp.notRun.toString());
    }
}
