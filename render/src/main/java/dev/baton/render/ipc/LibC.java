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
    /** Address family of Unix-domain sockets ({@code socket(2)} domain). */
    public static final int AF_UNIX = 1;
    /** Connection-oriented socket type that keeps message boundaries. */
    public static final int SOCK_SEQPACKET = 5;
    /** Socket type flag: the new socket is non-blocking. */
    public static final int SOCK_NONBLOCK = 0x800;
    /** Socket type flag: the new descriptor is closed on {@code exec}. */
    public static final int SOCK_CLOEXEC = 0x80000;
    /** Socket option level of the socket itself ({@code getsockopt}, control messages). */
    public static final int SOL_SOCKET = 1;
    /** Socket option: the peer's {@code struct ucred} (pid, uid, gid) at connect time. */
    public static final int SO_PEERCRED = 17;
    /** Socket option: the send buffer size in bytes. */
    public static final int SO_SNDBUF = 7;
    /** Control message type that carries file descriptors. */
    public static final int SCM_RIGHTS = 1;
    /** {@code msg_flags} bit: control data was truncated (descriptors were lost). */
    public static final int MSG_CTRUNC = 0x8;
    /** {@code msg_flags} bit: the message was longer than the buffer and was truncated. */
    public static final int MSG_TRUNC = 0x20;
    /** Send/receive flag: do not block; fail with {@link #EAGAIN} instead. */
    public static final int MSG_DONTWAIT = 0x40;
    /** Send flag: a closed peer gives {@link #EPIPE} instead of raising {@code SIGPIPE}. */
    public static final int MSG_NOSIGNAL = 0x4000;
    /** Receive flag: descriptors received by {@code SCM_RIGHTS} are close-on-exec. */
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** {@code shutdown(2)}: stop both reception and transmission. */
    public static final int SHUT_RDWR = 2;

    /** {@code poll(2)} event: data (or a connection, or end of file) to read. */
    public static final short POLLIN = 0x1;
    /** {@code poll(2)} event: writing will not block. */
    public static final short POLLOUT = 0x4;
    /** {@code poll(2)} returned event: an error condition. */
    public static final short POLLERR = 0x8;
    /** {@code poll(2)} returned event: the peer hung up. */
    public static final short POLLHUP = 0x10;
    /** {@code poll(2)} returned event: the descriptor is not open. */
    public static final short POLLNVAL = 0x20;

    /** errno: interrupted by a signal; retry the call. */
    public static final int EINTR = 4;
    /** errno: no such file or directory. */
    public static final int ENOENT = 2;
    /** errno: the descriptor is not open. */
    public static final int EBADF = 9;
    /** errno: the non-blocking call would block. */
    public static final int EAGAIN = 11;
    /** errno: the file (e.g. a socket path) already exists. */
    public static final int EEXIST = 17;
    /** errno: the peer closed its end. */
    public static final int EPIPE = 32;
    /** errno: the peer reset the connection. */
    public static final int ECONNRESET = 104;
    /** errno: nobody listens on the socket path. */
    public static final int ECONNREFUSED = 111;

    /** {@code memfd_create(2)} flag: the descriptor is close-on-exec. */
    public static final int MFD_CLOEXEC = 1;
    /** {@code memfd_create(2)} flag: seals may be added with {@link #F_ADD_SEALS}. */
    public static final int MFD_ALLOW_SEALING = 2;
    /** {@code fcntl(2)} command: read the descriptor flags ({@link #FD_CLOEXEC}). */
    public static final int F_GETFD = 1;
    /** {@code fcntl(2)} command: read the file status flags (access mode, {@link #O_NONBLOCK}). */
    public static final int F_GETFL = 3;
    /** {@code fcntl(2)} command: add seals to a memfd. */
    public static final int F_ADD_SEALS = 1033;
    /** {@code fcntl(2)} command: read a memfd's seals. */
    public static final int F_GET_SEALS = 1034;
    /** Descriptor flag: closed on {@code exec}. */
    public static final int FD_CLOEXEC = 1;
    /** Seal: no further seals may be added. */
    public static final int F_SEAL_SEAL = 1;
    /** Seal: the file may not shrink. */
    public static final int F_SEAL_SHRINK = 2;
    /** Seal: the file may not grow. */
    public static final int F_SEAL_GROW = 4;
    /** Seal: the contents may not be written. */
    public static final int F_SEAL_WRITE = 8;
    /** Open/access mode: read only. */
    public static final int O_RDONLY = 0;
    /** Open/access mode: read and write. */
    public static final int O_RDWR = 2;
    /** File status flag: non-blocking I/O. */
    public static final int O_NONBLOCK = 0x800;
    /** {@code open(2)} flag: the descriptor is close-on-exec. */
    public static final int O_CLOEXEC = 0x80000;
    /** {@code eventfd(2)} flag: non-blocking reads and writes. */
    public static final int EFD_NONBLOCK = 0x800;
    /** {@code eventfd(2)} flag: the descriptor is close-on-exec. */
    public static final int EFD_CLOEXEC = 0x80000;

    /** {@code mmap(2)} protection: pages may be read. */
    public static final int PROT_READ = 1;
    /** {@code mmap(2)} protection: pages may be written. */
    public static final int PROT_WRITE = 2;
    /** {@code mmap(2)} flag: writes are shared with every other mapping of the file. */
    public static final int MAP_SHARED = 1;

    /** {@code st_mode} mask of the file type bits. */
    public static final int S_IFMT = 0170000;
    /** {@code st_mode} file type: socket. */
    public static final int S_IFSOCK = 0140000;
    /** {@code st_mode} file type: regular file (a memfd is one). */
    public static final int S_IFREG = 0100000;
    /** {@code st_mode} file type: directory. */
    public static final int S_IFDIR = 0040000;
    /** {@code st_mode} file type: character device. */
    public static final int S_IFCHR = 0020000;
    /** {@code st_mode} file type: FIFO (pipe). */
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
    public static final int STAT_SIZEOF = 144, STAT_MODE = 24, STAT_UID = 28, STAT_RDEV = 40, STAT_SIZE = 48;

    /**
     * {@code CMSG_ALIGN}: round up to {@code sizeof(size_t)}.
     *
     * @param length a length in bytes
     * @return {@code length} rounded up to a multiple of 8
     */
    public static int cmsgAlign(int length) {
        return (length + 7) & ~7;
    }

    /**
     * {@code CMSG_SPACE(n)}: bytes of control buffer one cmsg with {@code n} data bytes takes.
     *
     * @param dataBytes the cmsg's data bytes (4 per descriptor for {@link #SCM_RIGHTS})
     * @return the header size plus the data rounded up to 8 bytes
     */
    public static int cmsgSpace(int dataBytes) {
        return CMSGHDR_SIZEOF + cmsgAlign(dataBytes);
    }

    /**
     * {@code CMSG_LEN(n)}: the {@code cmsg_len} of one cmsg with {@code n} data bytes.
     *
     * @param dataBytes the cmsg's data bytes
     * @return the header size plus {@code dataBytes}, unpadded
     */
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

    /** {@return the calling thread's {@code errno}} Read it right after the failed call. */
    public static int errno() {
        return memGetInt(JNI.invokeP(ERRNO_LOCATION));
    }

    /**
     * Sets the calling thread's {@code errno} (to 0 before a call whose failure is ambiguous).
     *
     * @param value the new errno value
     */
    public static void setErrno(int value) {
        memPutInt(JNI.invokeP(ERRNO_LOCATION), value);
    }

    /**
     * {@code socket(domain, type, protocol)}.
     *
     * @param domain the address family, {@link #AF_UNIX}
     * @param type the socket type or-ed with {@link #SOCK_NONBLOCK}, {@link #SOCK_CLOEXEC}
     * @param protocol 0 for the default
     * @return the new descriptor, or -1 with {@link #errno()} set
     */
    public static int socket(int domain, int type, int protocol) {
        return (int) JNI.invokePPPP(domain, type, protocol, SOCKET);
    }

    /**
     * {@code socketpair(domain, type, protocol, int sv[2])}; {@code sv} points to 8 bytes.
     *
     * @param domain the address family, {@link #AF_UNIX}
     * @param type the socket type, e.g. {@link #SOCK_SEQPACKET} or-ed with {@link #SOCK_CLOEXEC}
     * @param protocol 0 for the default
     * @param sv address of two {@code int}s that receive the connected descriptors
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int socketpair(int domain, int type, int protocol, long sv) {
        return (int) JNI.invokePPPPP(domain, type, protocol, sv, SOCKETPAIR);
    }

    /**
     * {@code bind(fd, addr, addrLength)}.
     *
     * @param fd the socket
     * @param addr address of a {@code struct sockaddr_un}
     * @param addrLength its length in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int bind(int fd, long addr, int addrLength) {
        return (int) JNI.invokePPPP(fd, addr, addrLength, BIND);
    }

    /**
     * {@code listen(fd, backlog)}.
     *
     * @param fd the bound socket
     * @param backlog the most pending connections the kernel queues
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int listen(int fd, int backlog) {
        return (int) JNI.invokePPP(fd, backlog, LISTEN);
    }

    /**
     * {@code accept4(fd, addr, addrLengthPointer, flags)}.
     *
     * @param fd the listening socket
     * @param addr address that receives the peer's address, or 0
     * @param addrLengthPointer address of its {@code socklen_t} length, or 0
     * @param flags {@link #SOCK_NONBLOCK}, {@link #SOCK_CLOEXEC}
     * @return the connected descriptor, or -1 with {@link #errno()} set
     */
    public static int accept4(int fd, long addr, long addrLengthPointer, int flags) {
        return (int) JNI.invokePPPPP(fd, addr, addrLengthPointer, flags, ACCEPT4);
    }

    /**
     * {@code connect(fd, addr, addrLength)}.
     *
     * @param fd the socket
     * @param addr address of a {@code struct sockaddr_un}
     * @param addrLength its length in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int connect(int fd, long addr, int addrLength) {
        return (int) JNI.invokePPPP(fd, addr, addrLength, CONNECT);
    }

    /**
     * {@code sendmsg(fd, msghdr, flags)}.
     *
     * @param fd the socket
     * @param msghdr address of a {@code struct msghdr} ({@link #MSGHDR_SIZEOF} bytes)
     * @param flags e.g. {@link #MSG_NOSIGNAL}, {@link #MSG_DONTWAIT}
     * @return the bytes sent, or -1 with {@link #errno()} set
     */
    public static long sendmsg(int fd, long msghdr, int flags) {
        return JNI.invokePPPP(fd, msghdr, flags, SENDMSG);
    }

    /**
     * {@code recvmsg(fd, msghdr, flags)}.
     *
     * @param fd the socket
     * @param msghdr address of a {@code struct msghdr} whose {@code msg_flags} receives {@link #MSG_TRUNC}, {@link #MSG_CTRUNC}
     * @param flags e.g. {@link #MSG_CMSG_CLOEXEC}, {@link #MSG_DONTWAIT}
     * @return the bytes received, 0 when the peer closed the connection, or -1 with {@link #errno()} set
     */
    public static long recvmsg(int fd, long msghdr, int flags) {
        return JNI.invokePPPP(fd, msghdr, flags, RECVMSG);
    }

    /**
     * {@code getsockopt(fd, level, name, value, lengthPointer)}.
     *
     * @param fd the socket
     * @param level the option level, {@link #SOL_SOCKET}
     * @param name the option, e.g. {@link #SO_PEERCRED}
     * @param value address that receives the option's value
     * @param lengthPointer address of a {@code socklen_t}: the buffer size in, the value size out
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int getsockopt(int fd, int level, int name, long value, long lengthPointer) {
        return (int) JNI.invokePPPPPP(fd, level, name, value, lengthPointer, GETSOCKOPT);
    }

    /**
     * {@code setsockopt(fd, level, name, value, length)}.
     *
     * @param fd the socket
     * @param level the option level, {@link #SOL_SOCKET}
     * @param name the option, e.g. {@link #SO_SNDBUF}
     * @param value address of the new value
     * @param length its size in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int setsockopt(int fd, int level, int name, long value, int length) {
        return (int) JNI.invokePPPPPP(fd, level, name, value, length, SETSOCKOPT);
    }

    /**
     * {@code shutdown(fd, how)}.
     *
     * @param fd the socket
     * @param how {@link #SHUT_RDWR}
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int shutdown(int fd, int how) {
        return (int) JNI.invokePPP(fd, how, SHUTDOWN);
    }

    /**
     * {@code close(fd)}.
     *
     * @param fd the descriptor; it is released even when this fails with {@link #EINTR}
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int close(int fd) {
        return (int) JNI.invokePP(fd, CLOSE);
    }

    /**
     * {@code poll(struct pollfd *fds, nfds_t n, int timeoutMillis)}.
     *
     * @param fds address of {@code count} {@code struct pollfd} ({@link #POLLFD_SIZEOF} bytes each)
     * @param count the number of entries
     * @param timeoutMillis milliseconds to wait; 0 returns at once, -1 waits without a deadline
     * @return the number of entries with events, 0 on timeout, or -1 with {@link #errno()} set
     *     ({@link #EINTR} when a signal interrupted the wait)
     */
    public static int poll(long fds, int count, int timeoutMillis) {
        return (int) JNI.invokePPPP(fds, count, timeoutMillis, POLL);
    }

    /**
     * {@code memfd_create(name, flags)}; {@code name} is a NUL-terminated string address.
     *
     * @param name address of a NUL-terminated name (shown in {@code /proc/<pid>/fd}; need not be unique)
     * @param flags {@link #MFD_CLOEXEC}, {@link #MFD_ALLOW_SEALING}
     * @return the new descriptor, or -1 with {@link #errno()} set
     */
    public static int memfdCreate(long name, int flags) {
        return (int) JNI.invokePPP(name, flags, MEMFD_CREATE);
    }

    /**
     * {@code ftruncate(fd, length)}.
     *
     * @param fd the file (e.g. a memfd)
     * @param length the new size in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int ftruncate(int fd, long length) {
        return (int) JNI.invokePPP(fd, length, FTRUNCATE);
    }

    /**
     * {@code fcntl(fd, command, argument)}.
     *
     * @param fd the descriptor
     * @param command e.g. {@link #F_GETFD}, {@link #F_GETFL}, {@link #F_ADD_SEALS}
     * @param argument the command's argument, 0 if it takes none
     * @return the command's result (flags, seals, or 0), or -1 with {@link #errno()} set
     */
    public static int fcntl(int fd, int command, long argument) {
        return (int) JNI.invokePPPP(fd, command, argument, FCNTL);
    }

    /**
     * {@code fstat(fd, struct stat *)}; {@code stat} points to {@link #STAT_SIZEOF} bytes.
     *
     * @param fd the descriptor
     * @param stat address of the {@code struct stat} to fill
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int fstat(int fd, long stat) {
        return (int) JNI.invokePPP(fd, stat, FSTAT);
    }

    /**
     * {@code lstat(path, stat)}.
     *
     * @param path address of a NUL-terminated path; a symbolic link is not followed
     * @param stat address of the {@code struct stat} ({@link #STAT_SIZEOF} bytes) to fill
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int lstat(long path, long stat) {
        return (int) JNI.invokePPP(path, stat, LSTAT);
    }

    /**
     * {@code mmap}; returns {@code MAP_FAILED} (-1) on failure.
     *
     * @param addr the address hint, 0 to let the kernel choose
     * @param length bytes to map
     * @param prot {@link #PROT_READ}, {@link #PROT_WRITE}
     * @param flags {@link #MAP_SHARED}
     * @param fd the descriptor to map
     * @param offset byte offset in the file, a multiple of the page size
     * @return the mapping's address, or -1 with {@link #errno()} set
     */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return JNI.invokePPPPPPP(addr, length, prot, flags, fd, offset, MMAP);
    }

    /**
     * {@code munmap(addr, length)}.
     *
     * @param addr the mapping's address, as {@link #mmap} returned it
     * @param length the mapped length in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int munmap(long addr, long length) {
        return (int) JNI.invokePPP(addr, length, MUNMAP);
    }

    /**
     * {@code mkdir(path, mode)}.
     *
     * @param path address of a NUL-terminated path
     * @param mode permission bits, masked by the umask
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int mkdir(long path, int mode) {
        return (int) JNI.invokePPP(path, mode, MKDIR);
    }

    /**
     * {@code chmod(path, mode)}.
     *
     * @param path address of a NUL-terminated path
     * @param mode the new permission bits
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int chmod(long path, int mode) {
        return (int) JNI.invokePPP(path, mode, CHMOD);
    }

    /**
     * {@code unlink(path)}.
     *
     * @param path address of a NUL-terminated path
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int unlink(long path) {
        return (int) JNI.invokePP(path, UNLINK);
    }

    /** {@return the real user id of the calling process (never fails)} */
    public static int getuid() {
        return (int) JNI.invokeP(GETUID);
    }

    /** {@return the process id of the calling process (never fails)} */
    public static int getpid() {
        return (int) JNI.invokeP(GETPID);
    }

    /**
     * {@code read(fd, buffer, count)}.
     *
     * @param fd the descriptor
     * @param buffer address of the destination
     * @param count the most bytes to read
     * @return the bytes read, 0 at end of file, or -1 with {@link #errno()} set
     */
    public static long read(int fd, long buffer, long count) {
        return JNI.invokePPPP(fd, buffer, count, READ);
    }

    /**
     * {@code write(fd, buffer, count)}.
     *
     * @param fd the descriptor
     * @param buffer address of the source
     * @param count the bytes to write
     * @return the bytes written (possibly fewer than {@code count}), or -1 with {@link #errno()} set
     */
    public static long write(int fd, long buffer, long count) {
        return JNI.invokePPPP(fd, buffer, count, WRITE);
    }

    /**
     * {@code pipe2(int fds[2], flags)}.
     *
     * @param fds address of two {@code int}s: the read end, then the write end
     * @param flags {@link #O_CLOEXEC}, {@link #O_NONBLOCK}
     * @return 0, or -1 with {@link #errno()} set
     */
    public static int pipe2(long fds, int flags) {
        return (int) JNI.invokePPP(fds, flags, PIPE2);
    }

    /**
     * {@code open(path, flags, mode)}.
     *
     * @param path address of a NUL-terminated path
     * @param flags e.g. {@link #O_RDWR} or-ed with {@link #O_CLOEXEC}
     * @param mode permission bits for a created file, else ignored
     * @return the new descriptor, or -1 with {@link #errno()} set
     */
    public static int open(long path, int flags, int mode) {
        return (int) JNI.invokePPPP(path, flags, mode, OPEN);
    }

    /**
     * {@code eventfd(initialValue, flags)}.
     *
     * @param initialValue the counter's initial value
     * @param flags {@link #EFD_NONBLOCK}, {@link #EFD_CLOEXEC}
     * @return the new descriptor, or -1 with {@link #errno()} set
     */
    public static int eventfd(int initialValue, int flags) {
        return (int) JNI.invokePPP(initialValue, flags, EVENTFD);
    }

    /**
     * {@code fcntl(fd, F_DUPFD_CLOEXEC, 0)}: a close-on-exec duplicate.
     *
     * @param fd the descriptor to duplicate
     * @return the lowest free descriptor, now referring to the same open file, or -1 with
     *     {@link #errno()} set
     */
    public static int dupCloexec(int fd) {
        return (int) JNI.invokePPPP(fd, 1030 /* F_DUPFD_CLOEXEC */, 0, DUP);
    }

    /**
     * A name for an errno value, for messages.
     *
     * @param errno an errno value
     * @return its symbolic name, such as {@code "EAGAIN"}, or {@code "errno"} for one not listed here
     */
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
