package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.KHRExternalSemaphoreFd.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;

import dev.baton.render.VkResults;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/** Binary semaphores exported/imported as OPAQUE_FD (the binary-semaphore tier). */
final class Semaphores {
    private Semaphores() {}

    /** A binary semaphore, exportable as OPAQUE_FD if asked. Returns the {@code VkSemaphore}. */
    static long createBinary(DeviceContext device, boolean exportable) {
        try (MemoryStack stack = stackPush()) {
            VkSemaphoreCreateInfo info = VkSemaphoreCreateInfo.calloc(stack).sType$Default();
            if (exportable) {
                info.pNext(VkExportSemaphoreCreateInfo.calloc(stack).sType$Default()
                        .handleTypes(VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT).address());
            }
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateSemaphore(device.vkDevice(), info, null, p), "vkCreateSemaphore(binary) on " + device.name());
            return p.get(0);
        }
    }

    /** A new OPAQUE_FD for the semaphore's payload; the caller owns it until an import takes it. */
    static int exportFd(DeviceContext device, long semaphore) {
        try (MemoryStack stack = stackPush()) {
            VkSemaphoreGetFdInfoKHR info = VkSemaphoreGetFdInfoKHR.calloc(stack).sType$Default()
                    .semaphore(semaphore).handleType(VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT);
            IntBuffer fd = stack.mallocInt(1);
            VkResults.check(vkGetSemaphoreFdKHR(device.vkDevice(), info, fd), "vkGetSemaphoreFdKHR on " + device.name());
            return fd.get(0);
        }
    }

    /**
     * A binary semaphore on {@code device} sharing the payload behind {@code fd} (permanent import).
     * Takes ownership of {@code fd} on success; closes it on failure.
     */
    static long importBinary(DeviceContext device, int fd) {
        long semaphore;
        try {
            semaphore = createBinary(device, false);
        } catch (RuntimeException e) {
            Fds.close(fd);
            throw e;
        }
        try (MemoryStack stack = stackPush()) {
            VkImportSemaphoreFdInfoKHR info = VkImportSemaphoreFdInfoKHR.calloc(stack).sType$Default()
                    .semaphore(semaphore).handleType(VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT).fd(fd);
            VkResults.check(vkImportSemaphoreFdKHR(device.vkDevice(), info), "vkImportSemaphoreFdKHR(binary) on " + device.name());
            return semaphore;
        } catch (RuntimeException e) {
            Fds.close(fd);
            vkDestroySemaphore(device.vkDevice(), semaphore, null);
            throw e;
        }
    }

    static void destroy(DeviceContext device, long semaphore) {
        if (semaphore != VK_NULL_HANDLE) {
            vkDestroySemaphore(device.vkDevice(), semaphore, null);
        }
    }
}
