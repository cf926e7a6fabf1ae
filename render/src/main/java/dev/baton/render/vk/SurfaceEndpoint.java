package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.DeviceLostException;
import dev.baton.render.SyncTier;
import dev.baton.sync.AcquireResult;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.DeviceRemovedException;
import dev.baton.sync.KeyedMutex;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * One participant's view of a {@link SharedSurface}: its image on its device, its keyed-mutex
 * handle, its timeline and the prerecorded acquire/release command buffers of the surface's tier.
 *
 * <p>Threading: owned by the thread that owns {@link #device()}; {@link #acquire} may block that
 * thread up to the given timeout. {@link #abandon()} is the exception: any thread. Created and closed
 * by {@link SharedSurface}.
 *
 * <p>Failure modes: once the device is lost (a submit threw {@link DeviceLostException}), every
 * {@link #acquire} and {@link Lease#release} throws {@link DeviceRemovedException}; the surface's
 * mutex is abandoned if this endpoint owned it. After {@link #abandon()} this endpoint takes no part
 * any more ({@link #acquire} throws {@link IllegalStateException}).
 */
public final class SurfaceEndpoint implements Participant, AutoCloseable {
    private final SharedSurface surface;
    private final int index;
    private final DeviceContext device;
    private final SurfaceImage image;
    private final VulkanTimeline timeline;
    private final KeyedMutex.Handle handle;
    private final SyncTier tier;
    private final Lease lease = new Lease(this);
    private final Runnable lossListener;
    /** Binary tier: our exportable semaphore, signalled by each of our submits. */
    long outgoing; // VkSemaphore (binary, exported)
    /** Binary tier: incoming[j] shares endpoint j's outgoing payload (incoming[index] = outgoing). */
    final long[] incoming; // VkSemaphore each
    /** Host-copy tier: staging for upload (before our work) and read-back (after it). */
    HostBuffer staging;
    private VkCommandBuffer prologue;
    private VkCommandBuffer prologueUpload;
    private VkCommandBuffer epilogue;
    private long lastSubmittedValue;
    /** Bytes this endpoint copied to move pixels between devices (host-copy tier only); owning thread writes. */
    private long copiedBytes;
    private boolean closed;
    private volatile boolean abandoned;

    SurfaceEndpoint(SharedSurface surface, int index, DeviceContext device, SurfaceImage image, VulkanTimeline timeline,
                    KeyedMutex.Handle handle, int participantCount) {
        this.surface = surface;
        this.index = index;
        this.device = device;
        this.image = image;
        this.timeline = timeline;
        this.handle = handle;
        this.tier = surface.tier();
        this.incoming = new long[participantCount];
        this.lossListener = handle::deviceLost;
        device.onLoss(lossListener);
    }

    /** {@return the participant's device} */
    public DeviceContext device() {
        return device;
    }

    /** {@return the surface's image on this device} */
    public SurfaceImage image() {
        return image;
    }

    /** {@return this endpoint's timeline: its submits signal the surface's fence values on it} */
    public VulkanTimeline timeline() {
        return timeline;
    }

    @Override
    public VulkanTimeline signalTimeline() {
        return timeline;
    }

    @Override
    public ByteBuffer hostPixels() {
        return staging == null ? null : staging.mapped();
    }

    /** {@return the surface this endpoint belongs to} */
    public SharedSurface surface() {
        return surface;
    }

    /** {@return the participant's index in the surface's creation list} */
    public int index() {
        return index;
    }

    KeyedMutex.Handle handle() {
        return handle;
    }

    /**
     * Bytes this endpoint has copied so far to move pixels between devices: in the host-copy tier, the
     * host memcpy between staging buffers at acquire, the GPU upload at the start of a submit and the
     * GPU read-back at its end; always 0 in the shared-memory tiers. Written by the owning thread;
     * read it from another thread only after that thread stopped (e.g. after {@code join}).
     *
     * @return the bytes copied
     */
    public long copiedBytes() {
        return copiedBytes;
    }

    /** {@return the fence value of this endpoint's latest submit (0 if none)} */
    public long lastSubmittedValue() {
        return lastSubmittedValue;
    }

    /**
     * Acquires the surface for {@code key}, waiting at most {@code timeoutNanos}. Never waits for a
     * GPU except in the host-copy tier, which waits (up to the surface's copy timeout) for the
     * previous writer's GPU before copying its pixels through host memory.
     *
     * @param timeoutNanos how long to wait for the mutex, in nanoseconds; 0 polls
     * @param key the key to acquire
     * @return this endpoint's reused lease: check {@link Lease#status()} before using it
     * @throws DeviceRemovedException if this endpoint's device was lost
     * @throws IllegalStateException if this endpoint still holds a lease (recursive acquire) or was
     *     {@linkplain #abandon() abandoned}
     * @throws InterruptedException if interrupted while waiting; nothing is acquired
     */
    public Lease acquire(long key, long timeoutNanos) throws InterruptedException {
        checkUsable("acquire");
        if (lease.held) {
            throw new IllegalStateException(this + " already holds the surface (recursive acquire): release the lease"
                    + " (Lease.release) before acquiring again");
        }
        AcquireResult result = handle.acquire(key, timeoutNanos, TimeUnit.NANOSECONDS);
        lease.reset(result.status(), result.fenceValue(), result.privateData());
        if (result.status() != AcquireStatus.ACQUIRED) {
            return lease;
        }
        long value = result.fenceValue();
        switch (tier) {
            case SHARED_TIMELINE:
                lease.waitTimeline = value != 0;
                break;
            case HOST_BRIDGE: {
                Participant source = surface.lastSignaller;
                if (source != null && source != this) {
                    // Wait-before-signal: our submit waits on our own timeline for a value a host thread
                    // signals once the source's GPU (or GL fence) reached it.
                    surface.forward(source.signalTimeline(), value, timeline);
                }
                lease.waitTimeline = value != 0;
                break;
            }
            case BINARY_SEMAPHORE:
                lease.waitBinaryFrom = surface.pendingBinary;
                break;
            case HOST_COPY: {
                Participant holder = surface.contentHolder;
                if (holder != null && holder != this) {
                    boolean done;
                    try {
                        done = holder.signalTimeline().awaitValue(value, surface.copyTimeoutNanos());
                    } catch (DeviceLostException e) {
                        handle.release(key, value, result.privateData()); // put it back untouched
                        lease.reset(AcquireStatus.ABANDONED, value, result.privateData());
                        throw e;
                    } catch (InterruptedException e) {
                        handle.release(key, value, result.privateData());
                        lease.reset(AcquireStatus.TIMEOUT, value, result.privateData());
                        throw e;
                    }
                    if (!done) {
                        // The writer's GPU is late: give the surface back unchanged and report a timeout.
                        handle.release(key, value, result.privateData());
                        lease.reset(AcquireStatus.TIMEOUT, value, result.privateData());
                        return lease;
                    }
                    ByteBuffer from = holder.hostPixels();
                    ByteBuffer to = staging.mapped();
                    // Address-to-address copy: no buffer views allocated per handoff.
                    int bytes = Math.min(from.capacity(), to.capacity());
                    MemoryUtil.memCopy(MemoryUtil.memAddress0(from), MemoryUtil.memAddress0(to), bytes);
                    copiedBytes += bytes;
                    lease.upload = true;
                }
                break;
            }
            default:
                throw new AssertionError(tier);
        }
        return lease;
    }

    /**
     * Gives up this endpoint's part in the surface, for a render thread that dies or stops: closes its
     * keyed-mutex handle, so that if it owns the surface the mutex is abandoned and every blocked
     * acquire of the other participants wakes at once with {@link AcquireStatus#ABANDONED} (sticky:
     * recreate the surface). If it does not own the surface, the others carry on; acquires waiting for
     * a key only this endpoint would have released run into their timeouts.
     *
     * <p>Any thread, never blocks, never throws, idempotent; call it from the render thread's
     * {@code catch}/{@code finally} or its {@link Thread.UncaughtExceptionHandler}. It frees no GPU
     * objects: work already submitted keeps running, and {@link SharedSurface#close()} waits for it
     * and frees everything as usual.
     */
    public void abandon() {
        abandoned = true;
        handle.close();
    }

    /** {@return true once {@link #abandon()} was called. Any thread} */
    public boolean isAbandoned() {
        return abandoned;
    }

    void checkUsable(String operation) {
        if (device.isLost()) {
            throw new DeviceRemovedException(operation + " on " + this + ": device " + device.name()
                    + " was lost (VK_ERROR_DEVICE_LOST), so the surface is abandoned; close the surface,"
                    + " close and recreate the device, then create a new surface");
        }
        if (abandoned) {
            throw new IllegalStateException(operation + " on " + this + ", which was abandoned (SurfaceEndpoint.abandon);"
                    + " it takes no part in the surface any more: create a new surface");
        }
    }

    /** Builds and flushes the batch for one leased submit; returns the fence value it signals. */
    long submit(Lease l, VkCommandBuffer work) {
        long signal = l.fenceValue + 1;
        device.beginBatch();
        if (l.waitTimeline) {
            device.addWait(timeline.handle(), l.fenceValue, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        if (l.waitBinaryFrom != null) {
            device.addWait(incoming[l.waitBinaryFrom.index], 0, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        if (l.extraWait != null) {
            device.addWait(l.extraWait.handle(), l.extraWaitValue, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        if (tier == SyncTier.HOST_COPY) {
            long imageBytes = 4L * image.width() * image.height(); // RGBA8, whole image each way
            copiedBytes += l.upload ? 2 * imageBytes : imageBytes;  // epilogue read-back, plus the upload
        }
        device.addCommandBuffer(l.upload ? prologueUpload : prologue);
        device.addCommandBuffer(work);
        device.addCommandBuffer(epilogue);
        device.addSignal(timeline.handle(), signal);
        if (tier == SyncTier.BINARY_SEMAPHORE) {
            device.addSignal(outgoing, 0);
        }
        device.flushBatch(); // DeviceLostException: the device's loss listeners already abandoned the mutex
        lastSubmittedValue = signal;
        // The handoff record is only touched by the mutex owner; the mutex orders it for the next owner.
        surface.lastSignaller = this;
        if (tier == SyncTier.BINARY_SEMAPHORE) {
            surface.pendingBinary = this;
        } else if (tier == SyncTier.HOST_COPY) {
            surface.contentHolder = this;
        }
        return signal;
    }

    /** Records the prologue/epilogue command buffers once; they are resubmitted every handoff. */
    void recordHandoffCommands() {
        long img = image.handle();
        int family = device.queueFamilyIndex();
        long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
        long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
        // SIMULTANEOUS_USE: a later handoff may resubmit these while an earlier submit is still pending.
        int flags = VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
        prologue = device.allocateCommandBuffer();
        epilogue = device.allocateCommandBuffer();
        String debugName = "baton " + surface.name() + "@" + device.name();
        DebugNames.name(device, VK_OBJECT_TYPE_IMAGE, img, debugName + " image");
        DebugNames.name(device, VK_OBJECT_TYPE_SEMAPHORE, timeline.handle(), debugName + " timeline");
        DebugNames.name(device, VK_OBJECT_TYPE_COMMAND_BUFFER, prologue.address(), debugName + " acquire");
        DebugNames.name(device, VK_OBJECT_TYPE_COMMAND_BUFFER, epilogue.address(), debugName + " release");
        if (tier != SyncTier.HOST_COPY) {
            // Queue-family ownership transfer from/to EXTERNAL around our work; the layout stays GENERAL.
            // The semaphore/timeline wait orders execution; these barriers make the memory available/visible.
            Commands.begin(prologue, flags);
            DebugNames.beginLabel(device, prologue, debugName + " acquire");
            Commands.imageBarrier(prologue, img, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, all, readWrite,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_EXTERNAL, family);
            DebugNames.endLabel(device, prologue);
            Commands.end(prologue);
            Commands.begin(epilogue, flags);
            DebugNames.beginLabel(device, epilogue, debugName + " release");
            Commands.imageBarrier(epilogue, img, all, readWrite, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, family, VK_QUEUE_FAMILY_EXTERNAL);
            DebugNames.endLabel(device, epilogue);
            Commands.end(epilogue);
            return;
        }
        long buffer = staging.handle();
        long transfer = VK_PIPELINE_STAGE_2_COPY_BIT;
        // Our previous submit's read-back copy (and the user's work) precede this one on our queue.
        Commands.begin(prologue, flags);
        Commands.imageBarrier(prologue, img, all, readWrite, all, readWrite,
                VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        Commands.end(prologue);
        prologueUpload = device.allocateCommandBuffer();
        Commands.begin(prologueUpload, flags);
        Commands.imageBarrier(prologueUpload, img, all, readWrite, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        Commands.bufferBarrier(prologueUpload, buffer, all | VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT | VK_ACCESS_2_HOST_WRITE_BIT,
                transfer, VK_ACCESS_2_TRANSFER_READ_BIT);
        Commands.copyBufferToImage(prologueUpload, buffer, img, 0, 0, image.width(), image.height());
        Commands.imageBarrier(prologueUpload, img, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT, all, readWrite,
                VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        Commands.end(prologueUpload);
        Commands.begin(epilogue, flags);
        Commands.imageBarrier(epilogue, img, all, readWrite, transfer, VK_ACCESS_2_TRANSFER_READ_BIT,
                VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        Commands.bufferBarrier(epilogue, buffer, all, readWrite, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT);
        Commands.copyImageToBuffer(epilogue, img, buffer, image.width(), image.height());
        Commands.bufferBarrier(epilogue, buffer, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                VK_ACCESS_2_HOST_READ_BIT);
        Commands.end(epilogue);
    }

    /** Records the one-off setup: UNDEFINED -> GENERAL, then (shared tiers) release to EXTERNAL. */
    void recordInitialTransition(VkCommandBuffer cmd) {
        long img = image.handle();
        long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
        long readWrite = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
        Commands.imageBarrier(cmd, img, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, all, readWrite,
                VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        if (tier != SyncTier.HOST_COPY) {
            Commands.imageBarrier(cmd, img, all, readWrite, VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE,
                    VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, device.queueFamilyIndex(), VK_QUEUE_FAMILY_EXTERNAL);
        }
    }

    /**
     * Waits (teardown only, finite) for this endpoint's last submit to complete. On a lost device the
     * wait still runs, because work submitted before the loss may still be executing (an injected
     * loss, or a driver that reports loss late), but it never blocks teardown: a wait the lost device
     * answers with {@code VK_ERROR_DEVICE_LOST} or lets time out counts as done, since Vulkan lets a
     * lost device's objects be destroyed.
     */
    boolean awaitIdle(long timeoutNanos) throws InterruptedException {
        if (lastSubmittedValue == 0) {
            return true;
        }
        try {
            return timeline.awaitValue(lastSubmittedValue, device.isLost() ? Math.min(timeoutNanos, LOST_DEVICE_DRAIN_NANOS) : timeoutNanos)
                    || device.isLost();
        } catch (DeviceLostException e) {
            return true;
        }
    }

    /** How long teardown lets a lost device finish work submitted before the loss. */
    private static final long LOST_DEVICE_DRAIN_NANOS = 1_000_000_000L;

    /** Frees everything this endpoint made and closes its mutex handle. Idempotent; GPU must be done. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.removeLossListener(lossListener);
        handle.close();
        device.freeCommandBuffer(prologue);
        device.freeCommandBuffer(prologueUpload);
        device.freeCommandBuffer(epilogue);
        for (int j = 0; j < incoming.length; j++) {
            if (j != index) {
                Semaphores.destroy(device, incoming[j]);
            }
        }
        Semaphores.destroy(device, outgoing);
        if (staging != null) {
            staging.close();
        }
        timeline.close();
        image.close();
    }

    @Override
    public String toString() {
        return surface.name() + "@" + device.name();
    }
}
