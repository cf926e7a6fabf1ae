package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.VK_NULL_HANDLE;

/**
 * A binary {@code VkSemaphore} shared with another process as an OPAQUE_FD (the binary-semaphore tier
 * across processes): the exporter creates it and passes {@link #exportFd()} once; the importer
 * imports it permanently ({@link #importFd}); from then on one side's submits signal it and the
 * other's wait on it, every handoff, with no host wait. Each signal must be waited before the next
 * signal, and a wait must be submitted after its signal was (the keyed mutex orders the two).
 *
 * <p>Trust: on SwiftShader the payload is a memfd (a process-shared mutex and condvar) that the other
 * process could truncate; share it only with a process you trust (see the README's security model).
 * Threading: the device's owning thread; close after the GPU stopped using it.
 */
public final class ExternalBinarySemaphore implements AutoCloseable {
    private final DeviceContext device;
    private final long semaphore; // VkSemaphore
    private boolean closed;

    private ExternalBinarySemaphore(DeviceContext device, long semaphore) {
        this.device = device;
        this.semaphore = semaphore;
    }

    /**
     * Whether {@code device} exports and imports binary OPAQUE_FD semaphores (SwiftShader does, lavapipe does not).
     *
     * @param device the device
     * @return true if {@link #createExportable} and {@link #importFd} work on it
     */
    public static boolean supported(DeviceContext device) {
        return device.hasExtension(DeviceContext.EXTERNAL_SEMAPHORE_FD) && device.info().binarySemaphoreExport()
                && device.info().binarySemaphoreImport();
    }

    /**
     * An exportable binary semaphore on {@code device}.
     *
     * @param device the exporting device
     * @return the semaphore, owned by the caller
     * @throws IllegalStateException if the device cannot export binary OPAQUE_FD semaphores
     */
    public static ExternalBinarySemaphore createExportable(DeviceContext device) {
        requireSupport(device);
        return new ExternalBinarySemaphore(device, Semaphores.createBinary(device, true));
    }

    /**
     * A binary semaphore on {@code device} that shares the payload behind {@code fd} (a permanent import).
     *
     * @param device the importing device
     * @param fd an OPAQUE_FD another process exported; owned by the driver after success, closed on failure
     * @return the semaphore, owned by the caller
     * @throws IllegalStateException if the device cannot import binary OPAQUE_FD semaphores
     */
    public static ExternalBinarySemaphore importFd(DeviceContext device, int fd) {
        if (!supported(device)) {
            Fds.close(fd);
            requireSupport(device);
        }
        return new ExternalBinarySemaphore(device, Semaphores.importBinary(device, fd));
    }

    private static void requireSupport(DeviceContext device) {
        if (!supported(device)) {
            throw new IllegalStateException(device.name() + " cannot export and import binary OPAQUE_FD semaphores ("
                    + DeviceContext.EXTERNAL_SEMAPHORE_FD + "); SwiftShader can, lavapipe cannot");
        }
    }

    /** {@return a new OPAQUE_FD of the payload, owned by the caller (pass it to the other process, then close it)} */
    public int exportFd() {
        return Semaphores.exportFd(device, semaphore);
    }

    /** {@return the {@code VkSemaphore}} */
    public long handle() {
        return semaphore;
    }

    /** Destroys the semaphore. Idempotent; the GPU must be done with it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (semaphore != VK_NULL_HANDLE) {
            Semaphores.destroy(device, semaphore);
        }
    }
}
