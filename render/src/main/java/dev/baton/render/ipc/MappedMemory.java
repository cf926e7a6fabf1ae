package dev.baton.render.ipc;

import java.nio.ByteBuffer;
import org.lwjgl.system.MemoryUtil;

/**
 * A shared mapping of a file descriptor ({@code mmap(MAP_SHARED)}), unmapped by {@link #close()}.
 * The mapping keeps the memory alive after the fd is closed. Owner: whoever created it; {@code close}
 * is idempotent, and the buffer must not be used after it.
 */
public final class MappedMemory implements AutoCloseable {
    private long address;
    private final long sizeBytes;

    private MappedMemory(long address, long sizeBytes) {
        this.address = address;
        this.sizeBytes = sizeBytes;
    }

    /**
     * Maps {@code sizeBytes} of {@code fd} from offset 0, readable and, if {@code writable}, writable.
     *
     * @param fd the file to map (a memfd); it may be closed afterwards, the mapping stays
     * @param sizeBytes bytes to map, 1 to {@link Integer#MAX_VALUE}
     * @param writable whether the mapping may be written
     * @return the mapping, owned by the caller
     * @throws IllegalArgumentException if {@code sizeBytes} is out of range
     * @throws NativeException if {@code mmap} fails (e.g. a read-only fd mapped writable)
     */
    public static MappedMemory map(int fd, long sizeBytes, boolean writable) {
        if (sizeBytes <= 0 || sizeBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mapping size must be in 1.." + Integer.MAX_VALUE + ", got " + sizeBytes);
        }
        int prot = LibC.PROT_READ | (writable ? LibC.PROT_WRITE : 0);
        long address = LibC.mmap(0L, sizeBytes, prot, LibC.MAP_SHARED, fd, 0L);
        if (address == -1L) {
            throw new NativeException("mmap(fd " + fd + ", " + sizeBytes + " bytes)", LibC.errno());
        }
        return new MappedMemory(address, sizeBytes);
    }

    /**
     * The mapping as a direct buffer (a new view object per call: call once and keep it).
     *
     * @return a buffer over the whole mapping, native byte order
     * @throws IllegalStateException if the mapping is closed
     */
    public ByteBuffer buffer() {
        if (address == 0L) {
            throw new IllegalStateException("mapping is closed");
        }
        return MemoryUtil.memByteBuffer(address, (int) sizeBytes);
    }

    /** {@return the mapping's address, 0 once closed} */
    public long address() {
        return address;
    }

    /** {@return the mapped length in bytes} */
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public void close() {
        if (address != 0L) {
            LibC.munmap(address, sizeBytes);
            address = 0L;
        }
    }
}
