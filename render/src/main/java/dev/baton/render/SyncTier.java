package dev.baton.render;

import java.util.Locale;

/**
 * A surface's tier: the pair of choices it makes, how memory is shared ({@link #memory()}) and how the
 * next owner waits ({@link #sync()}), under one user-facing name ({@code --tier}, reports). Best first:
 * {@link SyncTierSelector} picks the first one every pair of participants supports.
 *
 * <p>Code that shares or synchronizes a surface asks for {@link #memory()} and {@link #sync()} and
 * never compares tiers: adding a tier is a constant here, its choice classes, and the selector's rule.
 */
public enum SyncTier {
    /** One exported timeline semaphore imported by every participant; GPUs wait on GPUs. */
    SHARED_TIMELINE("shared-timeline", MemorySharing.DEVICE_MEMORY, HandoffSync.SHARED_TIMELINE),
    /** Shared memory; exported binary semaphores (OPAQUE_FD), one per producer, waited by the consumer's GPU. */
    BINARY_SEMAPHORE("binary-semaphore", MemorySharing.DEVICE_MEMORY, HandoffSync.BINARY_SEMAPHORE),
    /**
     * Vulkan-GL on one GPU whose GL has {@code GL_EXT_semaphore_fd}: shared memory and binary
     * semaphores exported by Vulkan, waited and signalled by GL on its GPU (GL's acquire/release).
     */
    GL_SEMAPHORE("gl-semaphore", MemorySharing.DEVICE_MEMORY, HandoffSync.GL_SEMAPHORE),
    /** Shared memory; each device has its own timeline and a host thread forwards the fence value. */
    HOST_BRIDGE("host-bridge", MemorySharing.DEVICE_MEMORY, HandoffSync.HOST_BRIDGE),
    /**
     * Different drivers, zero copy: both import the same sealed memfd pages as host memory (a linear
     * image); each device keeps its own timeline and a host thread forwards the fence value.
     */
    HOST_MEMORY("host-memory", MemorySharing.HOST_MEMORY, HandoffSync.HOST_BRIDGE),
    /**
     * Memory cannot be shared: the releaser's pixels go through host memory into the acquirer's image,
     * whose CPU waits for the releaser's GPU before copying them.
     */
    HOST_COPY("host-copy", MemorySharing.HOST_COPY, HandoffSync.HOST_WAIT);

    private final String id;
    private final MemorySharing memory;
    private final HandoffSync sync;

    SyncTier(String id, MemorySharing memory, HandoffSync sync) {
        this.id = id;
        this.memory = memory;
        this.sync = sync;
    }

    /** {@return how this tier shares the surface's memory} */
    public MemorySharing memory() {
        return memory;
    }

    /** {@return how this tier's next owner waits for the previous owner's work} */
    public HandoffSync sync() {
        return sync;
    }

    /**
     * The tier made of these two choices.
     *
     * @param memory how the memory is shared
     * @param sync how the next owner waits
     * @return the tier that combines them
     * @throws IllegalArgumentException if no tier combines them
     */
    public static SyncTier of(MemorySharing memory, HandoffSync sync) {
        for (SyncTier tier : values()) {
            if (tier.memory == memory && tier.sync == sync) {
                return tier;
            }
        }
        throw new IllegalArgumentException("no tier shares memory by " + memory + " with sync " + sync);
    }

    /** {@return both choices in words, as {@code ./baton devices} prints them: {@code memory: ..., sync: ...}} */
    public String choices() {
        return "memory: " + memory.label() + ", sync: " + sync.id();
    }

    /** {@return the name used on the command line and in reports, such as {@code host-bridge}} */
    public String id() {
        return id;
    }

    /**
     * Parses {@link #id()} or the enum constant name, case-insensitively.
     *
     * @param name such as {@code host-bridge} or {@code HOST_BRIDGE}
     * @return the tier
     * @throws IllegalArgumentException naming the valid tiers if {@code name} is none of them
     */
    public static SyncTier parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (SyncTier tier : values()) {
            if (tier.id.equals(wanted)) {
                return tier;
            }
        }
        throw new IllegalArgumentException("unknown sync tier '" + name + "'; use one of shared-timeline, binary-semaphore, host-bridge, host-memory, host-copy");
    }

    @Override
    public String toString() {
        return id;
    }
}
