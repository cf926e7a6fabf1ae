package dev.baton.render.gl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Headless GL on the GPU of a given Vulkan device: the EGL device platform is searched for the
 * device whose GL reports the Vulkan device's UUIDs, and surfaceless is only the fallback, said so.
 * Runs on every Vulkan device present: here lavapipe has an EGL twin (llvmpipe, same UUIDs) and
 * SwiftShader has none.
 */
class EglDeviceSelectionTest {
    private static List<PhysicalDeviceInfo> vulkanDevices() {
        try (VulkanInstance instance = VulkanInstance.create(false)) {
            return instance.physicalDevices();
        } catch (RuntimeException e) {
            assumeTrue(false, "no Vulkan loader or driver: " + e.getMessage());
            return List.of();
        }
    }

    @Test
    void eachVulkanDeviceGetsTheGlOfItsOwnGpuOrAnHonestFallback() {
        List<PhysicalDeviceInfo> devices = vulkanDevices();
        assumeTrue(!devices.isEmpty(), "no Vulkan device");
        boolean devicePlatform;
        try {
            devicePlatform = EglContext.devicePlatformOffered();
        } catch (GlUnavailableException e) {
            GlTestSupport.driverMissing("EGL", GlUnavailableException.PACKAGES, e);
            return;
        }
        int matched = 0;
        for (PhysicalDeviceInfo device : devices) {
            try (EglContext context = EglContext.create(false, device.driverUuidHex(), device.deviceUuidHex())) {
                GlInfo info = GlInfo.query(context);
                EglContext.Selection selection = context.selection();
                boolean sameGpu = GlInfo.hex(info.driverUuid()).equals(device.driverUuidHex())
                        && GlInfo.hex(info.deviceUuid()).equals(device.deviceUuidHex());
                if (selection.platform().equals("device")) {
                    assertTrue(sameGpu, device.name() + ": the device platform was chosen but GL reports other UUIDs: " + info);
                    matched++;
                } else {
                    assertEquals("surfaceless", selection.platform());
                    assertTrue(selection.reason().contains(devicePlatform ? "other UUIDs" : "not offered"),
                            device.name() + ": the fallback must say why: " + selection.reason());
                }
            }
        }
        if (devicePlatform && devices.stream().anyMatch(d -> d.name().contains("llvmpipe"))) {
            assertTrue(matched > 0, "lavapipe's EGL twin (llvmpipe, same UUIDs) is on the device platform and must be chosen");
        }
    }

    @Test
    void withoutUuidsASoftwareOnlyMachineStaysOnSurfacelessAndSaysWhy() {
        try (EglContext context = GlTestSupport.contextOrSkip(false)) {
            EglContext.Selection selection = context.selection();
            if (selection.platform().equals("device")) {
                assertTrue(!selection.software(), "with no UUIDs asked for, only a hardware EGL device is taken: " + selection);
            } else {
                assertTrue(selection.reason().startsWith("Mesa's surfaceless platform ("), selection.reason());
            }
        }
    }
}
