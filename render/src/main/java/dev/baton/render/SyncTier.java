package dev.baton.render;

import java.util.Locale;

/**
 * How a surface's handoff is synchronized between two participants, best first. The order is the
 * preference order: {@link SyncTierSelector} picks the first one both sides support.
 */
public enum SyncTier {
    /** One exported timeline semaphore imported by every participant; GPUs wait on GPUs. */
    SHARED_TIMELINE("shared-timeline"),
    /** Shared memory; exported binary semaphores (OPAQUE_FD), one per producer, waited by the consumer's GPU. */
    BINARY_SEMAPHORE("binary-semaphore"),
    /** Shared memory; each device has its own timeline and a host thread forwards the fence value. */
    HOST_BRIDGE("host-bridge"),
    /** Memory cannot be shared: the releaser's pixels go through host memory into the acquirer's image. */
    HOST_COPY("host-copy");

    private final String id;

    SyncTier(String id) {
        this.id = id;
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
        throw new IllegalArgumentException("unknown sync tier '" + name + "'; use one of shared-timeline, binary-semaphore, host-bridge, host-copy");
    }

    @Override
    public String toString() {
        return id;
    }
}
