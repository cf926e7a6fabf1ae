package dev.baton.render.gl;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_CPU;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_MESA_LLVMPIPE;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_NVIDIA_PROPRIETARY;

import dev.baton.render.vk.PhysicalDeviceInfo;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The loud warning for a GPU machine whose GL compositor silently became llvmpipe. No GPU. */
class SoftwareGlWarningTest {
    private static GlInfo gl(String renderer) {
        return new GlInfo(renderer, "vendor", "4.5", 4, 5, true, true, false, false, true, new byte[16], new byte[16]);
    }

    private static PhysicalDeviceInfo vulkan(String name, int type, int driverId) {
        return new PhysicalDeviceInfo(0, name, type, "driver", "info", driverId, 0, "00", "00", Set.of(),
                true, true, false, false, false, false, false, false, false, false);
    }

    @Test
    void warnsOnlyWhenSoftwareGlSitsBesideAHardwareVulkanDevice() {
        PhysicalDeviceInfo gpu = vulkan("NVIDIA H200", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, VK_DRIVER_ID_NVIDIA_PROPRIETARY);
        PhysicalDeviceInfo lavapipe = vulkan("llvmpipe (LLVM 15.0.6, 256 bits)", VK_PHYSICAL_DEVICE_TYPE_CPU, VK_DRIVER_ID_MESA_LLVMPIPE);
        String warning = gl("llvmpipe (LLVM 15.0.6, 256 bits)").softwareWarning(List.of(lavapipe, gpu));
        assertNotNull(warning);
        assertTrue(warning.contains("NVIDIA H200") && warning.startsWith("WARNING"), warning);
        assertNull(gl("llvmpipe (LLVM 15.0.6, 256 bits)").softwareWarning(List.of(lavapipe)), "a CPU-only machine has nothing better");
        assertNull(gl("NVIDIA H200/PCIe/SSE2").softwareWarning(List.of(lavapipe, gpu)), "hardware GL is what we want");
    }
}
