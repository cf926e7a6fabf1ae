package dev.baton.render.vk;

import java.nio.IntBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.linux.MMAN;

/**
 * What every producer-side view of the broker's memfd does first ({@link HostMemorySurface},
 * {@link HostCopyMemfdSurface}, {@link HostCopyMemfdTransfers}): checks that the allocation holds a
 * whole RGBA8 frame, and maps it shared and read-write.
 */
final class BrokerPages {
    private BrokerPages() {}

    /**
     * Checks that {@code allocationBytes} hold a {@code width x height} RGBA8 frame.
     *
     * @return the frame's size in bytes
     * @throws IllegalStateException if they do not
     */
    static long checkFrame(long allocationBytes, int width, int height) {
        long frame = (long) width * height * 4;
        if (frame > allocationBytes) {
            throw new IllegalStateException("the broker allocated " + allocationBytes + " bytes, less than a " + width + "x" + height
                    + " RGBA8 frame");
        }
        return frame;
    }

    /**
     * Maps {@code allocationBytes} of {@code fd} shared and read-write (the fd is not kept).
     *
     * @return the mapping, owned by the caller ({@code MMAN.nmunmap(0, mapping, allocationBytes)})
     * @throws IllegalStateException with the errno if mmap fails
     */
    static long map(int fd, long allocationBytes) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer errno = stack.mallocInt(1);
            long mapping = MMAN.mmap(errno, 0L, allocationBytes, MMAN.PROT_READ | MMAN.PROT_WRITE, MMAN.MAP_SHARED, fd, 0);
            if (mapping == MMAN.MAP_FAILED) {
                throw new IllegalStateException("mmap of the broker's " + allocationBytes + "-byte memfd failed, errno " + errno.get(0));
            }
            return mapping;
        }
    }
}
