package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.KHRExternalMemoryFd.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;

import dev.baton.render.ExportedImageMemory;
import dev.baton.render.SurfaceFormat;
import dev.baton.render.VkResults;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * A surface's 2D image and its dedicated memory on one device: exported (OPAQUE_FD), imported from
 * another device's export, or private (host-copy tier). Its format, usage and flags are the surface's
 * {@link ImageSpec}; an importer makes its image with the exporter's spec. One owner; close after the
 * GPU is done.
 */
public final class SurfaceImage implements ExportedImageMemory, AutoCloseable {
    /** The default surface format: RGBA8, what GL imports, what the tests check byte by byte. */
    public static final int FORMAT = VK_FORMAT_R8G8B8A8_UNORM;
    /** The default usage of a surface image (a surface may add more, see {@link #vkUsage()}). */
    public static final int USAGE = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT
            | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;

    private final DeviceContext device;
    private final int width;
    private final int height;
    private final ImageSpec spec;
    private final long image; // VkImage
    private final long memory; // VkDeviceMemory
    private final long allocationSize;
    private final int memoryTypeIndex;
    private final boolean exportable;
    private boolean closed;

    private SurfaceImage(DeviceContext device, int width, int height, ImageSpec spec, long image, long memory, long allocationSize,
                         int memoryTypeIndex, boolean exportable) {
        this.device = device;
        this.width = width;
        this.height = height;
        this.spec = spec;
        this.image = image;
        this.memory = memory;
        this.allocationSize = allocationSize;
        this.memoryTypeIndex = memoryTypeIndex;
        this.exportable = exportable;
    }

    /**
     * Takes ownership of an image and its bound memory made elsewhere (a linear image in imported host
     * memory, {@link HostMemoryImport}); {@link #close()} destroys both. Not exportable.
     */
    static SurfaceImage adopt(DeviceContext device, int width, int height, ImageSpec spec, long image, long memory, long allocationSize,
                              int memoryTypeIndex) {
        return new SurfaceImage(device, width, height, spec, image, memory, allocationSize, memoryTypeIndex, false);
    }

    /**
     * An RGBA8 image with the default usage whose dedicated memory can be exported as OPAQUE_FD.
     *
     * @param device the allocating device
     * @param width width in pixels
     * @param height height in pixels
     * @return the image, owned by the caller
     */
    public static SurfaceImage createExportable(DeviceContext device, int width, int height) {
        return createExportable(device, ImageSpec.DEFAULT, width, height);
    }

    /**
     * An image of {@code format} with {@link #USAGE} and no flags whose dedicated memory can be exported
     * as OPAQUE_FD (a surface chooses its create info itself; this is for using the image directly).
     *
     * @param device the allocating device
     * @param format the pixel format
     * @param width width in pixels
     * @param height height in pixels
     * @return the image, owned by the caller
     */
    public static SurfaceImage createExportable(DeviceContext device, SurfaceFormat format, int width, int height) {
        return createExportable(device, new ImageSpec(format, USAGE, 0, false), width, height);
    }

    /** An image of {@code spec} whose dedicated memory can be exported as OPAQUE_FD. */
    static SurfaceImage createExportable(DeviceContext device, ImageSpec spec, int width, int height) {
        return create(device, width, height, spec, true, null);
    }

    /**
     * An RGBA8 image with the default usage and ordinary, unshared memory (host-copy tier).
     *
     * @param device the device
     * @param width width in pixels
     * @param height height in pixels
     * @return the image, owned by the caller
     */
    public static SurfaceImage createPrivate(DeviceContext device, int width, int height) {
        return createPrivate(device, ImageSpec.DEFAULT, width, height);
    }

    /** An image of {@code spec} with ordinary, unshared memory (host-copy tier). */
    static SurfaceImage createPrivate(DeviceContext device, ImageSpec spec, int width, int height) {
        return create(device, width, height, spec, false, null);
    }

    /**
     * Imports {@code exported} on {@code device}: checks the UUIDs, creates an image with the
     * exporter's create info, checks that its memory requirements are exactly the exporter's
     * allocation (size equal, the exporter's memory type allowed), then imports a fresh fd with the
     * exporter's size and memory type as a dedicated allocation.
     *
     * @param device the importing device
     * @param exported the exporter's image memory
     * @return the image, owned by the caller
     * @throws IllegalArgumentException if the UUIDs differ (use the host-copy tier instead), the format
     *     is not a surface format, or this device's requirements for the image differ from the exporter's
     */
    public static SurfaceImage importFrom(DeviceContext device, ExportedImageMemory exported) {
        PhysicalDeviceInfo info = device.info();
        if (!Arrays.equals(info.driverUuid(), exported.driverUuid()) || !Arrays.equals(info.deviceUuid(), exported.deviceUuid())) {
            throw new IllegalArgumentException(device.name() + " cannot import this memory: driver/device UUIDs differ from the exporter's; "
                    + "use the host-copy tier");
        }
        if (exported.linearTiling()) {
            throw new IllegalArgumentException(device.name() + " cannot import linear OPAQUE_FD images here: export an optimal image");
        }
        ImageSpec spec = new ImageSpec(SurfaceFormat.ofVkFormat(exported.vkFormat()), exported.vkUsage(), exported.vkCreateFlags(), false);
        return create(device, exported.width(), exported.height(), spec, false, exported);
    }

    /** {@code imported != null}: import a fresh fd of it after checking the requirements match. */
    private static SurfaceImage create(DeviceContext device, int width, int height, ImageSpec spec, boolean exportable,
                                       ExportedImageMemory imported) {
        boolean external = exportable || imported != null;
        VkDevice vk = device.vkDevice();
        long image = VK_NULL_HANDLE;
        int importFd = -1;
        try (MemoryStack stack = stackPush()) {
            VkImageCreateInfo info = VkImageCreateInfo.calloc(stack).sType$Default().flags(spec.flags())
                    .imageType(VK_IMAGE_TYPE_2D).format(spec.format().vkFormat()).mipLevels(1).arrayLayers(1).samples(VK_SAMPLE_COUNT_1_BIT)
                    .tiling(spec.linear() ? VK_IMAGE_TILING_LINEAR : VK_IMAGE_TILING_OPTIMAL).usage(spec.usage())
                    .sharingMode(VK_SHARING_MODE_EXCLUSIVE).initialLayout(VK_IMAGE_LAYOUT_UNDEFINED);
            info.extent().set(width, height, 1);
            if (external) {
                info.pNext(VkExternalMemoryImageCreateInfo.calloc(stack).sType$Default()
                        .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT).address());
            }
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateImage(vk, info, null, p), "vkCreateImage(" + width + "x" + height + " " + spec.format() + ") on "
                    + device.name());
            image = p.get(0);

            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetImageMemoryRequirements(vk, image, req);
            long size = req.size();
            int memoryType;
            if (imported != null) {
                checkImportable(device, imported, req);
                size = imported.allocationSizeBytes();
                memoryType = imported.memoryTypeIndex();
                importFd = imported.dupFd();
            } else {
                memoryType = device.memoryType(req.memoryTypeBits(), 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
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
                    .allocationSize(size).memoryTypeIndex(memoryType);
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
            return new SurfaceImage(device, width, height, spec, image, memory, size, memoryType, exportable);
        } catch (RuntimeException e) {
            Fds.close(importFd);
            if (image != VK_NULL_HANDLE) {
                vkDestroyImage(vk, image, null);
            }
            throw e;
        }
    }

    /**
     * An import must allocate exactly the exporter's size (VUID-VkMemoryDedicatedAllocateInfo-image-02964)
     * in the exporter's memory type (VUID-VkMemoryAllocateInfo-allocationSize-01742), which this device's
     * requirements for the identical image must allow.
     */
    static void checkImportable(DeviceContext device, ExportedImageMemory imported, VkMemoryRequirements req) {
        if (req.size() != imported.allocationSizeBytes()) {
            throw new IllegalArgumentException(device.name() + " cannot import this memory: the exporter allocated "
                    + imported.allocationSizeBytes() + " bytes, but " + device.name() + " needs exactly " + req.size()
                    + " for the identical image (the importer's requirements differ from the exporter's); create both images"
                    + " with the same create info on the same driver, or use the host-copy tier");
        }
        int type = imported.memoryTypeIndex();
        if (type < 0 || type >= 32 || (req.memoryTypeBits() & (1 << type)) == 0) {
            throw new IllegalArgumentException(device.name() + " cannot import this memory: the exporter allocated it in memory type "
                    + type + ", which " + device.name() + " does not allow for the identical image (type bits 0x"
                    + Integer.toHexString(req.memoryTypeBits()) + "; the importer's requirements differ from the exporter's);"
                    + " use the host-copy tier");
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

    /**
     * Makes a 2D colour view of this image (one mip level, one layer), for a framebuffer or a sampler.
     *
     * @return the {@code VkImageView}, owned by the caller (destroy it before the image)
     */
    public long createColorView() {
        return createColorView(device, image, vkFormat());
    }

    /**
     * A 2D colour view (one mip level, one layer) of {@code image} on {@code device}, for images Baton
     * holds by handle; see {@link #createColorView()}.
     */
    static long createColorView(DeviceContext device, long image, int vkFormat) {
        try (MemoryStack stack = stackPush()) {
            VkImageViewCreateInfo info = VkImageViewCreateInfo.calloc(stack).sType$Default()
                    .image(image).viewType(VK_IMAGE_VIEW_TYPE_2D).format(vkFormat);
            info.subresourceRange().aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1);
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateImageView(device.vkDevice(), info, null, p), "vkCreateImageView on " + device.name());
            return p.get(0);
        }
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
        return spec.format().vkFormat();
    }

    @Override
    public boolean linearTiling() {
        return spec.linear();
    }

    @Override
    public int vkUsage() {
        return spec.usage();
    }

    @Override
    public int vkCreateFlags() {
        return spec.flags();
    }

    @Override
    public int memoryTypeIndex() {
        return memoryTypeIndex;
    }

    /** {@return the surface format} */
    public SurfaceFormat format() {
        return spec.format();
    }

    /** The create info the image was made with. */
    ImageSpec spec() {
        return spec;
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
