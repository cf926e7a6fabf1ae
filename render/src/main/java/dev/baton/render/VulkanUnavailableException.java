package dev.baton.render;

/**
 * Vulkan cannot be used on this machine at all: the loader ({@code libvulkan.so.1}) cannot be
 * loaded, {@code vkCreateInstance} finds no usable driver (ICD), or the loader lists no physical
 * device. The message names the packages to install. Other Vulkan failures stay
 * {@link VulkanException}s.
 */
public final class VulkanUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Debian packages that provide the Vulkan loader and a CPU driver (lavapipe). */
    public static final String PACKAGES = "libvulkan1 mesa-vulkan-drivers";

    private VulkanUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The loader library could not be loaded; {@code cause} is what LWJGL threw (often an
     * {@link ExceptionInInitializerError} wrapping an {@link UnsatisfiedLinkError}).
     *
     * @param cause what LWJGL threw
     * @return the exception, naming the package to install
     */
    public static VulkanUnavailableException loaderMissing(Throwable cause) {
        return new VulkanUnavailableException("cannot load the Vulkan loader libvulkan.so.1 (" + rootMessage(cause)
                + "); install " + PACKAGES, cause);
    }

    /**
     * {@code vkCreateInstance} returned {@code result}: no driver (ICD) is installed or usable.
     *
     * @param result the {@code VkResult} of {@code vkCreateInstance}
     * @return the exception, naming the driver packages
     */
    public static VulkanUnavailableException noDriver(int result) {
        return new VulkanUnavailableException("vkCreateInstance failed with " + VkResults.name(result)
                + ": no Vulkan driver (ICD) is installed or usable; install " + PACKAGES
                + " (or check VK_DRIVER_FILES / VK_ICD_FILENAMES)", null);
    }

    /** {@return the exception for an instance on which the loader enumerates no physical device} */
    public static VulkanUnavailableException noPhysicalDevice() {
        return new VulkanUnavailableException("the Vulkan loader found no physical device; install " + PACKAGES
                + " (or check VK_DRIVER_FILES / VK_ICD_FILENAMES)", null);
    }

    /** The innermost cause's class and message: an initializer error alone says nothing. */
    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getName() : root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
