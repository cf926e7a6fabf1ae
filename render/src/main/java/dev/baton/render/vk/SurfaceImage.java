package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.KHRExternalMemoryFd.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;

import dev.baton.render.ExportedImageMemory;
import dev.baton.render.VkResults;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * A surface's 2D RGBA8 image and its dedicated memory on one device: exported (OPAQUE_FD), imported
 * from another device's export, or private (host-copy tier). One owner; close after the GPU is done.
 */
public final class SurfaceImage implements ExportedImageMemory, AutoCloseable {
    /** Every surface is RGBA8: what GL imports, what the tests check byte by byte. */
    public static final int FORMAT = VK_FORMAT_R8G8B8A8_UNORM;
    /** Usage every participant creates the image with (importers must match exactly). */
    public static final int USAGE = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT
            | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;

    private final DeviceContext device;
    private final int width;
    private final int height;
    private final long image; // VkImage
    private final long memory; // VkDeviceMemory
    private final long allocationSize;
    private final boolean exportable;
    private final boolean linear;
    private boolean closed;

    private SurfaceImage(DeviceContext device, int width, int height, long image, long memory, long allocationSize, boolean exportable,
                         boolean linear) {
        this.device = device;
        this.width = width;
        this.height = height;
        this.image = image;
        this.memory = memory;
        this.allocationSize = allocationSize;
        this.exportable = exportable;
        this.linear = linear;
    }

    /**
     * Takes ownership of an image and its bound memory made elsewhere (a linear image in imported host
     * memory, {@link HostMemoryImport}); {@link #close()} destroys both. Not exportable.
     */
    static SurfaceImage adopt(DeviceContext device, int width, int height, long image, long memory, long allocationSize, boolean linear) {
        return new SurfaceImage(device, width, height, image, memory, allocationSize, false, linear);
    }

    /**
     * An image whose dedicated memory can be exported as OPAQUE_FD.
     *
     * @param device the allocating device
     * @param width width in pixels
     * @param height height in pixels
     * @return the image, owned by the caller
     */
    public static SurfaceImage createExportable(DeviceContext device, int width, int height) {
        return create(device, width, height, true, -1, 0);
    }

    /**
     * An image with ordinary, unshared memory (host-copy tier).
     *
     * @param device the device
     * @param width width in pixels
     * @param height height in pixels
     * @return the image, owned by the caller
     */
    public static SurfaceImage createPrivate(DeviceContext device, int width, int height) {
        return create(device, width, height, false, -1, 0);
    }

    /**
     * Imports {@code exported} on {@code device}: checks the UUIDs, creates an identical image, imports a
     * fresh fd with the exporter's allocation size as a dedicated allocation.
     *
     * @param device the importing device
     * @param exported the exporter's image memory
     * @return the image, owned by the caller
     * @throws IllegalArgumentException if the UUIDs differ (use the host-copy tier instead)
     */
    public static SurfaceImage importFrom(DeviceContext device, ExportedImageMemory exported) {
        PhysicalDeviceInfo info = device.info();
        if (!Arrays.equals(info.driverUuid(), exported.driverUuid()) || !Arrays.equals(info.deviceUuid(), exported.deviceUuid())) {
            throw new IllegalArgumentException(device.name() + " cannot import this memory: driver/device UUIDs differ from the exporter's; "
                    + "use the host-copy tier");
        }
        if (exported.vkFormat() != FORMAT || exported.vkUsage() != USAGE || exported.linearTiling()) {
            throw new IllegalArgumentException("only RGBA8 optimal images with SurfaceImage.USAGE are imported here");
        }
        int fd = exported.dupFd();
        return create(device, exported.width(), exported.height(), false, fd, exported.allocationSizeBytes());
    }

    /** importFd >= 0: import it (ownership passes to the driver on success, closed here on failure). */
    private static SurfaceImage create(DeviceContext device, int width, int height, boolean exportable, int importFd, long importSize) {
        boolean external = exportable || importFd >= 0;
        VkDevice vk = device.vkDevice();
        long image = VK_NULL_HANDLE;
        try (MemoryStack stack = stackPush()) {
            VkImageCreateInfo info = VkImageCreateInfo.calloc(stack).sType$Default()
                    .imageType(VK_IMAGE_TYPE_2D).format(FORMAT).mipLevels(1).arrayLayers(1).samples(VK_SAMPLE_COUNT_1_BIT)
                    .tiling(VK_IMAGE_TILING_OPTIMAL).usage(USAGE).sharingMode(VK_SHARING_MODE_EXCLUSIVE)
                    .initialLayout(VK_IMAGE_LAYOUT_UNDEFINED);
            info.extent().set(width, height, 1);
            if (external) {
                info.pNext(VkExternalMemoryImageCreateInfo.calloc(stack).sType$Default()
                        .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT).address());
            }
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateImage(vk, info, null, p), "vkCreateImage(" + width + "x" + height + ") on " + device.name());
            image = p.get(0);

            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetImageMemoryRequirements(vk, image, req);
            long size = importFd >= 0 ? importSize : req.size();
            if (size < req.size()) {
                throw new IllegalArgumentException("exported allocation is " + size + " bytes but " + device.name() + " needs " + req.size());
            }
            VkMemoryDedicatedAllocateInfo dedicated = VkMemoryDedicatedAllocateInfo.calloc(stack).sType$Default().image(image);
            if (exportable) {
                dedicated.pNext(VkExportMemoryAllocateInfo.calloc(stack).sType$Default()
                        .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT).address());
            } else if (importFd >= 0) {
                dedicated.pNext(VkImportMemoryFdInfoKHR.calloc(stack).sType$Default()
                        .handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT).fd(importFd).address());
            }
            VkMemoryAllocateInfo alloc = VkMemoryAllocateInfo.calloc(stack).sType$Default().pNext(dedicated.address())
                    .allocationSize(size).memoryTypeIndex(device.memoryType(req.memoryTypeBits(), 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT));
            int result = vkAllocateMemory(vk, alloc, null, p);
            if (result < 0 && importFd >= 0) {
                Fds.close(importFd); // the import failed: the fd is still ours
            }
            importFd = -1;
            VkResults.check(result, (external ? (exportable ? "vkAllocateMemory(export OPAQUE_FD)" : "vkAllocateMemory(import OPAQUE_FD)")
                    : "vkAllocateMemory") + " on " + device.name());
            long memory = p.get(0);
            int bind = vkBindImageMemory(vk, image, memory, 0);
            if (bind < 0) {
                vkFreeMemory(vk, memory, null);
                VkResults.check(bind, "vkBindImageMemory on " + device.name());
            }
            return new SurfaceImage(device, width, height, image, memory, size, exportable, false);
        } catch (RuntimeException e) {
            Fds.close(importFd);
            if (image != VK_NULL_HANDLE) {
                vkDestroyImage(vk, image, null);
            }
            throw e;
        }
    }

    /** {@return the {@code VkImage}} */
    public long handle() {
        return image;
    }

    /** {@return the device the image lives on} */
    public DeviceContext device() {
        return device;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int vkFormat() {
        return FORMAT;
    }

    @Override
    public boolean linearTiling() {
        return linear;
    }

    @Override
    public int vkUsage() {
        return USAGE;
    }

    @Override
    public long allocationSizeBytes() {
        return allocationSize;
    }

    @Override
    public byte[] driverUuid() {
        return device.info().driverUuid();
    }

    @Override
    public byte[] deviceUuid() {
        return device.info().deviceUuid();
    }

    /** A new OPAQUE_FD for this memory (vkGetMemoryFdKHR returns a fresh fd per call). */
    @Override
    public int dupFd() {
        if (!exportable) {
            throw new IllegalStateException("this image's memory was not allocated for export");
        }
        try (MemoryStack stack = stackPush()) {
            VkMemoryGetFdInfoKHR info = VkMemoryGetFdInfoKHR.calloc(stack).sType$Default()
                    .memory(memory).handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT);
            IntBuffer fd = stack.mallocInt(1);
            VkResults.check(vkGetMemoryFdKHR(device.vkDevice(), info, fd), "vkGetMemoryFdKHR on " + device.name());
            return fd.get(0);
        }
    }

    /** Destroys the image and frees its memory. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        vkDestroyImage(device.vkDevice(), image, null);
        vkFreeMemory(device.vkDevice(), memory, null);
    }
}
