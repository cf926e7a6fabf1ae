package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_CPU;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_GOOGLE_SWIFTSHADER;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_INTEL_OPEN_SOURCE_MESA;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_MESA_LLVMPIPE;
import static org.lwjgl.vulkan.VK12.VK_DRIVER_ID_NVIDIA_PROPRIETARY;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The device-naming rules of {@code --device}, on device descriptions alone (no GPU). */
class DeviceSelectorTest {
    static PhysicalDeviceInfo device(int index, String name, int type, String driverName, String driverInfo, int driverId) {
        return new PhysicalDeviceInfo(index, name, type, driverName, driverInfo, driverId, (1 << 22) | (3 << 12), "00", "00", java.util.Set.of(),
                true, true, false, false, false, false, false, false, false, false);
    }

    static final PhysicalDeviceInfo SWS = device(0, "SwiftShader Device (Subzero)", VK_PHYSICAL_DEVICE_TYPE_CPU, "SwiftShader driver", "5.0.0",
            VK_DRIVER_ID_GOOGLE_SWIFTSHADER);
    static final PhysicalDeviceInfo LVP = device(1, "llvmpipe (LLVM 15.0.6, 256 bits)", VK_PHYSICAL_DEVICE_TYPE_CPU, "llvmpipe",
            "Mesa 22.3.6 (LLVM 15.0.6)", VK_DRIVER_ID_MESA_LLVMPIPE);
    static final List<PhysicalDeviceInfo> HERE = List.of(SWS, LVP);

    @Test
    void indexAndLabelsThatDevicesPrints() {
        assertEquals(SWS, DeviceSelector.one(HERE, "0"));
        assertEquals(LVP, DeviceSelector.one(HERE, "1"));
        assertEquals(LVP, DeviceSelector.one(HERE, "vk1"));
        assertEquals(LVP, DeviceSelector.one(HERE, "VK1"));
        assertEquals(LVP, DeviceSelector.one(HERE, "lavapipe"));
        assertEquals(LVP, DeviceSelector.one(HERE, "vk1 lavapipe"));
        assertEquals(SWS, DeviceSelector.one(HERE, "swiftshader"));
        assertEquals(SWS, DeviceSelector.one(HERE, " SwiftShader "));
        assertEquals("vk1 lavapipe", DeviceSelector.label(LVP));
    }

    @Test
    void aNumberIsAnIndexNeverASubstringOfAVersion() {
        // "0" is in "LLVM 15.0.6": it must still mean index 0, and an index nobody has is refused.
        assertEquals(SWS, DeviceSelector.one(HERE, "0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(HERE, "5"));
        assertTrue(e.getMessage().contains("no device has index 5") && e.getMessage().contains("vk0 SwiftShader"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(HERE, "vk7"));
    }

    @Test
    void anUnambiguousCaseInsensitiveNamePart() {
        assertEquals(LVP, DeviceSelector.one(HERE, "LLVMPIPE"));
        assertEquals(LVP, DeviceSelector.one(HERE, "15.0.6"));
        assertEquals(SWS, DeviceSelector.one(HERE, "subzero"));
    }

    @Test
    void anAmbiguousNameIsRefusedListingTheCandidates() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(HERE, "e"));
        assertTrue(e.getMessage().contains("ambiguous") && e.getMessage().contains("vk0 SwiftShader (SwiftShader Device (Subzero))")
                && e.getMessage().contains("vk1 lavapipe (llvmpipe"), e.getMessage());
        PhysicalDeviceInfo gpu0 = device(0, "NVIDIA GeForce RTX 4090", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, "NVIDIA", "550.54", VK_DRIVER_ID_NVIDIA_PROPRIETARY);
        PhysicalDeviceInfo gpu1 = device(1, "NVIDIA GeForce RTX 3060", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, "NVIDIA", "550.54", VK_DRIVER_ID_NVIDIA_PROPRIETARY);
        // Two devices of one driver: the driver label fits both, so it is refused; their labels are not.
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(List.of(gpu0, gpu1), "nvidia"));
        assertEquals(2, DeviceSelector.matching(List.of(gpu0, gpu1), "nvidia").size());
        assertEquals(gpu1, DeviceSelector.one(List.of(gpu0, gpu1), "rtx 3060"));
        // A bare number stays an index even where a name contains it.
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(List.of(gpu0, gpu1), "3060"));
    }

    @Test
    void aNameThatFitsNothingSaysWhatThereIs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(HERE, "radeon"));
        assertTrue(e.getMessage().startsWith("no Vulkan device fits 'radeon'") && e.getMessage().contains("vk1 lavapipe"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(HERE, " "));
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.one(List.of(), "0"));
    }

    @Test
    void aListOfNamesKeepsItsOrderWithoutRepeats() {
        assertEquals(List.of(LVP, SWS), DeviceSelector.all(HERE, "lavapipe,vk0,1"));
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.all(HERE, "lavapipe,e"));
    }

    @Test
    void hardwareFirstAndCpuDriversByTypeOrDriverId() {
        PhysicalDeviceInfo anv = device(2, "Intel(R) UHD Graphics 770", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, "Intel open-source Mesa driver",
                "Mesa 24.0", VK_DRIVER_ID_INTEL_OPEN_SOURCE_MESA);
        // A SwiftShader build that reports itself as an integrated GPU is still a CPU driver.
        PhysicalDeviceInfo oddSws = device(3, "SwiftShader", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, "SwiftShader driver", "",
                VK_DRIVER_ID_GOOGLE_SWIFTSHADER);
        assertTrue(DeviceSelector.isCpuDriver(LVP) && DeviceSelector.isCpuDriver(SWS) && DeviceSelector.isCpuDriver(oddSws));
        assertFalse(DeviceSelector.isCpuDriver(anv));
        assertEquals(List.of(anv, SWS, LVP, oddSws), DeviceSelector.hardwareFirst(List.of(SWS, LVP, anv, oddSws)));
        assertEquals("llvmpipe Mesa 22.3.6 (LLVM 15.0.6)", DeviceSelector.driverVersion(LVP));
    }
}
