package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.system.MemoryUtil.NULL;
import static org.lwjgl.vulkan.EXTDebugUtils.*;

import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkDebugUtilsLabelEXT;
import org.lwjgl.vulkan.VkDebugUtilsObjectNameInfoEXT;

/**
 * {@code VK_EXT_debug_utils} names and labels on what Baton creates, so that a validation message
 * or a RenderDoc capture names the Baton surface and participant it is about. On only when the
 * device's instance enabled {@code VK_EXT_debug_utils}: Baton's own instance does with validation
 * ({@code VulkanInstance.create(true)}, {@code --validate}); an adopted device's when the application
 * enabled it. Off, every call returns after one check. Setup time only: never in the handoff path.
 */
final class DebugNames {
    private DebugNames() {}

    /** True if the device's instance has {@code VK_EXT_debug_utils} enabled. */
    static boolean enabled(DeviceContext device) {
        return device.vkDevice().getPhysicalDevice().getInstance().getCapabilities().vkSetDebugUtilsObjectNameEXT != NULL;
    }

    /** Names a Vulkan object ({@code objectType}: a {@code VkObjectType}); nothing when off. */
    static void name(DeviceContext device, int objectType, long handle, String name) {
        if (!enabled(device)) {
            return;
        }
        try (MemoryStack stack = stackPush()) {
            VkDebugUtilsObjectNameInfoEXT info = VkDebugUtilsObjectNameInfoEXT.calloc(stack).sType$Default()
                    .objectType(objectType).objectHandle(handle).pObjectName(stack.UTF8(name));
            vkSetDebugUtilsObjectNameEXT(device.vkDevice(), info); // a name is a diagnostic: its result is not checked
        }
    }

    /** Opens a label region in {@code cmd} (close it with {@link #endLabel} in the same buffer); nothing when off. */
    static void beginLabel(DeviceContext device, VkCommandBuffer cmd, String label) {
        if (!enabled(device)) {
            return;
        }
        try (MemoryStack stack = stackPush()) {
            vkCmdBeginDebugUtilsLabelEXT(cmd, VkDebugUtilsLabelEXT.calloc(stack).sType$Default().pLabelName(stack.UTF8(label)));
        }
    }

    /** Closes the region {@link #beginLabel} opened; nothing when off. */
    static void endLabel(DeviceContext device, VkCommandBuffer cmd) {
        if (enabled(device)) {
            vkCmdEndDebugUtilsLabelEXT(cmd);
        }
    }
}
