package dev.baton.render;

/**
 * What one participant (a Vulkan physical device, or a GL context) can share, as plain data so tier
 * selection is testable without a GPU. UUIDs are lower-case hex strings of the 16-byte
 * {@code VkPhysicalDeviceIDProperties} (or {@code GL_DRIVER_UUID_EXT}/{@code GL_DEVICE_UUID_EXT}) values.
 *
 * @param name                     for reasons and reports
 * @param driverUuid               hex driver UUID
 * @param deviceUuid               hex device UUID
 * @param memoryExport             can export OPAQUE_FD image memory (RGBA8, optimal tiling)
 * @param memoryImport             can import OPAQUE_FD image memory
 * @param binarySemaphoreExport    can export binary semaphores as OPAQUE_FD
 * @param binarySemaphoreImport    can import binary semaphores as OPAQUE_FD
 * @param timelineSemaphoreExport  can export timeline semaphores as OPAQUE_FD
 * @param timelineSemaphoreImport  can import timeline semaphores as OPAQUE_FD
 * @param hostMemoryImport         can import host memory as device memory ({@code VK_EXT_external_memory_host}),
 *                                 which lets different drivers share pages; never GL
 * @param glContext                a GL context ({@link #forGl}): it only imports, and its semaphores
 *                                 ({@code GL_EXT_semaphore_fd}) are binary and import-only
 */
public record InteropCapabilities(
        String name,
        String driverUuid,
        String deviceUuid,
        boolean memoryExport,
        boolean memoryImport,
        boolean binarySemaphoreExport,
        boolean binarySemaphoreImport,
        boolean timelineSemaphoreExport,
        boolean timelineSemaphoreImport,
        boolean hostMemoryImport,
        boolean glContext) {

    /**
     * A Vulkan participant's capabilities (not a GL context).
     *
     * @param name                     for reasons and reports
     * @param driverUuid               hex driver UUID
     * @param deviceUuid               hex device UUID
     * @param memoryExport             can export OPAQUE_FD image memory
     * @param memoryImport             can import OPAQUE_FD image memory
     * @param binarySemaphoreExport    can export binary semaphores as OPAQUE_FD
     * @param binarySemaphoreImport    can import binary semaphores as OPAQUE_FD
     * @param timelineSemaphoreExport  can export timeline semaphores as OPAQUE_FD
     * @param timelineSemaphoreImport  can import timeline semaphores as OPAQUE_FD
     * @param hostMemoryImport         can import host memory ({@code VK_EXT_external_memory_host})
     */
    public InteropCapabilities(String name, String driverUuid, String deviceUuid, boolean memoryExport, boolean memoryImport,
                               boolean binarySemaphoreExport, boolean binarySemaphoreImport,
                               boolean timelineSemaphoreExport, boolean timelineSemaphoreImport, boolean hostMemoryImport) {
        this(name, driverUuid, deviceUuid, memoryExport, memoryImport, binarySemaphoreExport, binarySemaphoreImport,
                timelineSemaphoreExport, timelineSemaphoreImport, hostMemoryImport, false);
    }

    /**
     * Capabilities without host-memory import (as every GL context has).
     *
     * @param name for reasons and reports
     * @param driverUuid hex driver UUID
     * @param deviceUuid hex device UUID
     * @param memoryExport can export OPAQUE_FD image memory (RGBA8, optimal tiling)
     * @param memoryImport can import OPAQUE_FD image memory
     * @param binarySemaphoreExport can export binary semaphores as OPAQUE_FD
     * @param binarySemaphoreImport can import binary semaphores as OPAQUE_FD
     * @param timelineSemaphoreExport can export timeline semaphores as OPAQUE_FD
     * @param timelineSemaphoreImport can import timeline semaphores as OPAQUE_FD
     */
    public InteropCapabilities(String name, String driverUuid, String deviceUuid, boolean memoryExport, boolean memoryImport,
                               boolean binarySemaphoreExport, boolean binarySemaphoreImport,
                               boolean timelineSemaphoreExport, boolean timelineSemaphoreImport) {
        this(name, driverUuid, deviceUuid, memoryExport, memoryImport, binarySemaphoreExport, binarySemaphoreImport,
                timelineSemaphoreExport, timelineSemaphoreImport, false);
    }

    /**
     * A GL context without {@code GL_EXT_semaphore_fd}: {@code forGl(name, driverUuid, deviceUuid, memoryObjectFd, false)}.
     *
     * @param driverUuid hex {@code GL_DRIVER_UUID_EXT}, or empty when {@code GL_EXT_memory_object} is missing
     * @param deviceUuid hex {@code GL_DEVICE_UUID_EXT}, or empty
     * @param name for reasons and reports
     * @param memoryObjectFd whether the context has {@code GL_EXT_memory_object_fd}
     * @return the capabilities
     */
    public static InteropCapabilities forGl(String name, String driverUuid, String deviceUuid, boolean memoryObjectFd) {
        return forGl(name, driverUuid, deviceUuid, memoryObjectFd, false);
    }

    /**
     * A GL context's capabilities: GL imports Vulkan memory ({@code GL_EXT_memory_object_fd}) but
     * exports nothing, and its semaphores ({@code GL_EXT_semaphore_fd}) are binary and import-only:
     * with them a Vulkan device that exports binary semaphores shares the {@code gl-semaphore} tier
     * with it; without them pairs with GL use host-bridge or host-copy.
     *
     * @param name for reasons and reports
     * @param driverUuid hex {@code GL_DRIVER_UUID_EXT}, or empty when {@code GL_EXT_memory_object} is missing
     * @param deviceUuid hex {@code GL_DEVICE_UUID_EXT}, or empty
     * @param memoryObjectFd whether the context has {@code GL_EXT_memory_object_fd}
     * @param semaphoreFd whether the context has {@code GL_EXT_semaphore} and {@code GL_EXT_semaphore_fd}
     * @return the capabilities
     */
    public static InteropCapabilities forGl(String name, String driverUuid, String deviceUuid, boolean memoryObjectFd,
                                            boolean semaphoreFd) {
        return new InteropCapabilities(name, driverUuid, deviceUuid, false, memoryObjectFd, false, semaphoreFd, false, false,
                false, true);
    }

    /**
     * Same driver and same device: OPAQUE_FD handles mean the same thing on both sides.
     *
     * @param other the other participant
     * @return true if both driver and device UUIDs are equal and known
     */
    public boolean sameUuidsAs(InteropCapabilities other) {
        return driverUuid.equals(other.driverUuid) && deviceUuid.equals(other.deviceUuid);
    }
}
