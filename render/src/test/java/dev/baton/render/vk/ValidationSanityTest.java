package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Proves the harness would notice: a leaked Vulkan object is reported when its device is destroyed. */
class ValidationSanityTest {
    @Test
    void leakedSemaphoreIsReported() {
        GpuTest.requireOrSkip(VulkanInstance.validationLayerAvailable(), "the Khronos validation layer", "vulkan-validationlayers");
        try (VulkanInstance instance = VulkanInstance.create(true)) {
            try (DeviceContext device = DeviceContext.builder(instance).deviceNameContains(GpuTest.LAVAPIPE).build()) {
                Semaphores.createBinary(device, false); // deliberately leaked
            }
            assertTrue(instance.validationMessageCount() > 0, "a leaked VkSemaphore went unreported");
            assertTrue(instance.validationMessages().stream().anyMatch(m -> m.contains("VkSemaphore")), () -> instance.validationMessages().toString());
        }
    }
}
