package dev.baton.render;

/**
 * A Vulkan call returned a negative {@code VkResult}. Carries the call's name and the result so the
 * message says what failed; success codes such as {@code VK_TIMEOUT} are never turned into this.
 */
public class VulkanException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The {@code VkResult} the call returned. */
    private final int result;

    /**
     * A failed Vulkan call.
     *
     * @param call the call and its subject
     * @param result the {@code VkResult} it returned
     */
    public VulkanException(String call, int result) {
        this(call, result, null);
    }

    /**
     * A failed Vulkan call, with what to do about it.
     *
     * @param call the call and its subject
     * @param result the {@code VkResult} it returned
     * @param hint a sentence appended to the message
     */
    public VulkanException(String call, int result, String hint) {
        super(call + " failed: " + VkResults.name(result) + " (" + result + ")" + (hint == null ? "" : "; " + hint));
        this.result = result;
    }

    /** {@return the raw {@code VkResult}} */
    public int result() {
        return result;
    }
}
