package dev.baton.render;

/**
 * How a surface's pixels reach each participant: one of the two choices a surface makes (the other is
 * {@link HandoffSync}). {@link SyncTierSelector} picks it from the participants' capabilities; each
 * value has one implementation class in {@code dev.baton.render.vk}.
 */
public enum MemorySharing {
    /**
     * The first participant allocates exportable device memory (OPAQUE_FD, dedicated allocation) and
     * every other participant imports it: one image, nothing copied. Needs equal driver and device UUIDs.
     */
    DEVICE_MEMORY("import device memory"),
    /**
     * Each participant keeps an image of its own; the writer reads its image back into host memory at
     * the end of its submit and the next owner copies those bytes and uploads them. Works between any
     * two drivers; costs three copies of the image per handoff.
     */
    HOST_COPY("copy through host memory"),
    /**
     * Zero copy between different drivers: the first participant creates a sealed memfd and every
     * participant imports the same pages as host memory ({@code VK_EXT_external_memory_host}) backing a
     * linear image laid out identically on every driver. Vulkan only (GL cannot import host memory).
     */
    HOST_MEMORY("import host memory");

    private final String label;

    MemorySharing(String label) {
        this.label = label;
    }

    /** {@return what {@code ./baton devices} prints, such as {@code import device memory}} */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
