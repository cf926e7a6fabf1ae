package dev.baton.render.vk;

import dev.baton.render.HandoffSync;
import dev.baton.render.MemorySharing;
import dev.baton.render.SurfaceFormat;
import dev.baton.render.SyncTier;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.FenceReporter;
import dev.baton.render.ipc.Protocol;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A producer process's surfaces of a broker ({@code ./baton serve}, or the broker of
 * {@code ./baton demo --processes}) as {@link SharedSurface}s, so that a render thread in another
 * process hands frames over with the same {@link Lease} API as one in the compositor's process:
 * {@link SurfaceEndpoint#acquire}, record, {@link DeviceContext#submit(org.lwjgl.vulkan.VkCommandBuffer, Lease)},
 * {@link Lease#release} at submit time (or {@link Lease#releaseAndAcquire}).
 *
 * <p>What differs is behind the endpoint's two choices and its mutex handle:
 * <ul>
 *   <li>The keyed mutex lives in the broker: the endpoint's handle is the connection ({@link Port}),
 *       whose acquire is an ACQUIRE answered by ACQUIRED, TIMEOUT or ABANDONED (bounded: its timeout
 *       plus {@link BrokerClient#ANSWER_GRACE_NANOS}; a broker that is gone or silent answers
 *       ABANDONED), and whose release is a RELEASE carrying the fence value and private data.</li>
 *   <li>Memory: the broker's sealed memfd imported as host memory, copied into it by the CPU, or the
 *       broker's device memory imported, as {@link MemfdSurface} chose by capability
 *       ({@link BrokerMemory}).</li>
 *   <li>Sync: the host bridge across processes. Each surface has its own timeline; after each RELEASE
 *       the value goes to one {@link FenceReporter} thread per connection, which waits (bounded) for
 *       the producer's GPU to reach it, runs the host copy where the device cannot draw into the
 *       broker's pages, and sends FENCE_REACHED. So the render thread never waits for its GPU, not
 *       even on the copy tier. The next access waits for nothing: the broker's consumer read the frame
 *       with its CPU, or waited for its own GL fence, before it released the surface back.</li>
 * </ul>
 *
 * <p>The protocol abandons per connection: a surface's endpoint that is closed or
 * {@linkplain SurfaceEndpoint#abandon() abandoned} while it owns the surface, or whose device is
 * lost, closes the connection, so the broker wakes every waiter on this process's surfaces with
 * ABANDONED, as when the process dies. The keyed mutex's diagnostics ({@link SharedSurface#storedKey()}
 * and the like) belong to the broker and throw here.
 *
 * <p>Threading: {@link #open} and {@link #close} on the thread that owns the client; each surface's
 * endpoint on its device's thread, one render thread per client (the client's acquire is one
 * request at a time). The steady-state acquire, submit and release allocate nothing.
 */
public final class BrokerSurfaces implements AutoCloseable {
    private final BrokerClient client;
    private final FenceReporter reporter;
    private final long gpuTimeoutNanos;
    private final long teardownTimeoutNanos;
    private volatile String abandonedBecause;

    private BrokerSurfaces(BrokerClient client, FenceReporter reporter, long gpuTimeoutNanos, long teardownTimeoutNanos) {
        this.client = client;
        this.reporter = reporter;
        this.gpuTimeoutNanos = gpuTimeoutNanos;
        this.teardownTimeoutNanos = teardownTimeoutNanos;
    }

    /**
     * Starts this connection's fence reporter.
     *
     * @param client the connection, still owned by the caller (close it after this)
     * @param gpuTimeoutNanos the longest one released frame may take on the GPU (and the longest a
     *     release waits for room in the reporter's queue)
     * @param inFlight how many released frames may wait for their GPU at once (at least the ring's size)
     * @param name for the reporter's thread and the surfaces' names
     * @return the surfaces' owner, to close before the client
     */
    public static BrokerSurfaces over(BrokerClient client, long gpuTimeoutNanos, int inFlight, String name) {
        return new BrokerSurfaces(client, FenceReporter.start(client, null, gpuTimeoutNanos, inFlight, name), gpuTimeoutNanos,
                Math.max(gpuTimeoutNanos, 5_000_000_000L));
    }

    /**
     * Opens {@code surface} (given by {@link BrokerClient#offer} or {@link BrokerClient#awaitGrant}) on
     * {@code device}: imports its memory as its memory choice says, makes its timeline and moves its
     * image out of UNDEFINED (waits for the device once). Endpoint 0 of the result is this process's;
     * acquire it with the keys the broker's consumer releases to.
     *
     * @param surface the broker's surface (its fds stay owned by the client)
     * @param device the producer's device
     * @return the surface, owned by the caller (close it before this object)
     * @throws IllegalStateException with a one-line reason if the memory cannot be used on {@code device}
     */
    public SharedSurface open(BrokerClient.Surface surface, DeviceContext device) {
        MemfdSurface pages = surface.memoryChoice == Protocol.MEMORY_DEVICE_OPAQUE_FD
                ? DeviceMemorySurface.importFrom(device, surface.exportedImageMemory())
                : MemfdSurface.open(device, surface.memoryFd(0), surface.allocationBytes, surface.width, surface.height);
        BrokerMemory memory;
        try {
            memory = new BrokerMemory(pages);
        } catch (RuntimeException | Error e) {
            pages.close();
            throw e;
        }
        boolean copies = memory.kind() == MemorySharing.HOST_COPY;
        SyncTier tier = copies ? SyncTier.HOST_COPY : SyncTier.of(memory.kind(), HandoffSync.HOST_BRIDGE);
        String reason = "the broker allocated the surface (" + describe(surface.memoryChoice) + "); " + (copies
                ? "this device cannot import its pages, so the reporter thread copies each frame in after the GPU finished, then reports it reached"
                : "the broker's consumer waits for FENCE_REACHED, which the reporter thread sends when this device's timeline reaches the value");
        SharedSurface.Options options = new SharedSurface.Options(surface.initialKey, surface.maxPrivateDataBytes, gpuTimeoutNanos,
                teardownTimeoutNanos, null, SurfaceFormat.ofVkFormat(surface.format), surface.usage);
        LongSupplier finisher = copies ? pages::finishOnHost : null;
        return SharedSurface.ofBroker("surface-" + surface.surfaceId, tier, reason, options, memory, new Sync(copies),
                device, surface.width, surface.height, timeline -> new Port(surface, timeline, finisher, true));
    }

    /**
     * Binary semaphores across processes: allocates a {@code width x height} RGBA8 image of
     * {@code device}'s own as exportable OPAQUE_FD memory and two exportable binary semaphores,
     * <em>ready</em> (this device signals it at the end of every access, the consumer's GPU waits on
     * it) and <em>done</em> (the consumer's GPU signals it at the end of its access, this device waits
     * on it at the start of the next), offers all three once (memory choice
     * {@link Protocol#MEMORY_DEVICE_OPAQUE_FD}, sync choice {@link Protocol#SYNC_BINARY_SEMAPHORES}) and
     * opens the surface the broker made of them. Every access then recycles the same pair: no host
     * wait and no FENCE_REACHED on either side. The broker relays such memory only to clients it
     * shares the surface with, and only under a client-memory policy that lets it through (a driver
     * whose memory fds are not sealed, such as SwiftShader's, needs {@code TRUSTED}: see the README's
     * security model).
     *
     * <p>The rule the consumer must keep: every access of its ends with a submit that signals
     * <em>done</em> (also one that gives up), or this device's next access waits on its GPU for ever.
     *
     * @param device the producer's device: it exports and imports OPAQUE_FD image memory and binary semaphores
     * @param width width in pixels
     * @param height height in pixels
     * @param initialKey the keyed mutex's initial key (this process acquires first with it)
     * @param timeoutNanos how long to wait for SURFACE_CREATED
     * @return the surface, owned by the caller (close it before this object)
     * @throws IllegalStateException if the device cannot export what this needs (the message says what)
     * @throws BrokerClient.BrokerRefusal if the broker refused the offer (its policy, its limits)
     */
    public SharedSurface offerWithBinarySemaphores(DeviceContext device, int width, int height, long initialKey, long timeoutNanos) {
        ExternalBinarySemaphore ready = ExternalBinarySemaphore.createExportable(device);
        ExternalBinarySemaphore done;
        try {
            done = ExternalBinarySemaphore.createExportable(device);
        } catch (RuntimeException | Error e) {
            ready.close();
            throw e;
        }
        return offerOwnMemory(device, width, height, initialKey, timeoutNanos, new BinarySync(ready, done), SyncTier.BINARY_SEMAPHORE,
                "this process offered its own exportable image and two binary semaphores; the consumer's GPU waits on ready, this"
                + " one on done: no host wait, no FENCE_REACHED");
    }

    /**
     * The shared timeline across processes (a hardware path: chosen where the device reports exportable
     * timeline semaphores; none does here): as {@link #offerWithBinarySemaphores}, with one exportable
     * timeline semaphore in place of the two binary ones, offered once (sync choice
     * {@link Protocol#SYNC_SHARED_TIMELINE}). It is the endpoint's own timeline: each access's submit
     * waits on it for the fence value the consumer released with (its GPU signals that value) and
     * signals the next value on it, exactly as the in-process shared-timeline tier.
     *
     * @param device the producer's device: it exports OPAQUE_FD image memory and timeline semaphores
     * @param width width in pixels
     * @param height height in pixels
     * @param initialKey the keyed mutex's initial key
     * @param timeoutNanos how long to wait for SURFACE_CREATED
     * @return the surface, owned by the caller (close it before this object)
     * @throws IllegalStateException if the device cannot export what this needs
     * @throws BrokerClient.BrokerRefusal if the broker refused the offer
     */
    public SharedSurface offerWithSharedTimeline(DeviceContext device, int width, int height, long initialKey, long timeoutNanos) {
        if (!device.info().timelineSemaphoreExport()) {
            throw new IllegalStateException(device.name() + " cannot export timeline semaphores (OPAQUE_FD): use binary semaphores"
                    + " (offerWithBinarySemaphores) or the broker's memory");
        }
        VulkanTimeline shared = VulkanTimeline.create(device, "shared", 0, true);
        return offerOwnMemory(device, width, height, initialKey, timeoutNanos, new SharedTimelineLink(shared), SyncTier.SHARED_TIMELINE,
                "this process offered its own exportable image and one exportable timeline; each side's GPU waits on it for the"
                + " other's fence value: no host wait, no FENCE_REACHED");
    }

    /**
     * What both ways of offering this device's own memory share: the exportable image, the offer (memory
     * choice 2 with the memory fd, then the sync's fds) and the surface. All-or-nothing: on failure the
     * sync's semaphores are closed too.
     */
    private SharedSurface offerOwnMemory(DeviceContext device, int width, int height, long initialKey, long timeoutNanos, OwnSync sync,
                                         SyncTier tier, String reason) {
        DeviceMemorySurface pages = null;
        BrokerClient.Surface surface;
        try {
            if (!device.info().memoryExport()) {
                throw new IllegalStateException(device.name() + " cannot export OPAQUE_FD image memory: offer a surface of the broker's"
                        + " memory instead (BrokerClient.offer with MEMORY_HOST_MEMFD, then open)");
            }
            pages = DeviceMemorySurface.createExportable(device, width, height);
            int[] fds = sync.exportFds();
            int memory = -1;
            try {
                memory = pages.image().dupFd();
                long[] sizes = new long[fds.length];
                dev.baton.render.ipc.Fds.FileStatus st = new dev.baton.render.ipc.Fds.FileStatus();
                for (int i = 0; i < fds.length; i++) {
                    dev.baton.render.ipc.Fds.fstat(fds[i], st);
                    sizes[i] = st.sizeBytes();
                }
                surface = client.offer(width, height, pages.image().vkFormat(), pages.image().vkUsage(), Protocol.MEMORY_DEVICE_OPAQUE_FD,
                        sync.choice(), initialKey, fds, sizes, pages.image(), memory, timeoutNanos);
            } finally {
                // The kernel passed copies with the message; ours are not needed any more.
                dev.baton.render.ipc.Fds.closeQuietly(memory);
                for (int fd : fds) {
                    dev.baton.render.ipc.Fds.closeQuietly(fd);
                }
            }
        } catch (RuntimeException | Error e) {
            if (pages != null) {
                pages.close();
            }
            sync.closeUnused();
            throw e;
        }
        SharedSurface.Options options = new SharedSurface.Options(surface.initialKey, surface.maxPrivateDataBytes, gpuTimeoutNanos,
                teardownTimeoutNanos, null, SurfaceFormat.ofVkFormat(surface.format), surface.usage);
        try {
            return SharedSurface.ofBroker("surface-" + surface.surfaceId, tier, reason, options, new BrokerMemory(pages),
                    sync, device, width, height, timeline -> new Port(surface, timeline, null, false));
        } catch (RuntimeException | Error e) {
            sync.closeUnused(); // idempotent: the surface's own teardown may have closed them already
            throw e;
        }
    }

    private static String describe(int memoryChoice) {
        switch (memoryChoice) {
            case Protocol.MEMORY_DEVICE_OPAQUE_FD: return "device memory of its own device, same driver";
            case Protocol.MEMORY_HOST_COPY: return "a sealed memfd this device copies into";
            default: return "a sealed memfd";
        }
    }

    /** {@return why the connection cannot hand frames over any more (the broker is gone, the GPU timed out), or null} */
    public String failure() {
        String gone = client.brokerGoneReason();
        if (gone != null) {
            return "the broker is gone: " + gone;
        }
        String r = reporter.failure();
        return r != null ? r : abandonedBecause;
    }

    /**
     * Waits at most {@code timeoutNanos} until every released frame was reported reached (before a
     * clean exit, so the broker's consumer is not left waiting for the last ones).
     *
     * @param timeoutNanos how long to wait at most
     * @return true if nothing is left to report
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean drain(long timeoutNanos) throws InterruptedException {
        return reporter.drain(timeoutNanos);
    }

    /** {@return bytes the CPU copied into the broker's pages (copy tier), so far} */
    public long hostCopiedBytes() {
        return reporter.finishedBytes();
    }

    /** {@return how many frames the CPU copied into the broker's pages} */
    public long hostCopies() {
        return reporter.finishes();
    }

    /** {@return nanoseconds those copies took in all} */
    public long hostCopyNanos() {
        return reporter.finishedNanos();
    }

    /** {@return the longest one copy took, in nanoseconds} */
    public long hostCopyMaxNanos() {
        return reporter.finishedMaxNanos();
    }

    /** Stops the reporter (bounded); close the surfaces first and the client after. Idempotent. */
    @Override
    public void close() {
        reporter.close();
    }

    /** Ends the connection because {@code why}: the broker abandons every surface this process holds. Any thread. */
    private void abandonConnection(String why) {
        if (abandonedBecause == null) {
            abandonedBecause = why;
        }
        reporter.close();
        client.close();
    }

    /** The endpoint's keyed-mutex handle: the broker connection, for one surface. */
    final class Port implements MutexPort {
        private final BrokerClient.Surface surface;
        private final VulkanTimeline timeline;
        private final LongSupplier finisher;
        private final boolean reports;
        private final ByteBuffer data;
        private final ByteBuffer view;
        private long fenceValue;
        private long lastQueued;
        private volatile boolean owner;
        private volatile boolean abandoned;
        private volatile boolean closed;

        /** {@code reports}: the host bridge (the next owner waits for FENCE_REACHED); false where its GPU waits on a semaphore. */
        Port(BrokerClient.Surface surface, VulkanTimeline timeline, LongSupplier finisher, boolean reports) {
            this.surface = surface;
            this.timeline = timeline;
            this.finisher = finisher;
            this.reports = reports;
            this.data = ByteBuffer.allocateDirect(Math.max(1, surface.maxPrivateDataBytes));
            this.view = data.asReadOnlyBuffer();
            this.view.limit(0);
        }

        /** {@return whether the broker answered ABANDONED, or this side abandoned the connection} */
        @Override
        public boolean isAbandoned() {
            return abandoned || abandonedBecause != null;
        }

        @Override
        public AcquireStatus acquire(long key, long timeoutNanos) {
            checkOpen("acquire");
            if (owner) {
                throw new IllegalStateException("surface " + surface.surfaceId + " is already owned by this process: release it first");
            }
            fenceValue = 0;
            view.limit(0).position(0);
            if (failure() != null) {
                abandoned = true;
                return AcquireStatus.ABANDONED;
            }
            AcquireStatus st = client.acquire(surface, key, timeoutNanos);
            if (st == AcquireStatus.ACQUIRED) {
                fenceValue = client.fenceValue();
                ByteBuffer from = client.privateData();
                int n = Math.min(from.remaining(), data.capacity());
                data.clear();
                data.put(0, from, from.position(), n);
                view.limit(n).position(0);
                owner = true;
            } else if (st == AcquireStatus.ABANDONED) {
                abandoned = true;
            }
            return st;
        }

        @Override
        public AcquireStatus releaseAndAcquire(long releaseKey, long value, ByteBuffer privateData, long acquireKey, long timeoutNanos) {
            if (timeoutNanos < 0) {
                throw new IllegalArgumentException("negative timeout " + timeoutNanos + " ns: pass 0 to poll or a positive number of nanoseconds");
            }
            release(releaseKey, value, privateData);
            return acquire(acquireKey, timeoutNanos);
        }

        @Override
        public void release(long key, long value, ByteBuffer privateData) {
            checkOpen("release");
            if (!owner) {
                throw new IllegalMonitorStateException("surface " + surface.surfaceId + " is not owned by this process: acquire it first");
            }
            int n = privateData == null ? 0 : privateData.remaining();
            if (n > surface.maxPrivateDataBytes) {
                throw new IllegalArgumentException(n + " bytes of private data, but surface " + surface.surfaceId + " takes at most "
                        + surface.maxPrivateDataBytes);
            }
            if (Long.compareUnsigned(value, fenceValue) < 0) {
                throw new IllegalArgumentException("fence value " + Long.toUnsignedString(value) + " is below the one acquired ("
                        + Long.toUnsignedString(fenceValue) + "): fence values only grow");
            }
            owner = false;
            if (!client.release(surface, key, value, privateData)) {
                abandoned = true; // the broker is gone: the next acquire answers ABANDONED, failure() says why
                return;
            }
            if (!reports || Long.compareUnsigned(value, lastQueued) <= 0) {
                return; // a semaphore orders the next owner's GPU, or released without a new submit (reported already)
            }
            lastQueued = value;
            try {
                if (!reporter.released(surface, timeline, value, finisher, gpuTimeoutNanos)) {
                    abandoned = true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abandonConnection("interrupted while queueing fence value " + Long.toUnsignedString(value) + " to report");
            }
        }

        @Override
        public long fenceValue() {
            return fenceValue;
        }

        @Override
        public ByteBuffer privateData() {
            return view;
        }

        @Override
        public boolean isOwner() {
            return owner && !closed;
        }

        @Override
        public void deviceLost() {
            owner = false;
            abandoned = true;
            abandonConnection("the producer's device was lost");
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (owner) {
                owner = false;
                abandonConnection("surface " + surface.surfaceId + " was closed (or abandoned) while this process owned it");
            }
        }

        private void checkOpen(String operation) {
            if (closed) {
                throw new IllegalStateException(operation + " on surface " + surface.surfaceId + " of the broker, whose handle is closed");
            }
        }

        @Override
        public String toString() {
            return "broker surface " + surface.surfaceId;
        }
    }

    /** The host bridge (or, with the copy, host wait) across processes, as {@link Port} and the reporter make it. */
    private final class Sync implements SurfaceSync {
        private final boolean copies;

        Sync(boolean copies) {
            this.copies = copies;
        }

        @Override
        public HandoffSync kind() {
            return copies ? HandoffSync.HOST_WAIT : HandoffSync.HOST_BRIDGE;
        }

        @Override
        public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
            return VulkanTimeline.create(device, name, 0, false);
        }

        @Override
        public void connect(List<SurfaceEndpoint> endpoints) {}

        /**
         * Nothing to wait for: the broker's consumer released the surface only after its reads were done
         * (CPU reads of the memfd, or its GL fence after sampling the device memory, waited for on its host).
         */
        @Override
        public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) {
            return true;
        }

        @Override
        public void addSignals(SurfaceEndpoint owner) {}

        @Override
        public void endAccess(SurfaceEndpoint owner) {}

        @Override
        public void closeEndpoint(SurfaceEndpoint endpoint) {}

        /** No waiter of another participant is in this process: the broker's consumer waits on FENCE_REACHED, bounded. */
        @Override
        public void releaseWaiters(List<SurfaceEndpoint> endpoints, Participant failed, long value) {}

        @Override
        public String failure() {
            return BrokerSurfaces.this.failure();
        }

        /** Teardown: the reporter no longer runs a copy into (or reads the timeline of) what is about to be freed. */
        @Override
        public boolean drain(long timeoutNanos) throws InterruptedException {
            return reporter.quiesce(timeoutNanos);
        }
    }


    /**
     * Binary semaphores across processes, the producer's half ({@link #offerWithBinarySemaphores}): an
     * access waits (on this GPU) for <em>done</em> from the second access on and its submit signals
     * <em>ready</em>; the consumer in the other process does the reverse. Each signal is waited for
     * exactly once, because the keyed mutex alternates the two sides.
     */
    private static final class BinarySync implements OwnSync {
        private final ExternalBinarySemaphore ready;
        private final ExternalBinarySemaphore done;
        private long accesses; // owner's thread: accesses submitted so far

        BinarySync(ExternalBinarySemaphore ready, ExternalBinarySemaphore done) {
            this.ready = ready;
            this.done = done;
        }

        @Override
        public int choice() {
            return Protocol.SYNC_BINARY_SEMAPHORES;
        }

        @Override
        public int[] exportFds() {
            int first = ready.exportFd();
            try {
                return new int[] {first, done.exportFd()};
            } catch (RuntimeException | Error e) {
                dev.baton.render.ipc.Fds.closeQuietly(first);
                throw e;
            }
        }

        @Override
        public void closeUnused() {
            ready.close();
            done.close();
        }

        @Override
        public HandoffSync kind() {
            return HandoffSync.BINARY_SEMAPHORE;
        }

        @Override
        public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
            return VulkanTimeline.create(device, name, 0, false); // its own submits' completion, for teardown and command-buffer reuse
        }

        @Override
        public void connect(List<SurfaceEndpoint> endpoints) {}

        @Override
        public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) {
            if (accesses > 0) {
                lease.waitFor(done.handle(), 0, org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
            }
            return true;
        }

        @Override
        public void addSignals(SurfaceEndpoint owner) {
            owner.device().addSignal(ready.handle(), 0);
        }

        @Override
        public void endAccess(SurfaceEndpoint owner) {
            accesses++;
        }

        @Override
        public void closeEndpoint(SurfaceEndpoint endpoint) {
            ready.close();
            done.close();
        }

        /** A binary semaphore cannot be signalled from the host: a lost peer leaves the waits to the bounded teardown. */
        @Override
        public void releaseWaiters(List<SurfaceEndpoint> endpoints, Participant failed, long value) {}
    }

    /** A sync whose semaphores this process exports with its own memory: what the offer carries, and what to free if it fails. */
    private interface OwnSync extends SurfaceSync {
        /** {@return the offer's {@code Protocol.SYNC_*} choice} */
        int choice();

        /** {@return fresh fds of its semaphores, in the order the offer lists them (the caller closes them)} */
        int[] exportFds();

        /** The offer failed before a surface owned this: frees the semaphores. */
        void closeUnused();
    }

    /**
     * The shared timeline across processes, the producer's half ({@link #offerWithSharedTimeline}): the
     * endpoint's timeline is the exported one; an access waits on it (on this GPU) for the fence value
     * the consumer released with, and the submit signals the next value on it, as the in-process
     * {@link SharedTimelineSync} does with its participants.
     */
    private static final class SharedTimelineLink implements OwnSync {
        private final VulkanTimeline shared;

        SharedTimelineLink(VulkanTimeline shared) {
            this.shared = shared;
        }

        @Override
        public int choice() {
            return Protocol.SYNC_SHARED_TIMELINE;
        }

        @Override
        public int[] exportFds() {
            return new int[] {shared.exportFd()};
        }

        @Override
        public void closeUnused() {
            shared.close();
        }

        @Override
        public HandoffSync kind() {
            return HandoffSync.SHARED_TIMELINE;
        }

        /** The exported timeline itself: the endpoint signals its fence values on it (and closes it with itself). */
        @Override
        public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
            return shared;
        }

        @Override
        public void connect(List<SurfaceEndpoint> endpoints) {}

        @Override
        public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) {
            if (fenceValue != 0) {
                lease.waitFor(shared.handle(), fenceValue, org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
            }
            return true;
        }

        @Override
        public void addSignals(SurfaceEndpoint owner) {}

        @Override
        public void endAccess(SurfaceEndpoint owner) {}

        @Override
        public void closeEndpoint(SurfaceEndpoint endpoint) {}

        /** The consumer signals on the same timeline in its own process: nothing here can release its waits. */
        @Override
        public void releaseWaiters(List<SurfaceEndpoint> endpoints, Participant failed, long value) {}
    }
}
