package dev.baton.render.ipc;

import dev.baton.sync.KeyedMutex;
import java.util.ArrayDeque;
import java.util.ArrayList;

/**
 * One surface the broker allocated: its description, the fds it holds (memory, and sync fds a client
 * attached), its {@link KeyedMutex} (one handle per participating connection) and the queue of remote
 * acquires waiting for it. Owned by the broker's event loop thread, which alone touches it; the mutex
 * itself may also be used by in-process participants ({@link Broker#mutex}).
 */
public final class BrokerSurface {
    /** What SURFACE_CREATED tells an importer. Plain fields, filled by the broker and its allocator. */
    public static final class Description {
        /** The broker's id for the surface, named in every surface message. */
        public int surfaceId;
        /** Bytes of the memory allocation behind the memory fds. */
        public long allocationBytes;
        /** The Vulkan memory type index an importer allocates from (device memory choice). */
        public int memoryTypeIndex;
        /** The image: size in pixels, {@code VkFormat}, {@code VkImageTiling}, image usage bits. */
        public int width, height, format, tiling, usage;
        /** The {@code Protocol.MEMORY_*} and {@code Protocol.SYNC_*} values the broker chose. */
        public int memoryChoice, syncChoice;
        /** How many memory fds and sync fds travel with SURFACE_CREATED. */
        public int memoryFdCount, syncFdCount;
        /** The most private data a release of this surface may carry, in bytes. */
        public int maxPrivateDataBytes;
        /** The keyed mutex's initial key. */
        public long initialKey;
        /** Client memory (memory choice 2): the image's {@code VkImageCreateFlags}; 0 for a broker memfd. */
        public int createFlags;
        /** Client memory: the exporter's driver and device UUIDs (16 bytes each); zeros for a broker memfd. */
        public final byte[] driverUuid = new byte[16], deviceUuid = new byte[16];

        /**
         * The surface's memory as an importer in the broker's process needs it ({@code SurfaceImage.importFrom}, a
         * GL import): a snapshot of this description's image fields, whose {@code dupFd} is {@code dupFd}'s.
         *
         * @param dupFd gives a fresh fd of the memory for each import (owned by the importer)
         * @return the view, valid as long as {@code dupFd} can give fds
         */
        public dev.baton.render.ExportedImageMemory asExportedMemory(java.util.function.IntSupplier dupFd) {
            byte[] driver = driverUuid.clone(), device = deviceUuid.clone();
            int w = width, h = height, f = format, u = usage, flags = createFlags, type = memoryTypeIndex;
            boolean linear = tiling == 1;
            long bytes = allocationBytes;
            return new dev.baton.render.ExportedImageMemory() {
                @Override public int width() { return w; }
                @Override public int height() { return h; }
                @Override public int vkFormat() { return f; }
                @Override public boolean linearTiling() { return linear; }
                @Override public int vkUsage() { return u; }
                @Override public int vkCreateFlags() { return flags; }
                @Override public int memoryTypeIndex() { return type; }
                @Override public long allocationSizeBytes() { return bytes; }
                @Override public byte[] driverUuid() { return driver.clone(); }
                @Override public byte[] deviceUuid() { return device.clone(); }
                @Override public int dupFd() { return dupFd.getAsInt(); }
            };
        }

        @Override
        public String toString() {
            return "surface " + surfaceId + " " + width + "x" + height + " (" + allocationBytes + " bytes, memory choice "
                    + memoryChoice + ", sync choice " + syncChoice + ")";
        }
    }

    /** A small owned list of fds. */
    public static final class Fds {
        final int[] fds = new int[Protocol.MAX_FDS_PER_MESSAGE];
        int count;

        /**
         * Adds an fd, which this list now owns.
         *
         * @param fd the fd; closed if the list is full
         * @throws IllegalStateException if the list already holds {@link Protocol#MAX_FDS_PER_MESSAGE} fds
         */
        public void add(int fd) {
            if (count == fds.length) {
                dev.baton.render.ipc.Fds.closeQuietly(fd);
                throw new IllegalStateException("a surface holds at most " + fds.length + " fds");
            }
            fds[count++] = fd;
        }

        /** {@return how many fds the list holds} */
        public int count() {
            return count;
        }

        /**
         * The {@code i}th fd, still owned by the list.
         *
         * @param i an index below {@link #count()}
         * @return the fd
         */
        public int get(int i) {
            return fds[i];
        }

        void closeAll() {
            for (int i = 0; i < count; i++) {
                dev.baton.render.ipc.Fds.closeQuietly(fds[i]);
            }
            count = 0;
        }
    }

    final Description description = new Description();
    final Fds memoryFds = new Fds();
    final Fds syncFds = new Fds();
    final KeyedMutex mutex;
    final Broker.Connection creator;
    final ArrayList<Broker.Participant> participants = new ArrayList<>();
    /** Remote acquires waiting, oldest first; served by the event loop after every release. */
    final ArrayDeque<Broker.Participant> pending = new ArrayDeque<>();
    boolean closed;
    /** The highest fence value any participant reported reached (host bridge), unsigned. Written by the loop. */
    volatile long reachedFenceValue;

    BrokerSurface(int id, Broker.Connection creator, long initialKey, int maxPrivateDataBytes) {
        this.creator = creator;
        this.mutex = KeyedMutex.create(initialKey, maxPrivateDataBytes);
        description.surfaceId = id;
        description.initialKey = initialKey;
        description.maxPrivateDataBytes = maxPrivateDataBytes;
    }

    /** {@return the surface's description (live: owned and written by the loop thread)} */
    public Description description() {
        return description;
    }

    /** {@return the surface's id} */
    public int id() {
        return description.surfaceId;
    }

    /** {@return the id of the client that offered it} */
    public int creatorClientId() {
        return creator.id;
    }

    /** {@return the surface's keyed mutex; in-process participants may open handles on it from any thread} */
    public KeyedMutex mutex() {
        return mutex;
    }

    /** Whether the memory fd came from the client (memory choice 2 with an fd), not from the broker's allocator. */
    volatile boolean clientMemory;

    /**
     * {@return whether the memory is the client's own (relayed under the broker's client-memory policy), which
     * nothing in the broker's process may map or import unless it trusts that client ({@link Broker.Config#importsClientMemoryFor});
     * false for memory the broker's allocator made}
     */
    public boolean clientMemory() {
        return clientMemory;
    }

    /** {@return the memory fds the broker holds (for an in-process importer: dup before use)} */
    public Fds memoryFds() {
        return memoryFds;
    }

    /** {@return the sync fds the client offered (binary semaphores: ready, done), for an in-process importer: dup before use} */
    public Fds syncFds() {
        return syncFds;
    }

    /** {@return whether the broker closed the surface (its creator is gone)} Loop thread. */
    public boolean isClosed() {
        return closed;
    }
}
