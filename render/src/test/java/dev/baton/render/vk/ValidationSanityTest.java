package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Proves the harness would notice: a leaked Vulkan object is reported when its device is destroyed. */
class ValidationSanityTest {
    @Test
    void synchronizationValidationIsOn() throws Exception {
        GpuTest.requireOrSkip(VulkanInstance.validationLayerAvailable(), "the Khronos validation layer", "vulkan-validationlayers");
        try (VulkanInstance instance = VulkanInstance.create(true)) {
            try (DeviceContext device = DeviceContext.builder(instance).build();
                 HostBuffer buffer = HostBuffer.create(device, 256);
                 VulkanTimeline done = VulkanTimeline.create(device, "done", 0, false)) {
                org.lwjgl.vulkan.VkCommandBuffer cmd = device.allocateCommandBuffer();
                Commands.begin(cmd, 0);
                // Two transfer writes to one buffer with no barrier between them: a write-after-write hazard.
                org.lwjgl.vulkan.VK10.vkCmdFillBuffer(cmd, buffer.handle(), 0, 256, 1);
                org.lwjgl.vulkan.VK10.vkCmdFillBuffer(cmd, buffer.handle(), 0, 256, 2);
                Commands.end(cmd);
                device.submit(cmd, done, 1);
                assertTrue(done.awaitValue(1, 5_000_000_000L));
                device.freeCommandBuffer(cmd);
            }
            assertTrue(instance.validationMessages().stream().anyMatch(m -> m.contains("SYNC-HAZARD")
                    || m.contains("WRITE_AFTER_WRITE") || m.contains("WRITE-AFTER-WRITE")), () -> "no hazard reported: " + instance.validationMessages());
        }
    }

    @Test
    void leakedSemaphoreIsReported() {
        GpuTest.requireOrSkip(VulkanInstance.validationLayerAvailable(), "the Khronos validation layer", "vulkan-validationlayers");
        try (VulkanInstance instance = VulkanInstance.create(true)) {
            try (DeviceContext device = DeviceContext.builder(instance).build()) {
                Semaphores.createBinary(device, false); // deliberately leaked
            }
            assertTrue(instance.validationMessageCount() > 0, "a leaked VkSemaphore went unreported");
            assertTrue(instance.validationMessages().stream().anyMatch(m -> m.contains("VkSemaphore")), () -> instance.validationMessages().toString());
        }
    }
}
