package dev.baton.render.vk;

/**
 * One binary semaphore shared from {@code from} to {@code to} as OPAQUE_FD: {@code from}'s submits
 * signal {@link #signalSide()}, {@code to}'s submits wait on {@link #waitSide()}. The raw sync floor
 * of the binary-semaphore tier. Each signal must be waited before the next signal.
 *
 * <p>Threading: create and close on one thread while neither device's GPU uses it.
 */
public final class BinarySemaphoreLink implements AutoCloseable {
    private final DeviceContext from;
    private final DeviceContext to;
    private final long signalSide; // VkSemaphore on `from` (exported)
    private final long waitSide;   // VkSemaphore on `to` (imported)
    private boolean closed;

    private BinarySemaphoreLink(DeviceContext from, DeviceContext to, long signalSide, long waitSide) {
        this.from = from;
        this.to = to;
        this.signalSide = signalSide;
        this.waitSide = waitSide;
    }

    /**
     * Creates the pair (all-or-nothing).
     *
     * @param from the signalling device (exports)
     * @param to the waiting device (imports)
     * @return the link; close it after both devices stopped using it
     * @throws dev.baton.render.VulkanException if a device cannot export or import binary OPAQUE_FD semaphores
     */
    public static BinarySemaphoreLink create(DeviceContext from, DeviceContext to) {
        if (!from.hasExtension(DeviceContext.EXTERNAL_SEMAPHORE_FD) || !to.hasExtension(DeviceContext.EXTERNAL_SEMAPHORE_FD)) {
            throw new IllegalArgumentException(from.name() + " -> " + to.name() + ": both devices need "
                    + DeviceContext.EXTERNAL_SEMAPHORE_FD + " (SwiftShader has it, lavapipe does not)");
        }
        long exported = Semaphores.createBinary(from, true);
        try {
            long imported = Semaphores.importBinary(to, Semaphores.exportFd(from, exported));
            return new BinarySemaphoreLink(from, to, exported, imported);
        } catch (RuntimeException e) {
            Semaphores.destroy(from, exported);
            throw e;
        }
    }

    /** {@return the {@code VkSemaphore} on the signalling device} */
    public long signalSide() {
        return signalSide;
    }

    /** {@return the {@code VkSemaphore} on the waiting device} */
    public long waitSide() {
        return waitSide;
    }

    /** Destroys both semaphores. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Semaphores.destroy(to, waitSide);
        Semaphores.destroy(from, signalSide);
    }
}
