package dev.baton.render;

/**
 * A Vulkan call returned a negative {@code VkResult}. Carries the call's name and the result so the
 * message says what failed; success codes such as {@code VK_TIMEOUT} are never turned into this.
 */
public class VulkanException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int result;

    public VulkanException(String call, int result) {
        this(call, result, null);
    }

    public VulkanException(String call, int result, String hint) {
        super(call + " failed: " + VkResults.name(result) + " (" + result + ")" + (hint == null ? "" : "; " + hint));
        this.result = result;
    }

    /** The raw {@code VkResult}. */
    public int result() {
        return result;
    }
}
