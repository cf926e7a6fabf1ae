package dev.baton.render;

/**
 * Everything an importer (another Vulkan device, or GL through {@code GL_EXT_memory_object_fd})
 * needs to import one exported image allocation as OPAQUE_FD with a dedicated allocation.
 *
 * <p>The importer must create its image with exactly this format, extent, tiling, usage and flags,
 * and import with {@link #allocationSizeBytes()} into {@link #memoryTypeIndex()}: a Vulkan importer
 * checks that its own image's memory requirements have exactly that size
 * (VUID-VkMemoryDedicatedAllocateInfo-image-02964) and allow that type
 * (VUID-VkMemoryAllocateInfo-allocationSize-01742), and refuses the import otherwise. Sharing is only valid when the importer's driver and
 * device UUIDs equal {@link #driverUuid()} and {@link #deviceUuid()}: check before importing.
 */
public interface ExportedImageMemory {
    /** {@return the image width in pixels} */
    int width();

    /** {@return the image height in pixels} */
    int height();

    /** {@return a {@code VkFormat}; GL importers map it to the matching internal format} */
    int vkFormat();

    /** {@return {@code true} for VK_IMAGE_TILING_LINEAR, {@code false} for OPTIMAL} */
    boolean linearTiling();

    /** {@return {@code VkImageUsageFlags} the image was created with} */
    int vkUsage();

    /** {@return {@code VkImageCreateFlags} the image was created with (such as MUTABLE_FORMAT)} */
    int vkCreateFlags();

    /** {@return the exporter's {@code memoryTypeIndex}, which a Vulkan importer must allocate with} */
    int memoryTypeIndex();

    /** {@return the size in bytes of the exported allocation, which an importer must allocate alike} */
    long allocationSizeBytes();

    /**
     * 16 bytes: {@code VkPhysicalDeviceIDProperties.driverUUID} of the exporter.
     *
     * @return a new array of the 16 UUID bytes
     */
    byte[] driverUuid();

    /**
     * 16 bytes: {@code VkPhysicalDeviceIDProperties.deviceUUID} of the exporter.
     *
     * @return a new array of the 16 UUID bytes
     */
    byte[] deviceUuid();

    /**
     * A fresh duplicate of the exported fd for exactly one import. A successful import transfers its
     * ownership to the driver; the caller closes it only if the import failed.
     *
     * @return the new file descriptor
     */
    int dupFd();
}
