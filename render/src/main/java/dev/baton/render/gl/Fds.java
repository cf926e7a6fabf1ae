package dev.baton.render.gl;

import java.nio.IntBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.linux.FCNTL;
import org.lwjgl.system.linux.UNISTD;

/** POSIX file-descriptor helpers for fd-based imports (exported memory and semaphores). */
public final class Fds {
    private Fds() {}

    /**
     * Duplicates {@code fd} (close-on-exec) so that one import can take ownership of the copy.
     *
     * @param fd an open file descriptor
     * @return the duplicate
     * @throws IllegalStateException with the errno if the process is out of file descriptors or
     *     {@code fd} is not open
     */
    public static int dup(int fd) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer errno = stack.mallocInt(1);
            int copy = FCNTL.fcntli(errno, fd, FCNTL.F_DUPFD_CLOEXEC, 0);
            if (copy < 0) {
                throw new IllegalStateException("fcntl(F_DUPFD_CLOEXEC) on fd " + fd + " failed, errno " + errno.get(0)
                        + " (is the fd still open? check `ulimit -n` if the process leaks fds)");
            }
            return copy;
        }
    }

    /**
     * Closes {@code fd}; a negative fd is ignored. Errors are ignored (nothing useful can be done).
     *
     * @param fd the file descriptor, or a negative value
     */
    public static void close(int fd) {
        if (fd >= 0) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                UNISTD.close(stack.mallocInt(1), fd);
            }
        }
    }
}
