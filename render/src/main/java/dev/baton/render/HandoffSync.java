package dev.baton.render;

/**
 * How the next owner of a surface waits for the previous owner's work: one of the two choices a
 * surface makes (the other is {@link MemorySharing}). {@link SyncTierSelector} picks it; each value has
 * one implementation class in {@code dev.baton.render.vk}. Best first.
 */
public enum HandoffSync {
    /** One exported timeline semaphore imported by every participant; GPUs wait on GPUs. */
    SHARED_TIMELINE("shared-timeline"),
    /** One exported binary semaphore per participant, signalled by its submits, waited by the next owner's GPU. */
    BINARY_SEMAPHORE("binary-semaphore"),
    /**
     * Vulkan-GL with {@code GL_EXT_semaphore_fd}: binary semaphores exported by Vulkan and imported
     * by GL; GL waits with {@code glWaitSemaphoreEXT} and signals with {@code glSignalSemaphoreEXT}
     * (layout {@code GL_LAYOUT_GENERAL_EXT}), which is where {@code EXT_external_objects} performs
     * GL's acquire and release of the memory; Vulkan transfers the image from/to
     * {@code VK_QUEUE_FAMILY_EXTERNAL} in {@code VK_IMAGE_LAYOUT_GENERAL}.
     */
    GL_SEMAPHORE("gl-semaphore"),
    /**
     * Each participant has its own timeline; a host thread waits for the fence value on the releaser's
     * and signals it on the acquirer's, whose submit was already queued (wait-before-signal).
     */
    HOST_BRIDGE("host-bridge"),
    /**
     * Each participant has its own timeline; the acquirer's CPU waits (bounded) for the releaser's
     * timeline to reach the fence value before its acquire returns. What host memory copies need: the
     * CPU must read the pixels before the acquirer's GPU can use them.
     */
    HOST_WAIT("host-wait");

    private final String id;

    HandoffSync(String id) {
        this.id = id;
    }

    /** {@return the name printed in reports, such as {@code host-bridge}} */
    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return id;
    }
}
