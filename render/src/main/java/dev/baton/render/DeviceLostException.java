package dev.baton.render;

/** {@code VK_ERROR_DEVICE_LOST}: the device is gone; every surface it owned is abandoned. */
public final class DeviceLostException extends VulkanException {
    private static final long serialVersionUID = 1L;

    /**
     * A device loss reported by {@code call}.
     *
     * @param call the Vulkan call that returned {@code VK_ERROR_DEVICE_LOST}, with its subject
     */
    public DeviceLostException(String call) {
        super(call, VkResults.VK_ERROR_DEVICE_LOST, "recreate the device and its surfaces");
    }
}
