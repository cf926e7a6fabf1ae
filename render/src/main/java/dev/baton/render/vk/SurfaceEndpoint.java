package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.DeviceLostException;
import dev.baton.sync.AcquireStatus;
import dev.baton.sync.DeviceRemovedException;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * One participant's view of a {@link SharedSurface}: its image on its device (a
 * {@link SurfaceMemory.VulkanView} of the surface's memory choice), its keyed-mutex handle and its
 * timeline. An acquire asks the surface's {@link SurfaceSync} what the next submit waits for and the
 * memory view for the pixels; a submit brackets the owner's work with the view's prerecorded command
 * buffers and the sync's signals. The endpoint never asks which kind either is.
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
    private final SurfaceMemory.VulkanView view;
    private final VulkanTimeline timeline;
    private final MutexPort handle;
    private final SurfaceSync sync;
    private final Lease lease = new Lease(this);
    private final Runnable lossListener;
    /** Written by the owning thread; volatile so a loss reported on another thread (the bridge) reads it. */
    private volatile long lastSubmittedValue;
    /** Bytes this endpoint copied to move pixels between devices (host-copy tier only); owning thread writes. */
    private long copiedBytes;
    private boolean closed;
    private volatile boolean abandoned;

    SurfaceEndpoint(SharedSurface surface, int index, DeviceContext device, SurfaceMemory.VulkanView view, VulkanTimeline timeline,
                    MutexPort handle) {
        this.surface = surface;
        this.index = index;
        this.device = device;
        this.view = view;
        this.timeline = timeline;
        this.handle = handle;
        this.sync = surface.sync();
        this.lossListener = () -> {
            handle.deviceLost();
            surface.participantLost(this);
        };
        device.onLoss(lossListener);
    }

    /** {@return the participant's device} */
    public DeviceContext device() {
        return device;
    }

    /** {@return the surface's image on this device} */
    public SurfaceImage image() {
        return view.image();
    }

    /** {@return this endpoint's timeline: its submits signal the surface's fence values on it} */
    public VulkanTimeline timeline() {
        return timeline;
    }

    @Override
    public VulkanTimeline signalTimeline() {
        return timeline;
    }

    /** {@return the surface this endpoint belongs to} */
    public SharedSurface surface() {
        return surface;
    }

    /** {@return the participant's index in the surface's creation list} */
    public int index() {
        return index;
    }

    MutexPort handle() {
        return handle;
    }

    /**
     * Bytes this endpoint has copied so far to move pixels between devices: with memory copied through
     * host memory, the host memcpy between staging buffers at acquire, the GPU upload at the start of a
     * submit and the GPU read-back at its end; always 0 when memory is shared. Written by the owning thread;
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
     * GPU except with the host-wait sync (the host-copy tier), which waits (up to the surface's copy
     * timeout) for the previous writer's GPU before copying its pixels through host memory.
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
        if (timeoutNanos < 0) {
            throw new IllegalArgumentException("negative timeout " + timeoutNanos + " ns acquiring " + this
                    + ": pass 0 to poll or a positive number of nanoseconds");
        }
        return beginAccess(key, handle.acquire(key, timeoutNanos));
    }

    /**
     * The tier-specific tail of every acquire ({@link #acquire} and {@link Lease#releaseAndAcquire}):
     * records the mutex's outcome on the lease and, if the mutex is ours, asks the surface's sync what the
     * next submit waits for and the memory view for the pixels. If the sync cannot begin the access
     * (the previous writer's GPU is late, the device was lost, the thread was interrupted), the surface
     * is given back to {@code key} untouched.
     */
    private Lease beginAccess(long key, AcquireStatus status) throws InterruptedException {
        java.nio.ByteBuffer data = handle.privateData();
        long value = handle.fenceValue();
        lease.reset(status, value, data);
        if (status != AcquireStatus.ACQUIRED) {
            return lease;
        }
        boolean done;
        try {
            done = sync.beginAccess(this, surface.lastSignaller, value, lease);
        } catch (DeviceLostException e) {
            handle.release(key, value, data); // put it back untouched
            lease.reset(AcquireStatus.ABANDONED, value, data);
            throw e;
        } catch (InterruptedException e) {
            handle.release(key, value, data);
            lease.reset(AcquireStatus.TIMEOUT, value, data);
            throw e;
        }
        if (!done) {
            // The writer's GPU is late: give the surface back unchanged and report a timeout.
            handle.release(key, value, data);
            lease.reset(AcquireStatus.TIMEOUT, value, data);
            return lease;
        }
        copiedBytes += view.beginAccess();
        return lease;
    }

    /**
     * {@link Lease#releaseAndAcquire}: releases {@code releaseKey} with {@code fenceValue} and, in the
     * same critical section of the keyed mutex, queues for {@code acquireKey}; then begins the access as
     * {@link #acquire} does. Argument errors throw before anything changes (the lease stays held).
     */
    Lease releaseAndAcquire(long releaseKey, long fenceValue, java.nio.ByteBuffer privateData, long acquireKey, long timeoutNanos)
            throws InterruptedException {
        AcquireStatus status;
        try {
            status = handle.releaseAndAcquire(releaseKey, fenceValue, privateData, acquireKey, timeoutNanos);
        } catch (InterruptedException | RuntimeException e) {
            // Argument errors, or an interrupt on entry, change nothing: the lease is still ours. An
            // interrupt, close or loss while queued comes after the release: the lease is gone.
            lease.held = stillOwns();
            throw e;
        }
        return beginAccess(acquireKey, status);
    }

    /** This endpoint is about to release with {@code value}: see {@link SurfaceSync#releasing}. Owning thread. */
    SurfaceEndpoint releasing(long value) {
        return sync.releasing(this, value);
    }

    /** See {@link SurfaceSync#forward}. Owning thread. */
    void forward(long value, SurfaceEndpoint to) {
        sync.forward(this, value, to);
    }

    /** Whether the handle still owns the mutex; false once it is closed or lost. */
    private boolean stillOwns() {
        try {
            return handle.isOwner();
        } catch (IllegalStateException e) { // closed, or DeviceRemovedException
            return false;
        }
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

    /**
     * Records into {@code commandBuffer} what begins every access of this endpoint's image: the
     * queue-family ownership transfer that acquires it from the external (or foreign) family, or with
     * memory copied through the host, a barrier against this queue's earlier work. The same commands
     * serve every access, so a render thread may record them once into command buffers it reuses (then
     * call {@link Lease#barriersPrerecorded()} under each lease that submits one); per access,
     * {@link Lease#recordAcquireBarriers} does both. Record it before any command on the image. Owning
     * thread; never blocks.
     *
     * @param commandBuffer a command buffer of {@link #device()} in the recording state
     */
    public void recordAcquireBarriers(VkCommandBuffer commandBuffer) {
        view.recordAcquire(commandBuffer);
    }

    /**
     * Records into {@code commandBuffer} what ends every access: the ownership transfer that releases
     * the image to the external (or foreign) family, or with memory copied through the host, the
     * read-back of the image into this endpoint's host memory. The same in every access (see
     * {@link #recordAcquireBarriers}). Record it after the last command on the image, which must be in
     * GENERAL. Owning thread; never blocks.
     *
     * @param commandBuffer a command buffer of {@link #device()} in the recording state
     */
    public void recordReleaseBarriers(VkCommandBuffer commandBuffer) {
        view.recordRelease(commandBuffer);
    }

    /** Builds and flushes the batch for one leased submit; returns the fence value it signals. */
    long submit(Lease l, VkCommandBuffer work) {
        long signal = l.fenceValue + 1;
        device.beginBatch();
        // Once the surface is abandoned (a participant was lost, perhaps after its release) the wait may
        // never be satisfied, and a binary semaphore cannot be signalled from the host: the contents are
        // undefined anyway, so the submit does not wait for the others' work and the queue drains.
        if (l.syncWaitSemaphore != 0 && !surface.isAbandoned()) {
            device.addWait(l.syncWaitSemaphore, l.syncWaitValue, l.syncWaitStage);
        }
        if (l.extraWait != null) {
            device.addWait(l.extraWait.handle(), l.extraWaitValue, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        copiedBytes += view.submitCopiedBytes();
        // Without the owner's own acquire commands, the prerecorded prologue; with them, only what this
        // access must move in (host-copy's upload), if anything.
        VkCommandBuffer before = l.ownAcquire ? view.uploadPrologue() : view.prologue();
        if (before != null) {
            device.addCommandBuffer(before);
        }
        device.addCommandBuffer(work);
        if (!l.ownRelease) {
            device.addCommandBuffer(view.epilogue());
        }
        device.addSignal(timeline.handle(), signal);
        sync.addSignals(this);
        device.flushBatch(); // DeviceLostException: the device's loss listeners already abandoned the mutex
        lastSubmittedValue = signal;
        // The handoff record is only touched by the mutex owner; the mutex orders it for the next owner.
        surface.lastSignaller = this;
        sync.endAccess(this);
        view.endAccess();
        return signal;
    }

    /** Records the prologue/epilogue command buffers once; they are resubmitted every handoff. */
    void recordHandoffCommands() {
        view.recordAccessCommands();
        // Names for RenderDoc captures and validation messages; one check and nothing else without debug utils.
        if (DebugNames.enabled(device)) {
            String debugName = "baton " + surface.name() + "@" + device.name();
            DebugNames.name(device, VK_OBJECT_TYPE_IMAGE, view.image().handle(), debugName + " image");
            DebugNames.name(device, VK_OBJECT_TYPE_SEMAPHORE, timeline.handle(), debugName + " timeline");
            if (view.prologue() != null) {
                DebugNames.name(device, VK_OBJECT_TYPE_COMMAND_BUFFER, view.prologue().address(), debugName + " acquire");
            }
            if (view.epilogue() != null) {
                DebugNames.name(device, VK_OBJECT_TYPE_COMMAND_BUFFER, view.epilogue().address(), debugName + " release");
            }
        }
    }

    /** Records the one-off setup: UNDEFINED -> GENERAL, then whatever the memory choice needs. */
    void recordInitialTransition(VkCommandBuffer cmd) {
        view.recordInitialTransition(cmd);
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
        sync.closeEndpoint(this);
        timeline.close();
        view.close();
    }

    @Override
    public String toString() {
        return surface.name() + "@" + device.name();
    }
}
