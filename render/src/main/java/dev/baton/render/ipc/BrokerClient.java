package dev.baton.render.ipc;

import static dev.baton.render.ipc.Protocol.*;

import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The client side of the broker protocol, for a producer process: HELLO, surface offers and grants,
 * and the keyed-mutex calls (acquire, release, fence reached) as request/answer exchanges with bounded
 * waits. One thread (the producer's submit thread) uses a client at a time, except that
 * {@link #fenceReached} may come from another thread at the same time (a {@link FenceReporter}): every
 * message is numbered and sent under one lock, so the broker sees them in sequence.
 *
 * <p>Every wait is bounded: an acquire waits for the broker's answer at most its timeout plus
 * {@link #ANSWER_GRACE_NANOS}; if the broker is gone (EOF, BYE) or silent, the acquire returns
 * {@link AcquireStatus#ABANDONED} and {@link #brokerGoneReason()} says why. The steady-state acquire
 * and release allocate nothing.
 */
public final class BrokerClient implements AutoCloseable {
    /** How long past an acquire's own timeout the client waits for the broker's answer. */
    public static final long ANSWER_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** A surface the broker gave this client: its description and fds (owned by this object). */
    public static final class Surface implements AutoCloseable {
        /** The broker's id for this surface, named in every surface message. */
        public final int surfaceId;
        /** The id of the SURFACE_OFFER this surface answered (0 for a granted one the client did not offer). */
        public final int requestId;
        /** Bytes of the memory allocation behind the memory fds. */
        public final long allocationBytes;
        /**
         * The image as SURFACE_CREATED describes it: the Vulkan memory type index, size in pixels,
         * {@code VkFormat}, {@code VkImageTiling}, image usage bits, the {@code Protocol.MEMORY_*} and
         * {@code Protocol.SYNC_*} choices the broker made, and the most private data a release may carry.
         */
        public final int memoryTypeIndex, width, height, format, tiling, usage, memoryChoice, syncChoice,
                maxPrivateDataBytes;
        /** The keyed mutex's initial key: the client that holds it acquires first. */
        public final long initialKey;
        /** {@code VkImageCreateFlags} of the exporter's image (client memory; 0 for a broker memfd). */
        public final int createFlags;
        private final byte[] driverUuid = new byte[16], deviceUuid = new byte[16];
        private final int[] memoryFds;
        private final int[] syncFds;
        long reachedFenceValue;

        Surface(ByteBuffer m, int[] fds) {
            requestId = m.getInt(CREATED_REQUEST_ID);
            surfaceId = m.getInt(CREATED_SURFACE_ID);
            allocationBytes = m.getLong(CREATED_ALLOCATION_BYTES);
            memoryTypeIndex = m.getInt(CREATED_MEMORY_TYPE_INDEX);
            width = m.getInt(CREATED_WIDTH);
            height = m.getInt(CREATED_HEIGHT);
            format = m.getInt(CREATED_FORMAT);
            tiling = m.getInt(CREATED_TILING);
            usage = m.getInt(CREATED_USAGE);
            memoryChoice = Short.toUnsignedInt(m.getShort(CREATED_MEMORY_CHOICE));
            syncChoice = Short.toUnsignedInt(m.getShort(CREATED_SYNC_CHOICE));
            maxPrivateDataBytes = m.getInt(CREATED_MAX_PRIVATE_DATA);
            initialKey = m.getLong(CREATED_INITIAL_KEY);
            createFlags = m.getInt(CREATED_CREATE_FLAGS);
            for (int i = 0; i < 16; i++) {
                driverUuid[i] = m.get(CREATED_DRIVER_UUID + i);
                deviceUuid[i] = m.get(CREATED_DEVICE_UUID + i);
            }
            int memoryCount = m.getInt(CREATED_MEMORY_FD_COUNT);
            memoryFds = new int[memoryCount];
            syncFds = new int[fds.length - memoryCount];
            System.arraycopy(fds, 0, memoryFds, 0, memoryCount);
            System.arraycopy(fds, memoryCount, syncFds, 0, syncFds.length);
        }

        /**
         * The surface's memory as another client's driver exported it (memory choice 2), for
         * {@code SurfaceImage.importFrom}, which checks the UUIDs and the memory requirements against it.
         * Each {@link dev.baton.render.ExportedImageMemory#dupFd()} dups this surface's memory fd.
         *
         * @return a view of this surface's description and memory fd (valid while the surface is open)
         * @throws IllegalStateException if the surface has no client memory fd
         */
        public dev.baton.render.ExportedImageMemory exportedImageMemory() {
            if (memoryChoice != MEMORY_DEVICE_OPAQUE_FD || memoryFds.length != 1) {
                throw new IllegalStateException("surface " + surfaceId + " has no device memory of another client (memory choice "
                        + memoryChoice + ")");
            }
            Surface self = this;
            return new dev.baton.render.ExportedImageMemory() {
                @Override public int width() { return width; }
                @Override public int height() { return height; }
                @Override public int vkFormat() { return format; }
                @Override public boolean linearTiling() { return tiling == 1; }
                @Override public int vkUsage() { return usage; }
                @Override public int vkCreateFlags() { return createFlags; }
                @Override public int memoryTypeIndex() { return memoryTypeIndex; }
                @Override public long allocationSizeBytes() { return allocationBytes; }
                @Override public byte[] driverUuid() { return driverUuid.clone(); }
                @Override public byte[] deviceUuid() { return deviceUuid.clone(); }
                @Override public int dupFd() {
                    if (self.memoryFds[0] < 0) {
                        throw new IllegalStateException("surface " + surfaceId + " is closed");
                    }
                    return Fds.dup(self.memoryFds[0]);
                }
            };
        }

        /** {@return how many memory fds came with the surface} */
        public int memoryFdCount() {
            return memoryFds.length;
        }

        /**
         * The {@code i}th memory fd (owned by this surface: dup it to keep it past {@link #close()}).
         *
         * @param i an index below {@link #memoryFdCount()}
         * @return the fd, -1 after {@link #close()}
         */
        public int memoryFd(int i) {
            return memoryFds[i];
        }

        /** {@return how many sync fds came with the surface} */
        public int syncFdCount() {
            return syncFds.length;
        }

        /**
         * The {@code i}th sync fd (owned by this surface: dup it to keep it past {@link #close()}).
         *
         * @param i an index below {@link #syncFdCount()}
         * @return the fd, -1 after {@link #close()}
         */
        public int syncFd(int i) {
            return syncFds[i];
        }

        /** {@return the highest value a FENCE_REACHED from the broker reported for this surface (host bridge)} */
        public long reachedFenceValue() {
            return reachedFenceValue;
        }

        @Override
        public void close() {
            for (int i = 0; i < memoryFds.length; i++) {
                Fds.closeQuietly(memoryFds[i]);
                memoryFds[i] = -1;
            }
            for (int i = 0; i < syncFds.length; i++) {
                Fds.closeQuietly(syncFds[i]);
                syncFds[i] = -1;
            }
        }
    }

    /** The broker refused this client (REFUSE) or reported an error (ERROR). */
    public static final class BrokerRefusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BrokerRefusal(String message) {
            super(message);
        }
    }

    private final SeqPacketSocket socket;
    private final MessageWriter writer = new MessageWriter();
    private int expectedSequence = 1;
    private int clientId;
    private int nextRequestId = 1;
    private final ArrayList<Surface> surfaces = new ArrayList<>();
    private final ArrayDeque<Surface> grants = new ArrayDeque<>();
    private final ByteBuffer privateData = ByteBuffer.allocateDirect(MAX_PRIVATE_DATA_BYTES);
    private volatile String brokerGoneReason;
    /** Held while a message is numbered and sent: FENCE_REACHED may come from a reporter thread. */
    private final Object sendLock = new Object();
    // The answer being waited for.
    private int answerSurfaceId;
    private int answerType;
    private long answerFenceValue;
    private int answerRequestId;
    private Surface answerSurface;
    private String answerError;

    private BrokerClient(SeqPacketSocket socket) {
        this.socket = socket;
    }

    /**
     * Connects to the broker at {@code path} and says HELLO; waits at most {@code timeoutNanos} for WELCOME.
     *
     * @param path the broker's socket path
     * @param name this client's name, for the broker's logs (cut to {@link Protocol#MAX_NAME_BYTES})
     * @param timeoutNanos the most nanoseconds to wait for WELCOME
     * @return the connected client, owned by the caller
     * @throws NativeException if the connect fails (e.g. ECONNREFUSED: no broker listens at {@code path})
     * @throws BrokerRefusal if the broker refused, reported an error or did not answer in time
     */
    public static BrokerClient connect(String path, String name, long timeoutNanos) {
        return connect(path, name, 0, null, null, timeoutNanos);
    }

    /**
     * As {@link #connect(String, String, long)}, saying in HELLO what this client's device can do and
     * which driver and device it is ({@link Protocol#CAP_CLIENT_IMPORTS_DEVICE_MEMORY}); the broker's
     * answer is {@link #brokerCapabilities()}.
     *
     * @param path the broker's socket
     * @param name this client's name, for the broker's logs
     * @param capabilities HELLO's capability bits
     * @param driverUuid the client device's driver UUID (16 bytes), or null
     * @param deviceUuid the client device's device UUID (16 bytes), or null
     * @param timeoutNanos the most nanoseconds to wait for WELCOME
     * @return the connected client, owned by the caller
     */
    public static BrokerClient connect(String path, String name, int capabilities, byte[] driverUuid, byte[] deviceUuid,
            long timeoutNanos) {
        SeqPacketSocket s = SeqPacketSocket.connect(path, MAX_MESSAGE_BYTES, MAX_FDS_PER_MESSAGE * 2);
        return over(s, name, capabilities, driverUuid, deviceUuid, timeoutNanos);
    }

    /**
     * As {@link #connect}, over an already connected socket (which the client then owns).
     *
     * @param socket a socket connected to a broker; closed on failure
     * @param name this client's name, for the broker's logs
     * @param timeoutNanos the most nanoseconds to wait for WELCOME
     * @return the connected client, owned by the caller
     * @throws BrokerRefusal if the broker refused, reported an error or did not answer in time
     */
    public static BrokerClient over(SeqPacketSocket socket, String name, long timeoutNanos) {
        return over(socket, name, 0, null, null, timeoutNanos);
    }

    private static BrokerClient over(SeqPacketSocket socket, String name, int capabilities, byte[] driverUuid, byte[] deviceUuid,
            long timeoutNanos) {
        BrokerClient c = new BrokerClient(socket);
        try {
            boolean sent;
            synchronized (c.sendLock) {
                sent = c.send(c.writer.hello(LibC.getpid(), capabilities, deviceUuid, driverUuid, name), null, 0);
            }
            if (!sent) {
                // A broker that refuses (too many clients) may have sent REFUSE and closed before our HELLO went out:
                // the REFUSE is still queued on our side, and says why better than the failed send.
                String why = c.brokerGoneReason;
                c.brokerGoneReason = null;
                c.pumpOne(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200));
                throw new BrokerRefusal(c.answerError != null ? c.answerError : "cannot send to the broker: " + why);
            }
            c.answerType = 0;
            long deadline = System.nanoTime() + timeoutNanos;
            while (c.answerType != TYPE_WELCOME) {
                if (!c.pumpOne(deadline)) {
                    throw new BrokerRefusal("the broker did not answer HELLO within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"
                            + (c.brokerGoneReason != null ? ": " + c.brokerGoneReason : ""));
                }
                if (c.answerError != null) {
                    throw new BrokerRefusal(c.answerError);
                }
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private int brokerCapabilities;

    /** {@return WELCOME's capability bits, such as {@link Protocol#CAP_BROKER_DEVICE_MEMORY}} */
    public int brokerCapabilities() {
        return brokerCapabilities;
    }

    /** {@return the id the broker gave this client in WELCOME} */
    public int clientId() {
        return clientId;
    }

    /** {@return why the broker is gone, or null while it is there} */
    public String brokerGoneReason() {
        return brokerGoneReason;
    }

    /** {@return the private data of the last ACQUIRED (read-only view; valid until the next acquire)} */
    public ByteBuffer privateData() {
        return privateData;
    }

    /** {@return the fence value of the last ACQUIRED: the releaser's GPU signals it when its work is done} */
    public long fenceValue() {
        return answerFenceValue;
    }

    /**
     * Offers a surface: the broker allocates it and answers with its description and fds.
     *
     * @param width the width in pixels
     * @param height the height in pixels
     * @param format the Vulkan format ({@code VkFormat})
     * @param usage the Vulkan image usage bits
     * @param memoryChoice the memory sharing asked for, a {@code Protocol.MEMORY_*} value (the broker decides)
     * @param syncChoice the handoff sync asked for, a {@code Protocol.SYNC_*} value
     * @param initialKey the keyed mutex's initial key
     * @param syncFds sync fds this client exported (may be null), with their sizes in {@code syncFdBytes}
     * @param syncFdBytes the sizes in bytes of {@code syncFds}
     * @param timeoutNanos the most nanoseconds to wait for SURFACE_CREATED
     * @return the surface, owned by this client (closed with it)
     * @throws BrokerRefusal if the broker refused the offer, went away or did not answer in time
     */
    public Surface offer(int width, int height, int format, int usage, int memoryChoice, int syncChoice, long initialKey,
            int[] syncFds, long[] syncFdBytes, long timeoutNanos) {
        return offer(width, height, format, usage, memoryChoice, syncChoice, initialKey, syncFds, syncFdBytes, null, -1, timeoutNanos);
    }

    /**
     * Offers a surface whose memory this client's device exported (memory choice 2): {@code memoryFd}
     * travels first, then the sync fds. The broker relays it to the clients it shares the surface with
     * only where its {@link Broker.Config#clientMemory} policy allows, and never maps it.
     *
     * @param width the surface's width in pixels
     * @param height the surface's height in pixels
     * @param format its {@code VkFormat}
     * @param usage its image usage bits
     * @param memoryChoice a {@code Protocol.MEMORY_*} value
     * @param syncChoice a {@code Protocol.SYNC_*} value
     * @param initialKey the keyed mutex's initial key
     * @param syncFds the sync fds to pass (still owned by the caller), or null
     * @param syncFdBytes the size of each sync fd, or null
     * @param memory the exported image's description (size, format, tiling, usage, flags, memory type, UUIDs); null for none
     * @param memoryFd an fd of that memory (still owned by the caller: the kernel passes a copy); ignored when {@code memory} is null
     * @param timeoutNanos how long to wait for SURFACE_CREATED
     * @return the surface the broker created
     * @see #offer(int, int, int, int, int, int, long, int[], long[], long)
     */
    public Surface offer(int width, int height, int format, int usage, int memoryChoice, int syncChoice, long initialKey,
            int[] syncFds, long[] syncFdBytes, dev.baton.render.ExportedImageMemory memory, int memoryFd, long timeoutNanos) {
        int requestId = nextRequestId++;
        int n = syncFds == null ? 0 : syncFds.length;
        int[] fds = syncFds;
        int total = n;
        if (memory != null) {
            fds = new int[n + 1];
            fds[0] = memoryFd;
            for (int i = 0; i < n; i++) {
                fds[i + 1] = syncFds[i];
            }
            total = n + 1;
        }
        synchronized (sendLock) {
            sendOrFail(writer.offer(requestId, width, height, format, usage, memoryChoice, syncChoice, initialKey,
                    syncFdBytes, n, memory), fds, total);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        answerRequestId = requestId;
        answerSurface = null;
        answerError = null;
        while (answerSurface == null) {
            if (!pumpOne(deadline)) {
                throw new BrokerRefusal("no SURFACE_CREATED within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"
                        + (brokerGoneReason != null ? ": " + brokerGoneReason : ""));
            }
            if (answerError != null) {
                throw new BrokerRefusal(answerError);
            }
        }
        answerRequestId = 0;
        return answerSurface;
    }

    /**
     * Waits at most {@code timeoutNanos} for a surface the broker granted (shared by another client); null if none.
     *
     * @param timeoutNanos the most nanoseconds to wait
     * @return the oldest grant not yet returned, or null on timeout or when the broker is gone
     */
    public Surface awaitGrant(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (grants.isEmpty()) {
            if (!pumpOne(deadline)) {
                return null;
            }
        }
        return grants.poll();
    }

    /**
     * Acquires {@code surface} for {@code key}: ACQUIRED (then {@link #fenceValue()} and
     * {@link #privateData()} hold the releaser's values), TIMEOUT, or ABANDONED (also when the broker is
     * gone). Waits at most {@code timeoutNanos} plus {@link #ANSWER_GRACE_NANOS}.
     *
     * @param surface a surface of this client
     * @param key the key to wait for
     * @param timeoutNanos the broker-side timeout in nanoseconds; 0 polls
     * @return ACQUIRED, TIMEOUT, or ABANDONED (the owner died without releasing, the surface's creator
     *     left, or the broker is gone or silent: then {@link #brokerGoneReason()} says why)
     * @throws BrokerRefusal if the broker answered with ERROR
     */
    public AcquireStatus acquire(Surface surface, long key, long timeoutNanos) {
        if (brokerGoneReason != null) {
            return AcquireStatus.ABANDONED;
        }
        synchronized (sendLock) {
            if (!send(writer.surface(TYPE_ACQUIRE, surface.surfaceId, key, timeoutNanos, null), null, 0)) {
                return AcquireStatus.ABANDONED;
            }
        }
        long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 4) + ANSWER_GRACE_NANOS;
        answerSurfaceId = surface.surfaceId;
        answerType = 0;
        answerError = null;
        while (answerType == 0) {
            if (!pumpOne(deadline)) {
                if (brokerGoneReason == null) {
                    brokerGoneReason = "the broker did not answer an ACQUIRE within its timeout plus "
                            + TimeUnit.NANOSECONDS.toMillis(ANSWER_GRACE_NANOS) + " ms";
                }
                return AcquireStatus.ABANDONED;
            }
            if (answerError != null) {
                throw new BrokerRefusal(answerError);
            }
        }
        answerSurfaceId = 0;
        switch (answerType) {
            case TYPE_ACQUIRED: return AcquireStatus.ACQUIRED;
            case TYPE_TIMEOUT: return AcquireStatus.TIMEOUT;
            default: return AcquireStatus.ABANDONED;
        }
    }

    /**
     * Releases {@code surface} to {@code key} with the fence value its GPU work will signal and private
     * data (position..limit, not moved; null for none). Does not wait for an answer (there is none; a
     * violation disconnects this client and shows as ABANDONED on its next acquire).
     *
     * @param surface a surface this client owns
     * @param key the key the next owner must hold
     * @param fenceValue the fence value this client's GPU work will signal
     * @param data private data, at most the surface's {@code maxPrivateDataBytes}; null for none
     * @return false if the broker is gone
     */
    public boolean release(Surface surface, long key, long fenceValue, ByteBuffer data) {
        synchronized (sendLock) {
            return brokerGoneReason == null && send(writer.surface(TYPE_RELEASE, surface.surfaceId, key, fenceValue, data), null, 0);
        }
    }

    /**
     * Host bridge: reports that this client's GPU reached {@code fenceValue} on {@code surface}.
     * Does not wait for an answer. Any thread (also while another is in {@link #acquire}).
     *
     * @param surface a surface of this client
     * @param fenceValue the fence value its GPU work signalled
     * @return false if the broker is gone
     */
    public boolean fenceReached(Surface surface, long fenceValue) {
        synchronized (sendLock) {
            return brokerGoneReason == null && send(writer.surface(TYPE_FENCE_REACHED, surface.surfaceId, 0L, fenceValue, null), null, 0);
        }
    }

    /** Handles any messages already waiting (FENCE_REACHED, grants, BYE) without blocking. */
    public void poll() {
        while (pumpOne(System.nanoTime())) {
            // keep draining
        }
    }

    /** {@return the underlying socket (tests send raw bytes through it)} */
    public SeqPacketSocket socket() {
        return socket;
    }

    /** {@return the writer numbering this client's messages (tests build malformed ones with it)} */
    public MessageWriter writer() {
        return writer;
    }

    private void sendOrFail(ByteBuffer m, int[] fds, int n) {
        if (!send(m, fds, n)) {
            throw new BrokerRefusal("cannot send to the broker: " + brokerGoneReason);
        }
    }

    /** Sends, waiting (bounded) for room; false (with brokerGoneReason set) if the broker is gone or stuck. */
    private boolean send(ByteBuffer m, int[] fds, int n) {
        long deadline = System.nanoTime() + ANSWER_GRACE_NANOS;
        while (true) {
            int r = socket.send(m, fds, n);
            if (r == SeqPacketSocket.SENT) {
                return true;
            }
            if (r == SeqPacketSocket.PEER_GONE) {
                brokerGoneReason = "the broker closed the connection";
                return false;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                brokerGoneReason = "the broker did not read for " + TimeUnit.NANOSECONDS.toMillis(ANSWER_GRACE_NANOS) + " ms";
                return false;
            }
            socket.awaitWritable((int) Math.max(1, left / 1_000_000L));
        }
    }

    /** Receives and handles one message, waiting until {@code deadline}; false on timeout or when the broker is gone. */
    private boolean pumpOne(long deadlineNanos) {
        if (brokerGoneReason != null) {
            return false;
        }
        while (true) {
            int r = socket.receive();
            if (r == SeqPacketSocket.EOF) {
                brokerGoneReason = "the broker closed the connection";
                return false;
            }
            if (r > 0) {
                handle(r);
                return true;
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            socket.awaitReadable((int) Math.max(1, (left + 999_999L) / 1_000_000L));
        }
    }

    private void handle(int received) {
        ByteBuffer m = socket.receiveBuffer();
        int type;
        try {
            type = Protocol.checkFraming(m, received, socket.messageTruncated(), socket.receivedFdCount(),
                    socket.controlTruncated(), expectedSequence, false);
            expectedSequence++;
        } catch (ProtocolViolation v) {
            socket.closeReceivedFds();
            brokerGoneReason = "the broker sent a bad message (" + v.getMessage() + ")";
            return;
        }
        switch (type) {
            case TYPE_WELCOME:
                clientId = m.getInt(WELCOME_CLIENT_ID);
                brokerCapabilities = m.getInt(WELCOME_CAPABILITIES);
                answerType = TYPE_WELCOME;
                return;
            case TYPE_REFUSE:
                answerError = "the broker refused this client: " + Protocol.getText(m, REFUSE_TEXT,
                        Short.toUnsignedInt(m.getShort(REFUSE_TEXT_LENGTH)));
                brokerGoneReason = answerError;
                return;
            case TYPE_ERROR: {
                String text = Protocol.getText(m, ERROR_TEXT, Short.toUnsignedInt(m.getShort(ERROR_TEXT_LENGTH)));
                answerError = "the broker reported: " + text;
                return;
            }
            case TYPE_SURFACE_CREATED: {
                int[] fds = new int[socket.receivedFdCount()];
                for (int i = 0; i < fds.length; i++) {
                    fds[i] = socket.receivedFd(i);
                }
                Surface s = new Surface(m, fds);
                surfaces.add(s);
                if (s.requestId != 0 && s.requestId == answerRequestId) {
                    answerSurface = s;
                } else {
                    grants.add(s);
                }
                return;
            }
            case TYPE_ACQUIRED:
            case TYPE_TIMEOUT:
            case TYPE_ABANDONED: {
                int id = m.getInt(S_SURFACE_ID);
                if (id == answerSurfaceId) {
                    answerType = type;
                    answerFenceValue = m.getLong(S_VALUE);
                    int n = m.getInt(S_DATA_LENGTH);
                    privateData.clear();
                    privateData.put(0, m, S_DATA, n);
                    privateData.limit(n);
                }
                return;
            }
            case TYPE_FENCE_REACHED: {
                int id = m.getInt(S_SURFACE_ID);
                for (int i = 0; i < surfaces.size(); i++) {
                    Surface s = surfaces.get(i);
                    if (s.surfaceId == id && Long.compareUnsigned(m.getLong(S_VALUE), s.reachedFenceValue) > 0) {
                        s.reachedFenceValue = m.getLong(S_VALUE);
                    }
                }
                return;
            }
            case TYPE_BYE:
                brokerGoneReason = "the broker said BYE (it is shutting down)";
                return;
            default:
                socket.closeReceivedFds();
        }
    }

    /** Says BYE, closes the socket and every surface's fds. Idempotent. */
    @Override
    public void close() {
        if (socket.isOpen()) {
            synchronized (sendLock) {
                if (brokerGoneReason == null) {
                    socket.send(writer.bye(0), null, 0);
                }
            }
            socket.close();
        }
        for (Surface s : surfaces) {
            s.close();
        }
        surfaces.clear();
        grants.clear();
    }
}
