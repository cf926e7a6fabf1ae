package dev.baton.render.ipc;

import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * A listening Unix-domain {@code SOCK_SEQPACKET} socket bound to a path, non-blocking and close-on-exec.
 * Use {@link SocketPaths#bindServer} to get one with the stale/live rules applied. {@link #close()}
 * closes it and unlinks the path. One owner thread (the broker's event loop).
 */
public final class SeqPacketListener implements AutoCloseable {
    private int fd;
    private final String path;

    private SeqPacketListener(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Binds and listens at {@code path}, which must not exist.
     *
     * @throws NativeException {@code EADDRINUSE} if the path exists
     */
    static SeqPacketListener bind(String path, int backlog) {
        int fd = LibC.socket(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new NativeException("socket(AF_UNIX, SOCK_SEQPACKET)", LibC.errno());
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            long addr = SeqPacketSocket.sockaddr(stack, path);
            if (LibC.bind(fd, addr, LibC.SOCKADDR_UN_SIZEOF) != 0) {
                int errno = LibC.errno();
                LibC.close(fd);
                throw new NativeException("bind(\"" + path + "\")", errno);
            }
            // Only our user may connect at all (SO_PEERCRED is checked too, after accept).
            if (LibC.chmod(MemoryUtil.memAddress(stack.UTF8(path)), 0600) != 0) {
                int errno = LibC.errno();
                LibC.close(fd);
                throw new NativeException("chmod(\"" + path + "\", 0600)", errno);
            }
        }
        if (LibC.listen(fd, backlog) != 0) {
            int errno = LibC.errno();
            LibC.close(fd);
            throw new NativeException("listen(\"" + path + "\")", errno);
        }
        return new SeqPacketListener(fd, path);
    }

    /**
     * Accepts one pending connection (non-blocking, close-on-exec).
     *
     * @return the new connection's fd, or -1 if none is pending
     */
    public int accept() {
        int client = LibC.accept4(fd, 0L, 0L, LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK);
        if (client >= 0) {
            return client;
        }
        int errno = LibC.errno();
        if (errno == LibC.EAGAIN || errno == LibC.EINTR || errno == 103 /* ECONNABORTED */) {
            return -1;
        }
        throw new NativeException("accept4(\"" + path + "\")", errno);
    }

    /** {@return the listening socket's file descriptor, owned by this object; -1 once closed} */
    public int fd() {
        return fd;
    }

    /** {@return the socket's file system path, removed by {@link #close()}} */
    public String path() {
        return path;
    }

    /** Closes the socket and removes its path. Idempotent. */
    @Override
    public void close() {
        if (fd < 0) {
            return;
        }
        LibC.close(fd);
        fd = -1;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LibC.unlink(MemoryUtil.memAddress(stack.UTF8(path)));
        }
    }
}
