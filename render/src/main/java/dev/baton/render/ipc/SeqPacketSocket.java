package dev.baton.render.ipc;

import static org.lwjgl.system.MemoryUtil.memAddress;
import static org.lwjgl.system.MemoryUtil.memGetInt;
import static org.lwjgl.system.MemoryUtil.memGetLong;
import static org.lwjgl.system.MemoryUtil.memGetShort;
import static org.lwjgl.system.MemoryUtil.memPutInt;
import static org.lwjgl.system.MemoryUtil.memPutLong;
import static org.lwjgl.system.MemoryUtil.memPutShort;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * One end of a connected Unix-domain {@code SOCK_SEQPACKET} socket: message boundaries are kept, and
 * file descriptors travel with a message as {@code SCM_RIGHTS}.
 *
 * <p><b>Non-blocking, bounded.</b> The socket is non-blocking and close-on-exec. {@link #send} and
 * {@link #receive} never block; {@link #awaitReadable} and {@link #awaitWritable} wait at most the
 * timeout they are given ({@code poll}). Nothing here waits forever.
 *
 * <p><b>Allocation-free.</b> The {@code msghdr}, {@code iovec}, control buffer, {@code pollfd} and the
 * receive buffer are allocated once per socket (native memory, freed by {@link #close()}), so a
 * steady-state send or receive allocates nothing.
 *
 * <p><b>Received fds.</b> Received close-on-exec ({@code MSG_CMSG_CLOEXEC}). If the kernel truncated
 * the control data ({@code MSG_CTRUNC}: the sender attached more fds than {@link #maxFds()}), every fd
 * that did arrive is closed and {@link #controlTruncated()} says so. Otherwise the caller owns the fds
 * in {@link #receivedFd} and must close or keep each one.
 *
 * <p>Thread-safety: each direction has its own buffers, so one thread may send ({@link #send},
 * {@link #awaitWritable}) while another receives ({@link #receive}, {@link #awaitReadable}, the
 * received fds); at most one thread per direction, and {@link #close()} only when neither is in use.
 */
public final class SeqPacketSocket implements AutoCloseable {
    private static final int FD_BYTES = 4;

    private int fd;
    private final int maxMessageBytes;
    private final int maxFds;
    private final long msghdr;
    private final long iov;
    private final long control;
    private final int controlCapacity;
    private final long pollfd;
    // The send direction's own msghdr, iovec, control buffer and pollfd (see the class comment).
    private final long sendMsghdr;
    private final long sendIov;
    private final long sendControl;
    private final long sendPollfd;
    private final ByteBuffer receiveBuffer;
    private final int[] receivedFds;
    private int receivedFdCount;
    private boolean controlTruncated;
    private boolean messageTruncated;
    private int peerPid = -1;
    private int peerUid = -1;

    /**
     * Wraps a connected socket fd (taking ownership) and preallocates its buffers.
     *
     * @param fd a connected, non-blocking {@code SOCK_SEQPACKET} socket; closed by {@link #close()}
     * @param maxMessageBytes the largest message {@link #receive} accepts; a longer one is reported
     *     {@link #messageTruncated()}
     * @param maxFds the most fds one received message may carry; more sets {@link #controlTruncated()}
     * @throws IllegalArgumentException if {@code maxMessageBytes} is not positive or {@code maxFds} is
     *     outside 0..250
     */
    public SeqPacketSocket(int fd, int maxMessageBytes, int maxFds) {
        if (maxMessageBytes <= 0 || maxFds < 0 || maxFds > 250) {
            throw new IllegalArgumentException("maxMessageBytes must be > 0 and maxFds in 0..250");
        }
        this.fd = fd;
        this.maxMessageBytes = maxMessageBytes;
        this.maxFds = maxFds;
        this.controlCapacity = LibC.cmsgSpace(FD_BYTES * Math.max(1, maxFds));
        this.msghdr = MemoryUtil.nmemCallocChecked(1, LibC.MSGHDR_SIZEOF);
        this.iov = MemoryUtil.nmemCallocChecked(1, LibC.IOVEC_SIZEOF);
        this.control = MemoryUtil.nmemCallocChecked(1, controlCapacity);
        this.pollfd = MemoryUtil.nmemCallocChecked(1, LibC.POLLFD_SIZEOF);
        this.sendMsghdr = MemoryUtil.nmemCallocChecked(1, LibC.MSGHDR_SIZEOF);
        this.sendIov = MemoryUtil.nmemCallocChecked(1, LibC.IOVEC_SIZEOF);
        this.sendControl = MemoryUtil.nmemCallocChecked(1, controlCapacity);
        this.sendPollfd = MemoryUtil.nmemCallocChecked(1, LibC.POLLFD_SIZEOF);
        // One byte more than the limit so that an oversized message shows as MSG_TRUNC or as too long.
        this.receiveBuffer = MemoryUtil.memAlloc(maxMessageBytes + 1).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        this.receivedFds = new int[Math.max(1, maxFds) + 1];
    }

    /**
     * A connected pair in this process (tests, and a parent handing one end to a child).
     *
     * @param maxMessageBytes the largest message {@link #receive} accepts
     * @param maxFds the most fds one received message may carry (0..250)
     * @return the two connected ends, non-blocking and close-on-exec, each owned by the caller
     * @throws NativeException if {@code socketpair} fails
     */
    public static SeqPacketSocket[] pair(int maxMessageBytes, int maxFds) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long sv = stack.nmalloc(4, 8);
            if (LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0, sv) != 0) {
                throw new NativeException("socketpair(AF_UNIX, SOCK_SEQPACKET)", LibC.errno());
            }
            return new SeqPacketSocket[] {
                new SeqPacketSocket(memGetInt(sv), maxMessageBytes, maxFds),
                new SeqPacketSocket(memGetInt(sv + 4), maxMessageBytes, maxFds)
            };
        }
    }

    /**
     * Connects to the listening socket at {@code path}. Unix-domain connects do not wait for the
     * server to accept (the backlog takes them), so this returns at once or fails.
     *
     * @param path the socket's file system path (at most {@link LibC#SUN_PATH_MAX} - 1 bytes)
     * @param maxMessageBytes the largest message {@link #receive} accepts
     * @param maxFds the most fds one received message may carry (0..250)
     * @return the connected socket, owned by the caller
     * @throws NativeException with {@code ECONNREFUSED} when nothing listens there (a stale socket),
     *     {@code ENOENT} when there is no socket, {@code EAGAIN} when the backlog is full
     */
    public static SeqPacketSocket connect(String path, int maxMessageBytes, int maxFds) {
        int fd = LibC.socket(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new NativeException("socket(AF_UNIX, SOCK_SEQPACKET)", LibC.errno());
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long addr = sockaddr(stack, path);
            if (LibC.connect(fd, addr, LibC.SOCKADDR_UN_SIZEOF) != 0) {
                int errno = LibC.errno();
                LibC.close(fd);
                throw new NativeException("connect(\"" + path + "\")", errno);
            }
        }
        return new SeqPacketSocket(fd, maxMessageBytes, maxFds);
    }

    /** Fills a {@code sockaddr_un} for {@code path} on {@code stack}. */
    static long sockaddr(MemoryStack stack, String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= LibC.SUN_PATH_MAX) {
            throw new IllegalArgumentException("socket path is " + bytes.length + " bytes, more than the "
                    + (LibC.SUN_PATH_MAX - 1) + " a Unix socket allows: use a shorter --socket path");
        }
        long addr = stack.ncalloc(8, 1, LibC.SOCKADDR_UN_SIZEOF);
        memPutShort(addr, (short) LibC.AF_UNIX);
        for (int i = 0; i < bytes.length; i++) {
            MemoryUtil.memPutByte(addr + LibC.SUN_PATH + i, bytes[i]);
        }
        return addr;
    }

    /** {@return the socket's file descriptor, owned by this object; -1 once closed} */
    public int fd() {
        return fd;
    }

    /** {@return the most fds one received message may carry} */
    public int maxFds() {
        return maxFds;
    }

    /** {@return the largest message in bytes {@link #receive} accepts} */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** Outcome of {@link #send}. */
    public static final int SENT = 1, WOULD_BLOCK = 0, PEER_GONE = -1;

    /**
     * Sends {@code message}'s remaining bytes as one message, with {@code fdCount} fds from
     * {@code fds} attached. Never blocks, never raises SIGPIPE; the message's position is not changed.
     * The fds stay owned by the caller (the kernel passes duplicates).
     *
     * @param message a direct buffer
     * @param fds the fds to attach (read up to {@code fdCount}); may be null when {@code fdCount} is 0
     * @param fdCount how many of {@code fds} to attach
     * @return {@link #SENT}, {@link #WOULD_BLOCK} (the socket buffer is full: nothing was sent), or
     *     {@link #PEER_GONE} (EPIPE / ECONNRESET)
     * @throws NativeException for any other failure
     */
    public int send(ByteBuffer message, int[] fds, int fdCount) {
        checkOpen();
        memPutLong(sendIov + LibC.IOVEC_BASE, memAddress(message));
        memPutLong(sendIov + LibC.IOVEC_LEN, message.remaining());
        memPutLong(sendMsghdr + LibC.MSGHDR_NAME, 0L);
        memPutInt(sendMsghdr + LibC.MSGHDR_NAMELEN, 0);
        memPutLong(sendMsghdr + LibC.MSGHDR_IOV, sendIov);
        memPutLong(sendMsghdr + LibC.MSGHDR_IOVLEN, 1L);
        memPutInt(sendMsghdr + LibC.MSGHDR_FLAGS, 0);
        if (fdCount > 0) {
            if (fdCount > 250) {
                throw new IllegalArgumentException("at most 250 fds per message, got " + fdCount);
            }
            int space = LibC.cmsgSpace(FD_BYTES * fdCount);
            if (space > controlCapacity) {
                return sendLargeControl(message, fds, fdCount);
            }
            fillRights(sendControl, fds, fdCount);
            memPutLong(sendMsghdr + LibC.MSGHDR_CONTROL, sendControl);
            memPutLong(sendMsghdr + LibC.MSGHDR_CONTROLLEN, space);
        } else {
            memPutLong(sendMsghdr + LibC.MSGHDR_CONTROL, 0L);
            memPutLong(sendMsghdr + LibC.MSGHDR_CONTROLLEN, 0L);
        }
        return finishSend(LibC.sendmsg(fd, sendMsghdr, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL));
    }

    private int sendLargeControl(ByteBuffer message, int[] fds, int fdCount) {
        // Only tests attach more fds than this socket receives; allocate for that rare case.
        int space = LibC.cmsgSpace(FD_BYTES * fdCount);
        long big = MemoryUtil.nmemCallocChecked(1, space);
        try {
            fillRights(big, fds, fdCount);
            memPutLong(sendMsghdr + LibC.MSGHDR_CONTROL, big);
            memPutLong(sendMsghdr + LibC.MSGHDR_CONTROLLEN, space);
            return finishSend(LibC.sendmsg(fd, sendMsghdr, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL));
        } finally {
            MemoryUtil.nmemFree(big);
        }
    }

    private static void fillRights(long cmsg, int[] fds, int fdCount) {
        memPutLong(cmsg + LibC.CMSGHDR_LEN, LibC.cmsgLen(FD_BYTES * fdCount));
        memPutInt(cmsg + LibC.CMSGHDR_LEVEL, LibC.SOL_SOCKET);
        memPutInt(cmsg + LibC.CMSGHDR_TYPE, LibC.SCM_RIGHTS);
        for (int i = 0; i < fdCount; i++) {
            memPutInt(cmsg + LibC.CMSGHDR_SIZEOF + (long) FD_BYTES * i, fds[i]);
        }
    }

    private int finishSend(long sent) {
        if (sent >= 0) {
            return SENT;
        }
        int errno = LibC.errno();
        if (errno == LibC.EAGAIN) {
            return WOULD_BLOCK;
        }
        if (errno == LibC.EPIPE || errno == LibC.ECONNRESET) {
            return PEER_GONE;
        }
        throw new NativeException("sendmsg(fd " + fd + ")", errno);
    }

    /** Outcome of {@link #receive} besides a positive length. */
    public static final int EOF = 0, NOTHING = -1;

    /**
     * Receives one message into {@link #receiveBuffer()} (position 0, limit the length). Never blocks.
     *
     * @return the message length (> 0); {@link #EOF} when the peer closed (or reset) the connection;
     *     {@link #NOTHING} when no message is waiting
     * @throws NativeException for any other failure
     */
    public int receive() {
        checkOpen();
        receivedFdCount = 0;
        controlTruncated = false;
        messageTruncated = false;
        receiveBuffer.clear();
        memPutLong(iov + LibC.IOVEC_BASE, memAddress(receiveBuffer));
        memPutLong(iov + LibC.IOVEC_LEN, receiveBuffer.capacity());
        memPutLong(msghdr + LibC.MSGHDR_NAME, 0L);
        memPutInt(msghdr + LibC.MSGHDR_NAMELEN, 0);
        memPutLong(msghdr + LibC.MSGHDR_IOV, iov);
        memPutLong(msghdr + LibC.MSGHDR_IOVLEN, 1L);
        memPutLong(msghdr + LibC.MSGHDR_CONTROL, control);
        memPutLong(msghdr + LibC.MSGHDR_CONTROLLEN, controlCapacity);
        memPutInt(msghdr + LibC.MSGHDR_FLAGS, 0);
        long length = LibC.recvmsg(fd, msghdr, LibC.MSG_DONTWAIT | LibC.MSG_CMSG_CLOEXEC);
        if (length < 0 && LibC.errno() == LibC.ECONNRESET) {
            // The peer closed with our messages unread. The kernel reports that once, ahead of what the
            // peer sent before closing (a REFUSE, say); read on to get those, then EOF.
            memPutLong(msghdr + LibC.MSGHDR_CONTROLLEN, controlCapacity);
            memPutInt(msghdr + LibC.MSGHDR_FLAGS, 0);
            length = LibC.recvmsg(fd, msghdr, LibC.MSG_DONTWAIT | LibC.MSG_CMSG_CLOEXEC);
            if (length < 0) {
                int errno = LibC.errno();
                return errno == LibC.EAGAIN || errno == LibC.ECONNRESET ? EOF : fail(errno);
            }
        }
        if (length < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN) {
                return NOTHING;
            }
            return fail(errno);
        }
        int flags = memGetInt(msghdr + LibC.MSGHDR_FLAGS);
        collectFds(memGetLong(msghdr + LibC.MSGHDR_CONTROLLEN));
        if ((flags & LibC.MSG_CTRUNC) != 0) {
            controlTruncated = true;
            closeReceivedFds();
        }
        if (length == 0 && receivedFdCount == 0 && !controlTruncated) {
            return EOF; // SOCK_SEQPACKET: a zero-length read without data or fds is the peer's close
        }
        if ((flags & LibC.MSG_TRUNC) != 0 || length > maxMessageBytes) {
            messageTruncated = true;
        }
        receiveBuffer.limit((int) Math.min(length, receiveBuffer.capacity()));
        // A zero-length message (possible only with fds attached) still counts as one message.
        return (int) Math.max(1, length);
    }

    private int fail(int errno) {
        throw new NativeException("recvmsg(fd " + fd + ")", errno);
    }

    private void collectFds(long controlLength) {
        long offset = 0;
        while (offset + LibC.CMSGHDR_SIZEOF <= controlLength) {
            long cmsg = control + offset;
            long len = memGetLong(cmsg + LibC.CMSGHDR_LEN);
            if (len < LibC.CMSGHDR_SIZEOF || offset + len > controlLength) {
                break;
            }
            if (memGetInt(cmsg + LibC.CMSGHDR_LEVEL) == LibC.SOL_SOCKET && memGetInt(cmsg + LibC.CMSGHDR_TYPE) == LibC.SCM_RIGHTS) {
                int n = (int) ((len - LibC.CMSGHDR_SIZEOF) / FD_BYTES);
                for (int i = 0; i < n; i++) {
                    int received = memGetInt(cmsg + LibC.CMSGHDR_SIZEOF + (long) FD_BYTES * i);
                    if (receivedFdCount < receivedFds.length) {
                        receivedFds[receivedFdCount++] = received;
                    } else {
                        LibC.close(received); // cannot happen with a control buffer of our own size; be safe
                        controlTruncated = true;
                    }
                }
            }
            offset += LibC.cmsgAlign((int) len);
        }
    }

    /** {@return the last received message: position 0, limit its length} Reused by the next receive. */
    public ByteBuffer receiveBuffer() {
        return receiveBuffer;
    }

    /** {@return how many fds the last received message brought (0 after {@link #controlTruncated()})} */
    public int receivedFdCount() {
        return receivedFdCount;
    }

    /**
     * The {@code i}th fd of the last received message; the caller now owns it.
     *
     * @param i an index below {@link #receivedFdCount()}
     * @return the received, close-on-exec fd
     * @throws IndexOutOfBoundsException if {@code i} is out of range
     */
    public int receivedFd(int i) {
        if (i < 0 || i >= receivedFdCount) {
            throw new IndexOutOfBoundsException("fd " + i + " of " + receivedFdCount);
        }
        return receivedFds[i];
    }

    /** Closes every fd the last message brought (when it is rejected). */
    public void closeReceivedFds() {
        for (int i = 0; i < receivedFdCount; i++) {
            LibC.close(receivedFds[i]);
        }
        receivedFdCount = 0;
    }

    /** {@return whether the last message carried more fds than {@link #maxFds()} (all closed)} */
    public boolean controlTruncated() {
        return controlTruncated;
    }

    /** {@return whether the last message was longer than {@link #maxMessageBytes()}} */
    public boolean messageTruncated() {
        return messageTruncated;
    }

    /**
     * Waits at most {@code timeoutMillis} for a message (or EOF); true if one is there. A signal does
     * not extend the wait ({@code EINTR} is retried with the time left).
     *
     * @param timeoutMillis the most milliseconds to wait; 0 polls
     * @return whether a message, EOF or an error is ready for {@link #receive}
     * @throws NativeException if {@code poll} fails other than with {@code EINTR}
     * @throws IllegalStateException if the socket is closed
     */
    public boolean awaitReadable(int timeoutMillis) {
        return awaitEvents(pollfd, LibC.POLLIN, timeoutMillis);
    }

    /**
     * Waits at most {@code timeoutMillis} for room to send; true if there is. A signal does not extend
     * the wait ({@code EINTR} is retried with the time left).
     *
     * @param timeoutMillis the most milliseconds to wait; 0 polls
     * @return whether a send would not block (or the peer is gone: {@link #send} then says so)
     * @throws NativeException if {@code poll} fails other than with {@code EINTR}
     * @throws IllegalStateException if the socket is closed
     */
    public boolean awaitWritable(int timeoutMillis) {
        return awaitEvents(sendPollfd, LibC.POLLOUT, timeoutMillis);
    }

    private boolean awaitEvents(long pollfd, short events, int timeoutMillis) {
        checkOpen();
        memPutInt(pollfd + LibC.POLLFD_FD, fd);
        memPutShort(pollfd + LibC.POLLFD_EVENTS, events);
        memPutShort(pollfd + LibC.POLLFD_REVENTS, (short) 0);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            int n = LibC.poll(pollfd, 1, timeoutMillis);
            if (n > 0) {
                return true; // readable, writable, or HUP/ERR: the next call reports which
            }
            if (n == 0) {
                return false;
            }
            int errno = LibC.errno();
            if (errno != LibC.EINTR) {
                throw new NativeException("poll(fd " + fd + ")", errno);
            }
            timeoutMillis = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
        }
    }

    /** {@return the peer's pid at connect time ({@code SO_PEERCRED}, read once and cached)} */
    public int peerPid() {
        loadPeerCredentials();
        return peerPid;
    }

    /** {@return the peer's effective uid at connect time ({@code SO_PEERCRED}, read once and cached)} */
    public int peerUid() {
        loadPeerCredentials();
        return peerUid;
    }

    private void loadPeerCredentials() {
        if (peerPid != -1) {
            return;
        }
        checkOpen();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long cred = stack.ncalloc(4, 1, LibC.UCRED_SIZEOF);
            long length = stack.nmalloc(4, 4);
            memPutInt(length, LibC.UCRED_SIZEOF);
            if (LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_PEERCRED, cred, length) != 0) {
                throw new NativeException("getsockopt(SO_PEERCRED)", LibC.errno());
            }
            peerPid = memGetInt(cred + LibC.UCRED_PID);
            peerUid = memGetInt(cred + LibC.UCRED_UID);
        }
    }

    /**
     * Sets {@code SO_SNDBUF} (the kernel doubles it and applies a floor); for tests of slow readers.
     *
     * @param bytes the requested send buffer size in bytes
     * @throws NativeException if {@code setsockopt} fails
     */
    public void setSendBufferBytes(int bytes) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long value = stack.nmalloc(4, 4);
            memPutInt(value, bytes);
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, value, 4) != 0) {
                throw new NativeException("setsockopt(SO_SNDBUF)", LibC.errno());
            }
        }
    }

    /** {@return true until {@link #close()}} */
    public boolean isOpen() {
        return fd >= 0;
    }

    private void checkOpen() {
        if (fd < 0) {
            throw new IllegalStateException("socket is closed");
        }
    }

    /** Closes the socket and frees its buffers (received fds belong to the caller). Idempotent. */
    @Override
    public void close() {
        if (fd < 0) {
            return;
        }
        LibC.close(fd);
        fd = -1;
        MemoryUtil.nmemFree(msghdr);
        MemoryUtil.nmemFree(iov);
        MemoryUtil.nmemFree(control);
        MemoryUtil.nmemFree(pollfd);
        MemoryUtil.nmemFree(sendMsghdr);
        MemoryUtil.nmemFree(sendIov);
        MemoryUtil.nmemFree(sendControl);
        MemoryUtil.nmemFree(sendPollfd);
        MemoryUtil.memFree(receiveBuffer);
    }

    @Override
    public String toString() {
        return "SeqPacketSocket[fd " + fd + "]";
    }

    static short revents(long pollfd) {
        return memGetShort(pollfd + LibC.POLLFD_REVENTS);
    }
}
