package dev.baton.render.ipc;

import static org.lwjgl.system.MemoryUtil.memGetInt;
import static org.lwjgl.system.MemoryUtil.memPutInt;

import org.lwjgl.system.JNI;
import org.lwjgl.system.Library;
import org.lwjgl.system.SharedLibrary;
import org.lwjgl.system.linux.LinuxLibrary;

/**
 * The libc calls Baton's cross-process layer needs, called through LWJGL's generic JNI trampolines.
 *
 * <p>LWJGL 3.4.3 binds only {@code socket()} of the socket API, so every function here is looked up in
 * {@code libc.so.6} and called with {@code JNI.invokeP...}: every argument is passed widened to 64 bits
 * (on x86-64 the callee reads the low half of the register for an {@code int} parameter) and an
 * {@code int} result is the low 32 bits of the 64-bit return register. Struct layouts are those of glibc
 * on x86-64 Linux, the only platform this class accepts; {@code IpcLayoutTest} pins them.
 *
 * <p><b>errno.</b> Read with {@link #errno()} right after the failing call, through
 * {@code __errno_location()} of the calling thread (LWJGL's {@code LibCErrno} read a stale value on its
 * first use). Callers read it before doing anything else that could call into libc.
 *
 * <p>Thread-safety: every method may be called from any thread; the class holds no mutable state.
 */
public final class LibC {
    // ---- constants (x86-64 Linux, glibc) ----
    public static final int AF_UNIX = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_PEERCRED = 17;
    public static final int SO_SNDBUF = 7;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int SHUT_RDWR = 2;

    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    public static final int EINTR = 4;
    public static final int ENOENT = 2;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EEXIST = 17;
    public static final int EPIPE = 32;
    public static final int ECONNRESET = 104;
    public static final int ECONNREFUSED = 111;

    public static final int MFD_CLOEXEC = 1;
    public static final int MFD_ALLOW_SEALING = 2;
    public static final int F_GETFD = 1;
    public static final int F_GETFL = 3;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int FD_CLOEXEC = 1;
    public static final int F_SEAL_SEAL = 1;
    public static final int F_SEAL_SHRINK = 2;
    public static final int F_SEAL_GROW = 4;
    public static final int F_SEAL_WRITE = 8;
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;

    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    // ---- struct layouts (x86-64 glibc); pinned by IpcLayoutTest ----
    /** {@code struct msghdr}: 56 bytes. */
    public static final int MSGHDR_SIZEOF = 56, MSGHDR_NAME = 0, MSGHDR_NAMELEN = 8, MSGHDR_IOV = 16,
            MSGHDR_IOVLEN = 24, MSGHDR_CONTROL = 32, MSGHDR_CONTROLLEN = 40, MSGHDR_FLAGS = 48;
    /** {@code struct iovec}: 16 bytes. */
    public static final int IOVEC_SIZEOF = 16, IOVEC_BASE = 0, IOVEC_LEN = 8;
    /**
     * {@code struct cmsghdr}: {@code size_t cmsg_len; int cmsg_level; int cmsg_type;} then data at 16.
     * LWJGL's {@code CMsghdr} says 12 and 12, which is wrong for glibc x86-64: hence our own layout.
     */
    public static final int CMSGHDR_LEN = 0, CMSGHDR_LEVEL = 8, CMSGHDR_TYPE = 12, CMSGHDR_SIZEOF = 16;
    /** {@code struct sockaddr_un}: {@code sa_family_t sun_family; char sun_path[108];}. */
    public static final int SOCKADDR_UN_SIZEOF = 110, SUN_PATH = 2, SUN_PATH_MAX = 108;
    /** {@code struct ucred}: pid, uid, gid. */
    public static final int UCRED_SIZEOF = 12, UCRED_PID = 0, UCRED_UID = 4, UCRED_GID = 8;
    /** {@code struct pollfd}: fd, events, revents. */
    public static final int POLLFD_SIZEOF = 8, POLLFD_FD = 0, POLLFD_EVENTS = 4, POLLFD_REVENTS = 6;
    /** {@code struct stat} (x86-64): 144 bytes. */
    public static final int STAT_SIZEOF = 144, STAT_MODE = 24, STAT_UID = 28, STAT_SIZE = 48;

    /** {@code CMSG_ALIGN}: round up to {@code sizeof(size_t)}. */
    public static int cmsgAlign(int length) {
        return (length + 7) & ~7;
    }

    /** {@code CMSG_SPACE(n)}: bytes of control buffer one cmsg with {@code n} data bytes takes. */
    public static int cmsgSpace(int dataBytes) {
        return CMSGHDR_SIZEOF + cmsgAlign(dataBytes);
    }

    /** {@code CMSG_LEN(n)}: the {@code cmsg_len} of one cmsg with {@code n} data bytes. */
    public static int cmsgLen(int dataBytes) {
        return CMSGHDR_SIZEOF + dataBytes;
    }

    private static final SharedLibrary LIBC;
    private static final long ERRNO_LOCATION, SOCKET, SOCKETPAIR, BIND, LISTEN, ACCEPT4, CONNECT, SENDMSG,
            RECVMSG, GETSOCKOPT, SETSOCKOPT, SHUTDOWN, CLOSE, POLL, MEMFD_CREATE, FTRUNCATE, FCNTL, FSTAT, LSTAT,
            MMAP, MUNMAP, MKDIR, CHMOD, UNLINK, GETUID, GETPID, READ, WRITE, PIPE2, OPEN, EVENTFD, DUP;

    static {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new UnsupportedOperationException("Baton's cross-process layer needs Linux on x86-64 (its"
                    + " libc struct layouts are pinned for that ABI); this is " + os + " on " + arch);
        }
        Library.initialize();
        LIBC = new LinuxLibrary("libc.so.6");
        ERRNO_LOCATION = address("__errno_location");
        SOCKET = address("socket");
        SOCKETPAIR = address("socketpair");
        BIND = address("bind");
        LISTEN = address("listen");
        ACCEPT4 = address("accept4");
        CONNECT = address("connect");
        SENDMSG = address("sendmsg");
        RECVMSG = address("recvmsg");
        GETSOCKOPT = address("getsockopt");
        SETSOCKOPT = address("setsockopt");
        SHUTDOWN = address("shutdown");
        CLOSE = address("close");
        POLL = address("poll");
        MEMFD_CREATE = address("memfd_create");
        FTRUNCATE = address("ftruncate");
        FCNTL = address("fcntl");
        FSTAT = address("fstat");
        LSTAT = address("lstat");
        MMAP = address("mmap");
        MUNMAP = address("munmap");
        MKDIR = address("mkdir");
        CHMOD = address("chmod");
        UNLINK = address("unlink");
        GETUID = address("getuid");
        GETPID = address("getpid");
        READ = address("read");
        WRITE = address("write");
        PIPE2 = address("pipe2");
        OPEN = address("open");
        EVENTFD = address("eventfd");
        DUP = address("fcntl"); // dup with close-on-exec goes through fcntl(F_DUPFD_CLOEXEC)
    }

    private static long address(String name) {
        long a = LIBC.getFunctionAddress(name);
        if (a == 0L) {
            throw new UnsupportedOperationException("libc.so.6 has no '" + name + "': Baton needs glibc 2.33 or later");
        }
        return a;
    }

    private LibC() {
    }

    /** The calling thread's {@code errno}; read it right after the failed call. */
    public static int errno() {
        return memGetInt(JNI.invokeP(ERRNO_LOCATION));
    }

    /** Sets the calling thread's {@code errno} (to 0 before a call whose failure is ambiguous). */
    public static void setErrno(int value) {
        memPutInt(JNI.invokeP(ERRNO_LOCATION), value);
    }

    public static int socket(int domain, int type, int protocol) {
        return (int) JNI.invokePPPP(domain, type, protocol, SOCKET);
    }

    /** {@code socketpair(domain, type, protocol, int sv[2])}; {@code sv} points to 8 bytes. */
    public static int socketpair(int domain, int type, int protocol, long sv) {
        return (int) JNI.invokePPPPP(domain, type, protocol, sv, SOCKETPAIR);
    }

    public static int bind(int fd, long addr, int addrLength) {
        return (int) JNI.invokePPPP(fd, addr, addrLength, BIND);
    }

    public static int listen(int fd, int backlog) {
        return (int) JNI.invokePPP(fd, backlog, LISTEN);
    }

    public static int accept4(int fd, long addr, long addrLengthPointer, int flags) {
        return (int) JNI.invokePPPPP(fd, addr, addrLengthPointer, flags, ACCEPT4);
    }

    public static int connect(int fd, long addr, int addrLength) {
        return (int) JNI.invokePPPP(fd, addr, addrLength, CONNECT);
    }

    public static long sendmsg(int fd, long msghdr, int flags) {
        return JNI.invokePPPP(fd, msghdr, flags, SENDMSG);
    }

    public static long recvmsg(int fd, long msghdr, int flags) {
        return JNI.invokePPPP(fd, msghdr, flags, RECVMSG);
    }

    public static int getsockopt(int fd, int level, int name, long value, long lengthPointer) {
        return (int) JNI.invokePPPPPP(fd, level, name, value, lengthPointer, GETSOCKOPT);
    }

    public static int setsockopt(int fd, int level, int name, long value, int length) {
        return (int) JNI.invokePPPPPP(fd, level, name, value, length, SETSOCKOPT);
    }

    public static int shutdown(int fd, int how) {
        return (int) JNI.invokePPP(fd, how, SHUTDOWN);
    }

    public static int close(int fd) {
        return (int) JNI.invokePP(fd, CLOSE);
    }

    /** {@code poll(struct pollfd *fds, nfds_t n, int timeoutMillis)}. */
    public static int poll(long fds, int count, int timeoutMillis) {
        return (int) JNI.invokePPPP(fds, count, timeoutMillis, POLL);
    }

    /** {@code memfd_create(name, flags)}; {@code name} is a NUL-terminated string address. */
    public static int memfdCreate(long name, int flags) {
        return (int) JNI.invokePPP(name, flags, MEMFD_CREATE);
    }

    public static int ftruncate(int fd, long length) {
        return (int) JNI.invokePPP(fd, length, FTRUNCATE);
    }

    public static int fcntl(int fd, int command, long argument) {
        return (int) JNI.invokePPPP(fd, command, argument, FCNTL);
    }

    /** {@code fstat(fd, struct stat *)}; {@code stat} points to {@link #STAT_SIZEOF} bytes. */
    public static int fstat(int fd, long stat) {
        return (int) JNI.invokePPP(fd, stat, FSTAT);
    }

    public static int lstat(long path, long stat) {
        return (int) JNI.invokePPP(path, stat, LSTAT);
    }

    /** {@code mmap}; returns {@code MAP_FAILED} (-1) on failure. */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return JNI.invokePPPPPPP(addr, length, prot, flags, fd, offset, MMAP);
    }

    public static int munmap(long addr, long length) {
        return (int) JNI.invokePPP(addr, length, MUNMAP);
    }

    public static int mkdir(long path, int mode) {
        return (int) JNI.invokePPP(path, mode, MKDIR);
    }

    public static int chmod(long path, int mode) {
        return (int) JNI.invokePPP(path, mode, CHMOD);
    }

    public static int unlink(long path) {
        return (int) JNI.invokePP(path, UNLINK);
    }

    public static int getuid() {
        return (int) JNI.invokeP(GETUID);
    }

    public static int getpid() {
        return (int) JNI.invokeP(GETPID);
    }

    public static long read(int fd, long buffer, long count) {
        return JNI.invokePPPP(fd, buffer, count, READ);
    }

    public static long write(int fd, long buffer, long count) {
        return JNI.invokePPPP(fd, buffer, count, WRITE);
    }

    /** {@code pipe2(int fds[2], flags)}. */
    public static int pipe2(long fds, int flags) {
        return (int) JNI.invokePPP(fds, flags, PIPE2);
    }

    public static int open(long path, int flags, int mode) {
        return (int) JNI.invokePPPP(path, flags, mode, OPEN);
    }

    public static int eventfd(int initialValue, int flags) {
        return (int) JNI.invokePPP(initialValue, flags, EVENTFD);
    }

    /** {@code fcntl(fd, F_DUPFD_CLOEXEC, 0)}: a close-on-exec duplicate. */
    public static int dupCloexec(int fd) {
        return (int) JNI.invokePPPP(fd, 1030 /* F_DUPFD_CLOEXEC */, 0, DUP);
    }

    /** A name for an errno value, for messages. */
    public static String errnoName(int errno) {
        switch (errno) {
            case 1: return "EPERM";
            case ENOENT: return "ENOENT";
            case EINTR: return "EINTR";
            case EBADF: return "EBADF";
            case EAGAIN: return "EAGAIN";
            case 12: return "ENOMEM";
            case 13: return "EACCES";
            case 14: return "EFAULT";
            case EEXIST: return "EEXIST";
            case 20: return "ENOTDIR";
            case 22: return "EINVAL";
            case 24: return "EMFILE";
            case 28: return "ENOSPC";
            case EPIPE: return "EPIPE";
            case 36: return "ENAMETOOLONG";
            case 88: return "ENOTSOCK";
            case 90: return "EMSGSIZE";
            case 98: return "EADDRINUSE";
            case ECONNRESET: return "ECONNRESET";
            case 105: return "ENOBUFS";
            case 107: return "ENOTCONN";
            case ECONNREFUSED: return "ECONNREFUSED";
            default: return "errno";
        }
    }
}
