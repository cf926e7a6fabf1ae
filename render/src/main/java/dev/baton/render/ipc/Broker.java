package dev.baton.render.ipc;

import static dev.baton.render.ipc.Protocol.*;
import static org.lwjgl.system.MemoryUtil.memPutInt;
import static org.lwjgl.system.MemoryUtil.memPutLong;
import static org.lwjgl.system.MemoryUtil.memPutShort;

import dev.baton.render.ipc.ProtocolViolation.Rule;
import dev.baton.sync.AcquireResult;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.KeyedMutex;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.lwjgl.system.MemoryUtil;

/**
 * The broker side of Baton's cross-process protocol: a {@code poll()} event loop on one named thread
 * that accepts producer connections, allocates every surface, owns every surface's {@link KeyedMutex}
 * (one handle per connection) and serves remote ACQUIRE / RELEASE / FENCE_REACHED without a GPU.
 *
 * <h2>The broker never blocks on a client</h2>
 * Remote acquires are {@code acquireNanos(key, 0)} polls on the loop thread; one that cannot be granted
 * waits in the surface's pending queue (oldest first) and is retried after every release of that
 * surface, and answered TIMEOUT when its deadline passes (the loop's poll timeout is the nearest
 * deadline). Sends never block: a message that does not fit the socket goes to the connection's
 * bounded send queue, and a client whose queue is full is disconnected. Each wake reads at most
 * {@link Config#maxMessagesPerWake} messages per connection, so one chatty client cannot starve others.
 *
 * <h2>Untrusted clients</h2>
 * Only our uid may connect (the socket is 0600 in a 0700 directory, and {@code SO_PEERCRED} is
 * checked). Every message goes through {@link Protocol#checkFraming} and the per-type checks
 * (state, ownership, fence monotonicity, private-data limit, fd count/type/size); a violation sends
 * ERROR, logs one line naming the client and the rule, and disconnects that client alone.
 * Disconnecting (EOF, BYE, violation, SIGKILL of the client) closes every handle the connection had
 * (an owned surface is abandoned, and its waiters answered ABANDONED), closes the surfaces it created
 * and every fd it held. The broker never maps or imports an fd a client sent (sync fds, and client
 * memory where {@link Config#clientMemory} lets it through): it only {@code fstat}s them and reads
 * their seals, so no client can SIGBUS it through them (see {@link ClientMemory}).
 *
 * <h2>Threads</h2>
 * The loop thread alone touches connections and surfaces. {@link #adopt}, {@link #wakeup},
 * {@link #mutex}, {@link #close} and the counters may be called from any thread; {@link Listener}
 * callbacks and {@link #grant} run on the loop thread. An in-process participant may open a handle on
 * {@link #mutex} and acquire it on its own thread; after releasing to a remote client's key it calls
 * {@link #wakeup} so the loop serves that client.
 */
public final class Broker implements AutoCloseable {
    /** Bounds and hooks. Plain fields; set before {@link #start}. */
    public static final class Config {
        /** Connections open at once; one more is refused (REFUSE_TOO_MANY_CLIENTS). */
        public int maxConnections = 64;
        /** Surfaces one connection may create or be granted; a SURFACE_OFFER beyond it is a LIMIT violation. */
        public int maxSurfacesPerConnection = 8;
        /** Messages queued for a client that is not reading before it is disconnected. */
        public int sendQueueMessages = 64;
        /** Messages read from one connection per loop wake, so one chatty client cannot starve others. */
        public int maxMessagesPerWake = 32;
        /** Longer ACQUIRE timeouts (compared unsigned) are cut to this, in nanoseconds. */
        public long maxAcquireTimeoutNanos = TimeUnit.SECONDS.toNanos(30);
        /** A connection that sends no HELLO within this many nanoseconds is disconnected. */
        public long helloTimeoutNanos = TimeUnit.SECONDS.toNanos(5);
        /** Allocates the memory of every offered surface (host memfds by default). */
        public SurfaceAllocator allocator = SurfaceAllocator.hostMemfd();
        /**
         * Whether a client may offer its own device memory (memory choice 2 with a memory fd) for the
         * broker to relay to the clients it shares the surface with. {@link ClientMemory#REFUSE} by
         * default. The broker never maps or imports a relayed fd itself, whatever the policy.
         */
        public ClientMemory clientMemory = ClientMemory.REFUSE;
        /**
         * Whether the broker's own process imports client memory of a device with these driver and device
         * UUIDs (its compositor reads such surfaces on a device of its own): with {@link ClientMemory#TRUSTED},
         * WELCOME then says {@link Protocol#CAP_BROKER_IMPORTS_CLIENT_MEMORY}. No by default.
         */
        public java.util.function.BiPredicate<byte[], byte[]> importsClientMemoryFor = (driverUuid, deviceUuid) -> false;
        /** Loop-thread callbacks; the default does nothing. */
        public Listener listener = new Listener() { };
        /** One line per event worth a log: refusals, violations, disconnects. */
        public Consumer<String> log = line -> System.err.println(line);
    }

    /**
     * What the broker does with a client's own device memory (an OPAQUE_FD its driver exported).
     * Whoever imports such memory trusts its exporter, and the exporter trusts every importer: on
     * SwiftShader an importer can {@code ftruncate} the memfd and the exporter dies of SIGBUS on its
     * next access, and an fd smaller than its import kills the importer (cross-process.md). The broker
     * itself is safe under every policy: it only {@code fstat}s the fd, reads its seals and passes it
     * on; it never maps or imports it, so no client can kill it through it. (An application whose
     * compositor shares the broker's process and imports such memory itself, as {@code serve
     * --trust-clients} does, gives that up for the clients it trusts: {@link Config#importsClientMemoryFor}.)
     */
    public enum ClientMemory {
        /** Refuse (ERROR, the client stays connected): every surface's memory is the broker's own sealed memfd. */
        REFUSE,
        /**
         * Relay a memfd sealed against shrinking and growing ({@code F_SEAL_SHRINK | F_SEAL_GROW}; lavapipe
         * seals its memory so): nobody can truncate it, so no importer or exporter can be killed through
         * it; refuse any other (SwiftShader's carry only {@code F_SEAL_SEAL}).
         */
        SEALED,
        /**
         * Relay any memfd of at least the size claimed, SwiftShader's included: only for clients that
         * trust each other (one may kill the other through the memory), such as the processes of one
         * application. The broker stays safe.
         */
        TRUSTED
    }

    /** Loop-thread callbacks. */
    public interface Listener {
        /**
         * A client's offer became a surface (its creator already has it); call {@link #grant} to share it.
         *
         * @param broker the broker, for {@link #grant}
         * @param surface the new surface
         */
        default void surfaceCreated(Broker broker, BrokerSurface surface) {
        }

        /**
         * A client finished HELLO.
         *
         * @param broker the broker
         * @param clientId the id the broker gave the client in WELCOME
         * @param name the name from its HELLO
         * @param pid its pid from {@code SO_PEERCRED}
         */
        default void clientConnected(Broker broker, int clientId, String name, int pid) {
        }

        /**
         * A client is gone and everything of it is closed.
         *
         * @param broker the broker
         * @param clientId the gone client's id
         * @param reason why it went (EOF, BYE, a violation, a full send queue, ...)
         */
        default void clientGone(Broker broker, int clientId, String reason) {
        }

        /**
         * A client reported (FENCE_REACHED, host bridge) that its GPU reached {@code value} on
         * {@code surface}, a value above every earlier report for that surface. An in-process
         * participant advances its view of that client's timeline here ({@link RemoteTimeline}).
         *
         * @param broker this broker
         * @param surface the surface
         * @param clientId the reporting client
         * @param value the fence value reached (unsigned)
         */
        default void fenceReached(Broker broker, BrokerSurface surface, int clientId, long value) {
        }
    }

    private enum State { AWAITING_HELLO, READY }

    /** One surface as one connection sees it. Loop thread only. */
    static final class Participant {
        final Connection connection;
        final BrokerSurface surface;
        final KeyedMutex.Handle handle;
        boolean pending;
        long pendingKey;
        long deadlineNanos;
        long releasedFenceValue;
        long reportedFenceValue;

        Participant(Connection connection, BrokerSurface surface, KeyedMutex.Handle handle) {
            this.connection = connection;
            this.surface = surface;
            this.handle = handle;
        }
    }

    /** One client. Loop thread only. */
    static final class Connection {
        final int id;
        final SeqPacketSocket socket;
        final int peerPid;
        final long acceptedNanos;
        final MessageWriter writer = new MessageWriter();
        final ByteBuffer dataView;
        final ArrayList<Participant> participants = new ArrayList<>();
        final ArrayList<BrokerSurface> created = new ArrayList<>();
        final int[] fdScratch = new int[MAX_FDS_PER_MESSAGE];
        final boolean[] fdsTakenFlag = new boolean[1];
        State state = State.AWAITING_HELLO;
        String name = "?";
        /** HELLO's capability bits and its device's driver and device UUIDs. */
        int helloCapabilities;
        final byte[] helloDriverUuid = new byte[16], helloDeviceUuid = new byte[16];
        int expectedSequence = 1;
        String doomReason;
        // Bounded send queue, slots allocated on first use (most clients read promptly).
        ByteBuffer[] queueBuffers;
        int[][] queueFds;
        int[] queueFdCounts;
        int queueHead;
        int queueSize;

        Connection(int id, SeqPacketSocket socket, int peerPid) {
            this.id = id;
            this.socket = socket;
            this.peerPid = peerPid;
            this.acceptedNanos = System.nanoTime();
            this.dataView = socket.receiveBuffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        String label() {
            return "client " + id + " (pid " + peerPid + ", '" + name + "')";
        }
    }

    private final Config config;
    private final SeqPacketListener listener;
    private final int eventFd;
    private final long eventValue;
    private final long pollfds;
    private final int ourUid = LibC.getuid();
    private final Connection[] connections;
    private int connectionCount;
    private final ArrayList<BrokerSurface> surfaceList = new ArrayList<>();
    private final ConcurrentHashMap<Integer, BrokerSurface> surfacesById = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<SeqPacketSocket> adopted = new ConcurrentLinkedQueue<>();
    private final ArrayList<BrokerSurface> affected = new ArrayList<>();
    private final ArrayDeque<Connection> doomed = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean eventFdClosed;
    private int nextClientId = 1;
    private int nextSurfaceId = 1;
    private final AtomicLong violations = new AtomicLong();
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();
    private volatile int liveConnections;

    private Broker(Config config, SeqPacketListener listener) {
        this.config = config;
        this.listener = listener;
        this.connections = new Connection[config.maxConnections];
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (fd < 0) {
            int errno = LibC.errno();
            if (listener != null) {
                listener.close();
            }
            throw new NativeException("eventfd", errno);
        }
        this.eventFd = fd;
        this.eventValue = MemoryUtil.nmemAllocChecked(8);
        memPutLong(eventValue, 1L);
        this.pollfds = MemoryUtil.nmemCallocChecked(config.maxConnections + 2, LibC.POLLFD_SIZEOF);
        this.thread = new Thread(this::run, "baton-broker");
        this.thread.setDaemon(true);
    }

    /**
     * Starts a broker listening at {@code socketPath} (see {@link SocketPaths#bindServer} for the rules).
     *
     * @param socketPath where to listen; its directory is created 0700 if absent
     * @param config bounds and hooks, not changed afterwards
     * @return the broker, its loop thread started
     * @throws IllegalStateException if a live server holds the path or the path is not a socket
     */
    public static Broker start(Path socketPath, Config config) {
        Objects.requireNonNull(config, "config");
        SeqPacketListener l = SocketPaths.bindServer(socketPath, 64);
        Broker b = new Broker(config, l);
        b.thread.start();
        return b;
    }

    /**
     * Starts a broker without a listening socket: clients arrive through {@link #adopt} (socket pairs).
     *
     * @param config bounds and hooks, not changed afterwards
     * @return the broker, its loop thread started
     */
    public static Broker startUnbound(Config config) {
        Broker b = new Broker(Objects.requireNonNull(config, "config"), null);
        b.thread.start();
        return b;
    }

    /**
     * Hands a connected socket (one end of a pair) to the broker, which then owns it. Any thread.
     *
     * @param socket made with at least {@link Protocol#MAX_MESSAGE_BYTES} and
     *     {@link Protocol#MAX_FDS_PER_MESSAGE} fds
     * @throws IllegalArgumentException if the socket's limits are smaller (the broker does not take it)
     */
    public void adopt(SeqPacketSocket socket) {
        if (socket.maxMessageBytes() < MAX_MESSAGE_BYTES || socket.maxFds() < MAX_FDS_PER_MESSAGE) {
            throw new IllegalArgumentException("adopt needs a socket made for the protocol: maxMessageBytes >= "
                    + MAX_MESSAGE_BYTES + " and maxFds >= " + MAX_FDS_PER_MESSAGE + " (SeqPacketSocket.pair(Protocol."
                    + "MAX_MESSAGE_BYTES, 2 * Protocol.MAX_FDS_PER_MESSAGE))");
        }
        adopted.add(socket);
        wakeup();
    }

    /** Wakes the loop so it serves pending acquires (after an in-process release). Any thread; allocation-free. */
    public void wakeup() {
        if (!eventFdClosed) {
            LibC.write(eventFd, eventValue, 8);
        }
    }

    /**
     * The keyed mutex of a live surface, or null. Any thread.
     *
     * @param surfaceId the surface's id
     * @return its keyed mutex, or null if no live surface has that id
     */
    public KeyedMutex mutex(int surfaceId) {
        BrokerSurface s = surfacesById.get(surfaceId);
        return s == null ? null : s.mutex;
    }

    /**
     * Host bridge: the highest fence value any client reported reached (FENCE_REACHED) on a live
     * surface, unsigned; 0 if none or no such surface. Any thread.
     *
     * @param surfaceId the surface's id
     * @return the highest reached fence value
     */
    public long reachedFenceValue(int surfaceId) {
        BrokerSurface s = surfacesById.get(surfaceId);
        return s == null ? 0L : s.reachedFenceValue;
    }

    /** {@return the listening socket's path, or null for an unbound broker} */
    public String socketPath() {
        return listener == null ? null : listener.path();
    }

    /** {@return protocol violations seen so far (each disconnected its client)} Any thread. */
    public long violations() {
        return violations.get();
    }

    /** {@return connections closed so far, for any reason} Any thread. */
    public long disconnects() {
        return disconnects.get();
    }

    /** {@return connections refused so far (REFUSE: version, client limit, other uid, shutting down)} Any thread. */
    public long refusals() {
        return refusals.get();
    }

    /** {@return connections open right now (HELLO done or not)} Any thread; a snapshot. */
    public int connectionCount() {
        return liveConnections;
    }

    /** {@return true while the loop thread runs} */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /**
     * Gives client {@code clientId} access to {@code surface} (sends it SURFACE_CREATED with the fds).
     * Loop thread only (from a {@link Listener} callback).
     *
     * @param surface a live surface
     * @param clientId the client to share it with
     * @return false if there is no such client or it is at its surface limit
     */
    public boolean grant(BrokerSurface surface, int clientId) {
        checkLoopThread();
        for (int i = 0; i < connectionCount; i++) {
            Connection c = connections[i];
            if (c.id == clientId && c.state == State.READY && c.doomReason == null) {
                if (find(c, surface.id()) != null) {
                    return true;
                }
                if (c.participants.size() >= config.maxSurfacesPerConnection || surface.closed) {
                    return false;
                }
                join(c, surface, 0);
                return true;
            }
        }
        return false;
    }

    /** Stops the loop (disconnecting every client with BYE), closes everything, removes the socket. Any thread. */
    @Override
    public void close() {
        running = false;
        if (Thread.currentThread() == thread) {
            return; // from a callback: the loop ends after this iteration
        }
        if (thread.isAlive()) {
            wakeup();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void checkLoopThread() {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("Broker.grant runs on the broker's loop thread: call it from a Listener callback");
        }
    }

    // ---------------------------------------------------------------- event loop

    private void run() {
        try {
            while (running) {
                loopOnce();
            }
        } catch (RuntimeException | Error e) {
            config.log.accept("baton broker: event loop failed, shutting down: " + e);
            throw e;
        } finally {
            shutdown();
        }
    }

    private void loopOnce() {
        memPutInt(pollfds + LibC.POLLFD_FD, eventFd);
        memPutShort(pollfds + LibC.POLLFD_EVENTS, LibC.POLLIN);
        memPutShort(pollfds + LibC.POLLFD_REVENTS, (short) 0);
        long slot = pollfds + LibC.POLLFD_SIZEOF;
        if (acceptPausedUntilNanos != 0 && System.nanoTime() - acceptPausedUntilNanos >= 0) {
            acceptPausedUntilNanos = 0;
        }
        memPutInt(slot + LibC.POLLFD_FD, listener != null && acceptPausedUntilNanos == 0 ? listener.fd() : -1);
        memPutShort(slot + LibC.POLLFD_EVENTS, LibC.POLLIN);
        memPutShort(slot + LibC.POLLFD_REVENTS, (short) 0);
        int polled = connectionCount;
        for (int i = 0; i < polled; i++) {
            Connection c = connections[i];
            long p = pollfds + (long) (i + 2) * LibC.POLLFD_SIZEOF;
            memPutInt(p + LibC.POLLFD_FD, c.socket.fd());
            memPutShort(p + LibC.POLLFD_EVENTS, c.queueSize > 0 ? (short) (LibC.POLLIN | LibC.POLLOUT) : LibC.POLLIN);
            memPutShort(p + LibC.POLLFD_REVENTS, (short) 0);
        }
        int n = LibC.poll(pollfds, polled + 2, timeoutMillis());
        if (n < 0) {
            int errno = LibC.errno();
            if (errno != LibC.EINTR) {
                throw new NativeException("poll (broker loop)", errno);
            }
            return;
        }
        if (SeqPacketSocket.revents(pollfds) != 0) {
            drainEventFd();
            SeqPacketSocket s;
            while ((s = adopted.poll()) != null) {
                admit(s);
            }
            for (int i = 0; i < surfaceList.size(); i++) {
                serve(surfaceList.get(i));
            }
        }
        if (listener != null && SeqPacketSocket.revents(pollfds + LibC.POLLFD_SIZEOF) != 0) {
            acceptSome();
        }
        for (int i = 0; i < polled; i++) {
            short revents = SeqPacketSocket.revents(pollfds + (long) (i + 2) * LibC.POLLFD_SIZEOF);
            if (revents == 0) {
                continue;
            }
            Connection c = connections[i];
            if ((revents & LibC.POLLOUT) != 0) {
                flush(c);
            }
            if ((revents & (LibC.POLLIN | LibC.POLLHUP | LibC.POLLERR)) != 0) {
                readSome(c);
            }
            if ((revents & LibC.POLLNVAL) != 0) {
                doom(c, "its socket became invalid");
            }
        }
        expire(System.nanoTime());
        reap();
    }

    private final long drainBuffer = MemoryUtil.nmemAllocChecked(8);

    private void drainEventFd() {
        LibC.read(eventFd, drainBuffer, 8);
    }

    private int timeoutMillis() {
        long now = System.nanoTime();
        long nearest = TimeUnit.SECONDS.toNanos(1);
        if (acceptPausedUntilNanos != 0) {
            nearest = Math.min(nearest, acceptPausedUntilNanos - now);
        }
        for (int i = 0; i < connectionCount; i++) {
            Connection c = connections[i];
            if (c.state == State.AWAITING_HELLO) {
                nearest = Math.min(nearest, c.acceptedNanos + config.helloTimeoutNanos - now);
            }
            for (int j = 0; j < c.participants.size(); j++) {
                Participant p = c.participants.get(j);
                if (p.pending) {
                    nearest = Math.min(nearest, p.deadlineNanos - now);
                }
            }
        }
        if (nearest <= 0) {
            return 0;
        }
        return (int) Math.max(1, (nearest + 999_999L) / 1_000_000L);
    }

    private long acceptPausedUntilNanos;

    private void acceptSome() {
        for (int k = 0; k < 16; k++) {
            int fd;
            try {
                fd = listener.accept();
            } catch (NativeException e) {
                // EMFILE/ENFILE/ENOBUFS: the pending connection stays in the backlog; retry in 100 ms
                // rather than spinning on a listener that stays readable.
                config.log.accept("baton broker: cannot accept connections for now (" + e.getMessage() + "); retrying in 100 ms");
                acceptPausedUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                return;
            }
            if (fd < 0) {
                return;
            }
            admit(new SeqPacketSocket(fd, MAX_MESSAGE_BYTES, MAX_FDS_PER_MESSAGE * 2));
        }
    }

    private void admit(SeqPacketSocket socket) {
        int uid;
        int pid;
        try {
            uid = socket.peerUid();
            pid = socket.peerPid();
        } catch (NativeException e) {
            socket.close();
            return;
        }
        if (uid != ourUid) {
            refusals.incrementAndGet();
            config.log.accept("baton broker: refused a connection from pid " + pid + " (uid " + Integer.toUnsignedString(uid)
                    + "): only uid " + Integer.toUnsignedString(ourUid) + " may connect");
            refuseAndClose(socket, REFUSE_NOT_SAME_USER, "only processes of uid " + Integer.toUnsignedString(ourUid) + " may connect");
            return;
        }
        if (connectionCount == connections.length || !running) {
            refusals.incrementAndGet();
            config.log.accept("baton broker: refused a connection from pid " + pid + ": "
                    + (running ? "already " + connections.length + " clients (the limit)" : "shutting down"));
            refuseAndClose(socket, running ? REFUSE_TOO_MANY_CLIENTS : REFUSE_SHUTTING_DOWN,
                    running ? "the broker serves at most " + connections.length + " clients" : "the broker is shutting down");
            return;
        }
        Connection c = new Connection(nextClientId++, socket, pid);
        connections[connectionCount++] = c;
        liveConnections = connectionCount;
    }

    private void refuseAndClose(SeqPacketSocket socket, int reason, String text) {
        MessageWriter w = new MessageWriter();
        sendQuietly(socket, w.refuse(0, reason, text));
        drainAndClose(socket);
    }

    /**
     * Closes after dropping what the peer already sent: closing with unread messages makes the
     * peer's next read fail with ECONNRESET ahead of our last message.
     */
    private static void drainAndClose(SeqPacketSocket socket) {
        try {
            for (int k = 0; k < 64 && socket.receive() > 0; k++) {
                socket.closeReceivedFds();
            }
        } catch (NativeException e) {
            // closing anyway
        }
        socket.close();
    }

    /** A send whose failure does not matter (the connection is closing). */
    private static void sendQuietly(SeqPacketSocket socket, ByteBuffer m) {
        try {
            socket.send(m, null, 0);
        } catch (NativeException e) {
            // the peer is going away anyway
        }
    }

    private void readSome(Connection c) {
        for (int k = 0; k < config.maxMessagesPerWake && c.doomReason == null; k++) {
            int r;
            try {
                r = c.socket.receive();
            } catch (NativeException e) {
                doom(c, "its socket failed: " + e.getMessage());
                return;
            }
            if (r == SeqPacketSocket.NOTHING) {
                return;
            }
            if (r == SeqPacketSocket.EOF) {
                doom(c, "closed the connection");
                return;
            }
            boolean[] taken = c.fdsTakenFlag;
            taken[0] = false;
            try {
                handle(c, r, taken);
            } catch (ProtocolViolation v) {
                violation(c, v);
            } catch (RuntimeException e) {
                // A bug or a resource failure (EMFILE, ...) while serving this client: drop it, not the broker.
                doom(c, "the broker failed serving its " + Protocol.typeName(Short.toUnsignedInt(c.socket.receiveBuffer()
                        .getShort(H_TYPE))) + ": " + e);
            } finally {
                if (!taken[0]) {
                    c.socket.closeReceivedFds();
                }
            }
        }
    }

    private void violation(Connection c, ProtocolViolation v) {
        violations.incrementAndGet();
        ByteBuffer m = c.writer.error(v.rule(), c.expectedSequence, v.getMessage());
        sendQuietly(c.socket, m); // best effort: it is being disconnected anyway
        doom(c, "protocol violation " + v.getMessage());
    }

    private void handle(Connection c, int received, boolean[] taken) throws ProtocolViolation {
        SeqPacketSocket s = c.socket;
        ByteBuffer m = s.receiveBuffer();
        int type = Protocol.checkFraming(m, received, s.messageTruncated(), s.receivedFdCount(), s.controlTruncated(),
                c.expectedSequence, true);
        c.expectedSequence++;
        if (c.state == State.AWAITING_HELLO) {
            if (type != TYPE_HELLO) {
                throw new ProtocolViolation(Rule.STATE, Protocol.typeName(type) + " before HELLO");
            }
            hello(c, m);
            return;
        }
        switch (type) {
            case TYPE_HELLO:
                throw new ProtocolViolation(Rule.STATE, "a second HELLO");
            case TYPE_SURFACE_OFFER:
                offer(c, m, taken);
                return;
            case TYPE_ACQUIRE:
                acquire(c, m);
                return;
            case TYPE_RELEASE:
                release(c, m);
                return;
            case TYPE_FENCE_REACHED:
                fenceReached(c, m);
                return;
            case TYPE_BYE:
                doom(c, "said BYE");
                return;
            default:
                throw new AssertionError("checkFraming let through " + type);
        }
    }

    private void hello(Connection c, ByteBuffer m) throws ProtocolViolation {
        int version = Short.toUnsignedInt(m.getShort(H_VERSION));
        if (version != VERSION) {
            String text = "protocol version mismatch: this broker speaks version " + VERSION + ", the client version "
                    + version + "; run the producer and the broker from the same Baton build";
            sendQuietly(c.socket, c.writer.refuse(version, REFUSE_VERSION_MISMATCH, text));
            refusals.incrementAndGet();
            doom(c, "refused: " + text);
            return;
        }
        int n = Short.toUnsignedInt(m.getShort(HELLO_NAME_LENGTH));
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = m.get(HELLO_NAME + i);
        }
        try {
            c.name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolViolation(Rule.FIELD, "HELLO name is not UTF-8");
        }
        for (int i = 0; i < c.name.length(); i++) {
            if (Character.isISOControl(c.name.charAt(i))) {
                c.name = "?";
                throw new ProtocolViolation(Rule.FIELD, "HELLO name contains control characters");
            }
        }
        c.helloCapabilities = m.getInt(HELLO_CAPABILITIES);
        for (int i = 0; i < 16; i++) {
            c.helloDriverUuid[i] = m.get(HELLO_DRIVER_UUID + i);
            c.helloDeviceUuid[i] = m.get(HELLO_DEVICE_UUID + i);
        }
        int capabilities = (c.helloCapabilities & CAP_CLIENT_IMPORTS_DEVICE_MEMORY) != 0
                && config.allocator.allocatesDeviceMemoryFor(c.helloDriverUuid, c.helloDeviceUuid) ? CAP_BROKER_DEVICE_MEMORY : 0;
        if (config.clientMemory == ClientMemory.TRUSTED && config.importsClientMemoryFor.test(c.helloDriverUuid, c.helloDeviceUuid)) {
            capabilities |= CAP_BROKER_IMPORTS_CLIENT_MEMORY;
        }
        c.state = State.READY;
        send(c, c.writer.welcome(c.id, MAX_PRIVATE_DATA_BYTES, config.maxSurfacesPerConnection, capabilities), 0);
        config.listener.clientConnected(this, c.id, c.name, c.peerPid);
    }

    private void offer(Connection c, ByteBuffer m, boolean[] taken) throws ProtocolViolation {
        if (c.created.size() >= config.maxSurfacesPerConnection || c.participants.size() >= config.maxSurfacesPerConnection) {
            throw new ProtocolViolation(Rule.LIMIT, "more than " + config.maxSurfacesPerConnection + " surfaces");
        }
        int width = m.getInt(OFFER_WIDTH);
        int height = m.getInt(OFFER_HEIGHT);
        int memoryChoice = Short.toUnsignedInt(m.getShort(OFFER_MEMORY_CHOICE));
        int syncChoice = Short.toUnsignedInt(m.getShort(OFFER_SYNC_CHOICE));
        int syncFdCount = m.getInt(OFFER_SYNC_FD_COUNT);
        int memoryFdCount = m.getInt(OFFER_MEMORY_FD_COUNT);
        if (width <= 0 || height <= 0) {
            throw new ProtocolViolation(Rule.FIELD, "surface size " + Integer.toUnsignedString(width) + "x"
                    + Integer.toUnsignedString(height));
        }
        if (memoryChoice < MEMORY_HOST_MEMFD || memoryChoice > MEMORY_HOST_COPY
                || syncChoice < SYNC_HOST_BRIDGE || syncChoice > SYNC_SHARED_TIMELINE) {
            throw new ProtocolViolation(Rule.FIELD, "unknown memory choice " + memoryChoice + " or sync choice " + syncChoice);
        }
        if (syncFdCount > MAX_OFFER_SYNC_FDS) {
            throw new ProtocolViolation(Rule.FD_COUNT, syncFdCount + " sync fds, more than " + MAX_OFFER_SYNC_FDS);
        }
        if (syncChoice == SYNC_SHARED_TIMELINE && syncFdCount != 1) {
            throw new ProtocolViolation(Rule.FD_COUNT, syncFdCount + " sync fds with sync choice " + SYNC_SHARED_TIMELINE
                    + " (shared timeline), which takes exactly one: the exported timeline semaphore");
        }
        if (memoryFdCount > MAX_OFFER_MEMORY_FDS) {
            throw new ProtocolViolation(Rule.FD_COUNT, memoryFdCount + " memory fds, more than " + MAX_OFFER_MEMORY_FDS);
        }
        if (memoryFdCount > 0 && memoryChoice != MEMORY_DEVICE_OPAQUE_FD) {
            throw new ProtocolViolation(Rule.FIELD, "a memory fd with memory choice " + memoryChoice
                    + "; only device memory (choice " + MEMORY_DEVICE_OPAQUE_FD + ") travels from a client");
        }
        Fds.FileStatus st = statScratch;
        long clientAllocation = m.getLong(OFFER_ALLOCATION_BYTES);
        if (memoryFdCount > 0) {
            int fd = c.socket.receivedFd(0);
            if (Fds.fstat(fd, st) != 0) {
                throw new ProtocolViolation(Rule.FD_TYPE, "memory fd cannot be fstat'ed");
            }
            boolean memfd = st.type() == LibC.S_IFREG;
            // A hardware driver's OPAQUE_FD memory is no memfd (a dma-buf on Mesa's drivers, an fd of NVIDIA's control
            // device): relayed only by a broker that trusts its clients' memory, and never mapped or imported here.
            if (!memfd && !(config.clientMemory == ClientMemory.TRUSTED && isDriverHandle(st))) {
                throw new ProtocolViolation(Rule.FD_TYPE, "memory fd is a " + Fds.FileStatus.typeName(st.type()) + ", not a memfd"
                        + (isDriverHandle(st) ? " (a driver's own handle is relayed only under the TRUSTED client-memory policy)" : ""));
            }
            // An fd smaller than the allocation its importer is told to import kills that importer (SIGBUS). A device
            // node has no size (and cannot be truncated): its importer's driver checks the allocation.
            if (clientAllocation <= 0 || (memfd || st.sizeBytes() > 0) && st.sizeBytes() < clientAllocation) {
                throw new ProtocolViolation(Rule.FD_SIZE, "memory fd has " + st.sizeBytes() + " bytes, the offer claims an allocation of "
                        + Long.toUnsignedString(clientAllocation));
            }
        }
        for (int i = 0; i < syncFdCount; i++) {
            int fd = c.socket.receivedFd(memoryFdCount + i);
            long claimed = m.getLong(OFFER_SYNC_FD_BYTES + 8 * i);
            if (Fds.fstat(fd, st) != 0) {
                throw new ProtocolViolation(Rule.FD_TYPE, "sync fd " + i + " cannot be fstat'ed");
            }
            if (syncChoice == SYNC_SHARED_TIMELINE ? !isTimelineFd(st) : st.type() != LibC.S_IFREG) {
                throw new ProtocolViolation(Rule.FD_TYPE, "sync fd " + i + " is a " + Fds.FileStatus.typeName(st.type())
                        + (st.type() == LibC.S_IFCHR ? " of major " + st.deviceMajor() : "") + ", not "
                        + (syncChoice == SYNC_SHARED_TIMELINE ? TIMELINE_FD_KINDS : "a memfd"));
            }
            if (st.sizeBytes() != claimed) {
                throw new ProtocolViolation(Rule.FD_SIZE, "sync fd " + i + " has " + st.sizeBytes()
                        + " bytes, the offer claims " + claimed);
            }
        }
        BrokerSurface surface = new BrokerSurface(nextSurfaceId++, c, m.getLong(OFFER_INITIAL_KEY), MAX_PRIVATE_DATA_BYTES);
        BrokerSurface.Description d = surface.description;
        d.width = width;
        d.height = height;
        d.format = m.getInt(OFFER_FORMAT);
        d.usage = m.getInt(OFFER_USAGE);
        d.memoryChoice = memoryChoice;
        d.syncChoice = syncChoice;
        for (int i = 0; i < syncFdCount; i++) {
            surface.syncFds.add(c.socket.receivedFd(memoryFdCount + i));
        }
        if (memoryFdCount > 0) {
            surface.memoryFds.add(c.socket.receivedFd(0));
            surface.clientMemory = true;
        }
        taken[0] = true;
        String refusal;
        if (memoryFdCount > 0) {
            refusal = relayClientMemory(c, m, d, surface.memoryFds.get(0), clientAllocation);
        } else {
            if (memoryChoice == MEMORY_DEVICE_OPAQUE_FD) {
                // Broker-allocated device memory: for the driver and device this client named in HELLO.
                System.arraycopy(c.helloDriverUuid, 0, d.driverUuid, 0, 16);
                System.arraycopy(c.helloDeviceUuid, 0, d.deviceUuid, 0, 16);
            }
            try {
                refusal = config.allocator.allocate(d, surface.memoryFds);
            } catch (RuntimeException e) {
                refusal = "allocation failed: " + e.getMessage();
            }
        }
        if (refusal != null) {
            surface.memoryFds.closeAll();
            surface.syncFds.closeAll();
            surface.mutex.close();
            // Not a violation: the client asked for something this broker cannot give. It stays connected.
            send(c, c.writer.error(Rule.FIELD, m.getInt(H_SEQUENCE), "SURFACE_OFFER refused: " + refusal), 0);
            return;
        }
        d.memoryFdCount = surface.memoryFds.count();
        d.syncFdCount = surface.syncFds.count();
        surfaceList.add(surface);
        surfacesById.put(surface.id(), surface);
        c.created.add(surface);
        join(c, surface, m.getInt(OFFER_REQUEST_ID));
        config.listener.surfaceCreated(this, surface);
    }

    private final Fds.FileStatus statScratch = new Fds.FileStatus();

    /** What an exported OPAQUE_FD timeline semaphore can be, for {@link #isTimelineFd}'s refusals. */
    private static final String TIMELINE_FD_KINDS = "a memfd, an anonymous inode (a DRM syncobj) or a driver's device node";

    /**
     * Whether {@code st} is a kind of fd a driver exports a timeline semaphore as (OPAQUE_FD): a memfd
     * (a software driver's shared payload), an anonymous inode (Mesa's drivers export a DRM syncobj,
     * Vulkan-Docs issue 2473) or a character device (NVIDIA's exports are fds of its control device,
     * {@code /dev/nvidiactl}, that the exported object is attached to), but not one of the kernel's
     * memory devices ({@code /dev/null}, {@code /dev/zero}: major 1). The broker never imports it; the
     * importer's driver checks what it is.
     */
    private static boolean isTimelineFd(Fds.FileStatus st) {
        return st.type() == LibC.S_IFREG || isDriverHandle(st);
    }

    /**
     * Whether {@code st} is a kind of fd a hardware driver exports its own objects as: an anonymous
     * inode (a DRM syncobj, a dma-buf) or a character device other than the kernel's memory devices
     * (major 1: {@code /dev/null}, {@code /dev/zero}, ...), such as NVIDIA's control device.
     */
    private static boolean isDriverHandle(Fds.FileStatus st) {
        int type = st.type();
        return type == 0 || type == LibC.S_IFCHR && st.deviceMajor() != 1;
    }

    /**
     * A client's own device memory, already checked by fstat (a memfd of at least {@code allocation}
     * bytes): decides by {@link Config#clientMemory} and the fd's seals whether to relay it, and if so
     * fills the description from the offer. Never maps or imports the fd.
     *
     * @return null to relay it, or the one-line reason the offer is refused
     */
    private String relayClientMemory(Connection c, ByteBuffer m, BrokerSurface.Description d, int fd, long allocation) {
        if (config.clientMemory == ClientMemory.REFUSE) {
            return "this broker takes no memory from clients (memory choice " + MEMORY_DEVICE_OPAQUE_FD + " with an fd); it allocates"
                    + " every surface itself (host memfd only)";
        }
        int seals = Fds.seals(fd);
        boolean fixedSize = seals >= 0 && (seals & (LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW)) == (LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW);
        if (!fixedSize && config.clientMemory != ClientMemory.TRUSTED) {
            return "the memory fd is not sealed against shrinking and growing (seals " + seals + "): an importer could truncate it"
                    + " and kill its exporter, and this broker relays only sealed client memory";
        }
        d.allocationBytes = allocation;
        d.memoryTypeIndex = m.getInt(OFFER_MEMORY_TYPE_INDEX);
        d.tiling = m.getInt(OFFER_TILING);
        d.createFlags = m.getInt(OFFER_CREATE_FLAGS);
        for (int i = 0; i < 16; i++) {
            d.driverUuid[i] = m.get(OFFER_DRIVER_UUID + i);
            d.deviceUuid[i] = m.get(OFFER_DEVICE_UUID + i);
        }
        if (!fixedSize) {
            config.log.accept("baton broker: " + c.label() + " offers device memory that is not sealed against truncation; relayed"
                    + " because the broker trusts its clients' memory");
        }
        return null;
    }

    private void join(Connection c, BrokerSurface surface, int requestId) {
        KeyedMutex.Handle handle = surface.mutex.open(c.label());
        Participant p = new Participant(c, surface, handle);
        c.participants.add(p);
        surface.participants.add(p);
        int n = 0;
        for (int i = 0; i < surface.memoryFds.count(); i++) {
            c.fdScratch[n++] = surface.memoryFds.get(i);
        }
        for (int i = 0; i < surface.syncFds.count(); i++) {
            c.fdScratch[n++] = surface.syncFds.get(i);
        }
        send(c, c.writer.created(requestId, surface.description), n);
    }

    private static Participant find(Connection c, int surfaceId) {
        ArrayList<Participant> ps = c.participants;
        for (int i = 0; i < ps.size(); i++) {
            Participant p = ps.get(i);
            if (p.surface.id() == surfaceId) {
                return p;
            }
        }
        return null;
    }

    private static Participant participant(Connection c, ByteBuffer m) throws ProtocolViolation {
        int id = m.getInt(S_SURFACE_ID);
        Participant p = find(c, id);
        if (p == null) {
            throw new ProtocolViolation(Rule.UNKNOWN_SURFACE, "surface " + Integer.toUnsignedString(id)
                    + " was not given to this client");
        }
        return p;
    }

    private void acquire(Connection c, ByteBuffer m) throws ProtocolViolation {
        Participant p = participant(c, m);
        long key = m.getLong(S_KEY);
        long timeout = m.getLong(S_VALUE);
        if (p.surface.closed) {
            send(c, c.writer.surface(TYPE_ABANDONED, p.surface.id(), key, 0L, null), 0);
            return;
        }
        if (p.pending) {
            throw new ProtocolViolation(Rule.ACQUIRE_PENDING, "ACQUIRE of surface " + p.surface.id()
                    + " while its previous ACQUIRE is pending");
        }
        if (p.handle.isOwner()) {
            throw new ProtocolViolation(Rule.ALREADY_OWNER, "ACQUIRE of surface " + p.surface.id() + ", which it owns");
        }
        if (tryGrant(p, key)) {
            return;
        }
        if (timeout == 0L) {
            send(c, c.writer.surface(TYPE_TIMEOUT, p.surface.id(), key, 0L, null), 0);
            return;
        }
        long bounded = Long.compareUnsigned(timeout, config.maxAcquireTimeoutNanos) > 0 ? config.maxAcquireTimeoutNanos : timeout;
        p.pending = true;
        p.pendingKey = key;
        p.deadlineNanos = System.nanoTime() + bounded;
        p.surface.pending.addLast(p);
    }

    /** Polls the mutex for {@code p}; answers ACQUIRED or ABANDONED and returns true, or returns false (keep waiting). */
    private boolean tryGrant(Participant p, long key) {
        Connection c = p.connection;
        AcquireResult r;
        try {
            r = p.handle.acquireNanos(key, 0L);
        } catch (IllegalStateException | InterruptedException e) {
            send(c, c.writer.surface(TYPE_ABANDONED, p.surface.id(), key, 0L, null), 0); // closed under it
            return true;
        }
        if (r.status() == AcquireStatus.ACQUIRED) {
            send(c, c.writer.surface(TYPE_ACQUIRED, p.surface.id(), key, r.fenceValue(), r.privateData()), 0);
            return true;
        }
        if (r.status() == AcquireStatus.ABANDONED) {
            send(c, c.writer.surface(TYPE_ABANDONED, p.surface.id(), key, 0L, null), 0);
            return true;
        }
        return false;
    }

    private void release(Connection c, ByteBuffer m) throws ProtocolViolation {
        Participant p = participant(c, m);
        if (p.surface.closed) {
            return; // its creator is gone; the release races that and changes nothing
        }
        int length = m.getInt(S_DATA_LENGTH);
        if (length > p.surface.description.maxPrivateDataBytes) {
            throw new ProtocolViolation(Rule.PRIVATE_DATA_LIMIT, length + " bytes of private data, more than the "
                    + p.surface.description.maxPrivateDataBytes + " allowed");
        }
        if (!p.handle.isOwner()) {
            throw new ProtocolViolation(Rule.NOT_OWNER, "RELEASE of surface " + p.surface.id() + ", which it does not own");
        }
        long key = m.getLong(S_KEY);
        long fence = m.getLong(S_VALUE);
        ByteBuffer data = c.dataView;
        data.limit(S_DATA + length).position(S_DATA);
        try {
            p.handle.release(key, fence, data);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolation(Rule.FENCE_BACKWARDS, "fence value " + Long.toUnsignedString(fence)
                    + " is below the surface's stored fence value");
        }
        if (Long.compareUnsigned(fence, p.releasedFenceValue) > 0) {
            p.releasedFenceValue = fence;
        }
        serve(p.surface);
    }

    private void fenceReached(Connection c, ByteBuffer m) throws ProtocolViolation {
        Participant p = participant(c, m);
        long value = m.getLong(S_VALUE);
        if (Long.compareUnsigned(value, p.reportedFenceValue) < 0 || Long.compareUnsigned(value, p.releasedFenceValue) > 0) {
            throw new ProtocolViolation(Rule.FENCE_REACHED, "FENCE_REACHED " + Long.toUnsignedString(value)
                    + " on surface " + p.surface.id() + ": it must lie between its last report "
                    + Long.toUnsignedString(p.reportedFenceValue) + " and the highest value it released "
                    + Long.toUnsignedString(p.releasedFenceValue));
        }
        p.reportedFenceValue = value;
        BrokerSurface s = p.surface;
        if (Long.compareUnsigned(value, s.reachedFenceValue) <= 0) {
            return; // nothing new: forwarding repeats would let one client flood the others' queues
        }
        s.reachedFenceValue = value;
        config.listener.fenceReached(this, s, c.id, value);
        for (int i = 0; i < s.participants.size(); i++) {
            Participant other = s.participants.get(i);
            if (other != p) {
                send(other.connection, other.connection.writer.surface(TYPE_FENCE_REACHED, s.id(), 0L, value, null), 0);
            }
        }
    }

    /** Answers every pending acquire of {@code s} that can now be granted, oldest first. */
    private void serve(BrokerSurface s) {
        ArrayDeque<Participant> q = s.pending;
        for (int n = q.size(); n > 0; n--) {
            Participant p = q.pollFirst();
            if (p.connection.doomReason != null) {
                q.addLast(p); // its disconnect will unlink it
                continue;
            }
            if (s.closed) {
                p.pending = false;
                send(p.connection, p.connection.writer.surface(TYPE_ABANDONED, s.id(), p.pendingKey, 0L, null), 0);
            } else if (tryGrant(p, p.pendingKey)) {
                p.pending = false;
            } else {
                q.addLast(p);
            }
        }
    }

    private void expire(long now) {
        for (int i = 0; i < connectionCount; i++) {
            Connection c = connections[i];
            if (c.state == State.AWAITING_HELLO && now - (c.acceptedNanos + config.helloTimeoutNanos) >= 0) {
                doom(c, "sent no HELLO within " + TimeUnit.NANOSECONDS.toMillis(config.helloTimeoutNanos) + " ms");
            }
            for (int j = 0; j < c.participants.size(); j++) {
                Participant p = c.participants.get(j);
                if (p.pending && now - p.deadlineNanos >= 0) {
                    p.pending = false;
                    p.surface.pending.remove(p);
                    send(c, c.writer.surface(TYPE_TIMEOUT, p.surface.id(), p.pendingKey, 0L, null), 0);
                }
            }
        }
    }

    // ---------------------------------------------------------------- sending

    /** Sends {@code m} with the first {@code fdCount} fds of {@code c.fdScratch}; queues it if the socket is full. */
    private void send(Connection c, ByteBuffer m, int fdCount) {
        if (c.doomReason != null) {
            return;
        }
        if (c.queueSize == 0) {
            int r;
            try {
                r = c.socket.send(m, c.fdScratch, fdCount);
            } catch (NativeException e) {
                doom(c, "send failed: " + e.getMessage());
                return;
            }
            if (r == SeqPacketSocket.SENT) {
                return;
            }
            if (r == SeqPacketSocket.PEER_GONE) {
                doom(c, "closed the connection");
                return;
            }
        }
        enqueue(c, m, fdCount);
    }

    private void enqueue(Connection c, ByteBuffer m, int fdCount) {
        int capacity = config.sendQueueMessages;
        if (c.queueSize == capacity) {
            doom(c, "does not read its messages: its send queue of " + capacity + " messages is full");
            return;
        }
        if (c.queueBuffers == null) {
            c.queueBuffers = new ByteBuffer[capacity];
            c.queueFds = new int[capacity][MAX_FDS_PER_MESSAGE];
            c.queueFdCounts = new int[capacity];
        }
        int slot = (c.queueHead + c.queueSize) % capacity;
        ByteBuffer b = c.queueBuffers[slot];
        if (b == null) {
            b = MemoryUtil.memAlloc(MAX_MESSAGE_BYTES);
            c.queueBuffers[slot] = b;
        }
        b.clear();
        b.put(0, m, m.position(), m.remaining());
        b.limit(m.remaining());
        for (int i = 0; i < fdCount; i++) {
            try {
                c.queueFds[slot][i] = Fds.dup(c.fdScratch[i]); // the queue owns its copies until sent
            } catch (NativeException e) {
                for (int j = 0; j < i; j++) {
                    Fds.closeQuietly(c.queueFds[slot][j]);
                }
                doom(c, "cannot queue its message: " + e.getMessage());
                return;
            }
        }
        c.queueFdCounts[slot] = fdCount;
        c.queueSize++;
    }

    private void flush(Connection c) {
        int capacity = config.sendQueueMessages;
        while (c.queueSize > 0 && c.doomReason == null) {
            int slot = c.queueHead;
            int r;
            try {
                r = c.socket.send(c.queueBuffers[slot], c.queueFds[slot], c.queueFdCounts[slot]);
            } catch (NativeException e) {
                doom(c, "send failed: " + e.getMessage());
                return;
            }
            if (r == SeqPacketSocket.WOULD_BLOCK) {
                return;
            }
            if (r == SeqPacketSocket.PEER_GONE) {
                doom(c, "closed the connection");
                return;
            }
            closeSlotFds(c, slot);
            c.queueHead = (slot + 1) % capacity;
            c.queueSize--;
        }
    }

    private static void closeSlotFds(Connection c, int slot) {
        for (int i = 0; i < c.queueFdCounts[slot]; i++) {
            Fds.closeQuietly(c.queueFds[slot][i]);
        }
        c.queueFdCounts[slot] = 0;
    }

    // ---------------------------------------------------------------- disconnect

    private void doom(Connection c, String reason) {
        if (c.doomReason == null) {
            c.doomReason = reason;
            doomed.add(c);
        }
    }

    private void reap() {
        Connection c;
        while ((c = doomed.poll()) != null) {
            disconnect(c);
        }
    }

    private void disconnect(Connection c) {
        affected.clear();
        for (int i = 0; i < c.participants.size(); i++) {
            Participant p = c.participants.get(i);
            if (p.pending) {
                p.surface.pending.remove(p);
                p.pending = false;
            }
            p.handle.close(); // abandons the surface if this client owned it
            p.surface.participants.remove(p);
            affected.add(p.surface);
        }
        c.participants.clear();
        for (int i = 0; i < c.created.size(); i++) {
            BrokerSurface s = c.created.get(i);
            s.closed = true;
            s.mutex.close(); // abandons it if anyone owns or waits for it
            s.memoryFds.closeAll();
            s.syncFds.closeAll();
            surfaceList.remove(s);
            surfacesById.remove(s.id());
            affected.add(s);
        }
        c.created.clear();
        if (c.queueBuffers != null) {
            for (int i = 0; i < c.queueSize; i++) {
                closeSlotFds(c, (c.queueHead + i) % config.sendQueueMessages);
            }
            for (ByteBuffer b : c.queueBuffers) {
                if (b != null) {
                    MemoryUtil.memFree(b);
                }
            }
            c.queueBuffers = null;
            c.queueSize = 0;
        }
        drainAndClose(c.socket);
        for (int i = 0; i < connectionCount; i++) {
            if (connections[i] == c) {
                connections[i] = connections[--connectionCount];
                connections[connectionCount] = null;
                break;
            }
        }
        liveConnections = connectionCount;
        disconnects.incrementAndGet();
        for (int i = 0; i < affected.size(); i++) {
            serve(affected.get(i)); // waiters of an abandoned or closed surface learn it now
        }
        config.log.accept("baton broker: " + c.label() + " disconnected: " + c.doomReason);
        config.listener.clientGone(this, c.id, c.doomReason);
    }

    private void shutdown() {
        for (int i = connectionCount - 1; i >= 0; i--) {
            Connection c = connections[i];
            if (c.doomReason == null && c.queueSize == 0) {
                sendQuietly(c.socket, c.writer.bye(0));
            }
            doom(c, "the broker shut down");
        }
        reap();
        SeqPacketSocket s;
        while ((s = adopted.poll()) != null) {
            s.close();
        }
        for (BrokerSurface surface : surfaceList) {
            surface.mutex.close();
            surface.memoryFds.closeAll();
            surface.syncFds.closeAll();
        }
        surfaceList.clear();
        surfacesById.clear();
        if (listener != null) {
            listener.close();
        }
        eventFdClosed = true;
        LibC.close(eventFd);
        MemoryUtil.nmemFree(pollfds);
        MemoryUtil.nmemFree(drainBuffer);
        // eventValue stays allocated: a racing wakeup() from another thread may still read it.
    }
}
