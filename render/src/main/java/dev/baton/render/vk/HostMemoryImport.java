package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.EXTExternalMemoryHost.*;
import static org.lwjgl.vulkan.EXTQueueFamilyForeign.VK_QUEUE_FAMILY_FOREIGN_EXT;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;

import dev.baton.render.MemorySharing;
import dev.baton.render.VkResults;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlInfo;
import java.nio.LongBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * {@link MemorySharing#HOST_MEMORY}: zero copy between different drivers. Participant 0 creates a
 * sealed memfd ({@link SealedMemfd}); every participant maps it and imports its own mapping of the same
 * pages with {@code VK_EXT_external_memory_host} as the memory of a linear image of the surface format, after checking
 * that its driver lays the image out exactly as participant 0's does ({@code vkGetImageSubresourceLayout}:
 * offset and row pitch) and that the mapping and size meet {@code minImportedHostPointerAlignment}. Each
 * access is bracketed by an ownership transfer from and to {@code VK_QUEUE_FAMILY_FOREIGN_EXT} (or
 * {@code VK_QUEUE_FAMILY_EXTERNAL} on a device without {@code VK_EXT_queue_family_foreign}); nothing is
 * copied. Its sync is the host bridge: each device keeps its own timeline.
 *
 * <p>When a driver cannot take part (no linear image importable as host memory with Baton's usage, a
 * different layout, an unsuitable alignment or memory type), {@link #vulkan} throws {@link Unsuitable}
 * and {@link SharedSurface} falls back to {@link HostCopyMemory}. GL cannot import host memory
 * ({@code GL_EXT_memory_object_fd} takes only a Vulkan OPAQUE_FD of the same driver and device), so the
 * selector never chooses this with a GL participant.
 */
final class HostMemoryImport implements SurfaceMemory {
    /** This way of sharing does not work for these participants: fall back to copying. */
    static final class Unsuitable extends RuntimeException {
        Unsuitable(String message) {
            super(message);
        }
    }

    private static final long PAGE_BYTES = 4096;

    private final String surfaceName;
    private SealedMemfd file;      // made by participant 0's view, closed by it (views close in reverse order)
    private long rowPitchBytes = -1;
    private long offsetBytes;
    private String layoutOwner;

    private final ImageSpec spec;

    HostMemoryImport(String surfaceName, ImageSpec spec) {
        this.surfaceName = surfaceName;
        this.spec = spec.linearTiling();
    }

    @Override
    public MemorySharing kind() {
        return MemorySharing.HOST_MEMORY;
    }

    /** The sealed memfd every participant maps (a remote participant would receive a duplicate of it). */
    SealedMemfd file() {
        return file;
    }

    @Override
    public VulkanView vulkan(DeviceContext device, int index, int width, int height) {
        if (!device.hasExtension(DeviceContext.EXTERNAL_MEMORY_HOST)) {
            throw new Unsuitable(device.name() + " lacks " + DeviceContext.EXTERNAL_MEMORY_HOST);
        }
        VkDevice vk = device.vkDevice();
        long image = VK_NULL_HANDLE;
        long memory = VK_NULL_HANDLE;
        long mapping = 0;
        boolean madeFile = false;
        try (MemoryStack stack = stackPush()) {
            long alignment = importAlignment(device, stack);
            checkImportable(device, spec, width, height, stack);
            VkImageCreateInfo info = VkImageCreateInfo.calloc(stack).sType$Default()
                    .pNext(VkExternalMemoryImageCreateInfo.calloc(stack).sType$Default()
                            .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).address())
                    .imageType(VK_IMAGE_TYPE_2D).flags(spec.flags()).format(spec.format().vkFormat()).mipLevels(1).arrayLayers(1).samples(VK_SAMPLE_COUNT_1_BIT)
                    .tiling(VK_IMAGE_TILING_LINEAR).usage(spec.usage()).sharingMode(VK_SHARING_MODE_EXCLUSIVE)
                    .initialLayout(VK_IMAGE_LAYOUT_UNDEFINED);
            info.extent().set(width, height, 1);
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateImage(vk, info, null, p), "vkCreateImage(linear " + width + "x" + height + ", host memory) on " + device.name());
            image = p.get(0);

            VkSubresourceLayout layout = VkSubresourceLayout.malloc(stack);
            vkGetImageSubresourceLayout(vk, image, VkImageSubresource.calloc(stack).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT), layout);
            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetImageMemoryRequirements(vk, image, req);
            if (index == 0) {
                long unit = Math.max(PAGE_BYTES, Math.max(alignment, req.alignment()));
                long needed = Math.max(req.size(), layout.offset() + layout.rowPitch() * height);
                file = SealedMemfd.create(surfaceName, (needed + unit - 1) / unit * unit);
                madeFile = true;
                rowPitchBytes = layout.rowPitch();
                offsetBytes = layout.offset();
                layoutOwner = device.name();
            } else if (layout.rowPitch() != rowPitchBytes || layout.offset() != offsetBytes) {
                throw new Unsuitable("the drivers lay out a linear " + width + "x" + height + " " + spec.format() + " image differently (" + layoutOwner
                        + ": offset " + offsetBytes + ", row pitch " + rowPitchBytes + "; " + device.name() + ": offset " + layout.offset()
                        + ", row pitch " + layout.rowPitch() + ")");
            }
            long size = file.sizeBytes();
            if (req.size() > size || size % alignment != 0) {
                throw new Unsuitable(device.name() + " needs " + req.size() + " bytes in multiples of " + alignment
                        + " for the image, but the shared memory is " + size + " bytes");
            }
            mapping = file.map();
            if (mapping % alignment != 0 || offsetBytes % req.alignment() != 0) {
                throw new Unsuitable(device.name() + " needs host pointers aligned to " + alignment + " bytes");
            }
            VkMemoryHostPointerPropertiesEXT pointer = VkMemoryHostPointerPropertiesEXT.calloc(stack).sType$Default();
            VkResults.check(vkGetMemoryHostPointerPropertiesEXT(vk, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, mapping, pointer),
                    "vkGetMemoryHostPointerPropertiesEXT on " + device.name());
            int typeBits = pointer.memoryTypeBits() & req.memoryTypeBits();
            if (typeBits == 0) {
                throw new Unsuitable(device.name() + " has no memory type that can both import host memory and back a linear image");
            }
            int memoryType = Integer.numberOfTrailingZeros(typeBits);
            VkMemoryAllocateInfo alloc = VkMemoryAllocateInfo.calloc(stack).sType$Default()
                    .pNext(VkImportMemoryHostPointerInfoEXT.calloc(stack).sType$Default()
                            .handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).pHostPointer(mapping).address())
                    .allocationSize(size).memoryTypeIndex(memoryType);
            VkResults.check(vkAllocateMemory(vk, alloc, null, p), "vkAllocateMemory(import host pointer) on " + device.name());
            memory = p.get(0);
            VkResults.check(vkBindImageMemory(vk, image, memory, 0), "vkBindImageMemory(host memory) on " + device.name());
            SurfaceImage surfaceImage = SurfaceImage.adopt(device, width, height, spec, image, memory, size, memoryType);
            long mapped = mapping;
            SealedMemfd owned = index == 0 ? file : null;
            int family = device.hasExtension(DeviceContext.QUEUE_FAMILY_FOREIGN) ? VK_QUEUE_FAMILY_FOREIGN_EXT : VK_QUEUE_FAMILY_EXTERNAL;
            return new DeviceMemoryImport.View(device, surfaceImage, family, () -> {
                file.unmap(mapped); // after vkFreeMemory: the driver no longer uses the pages
                if (owned != null) {
                    owned.close();
                }
            });
        } catch (RuntimeException | Error e) {
            if (memory != VK_NULL_HANDLE) {
                vkFreeMemory(vk, memory, null);
            }
            if (image != VK_NULL_HANDLE) {
                vkDestroyImage(vk, image, null);
            }
            if (mapping != 0) {
                file.unmap(mapping);
            }
            if (madeFile) {
                file.close();
                file = null;
            }
            throw e;
        }
    }

    @Override
    public GlView gl(GlContext context, GlInfo info, int width, int height) {
        throw new Unsuitable("GL cannot import host memory (GL_EXT_memory_object_fd imports only a Vulkan OPAQUE_FD of its own driver)");
    }

    private static long importAlignment(DeviceContext device, MemoryStack stack) {
        VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = VkPhysicalDeviceExternalMemoryHostPropertiesEXT.calloc(stack).sType$Default();
        VkPhysicalDeviceProperties2 properties = VkPhysicalDeviceProperties2.calloc(stack).sType$Default().pNext(host.address());
        vkGetPhysicalDeviceProperties2(device.vkDevice().getPhysicalDevice(), properties);
        return Math.max(1, host.minImportedHostPointerAlignment());
    }

    /** A linear image of the surface's format and usage must be importable from host memory on this driver. */
    private static void checkImportable(DeviceContext device, ImageSpec spec, int width, int height, MemoryStack stack) {
        VkExternalImageFormatProperties external = VkExternalImageFormatProperties.calloc(stack).sType$Default();
        VkImageFormatProperties2 properties = VkImageFormatProperties2.calloc(stack).sType$Default().pNext(external.address());
        VkPhysicalDeviceImageFormatInfo2 query = VkPhysicalDeviceImageFormatInfo2.calloc(stack).sType$Default()
                .pNext(VkPhysicalDeviceExternalImageFormatInfo.calloc(stack).sType$Default()
                        .handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).address())
                .format(spec.format().vkFormat()).type(VK_IMAGE_TYPE_2D).tiling(VK_IMAGE_TILING_LINEAR).usage(spec.usage()).flags(spec.flags());
        int result = vkGetPhysicalDeviceImageFormatProperties2(device.vkDevice().getPhysicalDevice(), query, properties);
        if (result == VK_ERROR_FORMAT_NOT_SUPPORTED) {
            throw new Unsuitable(device.name() + " cannot make a linear " + spec.format() + " image with usage " + ImageSpec.usageNames(spec.usage()) + " in host memory");
        }
        VkResults.check(result, "vkGetPhysicalDeviceImageFormatProperties2(linear, host memory) on " + device.name());
        if ((external.externalMemoryProperties().externalMemoryFeatures() & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) == 0) {
            throw new Unsuitable(device.name() + " cannot import host memory for a linear " + spec.format() + " image");
        }
        VkExtent3D max = properties.imageFormatProperties().maxExtent();
        if (width > max.width() || height > max.height()) {
            throw new Unsuitable(device.name() + " makes linear images of at most " + max.width() + "x" + max.height());
        }
    }
}
