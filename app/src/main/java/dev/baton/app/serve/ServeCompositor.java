package dev.baton.app.serve;

import dev.baton.app.demo.AbandonedTile;
import dev.baton.render.ExportedImageMemory;
import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerSurface;
import dev.baton.render.ipc.MappedMemory;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.ipc.RemoteParticipant;
import dev.baton.render.ipc.SurfaceAllocator;
import dev.baton.render.scene.FrameStamp;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.sync.AcquireResult;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.KeyedMutex;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The compositor side of {@code ./baton serve} and {@code ./baton demo --processes}: a {@link Broker}
 * whose every client surface is taken by an in-process consumer on the compositor's side.
 *
 * <p>What crosses and what is copied, per frame: the producer draws into the broker's sealed memfd
 * (imported into its Vulkan device as host memory: zero copies on its side) and releases the keyed
 * mutex to {@link ProduceCommand#COMPOSITOR_KEY} with its fence value and frame number; its
 * FENCE_REACHED advances the producer's {@link RemoteParticipant} timeline here. A consumer thread per
 * surface acquires, waits (bounded) for that timeline to reach the fence value, then reads the pixels
 * from its own mapping of the same memfd: it checks the frame stamp against the frame number the
 * producer released with (torn, stale, invalid) and copies the frame once into its producer's
 * {@link Feed} (one CPU copy of width x height x 4 bytes: the headless compositor is the CPU), and
 * releases back to {@link ProduceCommand#PRODUCER_KEY}. GL cannot import host memory on llvmpipe,
 * so no GPU compositing is done here.
 *
 * <p>A producer that dies (SIGKILL included) while owning a surface abandons it: the consumer's acquire
 * wakes with ABANDONED ({@link Feed#abandonedLatencyNanos} measures from the moment the caller says it
 * killed the process, {@link #noteKill}), the broker closes everything of that connection and the
 * consumer unmaps; every other feed goes on.
 */
public final class ServeCompositor implements AutoCloseable {
    /** One producer process (one broker connection) as the compositor shows it. */
    public static final class Feed {
        /** The broker's id of its connection. */
        public final int clientId;
        /** The name it gave in HELLO. */
        public final String name;
        /** Its process id. */
        public final int pid;
        private final Object lock = new Object();
        private byte[] front = new byte[0];
        private int width, height;
        private volatile long delivered, torn, stale, invalid, fenceLate, windowLate;
        /** Its surfaces are its own memory, read on this process's GPU after waiting on its semaphores (trusted). */
        private volatile boolean semaphores;
        /** ... on one shared timeline rather than binary semaphores. */
        private volatile boolean sharedTimeline;
        /** When the window last looked for a new frame of this feed (every window frame, in place). */
        private volatile long windowPolledNanos = System.nanoTime();
        private volatile long lastFrame = -1;
        private volatile boolean abandoned;
        private volatile boolean gone;
        private volatile long abandonedAtNanos;
        private volatile long killedAtNanos;
        private volatile long firstFrameNanos;
        private volatile String goneReason;
        private volatile long goneAtNanos;
        private volatile int memoryChoice;
        private volatile long producerCopiedBytesPerFrame;
        /** In place: a frame handed over whose fence was reached, not yet taken by the window ({@link #lock}). */
        private InPlaceFrame pending;
        private volatile boolean inPlace;
        private volatile long checkedInPlace;

        Feed(int clientId, String name, int pid) {
            this.clientId = clientId;
            this.name = name;
            this.pid = pid;
        }

        /** {@return frames received with their pixels checked} */
        public long delivered() {
            return delivered;
        }

        /** {@return frames whose top and bottom stamps disagreed} */
        public long torn() {
            return torn;
        }

        /** {@return frames whose stamp was older than the frame number they were released with} */
        public long stale() {
            return stale;
        }

        /** {@return frames without a readable stamp or with one newer than released} */
        public long invalid() {
            return invalid;
        }

        /** {@return acquires whose fence value the producer did not report reached in time} */
        public long fenceLate() {
            return fenceLate;
        }

        /**
         * In place: frames the window took and then drew nothing for the acquire timeout (stalled), so the surface
         * went back to its producer while GL might still sample it.
         *
         * @return how many
         */
        public long windowLate() {
            return windowLate;
        }

        /** {@return the last frame number received, -1 before the first} */
        public long lastFrame() {
            return lastFrame;
        }

        /** {@return whether a surface of this feed woke a waiter with ABANDONED} */
        public boolean abandoned() {
            return abandoned;
        }

        /** {@return why the broker dropped the connection ("said BYE" for a clean exit), or null while connected} */
        public String goneReason() {
            return goneReason;
        }

        /** {@return whether the connection is gone} */
        public boolean gone() {
            return gone;
        }

        /** {@return nanoseconds from {@link ServeCompositor#noteKill} to the ABANDONED wake-up, or -1} */
        public long abandonedLatencyNanos() {
            return abandoned && killedAtNanos != 0 ? abandonedAtNanos - killedAtNanos : -1;
        }

        /** {@return nanoseconds from {@link ServeCompositor#noteKill} to the broker's disconnect of it (socket EOF), or -1} */
        public long disconnectLatencyNanos() {
            return gone && killedAtNanos != 0 ? goneAtNanos - killedAtNanos : -1;
        }

        /**
         * {@return whether its tile shows its last frame marked {@link AbandonedTile#LABEL}: its connection
         * went other than by a clean BYE (the broker then abandoned every surface it owned and closed the
         * ones it created, in the same step)}
         */
        public boolean showsAbandoned() {
            return gone && !CLEAN_EXIT.equals(goneReason);
        }

        /**
         * {@return how its frames reach the broker's pages: "host memory" (its device imports them) or
         * "host copy" with the bytes its CPU copies there per frame; "?" before its first surface}
         */
        public String memory() {
            int choice = memoryChoice;
            if (semaphores) {
                return sharedTimeline ? "its own memory, shared timeline (trusted)" : "its own memory, binary semaphores (trusted)";
            }
            return choice == Protocol.MEMORY_HOST_COPY ? "host copy " + producerCopiedBytesPerFrame + " B/frame"
                    : choice == Protocol.MEMORY_HOST_MEMFD ? "host memory"
                    : choice == Protocol.MEMORY_DEVICE_OPAQUE_FD ? "device memory, sampled in place (" + checkedInPlace + " checked in GL)" : "?";
        }

        /**
         * {@return whether its surfaces are device memory the broker allocated, which the window's GL samples in place
         * (no CPU copy: {@link #takeInPlace}); false for the broker's host memfds, which the consumer reads}
         */
        public boolean inPlace() {
            return inPlace;
        }

        /** {@return frames whose stamp rows the window read back from GL and checked (in place only)} */
        public long checkedInPlace() {
            return checkedInPlace;
        }

        /**
         * Window thread: takes the newest handed-over frame that the window has not taken (the producer cannot
         * write its surface until the window {@linkplain #finishInPlace finishes} with it), or null.
         */
        InPlaceFrame takeInPlace() {
            windowPolledNanos = System.nanoTime();
            synchronized (lock) {
                InPlaceFrame f = pending;
                if (f != null) {
                    pending = null;
                    f.taken = true;
                }
                return f;
            }
        }

        /** Window thread: GL is done with {@code f} (a fence after its last draw signalled); its consumer releases it. */
        void finishInPlace(InPlaceFrame f) {
            synchronized (lock) {
                f.done = true;
                lock.notifyAll();
            }
        }

        /** Window thread: the result of checking the stamp rows of {@code frame}, read back from GL. */
        void checkedInPlace(long decoded, long frame) {
            long expected = frame & 0xFFFF_FFFFL;
            if (decoded == FrameStamp.TORN) {
                torn++;
            } else if (decoded == FrameStamp.INVALID || decoded > expected) {
                invalid++;
            } else if (decoded < expected) {
                stale++;
            }
            checkedInPlace++;
        }

        /** {@return bytes its producer copies with the CPU into the broker's pages per frame (0 when its device imports them)} */
        public long producerCopiedBytesPerFrame() {
            return producerCopiedBytesPerFrame;
        }

        /** {@return the failed pixel checks} */
        public long failures() {
            return torn + stale + invalid;
        }

        int width() {
            return width;
        }

        int height() {
            return height;
        }

        /** Copies the latest frame into {@code out} (row-major RGBA) at (x, y) of an image {@code outWidth} wide. */
        void drawInto(byte[] out, int outWidth, int x, int y) {
            synchronized (lock) {
                if (front.length < width * height * 4) {
                    return; // no CPU copy of its frames (sampled in place by the window)
                }
                for (int row = 0; row < height; row++) {
                    System.arraycopy(front, row * width * 4, out, ((y + row) * outWidth + x) * 4, width * 4);
                }
            }
        }

        /**
         * Copies the latest checked frame (row-major RGBA, {@link #width()} x {@link #height()}) into {@code destination}
         * from its position, under the feed's lock (held only for this copy and the consumer's swap: never while waiting
         * on a producer), and {@return its frame number and, in {@code latencyNanos[0]}, its handoff latency; -1 without
         * a frame or when {@code destination} has too little room}
         */
        long copyLatest(ByteBuffer destination, long[] latencyNanos) {
            synchronized (lock) {
                int bytes = width * height * 4;
                if (frontFrame < 0 || front.length < bytes || destination.remaining() < bytes) {
                    return -1;
                }
                destination.put(destination.position(), front, 0, bytes);
                latencyNanos[0] = frontLatencyNanos;
                return frontFrame;
            }
        }

        private long frontFrame = -1;
        private long frontLatencyNanos;

        void publish(byte[] back, int w, int h, long frame, long latencyNanos) {
            synchronized (lock) {
                byte[] old = front;
                front = back;
                width = w;
                height = h;
                spare = old;
                frontFrame = frame;
                frontLatencyNanos = latencyNanos;
            }
            lastFrame = frame;
            if (delivered == 0) {
                firstFrameNanos = System.nanoTime();
            }
            delivered++;
        }

        private byte[] spare;

        /** A buffer of {@code bytes} to fill (the previous front, recycled: no allocation in steady state). */
        byte[] takeBack(int bytes) {
            synchronized (lock) {
                byte[] b = spare;
                spare = null;
                return b != null && b.length == bytes ? b : new byte[bytes];
            }
        }
    }

    /**
     * A frame of a device-memory surface that the window's GL samples in place: handed from the surface's
     * consumer thread (which owns the keyed mutex and waited for the producer's fence value) to the window
     * thread, and back once GL is done with it. One per surface, reused; its fields are guarded by its
     * feed's lock.
     */
    static final class InPlaceFrame {
        /** The surface's memory, for the window's GL import (a fresh fd per import). */
        final ExportedImageMemory memory;
        /** The broker's surface id. */
        final int surfaceId;
        /** This frame's own dup of the broker's memory fd, -1 once closed (guarded by this object). */
        int fd;
        long frame;
        long latencyNanos;
        boolean taken;
        boolean done;

        InPlaceFrame(BrokerSurface surface) {
            this.surfaceId = surface.id();
            this.fd = dev.baton.render.ipc.Fds.dup(surface.memoryFds().get(0));
            this.memory = exported(surface, this);
        }

        synchronized void closeFd() {
            if (fd >= 0) {
                dev.baton.render.ipc.Fds.closeQuietly(fd);
                fd = -1;
            }
        }
    }

    /** One surface the compositor consumes: its mapping, its handle, its thread. */
    private final class Tile implements Runnable {
        final BrokerSurface surface;
        final Feed feed;
        final RemoteParticipant participant;
        final KeyedMutex.Handle handle;
        final MappedMemory memory;     // host memfd: the consumer reads it; null in place
        final InPlaceFrame inPlace;    // device memory: the window's GL samples it; null otherwise
        final ClientMemoryReader reader; // a trusted client's own memory and semaphores: copied on our GPU; else null
        final int width, height;
        final Thread thread;

        Tile(BrokerSurface surface, Feed feed, RemoteParticipant participant, ClientMemoryReader reader) {
            this.surface = surface;
            this.feed = feed;
            this.participant = participant;
            this.reader = reader;
            this.width = surface.description().width;
            this.height = surface.description().height;
            boolean device = surface.description().memoryChoice == Protocol.MEMORY_DEVICE_OPAQUE_FD && reader == null;
            this.memory = device || reader != null ? null
                    : MappedMemory.map(surface.memoryFds().get(0), surface.description().allocationBytes, false);
            this.inPlace = device ? new InPlaceFrame(surface) : null;
            this.handle = surface.mutex().open("compositor");
            this.thread = new Thread(this, "baton-serve-surface-" + surface.id());
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                if (reader != null) {
                    reader.open(); // on this thread, which owns its device from here on
                }
                consume(reader != null ? null : memory == null ? null : memory.buffer());
            } catch (RuntimeException e) {
                log.accept("serve: surface " + surface.id() + " of " + feed.name + " cannot be read: " + e.getMessage());
                handle.close();
            } finally {
                if (reader != null) {
                    reader.close();
                }
            }
        }

        private void consume(ByteBuffer pixels) {
            int bytes = width * height * 4;
            try {
                while (!stopping) {
                    AcquireResult r = handle.acquire(ProduceCommand.COMPOSITOR_KEY, 200, TimeUnit.MILLISECONDS);
                    if (r.status() == AcquireStatus.TIMEOUT) {
                        continue;
                    }
                    if (r.status() == AcquireStatus.ABANDONED) {
                        ended();
                        return;
                    }
                    long acquiredAt = System.nanoTime();   // ~ when the broker took the producer's RELEASE
                    long fence = r.fenceValue();
                    ByteBuffer data = r.privateData().order(ByteOrder.LITTLE_ENDIAN);
                    long frame = data.remaining() >= 8 ? data.getLong(0) : -1;
                    if (reader != null) {
                        // Binary semaphores: our GPU waits for the producer's on "ready" and signals "done"; the host waits for our copy.
                        if (!reader.read(fence, acquireTimeoutNanos)) {
                            feed.fenceLate++;
                            log.accept("serve: surface " + surface.id() + " of " + feed.name + ": the copy did not complete within "
                                    + TimeUnit.NANOSECONDS.toMillis(acquireTimeoutNanos) + " ms (its GPU never signalled); giving the surface up");
                            handle.close(); // abandons it: the producer is told, and our stuck submit is not repeated
                            return;
                        }
                        byte[] back = feed.takeBack(bytes);
                        reader.pixels().get(0, back, 0, bytes);
                        check(back, frame);
                        feed.publish(back, width, height, frame, System.nanoTime() - acquiredAt);
                        fence = reader.releaseValue(fence); // the shared timeline's next value: the producer waits for it
                    } else if (!participant.signalTimeline().awaitValue(fence, acquireTimeoutNanos)) {
                        feed.fenceLate++;
                    } else if (inPlace != null) {
                        handToWindow(frame, System.nanoTime() - acquiredAt);
                    } else {
                        byte[] back = feed.takeBack(bytes);
                        pixels.get(0, back, 0, bytes);
                        check(back, frame);
                        feed.publish(back, width, height, frame, System.nanoTime() - acquiredAt);
                    }
                    try {
                        handle.release(ProduceCommand.PRODUCER_KEY, fence, null);
                    } catch (IllegalStateException e) {
                        ended(); // the broker closed the surface under us: its producer's connection ended
                        return;
                    }
                    broker.wakeup();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IllegalStateException e) {
                ended(); // the mutex was closed between two acquires: its creator is gone
            } finally {
                handle.close();
                if (memory != null) {
                    memory.close();
                }
                if (inPlace != null) {
                    inPlace.closeFd(); // the window's GL imports hold their own references to the memory
                }
                tiles.remove(surface.id());
            }
        }

        /**
         * The surface ended because its producer's connection did (it left, or died owning it or not): the
         * keyed mutex answered ABANDONED, or the broker had already closed it when this thread came to it.
         */
        private void ended() {
            if (!stopping) {
                feed.abandonedAtNanos = System.nanoTime();
                feed.abandoned = true;
                log.accept("serve: surface " + surface.id() + " of " + feed.name + " (pid " + feed.pid
                        + ") ended: ABANDONED (its producer left or died)");
            }
        }

        /**
         * In place: offers the frame (its fence reached) to the window and waits, bounded, until the window's GL is
         * done with it: a newer frame replaced it before the window took it, or the window took it and a GL fence
         * after its last draw of it signalled. A frame the window does not take within a second (no window frame:
         * it is stalled or closing) is withdrawn; one it took stays until the window retires it (a newer frame is shown)
         * unless the window draws nothing for the acquire timeout: then it is handed back and counted ({@link Feed#windowLate()}). Then the caller releases the surface to the producer.
         */
        private void handToWindow(long frame, long latencyNanos) throws InterruptedException {
            InPlaceFrame f = inPlace;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            synchronized (feed.lock) {
                InPlaceFrame older = feed.pending;
                if (older != null && older != f) {
                    older.done = true; // never shown: the window skips it for this newer one
                }
                f.frame = frame;
                f.latencyNanos = latencyNanos;
                f.taken = false;
                f.done = false;
                feed.width = width;
                feed.height = height;
                feed.pending = f;
                feed.lock.notifyAll();
            }
            feed.lastFrame = frame;
            if (feed.delivered == 0) {
                feed.firstFrameNanos = System.nanoTime();
            }
            feed.delivered++;
            synchronized (feed.lock) {
                while (!f.done && !stopping && !feed.gone) {
                    long now = System.nanoTime();
                    if (!f.taken && now - deadline >= 0) {
                        break;
                    }
                    // Taken: the window shows it until a newer frame replaces it (bounded by this producer's next frame).
                    // Every wait is bounded all the same: a window that stopped drawing (stalled, its GL gone) for the
                    // acquire timeout gives the surface back; the producer may then draw while GL still samples: counted.
                    if (f.taken && now - feed.windowPolledNanos - acquireTimeoutNanos >= 0) {
                        if (feed.windowLate++ == 0) {
                            log.accept("serve: the window drew no frame for " + TimeUnit.NANOSECONDS.toMillis(acquireTimeoutNanos)
                                    + " ms while it held a frame of " + feed.name + "; handing it back to its producer (counted as window late)");
                        }
                        break;
                    }
                    feed.lock.wait(50);
                }
                if (feed.pending == f) {
                    feed.pending = null;
                }
            }
        }

        private void check(byte[] rgba, long frame) {
            long decoded = FrameStamp.decode(ByteBuffer.wrap(rgba), width, 0, 0, width, height);
            long expected = frame & 0xFFFF_FFFFL;
            if (decoded == FrameStamp.TORN) {
                feed.torn++;
            } else if (decoded == FrameStamp.INVALID || decoded > expected) {
                feed.invalid++;
            } else if (decoded < expected) {
                feed.stale++;
            }
        }
    }

    /**
     * The broker-allocated device memory of {@code surface} as an importer needs it: each dupFd is a fresh dup of
     * {@code owner}'s own dup of the broker's fd (made on the loop thread, so it cannot race the broker's close).
     */
    private static ExportedImageMemory exported(BrokerSurface surface, InPlaceFrame owner) {
        return surface.description().asExportedMemory(() -> {
            synchronized (owner) {
                if (owner.fd < 0) {
                    throw new IllegalStateException("surface " + surface.id() + " is closed");
                }
                return dev.baton.render.ipc.Fds.dup(owner.fd);
            }
        });
    }

    private final Broker broker;
    private final long acquireTimeoutNanos;
    private final Consumer<String> log;
    private final Map<Integer, Feed> feeds = new ConcurrentHashMap<>();
    private final List<Feed> feedOrder = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<Integer, Tile> tiles = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    /** The feed in each tile, left to right and top to bottom ({@link #composite}'s lock). */
    private final List<Feed> places = new ArrayList<>();
    /** The reason the broker gives for a client that said BYE. */
    static final String CLEAN_EXIT = "said BYE";

    /** With {@code --trust-clients}: the Vulkan instance whose devices read trusted producers' own memory; else null. */
    private final VulkanInstance trustedVulkan;

    private ServeCompositor(Path socket, long acquireTimeoutNanos, Consumer<String> log, SurfaceAllocator allocator, boolean trustClients) {
        this.acquireTimeoutNanos = acquireTimeoutNanos;
        this.log = log;
        this.trustedVulkan = trustClients ? VulkanInstance.create(false) : null;
        Broker.Config config = new Broker.Config();
        config.log = log;
        if (allocator != null) {
            config.allocator = allocator;
        }
        if (trustedVulkan != null) {
            // The producers are trusted not to truncate their memory (SwiftShader's fds are not sealed): this process imports it.
            config.clientMemory = Broker.ClientMemory.TRUSTED;
            config.importsClientMemoryFor = (driver, device) -> readerDevice(driver, device, false) >= 0;
        }
        config.listener = new Broker.Listener() {
            @Override
            public void clientConnected(Broker b, int clientId, String name, int pid) {
                Feed f = new Feed(clientId, name, pid);
                feeds.put(clientId, f);
                feedOrder.add(f);
                log.accept("serve: " + name + " (pid " + pid + ") connected as client " + clientId);
            }

            @Override
            public void clientGone(Broker b, int clientId, String reason) {
                Feed f = feeds.get(clientId);
                if (f != null) {
                    f.goneAtNanos = System.nanoTime();
                    f.goneReason = reason;
                    f.gone = true;
                }
                for (Tile t : tiles.values()) {
                    if (t.feed.clientId == clientId) {
                        t.participant.signalTimeline().detach();
                    }
                }
            }

            @Override
            public void surfaceCreated(Broker b, BrokerSurface surface) {
                Feed f = feeds.get(surface.creatorClientId());
                if (f == null || stopping) {
                    return;
                }
                BrokerSurface.Description d = surface.description();
                boolean brokerDeviceMemory = d.memoryChoice == Protocol.MEMORY_DEVICE_OPAQUE_FD && surface.memoryFds().count() == 1
                        && !surface.clientMemory();
                boolean binary = d.syncChoice == Protocol.SYNC_BINARY_SEMAPHORES && surface.syncFds().count() == 2;
                boolean timeline = d.syncChoice == Protocol.SYNC_SHARED_TIMELINE && surface.syncFds().count() == 1;
                int readerDevice = trustedVulkan != null && surface.clientMemory() && (binary || timeline)
                        ? readerDevice(d.driverUuid, d.deviceUuid, timeline) : -1;
                if (readerDevice >= 0) {
                    f.memoryChoice = d.memoryChoice;
                    f.semaphores = true;
                    f.sharedTimeline = timeline;
                    Tile t = new Tile(surface, f, new RemoteParticipant(f.clientId, f.name, surface.id()),
                            new ClientMemoryReader(trustedVulkan, readerDevice, surface));
                    tiles.put(surface.id(), t);
                    t.thread.start();
                    return;
                }
                if (d.memoryChoice != Protocol.MEMORY_HOST_MEMFD && d.memoryChoice != Protocol.MEMORY_HOST_COPY && !brokerDeviceMemory) {
                    // Never map memory a client exported (its driver's fd may be truncatable): only the broker's own memfds.
                    log.accept("serve: surface " + surface.id() + " of " + f.name + " is in the client's own memory; not composited");
                    return;
                }
                f.producerCopiedBytesPerFrame = d.memoryChoice == Protocol.MEMORY_HOST_COPY ? (long) d.width * d.height * 4 : 0;
                f.memoryChoice = d.memoryChoice;
                f.inPlace = brokerDeviceMemory;
                Tile t = new Tile(surface, f, new RemoteParticipant(f.clientId, f.name, surface.id()), null);
                tiles.put(surface.id(), t);
                t.thread.start();
            }

            @Override
            public void fenceReached(Broker b, BrokerSurface surface, int clientId, long value) {
                Tile t = tiles.get(surface.id());
                if (t != null && t.feed.clientId == clientId) {
                    t.participant.signalTimeline().signalFromHost(value);
                }
            }
        };
        this.broker = Broker.start(socket, config);
    }

    /**
     * Starts the broker at {@code socket} (see {@link dev.baton.render.ipc.SocketPaths#bindServer}).
     *
     * @param acquireTimeoutNanos how long a consumer waits for a producer's fence value after acquiring
     * @param log where connection events go (one line each)
     * @throws IllegalStateException if a live broker holds the socket or its directory is not private
     */
    public static ServeCompositor start(Path socket, long acquireTimeoutNanos, Consumer<String> log) {
        return new ServeCompositor(socket, acquireTimeoutNanos, log, null, false);
    }

    /**
     * As {@link #start(Path, long, Consumer)}, with the window's allocator ({@link WindowMemory}): producers of the
     * window's GL driver get device memory that the window samples in place ({@link Feed#inPlace()}).
     *
     * @param allocator the broker's surface allocator, or null for the host memfd
     */
    public static ServeCompositor start(Path socket, long acquireTimeoutNanos, Consumer<String> log, SurfaceAllocator allocator) {
        return new ServeCompositor(socket, acquireTimeoutNanos, log, allocator, false);
    }

    /**
     * As {@link #start(Path, long, Consumer, SurfaceAllocator)}, trusting every producer that connects not to
     * harm this process through memory it exports ({@code serve --trust-clients}): a producer whose device
     * exports its own image and binary semaphores (SwiftShader here) offers them, and a device of this process
     * on the same physical device imports them and waits for the producer's GPU on its own GPU. A producer
     * could then kill this process (SwiftShader's memory fds are not sealed against truncation), so only for
     * producers of one application or one user's own tools.
     *
     * @param allocator the broker's surface allocator, or null for the host memfd
     * @param trustClients whether to import trusted producers' own memory and semaphores
     */
    public static ServeCompositor start(Path socket, long acquireTimeoutNanos, Consumer<String> log, SurfaceAllocator allocator,
                                        boolean trustClients) {
        return new ServeCompositor(socket, acquireTimeoutNanos, log, allocator, trustClients);
    }

    /**
     * The physical device of {@link #trustedVulkan} with these UUIDs that imports image memory and binary semaphores
     * (and, with {@code timeline}, timeline semaphores), or -1.
     */
    private int readerDevice(byte[] driverUuid, byte[] deviceUuid, boolean timeline) {
        if (trustedVulkan == null) {
            return -1;
        }
        for (PhysicalDeviceInfo d : trustedVulkan.physicalDevices()) {
            if (java.util.Arrays.equals(d.driverUuid(), driverUuid) && java.util.Arrays.equals(d.deviceUuid(), deviceUuid)
                    && d.memoryImport() && d.binarySemaphoreImport() && (!timeline || d.timelineSemaphoreImport())) {
                return d.index();
            }
        }
        return -1;
    }

    /** {@return the broker} */
    public Broker broker() {
        return broker;
    }

    /** {@return every producer that connected, in connection order (gone ones included)} */
    public List<Feed> feeds() {
        return new ArrayList<>(feedOrder);
    }

    /** {@return the feed of the process {@code pid}, or null} */
    public Feed feedOfPid(long pid) {
        for (Feed f : feedOrder) {
            if (f.pid == pid) {
                return f;
            }
        }
        return null;
    }

    /** Records that the caller is about to SIGKILL {@code pid}, for {@link Feed#abandonedLatencyNanos}. */
    public void noteKill(long pid) {
        Feed f = feedOfPid(pid);
        if (f != null) {
            f.killedAtNanos = System.nanoTime();
        }
    }

    /** {@return whether the process {@code pid} owns one of its surfaces now (the compositor waits for it)} */
    public boolean ownedBy(long pid) {
        for (Tile t : tiles.values()) {
            String owner = t.surface.mutex().ownerName();
            if (t.feed.pid == pid && owner != null && !owner.equals("compositor")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Composites the latest frame of every feed that has one into a grid and returns the image (RGBA,
     * row-major, cells as large as the largest frame), or null when no feed has a frame yet. Tiles keep
     * their places: a feed that left with BYE gives its place up; one whose producer died (its surface
     * ABANDONED, or its connection gone without BYE) keeps it, showing its last frame dimmed and labelled
     * {@link AbandonedTile#LABEL} with the reason the connection went ({@link AbandonedTile#mark}), until
     * a newly connected producer delivers its first frame and takes that place. One thread at a time.
     *
     * @param size out: width and height of the image
     */
    public synchronized byte[] composite(int[] size) {
        place();
        int cw = 0, ch = 0;
        for (Feed f : places) {
            cw = Math.max(cw, f.width());
            ch = Math.max(ch, f.height());
        }
        if (places.isEmpty()) {
            return null;
        }
        int cols = (int) Math.ceil(Math.sqrt(places.size()));
        int rows = (places.size() + cols - 1) / cols;
        size[0] = cols * cw;
        size[1] = rows * ch;
        byte[] out = new byte[size[0] * size[1] * 4];
        for (int i = 0; i < places.size(); i++) {
            Feed f = places.get(i);
            int x = (i % cols) * cw, y = (i / cols) * ch;
            f.drawInto(out, size[0], x, y);
            if (f.showsAbandoned()) {
                AbandonedTile.mark(out, size[0], x, y, f.width(), f.height(), "pid " + f.pid + " gone: " + f.goneReason());
            }
        }
        return out;
    }

    /** {@return the feed shown in each tile of the last {@link #composite}, left to right and top to bottom} */
    public synchronized List<Feed> tiles() {
        return new ArrayList<>(places);
    }

    /**
     * Updates {@link #places}: drops feeds that left cleanly, and puts each connected feed with a frame
     * that has no place yet in the first place of a dead feed, else at the end.
     */
    private void place() {
        places.removeIf(f -> f.gone && CLEAN_EXIT.equals(f.goneReason));
        for (Feed f : feedOrder) {
            if (f.delivered == 0 || f.gone || places.contains(f)) { // a gone feed keeps a place, never takes one
                continue;
            }
            int dead = -1;
            for (int i = 0; i < places.size() && dead < 0; i++) {
                if (places.get(i).showsAbandoned() && !f.showsAbandoned()) {
                    dead = i;
                }
            }
            if (dead >= 0) {
                places.set(dead, f);
            } else {
                places.add(f);
            }
        }
    }

    /** Stops the consumers and the broker (every client gets BYE and then EOF). Idempotent. */
    @Override
    public void close() {
        stopping = true;
        for (Tile t : tiles.values()) {
            t.participant.signalTimeline().detach();
        }
        for (Tile t : new ArrayList<>(tiles.values())) {
            try {
                t.thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        broker.close();
        if (trustedVulkan != null) {
            trustedVulkan.close(); // every reader's device is closed (or, stuck, leaked) by its thread
        }
    }
}
