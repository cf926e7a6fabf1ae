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

    /** Maps {@code sizeBytes} of {@code fd} from offset 0, readable and, if {@code writable}, writable. */
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

    /** The mapping as a direct buffer (a new view object per call: call once and keep it). */
    public ByteBuffer buffer() {
        if (address == 0L) {
            throw new IllegalStateException("mapping is closed");
        }
        return MemoryUtil.memByteBuffer(address, (int) sizeBytes);
    }

    public long address() {
        return address;
    }

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
