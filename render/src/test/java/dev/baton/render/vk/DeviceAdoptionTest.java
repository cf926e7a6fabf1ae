package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;

import dev.baton.render.SyncTier;
import org.junit.jupiter.api.Test;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkDevice;
import org.lwjgl.vulkan.VkDeviceCreateInfo;
import org.lwjgl.vulkan.VkDeviceQueueCreateInfo;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkPhysicalDeviceVulkan12Features;
import org.lwjgl.vulkan.VkPhysicalDeviceVulkan13Features;

/**
 * Adoption says exactly what an application's device lacks: devices made here with plain
 * {@code vkCreateDevice} on lavapipe, with and without the features and extensions Baton needs.
 * (The full embedding, with pixels crossing two adopted devices, is {@code EmbeddingExampleTest}.)
 */
class DeviceAdoptionTest extends GpuTest {
    private VkPhysicalDevice lavapipe() {
        PhysicalDeviceInfo info = memorySharingDeviceOf(instance);
        requireOrSkip(info != null, "a Vulkan device that shares memory", DRIVER_PACKAGES);
        return instance.physicalDevice(info.index());
    }

    /** A bare device: queue family 0, one queue, the given features and extensions only. */
    private static VkDevice createDevice(MemoryStack stack, VkPhysicalDevice pd, VkDeviceCreateInfo info) {
        PointerBuffer p = stack.mallocPointer(1);
        assertEquals(VK_SUCCESS, vkCreateDevice(pd, info, null, p));
        return new VkDevice(p.get(0), pd, info);
    }

    private static VkDeviceCreateInfo createInfo(MemoryStack stack, boolean features, String... extensions) {
        VkDeviceQueueCreateInfo.Buffer queues = VkDeviceQueueCreateInfo.calloc(1, stack);
        queues.get(0).sType$Default().queueFamilyIndex(0).pQueuePriorities(stack.floats(1f));
        PointerBuffer names = stack.mallocPointer(extensions.length);
        for (String e : extensions) {
            names.put(stack.UTF8(e));
        }
        names.flip();
        VkDeviceCreateInfo info = VkDeviceCreateInfo.calloc(stack).sType$Default().pQueueCreateInfos(queues).ppEnabledExtensionNames(names);
        if (features) {
            VkPhysicalDeviceVulkan13Features f13 = VkPhysicalDeviceVulkan13Features.calloc(stack).sType$Default().synchronization2(true);
            VkPhysicalDeviceVulkan12Features f12 = VkPhysicalDeviceVulkan12Features.calloc(stack).sType$Default()
                    .timelineSemaphore(true).pNext(f13.address());
            info.pNext(f12.address());
        }
        return info;
    }

    @Test
    void namesEveryMissingFeatureAndLeavesTheDeviceAlone() {
        VkPhysicalDevice pd = lavapipe();
        try (MemoryStack stack = stackPush()) {
            VkDeviceCreateInfo info = createInfo(stack, false);
            VkDevice device = createDevice(stack, pd, info);
            try {
                DeviceAdoption adoption = DeviceContext.adopt(device, info).queue(0, 0);
                DeviceAdoption.Report report = adoption.check();
                assertFalse(report.adoptable());
                assertEquals(2, report.missing().size(), () -> "missing: " + report.missing());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, adoption::build);
                assertTrue(e.getMessage().contains("timelineSemaphore") && e.getMessage().contains("synchronization2"), e.getMessage());
                assertTrue(e.getMessage().contains("VkPhysicalDeviceVulkan12Features"), e.getMessage());
                IllegalArgumentException queue = assertThrows(IllegalArgumentException.class,
                        () -> DeviceContext.adopt(device, info).queue(0, 1).build());
                assertTrue(queue.getMessage().contains("queue 1 of family 0: the device was not created with it"), queue.getMessage());
            } finally {
                vkDestroyDevice(device, null); // still ours: a failed adoption made nothing on it
            }
        }
    }

    @Test
    void withoutTheFdExtensionsSaysHostCopyAndWhatToEnable() {
        VkPhysicalDevice pd = lavapipe();
        try (MemoryStack stack = stackPush()) {
            VkDeviceCreateInfo info = createInfo(stack, true);
            VkDevice device = createDevice(stack, pd, info);
            try {
                DeviceAdoption.Report report = DeviceContext.adopt(device, info).queue(0, 0).check();
                assertTrue(report.adoptable(), () -> "missing: " + report.missing());
                assertEquals(SyncTier.HOST_COPY, report.bestTier(), report.tierReason());
                assertTrue(report.limits().stream().anyMatch(l -> l.startsWith(DeviceContext.EXTERNAL_MEMORY_FD + " is not enabled")
                        && l.contains("the driver offers it: add it to VkDeviceCreateInfo.ppEnabledExtensionNames")), () -> "limits: " + report.limits());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> DeviceContext.adopt(device, info).queue(0, 0).requireMemorySharing().build());
                assertTrue(e.getMessage().contains(DeviceContext.EXTERNAL_MEMORY_FD), e.getMessage());

                // Adopted and closed: the device is still the application's and still works.
                DeviceContext adopted = DeviceContext.adopt(device, info).queue(0, 0).name("app").build();
                assertTrue(adopted.isAdopted());
                adopted.close();
                assertEquals(VK_SUCCESS, vkDeviceWaitIdle(device));
            } finally {
                vkDestroyDevice(device, null);
            }
        }
    }
}
