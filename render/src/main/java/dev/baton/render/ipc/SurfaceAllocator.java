package dev.baton.render.ipc;

/**
 * How the broker allocates a surface's memory for a client's SURFACE_OFFER: the broker allocates every
 * surface, so no client can hand it memory it cannot trust (see cross-process.md: a SwiftShader memory
 * fd can be truncated by an importer, killing the exporter with SIGBUS). Called on the broker's event
 * loop thread; must not block for long.
 */
public interface SurfaceAllocator {
    /**
     * Allocates memory for {@code description} (its width, height, format, usage, choices and initial
     * key are filled in from the offer) and fills in {@code allocationBytes}, {@code memoryTypeIndex},
     * {@code tiling} and the memory fds (at most {@link Protocol#MAX_FDS_PER_MESSAGE} minus the sync
     * fds), which the surface then owns.
     *
     * @param description the offered surface; the allocation fields are written on success
     * @param memory receives the memory fds, which the surface then owns
     * @return null on success, or a one-line reason the offer is refused (unsupported choice, too large)
     */
    String allocate(BrokerSurface.Description description, BrokerSurface.Fds memory);

    /**
     * Whether this allocator serves memory choice {@link Protocol#MEMORY_DEVICE_OPAQUE_FD} without a
     * client fd for a client whose HELLO named these UUIDs (then WELCOME says
     * {@link Protocol#CAP_BROKER_DEVICE_MEMORY}). Called on the broker's event loop thread.
     *
     * @param driverUuid the client device's driver UUID (16 bytes)
     * @param deviceUuid the client device's device UUID (16 bytes)
     * @return false unless the allocator has a device of exactly that driver and device
     */
    default boolean allocatesDeviceMemoryFor(byte[] driverUuid, byte[] deviceUuid) {
        return false;
    }

    /**
     * Host memory: one memfd of {@code width * height * 4} bytes that the broker creates and seals
     * SHRINK | GROW | SEAL, so no client can resize it (and SIGBUS the broker or another client). Only
     * {@link Protocol#MEMORY_HOST_MEMFD} (the producer imports it) and {@link Protocol#MEMORY_HOST_COPY}
     * (the producer copies into it with its CPU) are offered, with the same memfd; frames up to 16384x16384.
     *
     * @return the allocator {@link Broker.Config} uses by default
     */
    static SurfaceAllocator hostMemfd() {
        return (d, memory) -> {
            if (d.memoryChoice != Protocol.MEMORY_HOST_MEMFD && d.memoryChoice != Protocol.MEMORY_HOST_COPY) {
                return "memory choice " + d.memoryChoice + " is not offered by this broker"
                        + " (host memfd only: memory choice 1, or 3 for a producer that copies into it)";
            }
            if (d.width <= 0 || d.height <= 0 || d.width > 16384 || d.height > 16384) {
                return "surface size " + Integer.toUnsignedString(d.width) + "x" + Integer.toUnsignedString(d.height)
                        + " is outside 1..16384";
            }
            long bytes = (long) d.width * d.height * 4L;
            bytes = (bytes + 4095L) & ~4095L; // page-sized: importable as host memory by both drivers
            int fd = Fds.memfdCreate("baton-surface", bytes);
            Fds.addSeals(fd, Fds.SEALS_FIXED_SIZE);
            d.allocationBytes = bytes;
            d.memoryTypeIndex = 0;
            d.tiling = 0; // VK_IMAGE_TILING_OPTIMAL is meaningless for host memory; linear rows of width*4
            memory.add(fd);
            return null;
        };
    }
}
