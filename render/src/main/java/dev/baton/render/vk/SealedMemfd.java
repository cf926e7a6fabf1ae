package dev.baton.render.vk;

import static org.lwjgl.system.MemoryUtil.NULL;

import java.nio.IntBuffer;
import org.lwjgl.system.JNI;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.linux.FCNTL;
import org.lwjgl.system.linux.LinuxLibrary;
import org.lwjgl.system.linux.MMAN;
import org.lwjgl.system.linux.UNISTD;

/**
 * An anonymous file of fixed size ({@code memfd_create}), sized once and then sealed with
 * {@code F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL}: nobody holding the fd (another process included)
 * can truncate it under a mapping, the SIGBUS that an unsealed memory fd allows (SwiftShader's
 * OPAQUE_FD memory is sealed with SEAL only). Its pages are what {@link HostMemoryImport} hands every
 * driver as host memory.
 *
 * <p>One owner; {@link #close()} closes the fd (mappings stay valid until unmapped).
 */
final class SealedMemfd implements AutoCloseable {
    private static final int MFD_CLOEXEC = 1;
    private static final int MFD_ALLOW_SEALING = 2;

    /** libc's memfd_create and ftruncate, which LWJGL does not bind. */
    private static final class Libc {
        static final LinuxLibrary LIBRARY = new LinuxLibrary("libc.so.6");
        static final long MEMFD_CREATE = function("memfd_create");
        static final long FTRUNCATE = function("ftruncate");

        private static long function(String name) {
            long address = LIBRARY.getFunctionAddress(name);
            if (address == NULL) {
                throw new IllegalStateException("libc has no " + name + " (needs glibc 2.27 or later): host memory cannot be shared here");
            }
            return address;
        }
    }

    private final int fd;
    private final long sizeBytes;
    private boolean closed;

    private SealedMemfd(int fd, long sizeBytes) {
        this.fd = fd;
        this.sizeBytes = sizeBytes;
    }

    /**
     * Creates a sealed memfd of {@code sizeBytes} (zero-filled), close-on-exec.
     *
     * @throws IllegalStateException naming the call that failed
     */
    static SealedMemfd create(String name, long sizeBytes) {
        int fd;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            fd = JNI.invokePI(MemoryUtil.memAddress(stack.ASCII(name)), MFD_CLOEXEC | MFD_ALLOW_SEALING, Libc.MEMFD_CREATE);
        }
        if (fd < 0) {
            throw new IllegalStateException("memfd_create(" + name + ") failed: the process may be out of file descriptors (ulimit -n)");
        }
        try {
            if (JNI.invokePI(fd, sizeBytes, Libc.FTRUNCATE) != 0) {
                throw new IllegalStateException("ftruncate of memfd " + name + " to " + sizeBytes + " bytes failed: out of memory?");
            }
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer errno = stack.mallocInt(1);
                if (FCNTL.fcntli(errno, fd, FCNTL.F_ADD_SEALS, FCNTL.F_SEAL_SHRINK | FCNTL.F_SEAL_GROW | FCNTL.F_SEAL_SEAL) != 0) {
                    throw new IllegalStateException("fcntl(F_ADD_SEALS) on memfd " + name + " failed, errno " + errno.get(0));
                }
            }
            return new SealedMemfd(fd, sizeBytes);
        } catch (RuntimeException e) {
            UNISTD.nclose(NULL, fd);
            throw e;
        }
    }

    int fd() {
        return fd;
    }

    long sizeBytes() {
        return sizeBytes;
    }

    /** The seals on the fd ({@code F_GET_SEALS}), for checks. */
    int seals() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            return FCNTL.fcntl(stack.mallocInt(1), fd, FCNTL.F_GET_SEALS);
        }
    }

    /**
     * Maps the whole file shared and read-write; each call makes a new mapping of the same pages
     * (page-aligned). Unmap with {@link #unmap}.
     */
    long map() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer errno = stack.mallocInt(1);
            long address = MMAN.mmap(errno, NULL, sizeBytes, MMAN.PROT_READ | MMAN.PROT_WRITE, MMAN.MAP_SHARED, fd, 0);
            if (address == MMAN.MAP_FAILED) {
                throw new IllegalStateException("mmap of a " + sizeBytes + "-byte memfd failed, errno " + errno.get(0));
            }
            return address;
        }
    }

    /** Unmaps a mapping {@link #map} returned. */
    void unmap(long address) {
        MMAN.nmunmap(NULL, address, sizeBytes);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            UNISTD.nclose(NULL, fd);
        }
    }
}
