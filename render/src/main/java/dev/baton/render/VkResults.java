package dev.baton.render;

import static org.lwjgl.vulkan.VK10.*;

/** The one checker for Vulkan results: negative results throw, success codes are returned. */
public final class VkResults {
    static final int VK_ERROR_DEVICE_LOST = org.lwjgl.vulkan.VK10.VK_ERROR_DEVICE_LOST;

    private VkResults() {}

    /**
     * Returns {@code result} when it is a success code ({@code >= 0}, which includes {@code VK_TIMEOUT},
     * {@code VK_NOT_READY}, {@code VK_INCOMPLETE}); throws {@link DeviceLostException} for device loss
     * and {@link VulkanException} for every other negative result.
     *
     * @param result a {@code VkResult}
     * @param call the call and its subject, for the message
     * @return {@code result} when it is not an error
     */
    public static int check(int result, String call) {
        if (result >= 0) {
            return result;
        }
        if (result == VK_ERROR_DEVICE_LOST) {
            throw new DeviceLostException(call);
        }
        throw new VulkanException(call, result);
    }

    /**
     * The symbolic name of a {@code VkResult}, for messages.
     *
     * @param result a {@code VkResult}
     * @return such as {@code VK_ERROR_DEVICE_LOST}, or the number for codes it does not know
     */
    public static String name(int result) {
        switch (result) {
            case VK_SUCCESS: return "VK_SUCCESS";
            case VK_NOT_READY: return "VK_NOT_READY";
            case VK_TIMEOUT: return "VK_TIMEOUT";
            case VK_EVENT_SET: return "VK_EVENT_SET";
            case VK_EVENT_RESET: return "VK_EVENT_RESET";
            case VK_INCOMPLETE: return "VK_INCOMPLETE";
            case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
            case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
            case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
            case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
            case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
            case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
            case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
            case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
            case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
            case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
            case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
            case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
            case -1000072003: return "VK_ERROR_INVALID_EXTERNAL_HANDLE";
            case -13: return "VK_ERROR_UNKNOWN";
            default: return "VkResult " + result;
        }
    }
}
