package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.KHRExternalSemaphoreFd.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;
import static org.lwjgl.vulkan.VK12.*;

import dev.baton.render.VkResults;
import dev.baton.sync.Timeline;
import java.nio.LongBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * {@link Timeline} over a Vulkan timeline semaphore of one {@link DeviceContext}: possibly exported
 * (OPAQUE_FD) or imported, for the shared-timeline tier.
 *
 * <p>Threading: {@link #completedValue()}, {@link #awaitValue} and {@link #signalFromHost} are safe
 * from any thread (Vulkan does not externally synchronize semaphores for them), so a host bridge
 * may wait on one device's timeline and signal another's. Close on the device's owning thread,
 * after the GPU no longer uses it.
 */
public final class VulkanTimeline implements Timeline, AutoCloseable {
    /** Waits are cut into slices this long so a blocked {@link #awaitValue} answers interrupts. */
    private static final long WAIT_SLICE_NANOS = 5_000_000L;

    private final DeviceContext device;
    private final String name;
    private final long semaphore; // VkSemaphore (timeline)
    private boolean closed;

    private VulkanTimeline(DeviceContext device, String name, long semaphore) {
        this.device = device;
        this.name = name;
        this.semaphore = semaphore;
    }

    /**
     * A timeline starting at {@code initialValue}; exportable as OPAQUE_FD if {@code exportable}.
     *
     * @param device the device
     * @param name for messages
     * @param initialValue the starting value (unsigned)
     * @param exportable whether {@link #exportFd()} may be called
     * @return the timeline, owned by the caller
     */
    public static VulkanTimeline create(DeviceContext device, String name, long initialValue, boolean exportable) {
        try (MemoryStack stack = stackPush()) {
            VkSemaphoreTypeCreateInfo type = VkSemaphoreTypeCreateInfo.calloc(stack).sType$Default()
                    .semaphoreType(VK_SEMAPHORE_TYPE_TIMELINE).initialValue(initialValue);
            if (exportable) {
                VkExportSemaphoreCreateInfo export = VkExportSemaphoreCreateInfo.calloc(stack).sType$Default()
                        .handleTypes(VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT);
                type.pNext(export.address());
            }
            VkSemaphoreCreateInfo info = VkSemaphoreCreateInfo.calloc(stack).sType$Default().pNext(type.address());
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateSemaphore(device.vkDevice(), info, null, p), "vkCreateSemaphore(timeline) on " + device.name());
            return new VulkanTimeline(device, name, p.get(0));
        }
    }

    /**
     * Imports a timeline exported by another device (same UUIDs). Takes ownership of {@code fd} on
     * success; closes it on failure.
     *
     * @param device the importing device
     * @param name for messages
     * @param fd from {@link #exportFd()} of the exporting timeline
     * @return the timeline, owned by the caller
     */
    public static VulkanTimeline importFd(DeviceContext device, String name, int fd) {
        VulkanTimeline timeline;
        try {
            timeline = create(device, name, 0, false);
        } catch (RuntimeException | Error e) {
            Fds.close(fd); // the import never happened: the fd is still ours
            throw e;
        }
        try (MemoryStack stack = stackPush()) {
            VkImportSemaphoreFdInfoKHR info = VkImportSemaphoreFdInfoKHR.calloc(stack).sType$Default()
                    .semaphore(timeline.semaphore).handleType(VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT).fd(fd);
            VkResults.check(vkImportSemaphoreFdKHR(device.vkDevice(), info), "vkImportSemaphoreFdKHR(timeline) on " + device.name());
            return timeline;
        } catch (RuntimeException e) {
            Fds.close(fd);
            timeline.close();
            throw e;
        }
    }

    /** {@return a new OPAQUE_FD referring to this semaphore's payload, for exactly one import} */
    public int exportFd() {
        return Semaphores.exportFd(device, semaphore);
    }

    /** {@return the {@code VkSemaphore}} */
    public long handle() {
        return semaphore;
    }

    /** {@return the device the semaphore belongs to} */
    public DeviceContext device() {
        return device;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long completedValue() {
        // Address-based calls throughout this class: no buffer or struct wrapper objects per call, so the
        // handoff path (the host bridge polls and signals here) allocates nothing even before the JIT runs.
        try (MemoryStack stack = stackPush()) {
            long value = stack.nmalloc(8, 8);
            device.checkWaitLoss(nvkGetSemaphoreCounterValue(device.vkDevice(), semaphore, value), "vkGetSemaphoreCounterValue", name);
            return MemoryUtil.memGetLong(value);
        }
    }


    @Override
    public boolean awaitValue(long value, long timeoutNanos) throws InterruptedException {
        if (timeoutNanos < 0) {
            throw new IllegalArgumentException("negative timeout " + timeoutNanos + " ns waiting for " + name + " >= " + value);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        try (MemoryStack stack = stackPush()) {
            long info = stack.ncalloc(VkSemaphoreWaitInfo.ALIGNOF, 1, VkSemaphoreWaitInfo.SIZEOF);
            long semaphores = stack.nmalloc(8, 8);
            long values = stack.nmalloc(8, 8);
            MemoryUtil.memPutLong(semaphores, semaphore);
            MemoryUtil.memPutLong(values, value);
            VkSemaphoreWaitInfo.nsType(info, VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO);
            VkSemaphoreWaitInfo.nsemaphoreCount(info, 1);
            MemoryUtil.memPutAddress(info + VkSemaphoreWaitInfo.PSEMAPHORES, semaphores);
            MemoryUtil.memPutAddress(info + VkSemaphoreWaitInfo.PVALUES, values);
            while (true) {
                long left = deadline - System.nanoTime();
                int result = device.checkWaitLoss(nvkWaitSemaphores(device.vkDevice(), info, Math.max(0, Math.min(left, WAIT_SLICE_NANOS))),
                        "vkWaitSemaphores", name);
                if (result == VK_SUCCESS) {
                    return true;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted waiting for " + name + " >= " + value);
                }
                if (deadline - System.nanoTime() <= 0) {
                    return false; // VK_TIMEOUT is an outcome
                }
            }
        }
    }

    /**
     * Signals {@code value} from the host; a value not above the current one is ignored (a bridge may
     * race the same value). The check and the signal are atomic with respect to other host signals of
     * this timeline (so the host bridge and a failure hook releasing a waiter, {@link SharedSurface},
     * cannot both signal one value), not with respect to the GPU's own signals: the surface protocol
     * never has the GPU signal a value a host signal may also reach.
     */
    @Override
    public synchronized void signalFromHost(long value) {
        if (Long.compareUnsigned(completedValue(), value) >= 0) {
            return;
        }
        try (MemoryStack stack = stackPush()) {
            long info = stack.ncalloc(VkSemaphoreSignalInfo.ALIGNOF, 1, VkSemaphoreSignalInfo.SIZEOF);
            VkSemaphoreSignalInfo.nsType(info, VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO);
            VkSemaphoreSignalInfo.nsemaphore(info, semaphore);
            VkSemaphoreSignalInfo.nvalue(info, value);
            device.checkWaitLoss(nvkSignalSemaphore(device.vkDevice(), info), "vkSignalSemaphore", name);
        }
    }

    /** Destroys the semaphore. Idempotent. The GPU must be done with it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        vkDestroySemaphore(device.vkDevice(), semaphore, null);
    }

    @Override
    public String toString() {
        return name;
    }

}
