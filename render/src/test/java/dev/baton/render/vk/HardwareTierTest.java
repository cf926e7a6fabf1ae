package dev.baton.render.vk;

import dev.baton.render.SyncTier;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The check for a real GPU ({@link HardwareTierCheck}; {@code ./baton gpu-check} runs the same code):
 * on every Vulkan device whose driver is not a CPU driver, two VkDevices ping-pong 2,000 turns with
 * pixel checks on each tier it offers, and one surface goes into GL on the same GPU; validated with
 * synchronization validation, and GpuTest's teardown fails on any message. On a machine with only CPU
 * drivers it reports "skipped: no hardware Vulkan driver". {@code -Dbaton.hardware-check.cpu=true}
 * runs it on the CPU drivers too (to try the check itself without a GPU).
 */
class HardwareTierTest extends GpuTest {
    @TestFactory
    Stream<DynamicTest> everyTierOfEveryHardwareDevice() {
        boolean cpuToo = Boolean.getBoolean("baton.hardware-check.cpu");
        List<PhysicalDeviceInfo> devices = cpuToo ? devices() : HardwareTierCheck.hardwareDevices(instance.physicalDevices());
        int turns = cpuToo ? 200 : HardwareTierCheck.TURNS;
        List<DynamicTest> tests = new ArrayList<>();
        if (devices.isEmpty()) {
            String why = HardwareTierCheck.noHardwareReason(instance.physicalDevices());
            tests.add(DynamicTest.dynamicTest("no hardware Vulkan driver", () -> {
                System.out.println("[hardware tiers] skipped: " + why);
                Assumptions.abort(why);
            }));
            return tests.stream();
        }
        for (PhysicalDeviceInfo d : devices) {
            String rejected = rejection(d);
            List<SyncTier> offered = HardwareTierCheck.tiersOffered(d);
            for (SyncTier tier : HardwareTierCheck.TIERS) {
                String why = rejected != null ? rejected : offered.contains(tier) ? null : "the driver does not offer " + tier;
                tests.add(DynamicTest.dynamicTest(name(d) + " " + tier + " x" + turns, () -> {
                    System.out.println("[hardware tiers] " + name(d) + " " + tier + ": " + (why == null ? "runs" : "skipped: " + why));
                    Assumptions.assumeTrue(why == null, why);
                    HardwareTierCheck.pingPong(instance, d, tier, turns);
                }));
            }
            tests.add(DynamicTest.dynamicTest(name(d) + " -> GL on the same GPU", () -> {
                Assumptions.assumeTrue(rejected == null, rejected);
                String why = HardwareTierCheck.glRoundTrips(instance, d, 25);
                System.out.println("[hardware tiers] " + name(d) + " -> GL: " + (why == null ? "ran" : "skipped: " + why));
                Assumptions.assumeTrue(why == null, why);
            }));
        }
        return tests.stream();
    }
}
