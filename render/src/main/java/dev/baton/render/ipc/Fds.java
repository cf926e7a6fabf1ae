package dev.baton.render.ipc;

import static org.lwjgl.system.MemoryUtil.memGetInt;
import static org.lwjgl.system.MemoryUtil.memGetLong;

import java.nio.ByteBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * File-descriptor helpers over {@link LibC}: memfds and their seals, {@code fstat}, close-on-exec
 * duplicates. Static, stateless, any thread. Calls that fail throw {@link NativeException} naming the
 * call; none of them allocates on the Java heap except when it throws.
 */
public final class Fds {
    /** The seals a trusted creator puts on a memfd so nobody can resize it: SHRINK | GROW | SEAL. */
    public static final int SEALS_FIXED_SIZE = LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_SEAL;

    private Fds() {
    }

    /**
     * Creates a close-on-exec memfd of {@code sizeBytes} that allows sealing.
     *
     * @param name a name shown in {@code /proc/PID/fd} (ASCII, for diagnostics)
     * @param sizeBytes the memfd's size in bytes (zero-filled)
     * @return the new descriptor, owned by the caller
     * @throws IllegalArgumentException if {@code sizeBytes} is negative
     * @throws NativeException if {@code memfd_create} or {@code ftruncate} fails (no fd is left open)
     */
    public static int memfdCreate(String name, long sizeBytes) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("memfd size must be >= 0, got " + sizeBytes);
        }
        int fd;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            fd = LibC.memfdCreate(MemoryUtil.memAddress(stack.ASCII(name)), LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        }
        if (fd < 0) {
            throw new NativeException("memfd_create(\"" + name + "\")", LibC.errno());
        }
        if (LibC.ftruncate(fd, sizeBytes) != 0) {
            int errno = LibC.errno();
            LibC.close(fd);
            throw new NativeException("ftruncate(memfd, " + sizeBytes + ")", errno);
        }
        return fd;
    }

    /**
     * Adds {@code seals} ({@code F_SEAL_*} bits) to a memfd.
     *
     * @param fd a memfd created with {@link LibC#MFD_ALLOW_SEALING}
     * @param seals the {@code F_SEAL_*} bits to add, e.g. {@link #SEALS_FIXED_SIZE}
     * @throws NativeException if {@code fcntl(F_ADD_SEALS)} fails (EPERM once {@code F_SEAL_SEAL} is set)
     */
    public static void addSeals(int fd, int seals) {
        if (LibC.fcntl(fd, LibC.F_ADD_SEALS, seals) != 0) {
            throw new NativeException("fcntl(" + fd + ", F_ADD_SEALS, " + seals + ")", LibC.errno());
        }
    }

    /**
     * The seals on {@code fd}; -1 if it is not a file that supports sealing (EINVAL).
     *
     * @param fd the descriptor
     * @return its {@code F_SEAL_*} bits, or -1
     * @throws NativeException if {@code fcntl(F_GET_SEALS)} fails otherwise (EBADF for a closed fd)
     */
    public static int seals(int fd) {
        int seals = LibC.fcntl(fd, LibC.F_GET_SEALS, 0);
        if (seals < 0) {
            int errno = LibC.errno();
            if (errno == 22) {
                return -1;
            }
            throw new NativeException("fcntl(" + fd + ", F_GET_SEALS)", errno);
        }
        return seals;
    }

    /**
     * Resizes {@code fd}; returns 0 or the errno (a sealed memfd refuses with EPERM).
     *
     * @param fd the file
     * @param sizeBytes the new size in bytes
     * @return 0, or the errno of the failed {@code ftruncate}
     */
    public static int truncate(int fd, long sizeBytes) {
        return LibC.ftruncate(fd, sizeBytes) == 0 ? 0 : LibC.errno();
    }

    /**
     * {@code fstat} of {@code fd} into {@code out}; returns 0 or the errno (EBADF for a closed fd).
     * Allocation-free: {@code out} is the caller's preallocated holder.
     *
     * @param fd the descriptor
     * @param out filled on success, untouched on failure
     * @return 0, or the errno of the failed {@code fstat}
     */
    public static int fstat(int fd, FileStatus out) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long stat = stack.nmalloc(8, LibC.STAT_SIZEOF);
            if (LibC.fstat(fd, stat) != 0) {
                return LibC.errno();
            }
            out.mode = memGetInt(stat + LibC.STAT_MODE);
            out.uid = memGetInt(stat + LibC.STAT_UID);
            out.rdev = memGetLong(stat + LibC.STAT_RDEV);
            out.sizeBytes = memGetLong(stat + LibC.STAT_SIZE);
            return 0;
        }
    }

    /**
     * {@code lstat} of {@code path}; returns 0 or the errno (ENOENT when absent). A symbolic link is
     * reported as itself, not followed.
     *
     * @param path the path
     * @param out filled on success, untouched on failure
     * @return 0, or the errno of the failed {@code lstat}
     */
    public static int lstat(String path, FileStatus out) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            ByteBuffer p = stack.UTF8(path);
            long stat = stack.nmalloc(8, LibC.STAT_SIZEOF);
            if (LibC.lstat(MemoryUtil.memAddress(p), stat) != 0) {
                return LibC.errno();
            }
            out.mode = memGetInt(stat + LibC.STAT_MODE);
            out.uid = memGetInt(stat + LibC.STAT_UID);
            out.sizeBytes = memGetLong(stat + LibC.STAT_SIZE);
            return 0;
        }
    }

    /**
     * True if {@code fd} has FD_CLOEXEC set.
     *
     * @param fd the descriptor
     * @return whether it is closed on {@code exec}
     * @throws NativeException if {@code fcntl(F_GETFD)} fails (EBADF for a closed fd)
     */
    public static boolean isCloseOnExec(int fd) {
        int flags = LibC.fcntl(fd, LibC.F_GETFD, 0);
        if (flags < 0) {
            throw new NativeException("fcntl(" + fd + ", F_GETFD)", LibC.errno());
        }
        return (flags & LibC.FD_CLOEXEC) != 0;
    }

    /**
     * A close-on-exec duplicate of {@code fd}.
     *
     * @param fd the descriptor to duplicate; it stays open
     * @return the new descriptor, owned by the caller
     * @throws NativeException if {@code fcntl(F_DUPFD_CLOEXEC)} fails
     */
    public static int dup(int fd) {
        int copy = LibC.dupCloexec(fd);
        if (copy < 0) {
            throw new NativeException("fcntl(" + fd + ", F_DUPFD_CLOEXEC)", LibC.errno());
        }
        return copy;
    }

    /**
     * Closes {@code fd} if it is &gt;= 0; errors are ignored (the fd is gone either way on Linux).
     *
     * @param fd the descriptor, or a negative value for none
     */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            LibC.close(fd);
        }
    }

    /**
     * Opens {@code path} close-on-exec (for tests and diagnostics: {@code /dev/null}).
     *
     * @param path the path
     * @param flags {@code open(2)} flags such as {@link LibC#O_RDWR}; {@link LibC#O_CLOEXEC} is added
     * @return the new descriptor, owned by the caller
     * @throws NativeException if {@code open} fails
     */
    public static int open(String path, int flags) {
        int fd;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            fd = LibC.open(MemoryUtil.memAddress(stack.UTF8(path)), flags | LibC.O_CLOEXEC, 0);
        }
        if (fd < 0) {
            throw new NativeException("open(\"" + path + "\")", LibC.errno());
        }
        return fd;
    }

    /**
     * A close-on-exec pipe.
     *
     * @return {@code [read end, write end]}, both owned by the caller
     * @throws NativeException if {@code pipe2} fails
     */
    public static int[] pipe() {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long fds = stack.nmalloc(4, 8);
            if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0) {
                throw new NativeException("pipe2", LibC.errno());
            }
            return new int[] {memGetInt(fds), memGetInt(fds + 4)};
        }
    }

    /** What {@link #fstat} reports: the file type and permission bits, the owner, the device a device node stands for, and the size. */
    public static final class FileStatus {
        int mode;
        int uid;
        long rdev;
        long sizeBytes;

        /** {@return the major number of the device a character or block device node stands for ({@code major(st_rdev)}, as glibc splits it)} */
        public int deviceMajor() {
            return (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
        }

        /** {@return {@code st_mode & S_IFMT}: {@link LibC#S_IFREG}, {@link LibC#S_IFIFO}, ...} */
        public int type() {
            return mode & LibC.S_IFMT;
        }

        /** {@return the permission bits ({@code st_mode & 07777})} */
        public int permissions() {
            return mode & 07777;
        }

        /** {@return the owner's user id ({@code st_uid})} */
        public int uid() {
            return uid;
        }

        /** {@return the file's size in bytes ({@code st_size})} */
        public long sizeBytes() {
            return sizeBytes;
        }

        /**
         * A short name for a file type, for messages.
         *
         * @param type a value of {@link #type()}
         * @return such as {@code "regular file"}, or the type in octal for one not listed
         */
        public static String typeName(int type) {
            switch (type) {
                case LibC.S_IFREG: return "regular file";
                case LibC.S_IFIFO: return "pipe";
                case LibC.S_IFCHR: return "character device";
                case LibC.S_IFSOCK: return "socket";
                case LibC.S_IFDIR: return "directory";
                case 0: return "anonymous inode";
                default: return "file type 0" + Integer.toOctalString(type);
            }
        }
    }
}
