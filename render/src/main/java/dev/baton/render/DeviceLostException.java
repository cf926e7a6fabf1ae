package dev.baton.render;

/** {@code VK_ERROR_DEVICE_LOST}: the device is gone; every surface it owned is abandoned. */
public final class DeviceLostException extends VulkanException {
    private static final long serialVersionUID = 1L;

    public DeviceLostException(String call) {
        super(call, VkResults.VK_ERROR_DEVICE_LOST, "recreate the device and its surfaces");
    }
}
