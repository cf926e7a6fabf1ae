package dev.baton.render.ipc;

import java.nio.file.Path;
import java.util.Map;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * Where the broker's socket lives and how it is claimed.
 *
 * <ul>
 *   <li>Default path: {@code $XDG_RUNTIME_DIR/baton/compositor.sock}; without {@code XDG_RUNTIME_DIR},
 *       {@code /tmp/baton-UID/compositor.sock}.</li>
 *   <li>The directory is created mode 0700. An existing directory is used only if it is a real
 *       directory (not a symlink) owned by us with no group or other permission bits; anything else
 *       is refused, since another user could then swap our socket.</li>
 *   <li>An existing socket at the path is probed with {@code connect}: {@code ECONNREFUSED} means its
 *       server died, so it is unlinked and replaced; a successful connect means a live server, which is
 *       refused with a message naming the path. A path that exists but is not a socket is refused.</li>
 * </ul>
 * Static; any thread.
 */
public final class SocketPaths {
    /** The socket's file name inside the directory. */
    public static final String SOCKET_NAME = "compositor.sock";

    private SocketPaths() {
    }

    /**
     * The default socket path for this process's environment.
     *
     * @return {@code $XDG_RUNTIME_DIR/baton/compositor.sock}, else {@code /tmp/baton-UID/compositor.sock}
     */
    public static Path defaultSocketPath() {
        return defaultSocketPath(System.getenv(), LibC.getuid());
    }

    /**
     * The default socket path for the given environment and uid (pure; testable).
     *
     * @param environment the environment variables; {@code XDG_RUNTIME_DIR} counts when it is absolute
     * @param uid the user id, used in the {@code /tmp} fallback
     * @return {@code XDG_RUNTIME_DIR/baton/compositor.sock}, else {@code /tmp/baton-UID/compositor.sock}
     */
    public static Path defaultSocketPath(Map<String, String> environment, int uid) {
        String runtime = environment.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && runtime.startsWith("/")) {
            return Path.of(runtime, "baton", SOCKET_NAME);
        }
        return Path.of("/tmp", "baton-" + Integer.toUnsignedString(uid), SOCKET_NAME);
    }

    /**
     * Makes sure {@code directory} exists as a private directory of ours: creates it 0700 if absent,
     * else checks it.
     *
     * @param directory the directory (its parent must exist)
     * @throws NativeException if {@code mkdir} or {@code lstat} fails
     * @throws IllegalStateException with a one-line message saying what is wrong and what to do
     */
    public static void ensurePrivateDirectory(Path directory) {
        String dir = directory.toString();
        Fds.FileStatus status = new Fds.FileStatus();
        int errno = Fds.lstat(dir, status);
        if (errno == LibC.ENOENT) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                long p = MemoryUtil.memAddress(stack.UTF8(dir));
                if (LibC.mkdir(p, 0700) != 0) {
                    int e = LibC.errno();
                    if (e != LibC.EEXIST) { // a racing server made it: fall through to the checks
                        throw new NativeException("mkdir(\"" + dir + "\", 0700)", e,
                                "create its parent or pass --socket with a path in a directory of yours");
                    }
                }
            }
            errno = Fds.lstat(dir, status);
        }
        if (errno != 0) {
            throw new NativeException("lstat(\"" + dir + "\")", errno);
        }
        if (status.type() != LibC.S_IFDIR) {
            throw new IllegalStateException("socket directory " + dir + " is a " + Fds.FileStatus.typeName(status.type())
                    + ", not a directory: remove it or pass --socket with another path");
        }
        int uid = LibC.getuid();
        if (status.uid() != uid) {
            throw new IllegalStateException("socket directory " + dir + " belongs to uid " + Integer.toUnsignedString(status.uid())
                    + ", not to us (uid " + Integer.toUnsignedString(uid) + "): refusing it; pass --socket with a path in a directory of yours");
        }
        if ((status.permissions() & 077) != 0) {
            throw new IllegalStateException("socket directory " + dir + " has mode 0" + Integer.toOctalString(status.permissions())
                    + ", open to group or others: run chmod 700 " + dir + " or remove it");
        }
    }

    /**
     * Claims {@code socketPath} for a server: ensures its directory, replaces a stale socket, refuses a
     * live one, binds and listens.
     *
     * @param socketPath the socket's path; its directory is made or checked by {@link #ensurePrivateDirectory}
     * @param backlog the most connections the kernel queues before the server accepts them
     * @return the listening socket, owned by the caller
     * @throws NativeException if {@code lstat}, {@code unlink}, {@code bind} or {@code listen} fails
     * @throws IllegalStateException if a live server holds the path or the path is not a socket
     */
    public static SeqPacketListener bindServer(Path socketPath, int backlog) {
        Path parent = socketPath.toAbsolutePath().getParent();
        ensurePrivateDirectory(parent);
        String path = socketPath.toAbsolutePath().toString();
        Fds.FileStatus status = new Fds.FileStatus();
        int errno = Fds.lstat(path, status);
        if (errno == 0) {
            if (status.type() != LibC.S_IFSOCK) {
                throw new IllegalStateException(path + " exists and is a " + Fds.FileStatus.typeName(status.type())
                        + ", not a socket: remove it or pass --socket with another path");
            }
            if (probe(path) == Probe.LIVE) {
                throw new IllegalStateException("a Baton broker is already serving " + path
                        + ": stop it, or pass --socket with another path to run a second one");
            }
            try (MemoryStack stack = MemoryStack.stackPush()) {
                if (LibC.unlink(MemoryUtil.memAddress(stack.UTF8(path))) != 0 && LibC.errno() != LibC.ENOENT) {
                    throw new NativeException("unlink(stale socket \"" + path + "\")", LibC.errno());
                }
            }
        } else if (errno != LibC.ENOENT) {
            throw new NativeException("lstat(\"" + path + "\")", errno);
        }
        return SeqPacketListener.bind(path, backlog);
    }

    /** What a connect to an existing socket says. */
    public enum Probe {
        /** A server accepted the connection (into its backlog). */
        LIVE,
        /** Nothing listens: ECONNREFUSED, the socket file of a dead server. */
        STALE,
        /** No such socket. */
        ABSENT
    }

    /**
     * Probes {@code path} with a connect that is closed again at once (never waits: Unix-domain
     * connects go into the backlog).
     *
     * @param path the socket path
     * @return whether a server listens there, a dead server's socket file is left, or there is none
     */
    public static Probe probe(String path) {
        try (SeqPacketSocket s = SeqPacketSocket.connect(path, 16, 0)) {
            return Probe.LIVE;
        } catch (NativeException e) {
            if (e.errno() == LibC.ECONNREFUSED) {
                return Probe.STALE;
            }
            if (e.errno() == LibC.ENOENT) {
                return Probe.ABSENT;
            }
            if (e.errno() == LibC.EAGAIN) {
                return Probe.LIVE; // the backlog is full: someone is listening
            }
            throw e;
        }
    }
}
