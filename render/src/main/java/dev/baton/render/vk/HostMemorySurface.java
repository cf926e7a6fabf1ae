package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.EXTExternalMemoryHost.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.SurfaceFormat;
import dev.baton.render.VkResults;
import java.nio.LongBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.linux.MMAN;
import org.lwjgl.vulkan.*;

/**
 * A surface that another process allocated (the broker's sealed memfd), imported into this process's
 * device as host memory ({@code VK_EXT_external_memory_host}): the memfd is mapped here and the
 * mapping is imported, so the frame lands in the broker's pages, which the broker reads through its
 * own mapping. Two ways, chosen by what the driver reports:
 * <ul>
 *   <li>{@linkplain #direct() direct}: the mapping is the memory of a linear RGBA8 colour attachment
 *       with tightly packed rows; the scene draws straight into the broker's pages (nothing copied);</li>
 *   <li>otherwise (lavapipe and SwiftShader here cannot render to a linear image): the scene draws into
 *       a private optimal image and the same submit copies it ({@code vkCmdCopyImageToBuffer}) into a
 *       buffer whose memory is the imported mapping: one device-side copy of {@code width*height*4}
 *       bytes per frame, no host copy in this process.</li>
 * </ul>
 *
 * <p>The memfd is sealed SHRINK | GROW by the broker, so nobody can truncate it under the mapping.
 * Each frame's work is bracketed by {@link #recordStartOfFrame} and {@link #recordEndOfFrame}; the
 * latter makes the writes available to host reads (the reader is a CPU in another process), and the
 * submit's timeline signal is what the producer reports as "fence value reached". One owner thread
 * (the device's); close after the GPU is done.
 */
public final class HostMemorySurface implements MemfdSurface {
    private final DeviceContext device;
    private final int width;
    private final int height;
    private final SurfaceImage image;   // direct: in host memory; copy: private, optimal
    private final long view;
    private final long buffer;          // copy: VkBuffer in host memory; direct: VK_NULL_HANDLE
    private final long bufferMemory;    // copy: its imported memory
    private final long mapping;
    private final long mappingBytes;
    private boolean initialised;
    private boolean closed;

    private HostMemorySurface(DeviceContext device, int width, int height, SurfaceImage image, long view, long buffer, long bufferMemory,
                              long mapping, long mappingBytes) {
        this.device = device;
        this.width = width;
        this.height = height;
        this.image = image;
        this.view = view;
        this.buffer = buffer;
        this.bufferMemory = bufferMemory;
        this.mapping = mapping;
        this.mappingBytes = mappingBytes;
    }

    /**
     * Maps {@code fd} ({@code allocationBytes}, read-write, shared) and imports the mapping on
     * {@code device} for a {@code width x height} RGBA8 surface with tightly packed rows. The fd is not
     * kept (the mapping holds the pages); the caller still owns and closes it.
     *
     * @param device the producer's device
     * @param fd the broker's memfd
     * @param allocationBytes its size, as SURFACE_CREATED said (checked against the frame's size)
     * @param width frame width in pixels
     * @param height frame height in pixels
     * @return the imported surface, owned by the caller
     * @throws IllegalStateException with a one-line reason if this device cannot import it
     */
    public static HostMemorySurface importMemfd(DeviceContext device, int fd, long allocationBytes, int width, int height) {
        checkImportable(device, allocationBytes, width, height,
                ": it cannot draw into the broker's memory; pick another --device (lavapipe or SwiftShader have it)");
        long mapping = 0;
        try (MemoryStack stack = stackPush()) {
            mapping = map(device, fd, allocationBytes, importAlignment(device, stack));
            int pointerTypes = hostPointerTypes(device, mapping, stack);
            HostMemorySurface s = linearRenderable(device, width, height, stack)
                    ? direct(device, width, height, mapping, allocationBytes, pointerTypes, stack)
                    : copying(device, width, height, mapping, allocationBytes, pointerTypes, stack);
            mapping = 0; // owned by s
            return s;
        } finally {
            if (mapping != 0) {
                MMAN.nmunmap(0L, mapping, allocationBytes);
            }
        }
    }

    /** The preconditions of every import: the extension, and memory for a whole RGBA8 frame. */
    private static void checkImportable(DeviceContext device, long allocationBytes, int width, int height, String lackHint) {
        if (!device.hasExtension(DeviceContext.EXTERNAL_MEMORY_HOST)) {
            throw new IllegalStateException(device.name() + " lacks " + DeviceContext.EXTERNAL_MEMORY_HOST + lackHint);
        }
        BrokerPages.checkFrame(allocationBytes, width, height);
    }

    /**
     * Maps the broker's memfd for import: its size a multiple of the import alignment, the mapping
     * aligned to it. Returns the mapping, owned by the caller; unmaps it itself if a check fails.
     */
    private static long map(DeviceContext device, int fd, long allocationBytes, long alignment) {
        if (allocationBytes % alignment != 0) {
            throw new IllegalStateException(device.name() + " imports host memory in multiples of " + alignment
                    + " bytes; the broker allocated " + allocationBytes);
        }
        long mapping = BrokerPages.map(fd, allocationBytes);
        if (mapping % alignment != 0) {
            MMAN.nmunmap(0L, mapping, allocationBytes);
            throw new IllegalStateException(device.name() + " needs host pointers aligned to " + alignment + " bytes");
        }
        return mapping;
    }

    /** The memory types that can import {@code mapping} as host memory. */
    private static int hostPointerTypes(DeviceContext device, long mapping, MemoryStack stack) {
        VkMemoryHostPointerPropertiesEXT pointer = VkMemoryHostPointerPropertiesEXT.calloc(stack).sType$Default();
        VkResults.check(vkGetMemoryHostPointerPropertiesEXT(device.vkDevice(), VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
                mapping, pointer), "vkGetMemoryHostPointerPropertiesEXT on " + device.name());
        return pointer.memoryTypeBits();
    }

    /**
     * As {@link #importMemfd}, but for transfer work only: the mapping becomes the memory of a linear
     * RGBA8 image with usage {@code TRANSFER_SRC | TRANSFER_DST} (no colour attachment, so drivers that
     * cannot render to a linear image take it too), with tightly packed rows, so every process that
     * imports the same memfd this way reads and writes the same pages and nothing is copied. For work
     * that clears and copies (the benchmark's timed work); {@link #recordStartOfFrame} and
     * {@link #recordEndOfFrame} are not for it (the caller records its own barriers), and it has no
     * {@link #imageView()} (a view needs a sampled, storage or attachment usage).
     *
     * @param device the device
     * @param fd the broker's memfd (not kept)
     * @param allocationBytes its size, as SURFACE_CREATED said
     * @param width frame width in pixels
     * @param height frame height in pixels
     * @return the imported surface, {@link #direct()}, owned by the caller
     * @throws IllegalStateException with a one-line reason if this device cannot import it so
     */
    public static HostMemorySurface importMemfdForTransfers(DeviceContext device, int fd, long allocationBytes, int width, int height) {
        checkImportable(device, allocationBytes, width, height, "");
        int usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
        long mapping = 0;
        try (MemoryStack stack = stackPush()) {
            long alignment = importAlignment(device, stack);
            if (allocationBytes % alignment == 0 && !linearImportable(device, width, height, usage, stack)) {
                throw new IllegalStateException(device.name() + " cannot make a linear RGBA8 transfer image in imported host memory");
            }
            mapping = map(device, fd, allocationBytes, alignment);
            HostMemorySurface s = linear(device, width, height, mapping, allocationBytes, hostPointerTypes(device, mapping, stack), usage, stack);
            if (s == null) {
                throw new IllegalStateException(device.name() + " does not lay a linear " + width + "x" + height
                        + " image out with tightly packed rows at offset 0, so two importers could disagree on its pixels");
            }
            mapping = 0; // owned by s
            return s;
        } finally {
            if (mapping != 0) {
                MMAN.nmunmap(0L, mapping, allocationBytes);
            }
        }
    }

    /** Whether a linear RGBA8 image with {@code usage} can live in imported host memory at this size. */
    private static boolean linearImportable(DeviceContext device, int width, int height, int usage, MemoryStack stack) {
        VkPhysicalDevice physical = device.vkDevice().getPhysicalDevice();
        VkFormatProperties format = VkFormatProperties.malloc(stack);
        vkGetPhysicalDeviceFormatProperties(physical, SurfaceImage.FORMAT, format);
        int needed = VK_FORMAT_FEATURE_TRANSFER_SRC_BIT | VK_FORMAT_FEATURE_TRANSFER_DST_BIT;
        if ((format.linearTilingFeatures() & needed) != needed) {
            return false;
        }
        VkExternalImageFormatProperties external = VkExternalImageFormatProperties.calloc(stack).sType$Default();
        VkImageFormatProperties2 properties = VkImageFormatProperties2.calloc(stack).sType$Default().pNext(external.address());
        VkPhysicalDeviceImageFormatInfo2 query = VkPhysicalDeviceImageFormatInfo2.calloc(stack).sType$Default()
                .pNext(VkPhysicalDeviceExternalImageFormatInfo.calloc(stack).sType$Default()
                        .handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).address())
                .format(SurfaceImage.FORMAT).type(VK_IMAGE_TYPE_2D).tiling(VK_IMAGE_TILING_LINEAR).usage(usage);
        if (vkGetPhysicalDeviceImageFormatProperties2(physical, query, properties) != VK_SUCCESS) {
            return false;
        }
        VkExtent3D max = properties.imageFormatProperties().maxExtent();
        return (external.externalMemoryProperties().externalMemoryFeatures() & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0
                && width <= max.width() && height <= max.height();
    }

    /** A linear image with {@code usage} bound to the mapping; null if its rows are not tightly packed from offset 0. */
    private static HostMemorySurface linear(DeviceContext device, int width, int height, long mapping, long bytes, int pointerTypes, int usage,
                                            MemoryStack stack) {
        VkDevice vk = device.vkDevice();
        long image = VK_NULL_HANDLE;
        long memory = VK_NULL_HANDLE;
        SurfaceImage adopted = null;
        try {
            VkImageCreateInfo info = VkImageCreateInfo.calloc(stack).sType$Default()
                    .pNext(VkExternalMemoryImageCreateInfo.calloc(stack).sType$Default()
                            .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).address())
                    .imageType(VK_IMAGE_TYPE_2D).format(SurfaceImage.FORMAT).mipLevels(1).arrayLayers(1).samples(VK_SAMPLE_COUNT_1_BIT)
                    .tiling(VK_IMAGE_TILING_LINEAR).usage(usage).sharingMode(VK_SHARING_MODE_EXCLUSIVE)
                    .initialLayout(VK_IMAGE_LAYOUT_UNDEFINED);
            info.extent().set(width, height, 1);
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateImage(vk, info, null, p), "vkCreateImage(linear " + width + "x" + height + ", host memory) on " + device.name());
            image = p.get(0);
            VkSubresourceLayout layout = VkSubresourceLayout.malloc(stack);
            vkGetImageSubresourceLayout(vk, image, VkImageSubresource.calloc(stack).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT), layout);
            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetImageMemoryRequirements(vk, image, req);
            if (layout.offset() != 0 || layout.rowPitch() != (long) width * 4 || req.size() > bytes) {
                vkDestroyImage(vk, image, null);
                return null;
            }
            int typeBits = pointerTypes & req.memoryTypeBits();
            memory = importMemory(device, mapping, bytes, typeBits, stack);
            VkResults.check(vkBindImageMemory(vk, image, memory, 0), "vkBindImageMemory(host memory) on " + device.name());
            adopted = SurfaceImage.adopt(device, width, height, new ImageSpec(SurfaceFormat.RGBA8, usage, 0, true), image, memory, bytes,
                    Integer.numberOfTrailingZeros(typeBits));
            // No view: an image view needs a sampled, storage or attachment usage.
            return new HostMemorySurface(device, width, height, adopted, VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE, mapping, bytes);
        } catch (RuntimeException | Error e) {
            undo(vk, adopted, memory, image);
            throw e;
        }
    }

    /** A failed import: frees what it made (the adopted image owns its memory once adopted). */
    private static void undo(VkDevice vk, SurfaceImage adopted, long memory, long image) {
        if (adopted != null) {
            adopted.close();
            return;
        }
        if (memory != VK_NULL_HANDLE) {
            vkFreeMemory(vk, memory, null);
        }
        if (image != VK_NULL_HANDLE) {
            vkDestroyImage(vk, image, null);
        }
    }

    private static long importMemory(DeviceContext device, long mapping, long bytes, int typeBits, MemoryStack stack) {
        if (typeBits == 0) {
            throw new IllegalStateException(device.name() + " has no memory type that can both import host memory and back the surface");
        }
        VkMemoryAllocateInfo alloc = VkMemoryAllocateInfo.calloc(stack).sType$Default()
                .pNext(VkImportMemoryHostPointerInfoEXT.calloc(stack).sType$Default()
                        .handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).pHostPointer(mapping).address())
                .allocationSize(bytes).memoryTypeIndex(Integer.numberOfTrailingZeros(typeBits));
        LongBuffer p = stack.mallocLong(1);
        VkResults.check(vkAllocateMemory(device.vkDevice(), alloc, null, p), "vkAllocateMemory(import host pointer) on " + device.name());
        return p.get(0);
    }

    private static HostMemorySurface direct(DeviceContext device, int width, int height, long mapping, long bytes, int pointerTypes,
                                            MemoryStack stack) {
        VkDevice vk = device.vkDevice();
        long image = VK_NULL_HANDLE;
        long memory = VK_NULL_HANDLE;
        SurfaceImage adopted = null;
        try {
            VkImageCreateInfo info = VkImageCreateInfo.calloc(stack).sType$Default()
                    .pNext(VkExternalMemoryImageCreateInfo.calloc(stack).sType$Default()
                            .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).address())
                    .imageType(VK_IMAGE_TYPE_2D).format(SurfaceImage.FORMAT).mipLevels(1).arrayLayers(1).samples(VK_SAMPLE_COUNT_1_BIT)
                    .tiling(VK_IMAGE_TILING_LINEAR).usage(SurfaceImage.USAGE).sharingMode(VK_SHARING_MODE_EXCLUSIVE)
                    .initialLayout(VK_IMAGE_LAYOUT_UNDEFINED);
            info.extent().set(width, height, 1);
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateImage(vk, info, null, p), "vkCreateImage(linear " + width + "x" + height + ", host memory) on " + device.name());
            image = p.get(0);
            VkSubresourceLayout layout = VkSubresourceLayout.malloc(stack);
            vkGetImageSubresourceLayout(vk, image, VkImageSubresource.calloc(stack).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT), layout);
            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetImageMemoryRequirements(vk, image, req);
            if (layout.offset() != 0 || layout.rowPitch() != (long) width * 4 || req.size() > bytes) {
                vkDestroyImage(vk, image, null);
                return copying(device, width, height, mapping, bytes, pointerTypes, stack); // not tightly packed: copy instead
            }
            int typeBits = pointerTypes & req.memoryTypeBits();
            memory = importMemory(device, mapping, bytes, typeBits, stack);
            VkResults.check(vkBindImageMemory(vk, image, memory, 0), "vkBindImageMemory(host memory) on " + device.name());
            adopted = SurfaceImage.adopt(device, width, height, ImageSpec.DEFAULT.linearTiling(), image, memory, bytes,
                    Integer.numberOfTrailingZeros(typeBits)); // the type importMemory chose
            long view = SurfaceImage.createColorView(device, image, SurfaceImage.FORMAT);
            return new HostMemorySurface(device, width, height, adopted, view, VK_NULL_HANDLE, VK_NULL_HANDLE,
                    mapping, bytes);
        } catch (RuntimeException | Error e) {
            undo(vk, adopted, memory, image);
            throw e;
        }
    }

    private static HostMemorySurface copying(DeviceContext device, int width, int height, long mapping, long bytes, int pointerTypes,
                                             MemoryStack stack) {
        VkDevice vk = device.vkDevice();
        if (!bufferImportable(device, stack)) {
            throw new IllegalStateException(device.name() + " can neither render into nor copy into imported host memory");
        }
        long buffer = VK_NULL_HANDLE;
        long memory = VK_NULL_HANDLE;
        SurfaceImage image = null;
        long view = VK_NULL_HANDLE;
        try {
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateBuffer(vk, VkBufferCreateInfo.calloc(stack).sType$Default()
                    .pNext(VkExternalMemoryBufferCreateInfo.calloc(stack).sType$Default()
                            .handleTypes(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).address())
                    .size((long) width * height * 4).usage(VK_BUFFER_USAGE_TRANSFER_DST_BIT).sharingMode(VK_SHARING_MODE_EXCLUSIVE), null, p),
                    "vkCreateBuffer(host memory) on " + device.name());
            buffer = p.get(0);
            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetBufferMemoryRequirements(vk, buffer, req);
            if (req.size() > bytes) {
                throw new IllegalStateException(device.name() + " needs " + req.size() + " bytes for the frame buffer; the broker allocated " + bytes);
            }
            memory = importMemory(device, mapping, bytes, pointerTypes & req.memoryTypeBits(), stack);
            VkResults.check(vkBindBufferMemory(vk, buffer, memory, 0), "vkBindBufferMemory(host memory) on " + device.name());
            image = SurfaceImage.createPrivate(device, width, height);
            view = SurfaceImage.createColorView(device, image.handle(), SurfaceImage.FORMAT);
            return new HostMemorySurface(device, width, height, image, view, buffer, memory, mapping, bytes);
        } catch (RuntimeException | Error e) {
            if (view != VK_NULL_HANDLE) {
                vkDestroyImageView(vk, view, null);
            }
            if (image != null) {
                image.close();
            }
            if (buffer != VK_NULL_HANDLE) {
                vkDestroyBuffer(vk, buffer, null);
            }
            if (memory != VK_NULL_HANDLE) {
                vkFreeMemory(vk, memory, null);
            }
            throw e;
        }
    }

    /** Whether the driver can import host memory for a transfer-destination buffer. */
    static boolean bufferImportable(DeviceContext device, MemoryStack stack) {
        VkExternalBufferProperties external = VkExternalBufferProperties.calloc(stack).sType$Default();
        vkGetPhysicalDeviceExternalBufferProperties(device.vkDevice().getPhysicalDevice(), VkPhysicalDeviceExternalBufferInfo.calloc(stack)
                .sType$Default().usage(VK_BUFFER_USAGE_TRANSFER_DST_BIT).handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT), external);
        return (external.externalMemoryProperties().externalMemoryFeatures() & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0;
    }

    /** Whether the driver can make a linear RGBA8 colour attachment in imported host memory. */
    static boolean linearRenderable(DeviceContext device, int width, int height, MemoryStack stack) {
        VkPhysicalDevice physical = device.vkDevice().getPhysicalDevice();
        VkFormatProperties format = VkFormatProperties.malloc(stack);
        vkGetPhysicalDeviceFormatProperties(physical, SurfaceImage.FORMAT, format);
        if ((format.linearTilingFeatures() & VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT) == 0) {
            return false;
        }
        VkExternalImageFormatProperties external = VkExternalImageFormatProperties.calloc(stack).sType$Default();
        VkImageFormatProperties2 properties = VkImageFormatProperties2.calloc(stack).sType$Default().pNext(external.address());
        VkPhysicalDeviceImageFormatInfo2 query = VkPhysicalDeviceImageFormatInfo2.calloc(stack).sType$Default()
                .pNext(VkPhysicalDeviceExternalImageFormatInfo.calloc(stack).sType$Default()
                        .handleType(VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).address())
                .format(SurfaceImage.FORMAT).type(VK_IMAGE_TYPE_2D).tiling(VK_IMAGE_TILING_LINEAR).usage(SurfaceImage.USAGE);
        if (vkGetPhysicalDeviceImageFormatProperties2(physical, query, properties) != VK_SUCCESS) {
            return false;
        }
        VkExtent3D max = properties.imageFormatProperties().maxExtent();
        return (external.externalMemoryProperties().externalMemoryFeatures() & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0
                && width <= max.width() && height <= max.height();
    }

    private static long importAlignment(DeviceContext device, MemoryStack stack) {
        VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = VkPhysicalDeviceExternalMemoryHostPropertiesEXT.calloc(stack).sType$Default();
        VkPhysicalDeviceProperties2 properties = VkPhysicalDeviceProperties2.calloc(stack).sType$Default().pNext(host.address());
        vkGetPhysicalDeviceProperties2(device.vkDevice().getPhysicalDevice(), properties);
        return Math.max(1, host.minImportedHostPointerAlignment());
    }

    /** {@return whether the scene draws straight into the broker's pages (else the GPU copies each frame there)} */
    public boolean direct() {
        return buffer == VK_NULL_HANDLE;
    }

    /** {@return bytes the GPU copies into the broker's pages per frame (0 when direct)} */
    public long copiedBytesPerFrame() {
        return direct() ? 0 : (long) width * height * 4;
    }

    @Override
    public long gpuCopiedBytesPerFrame() {
        return copiedBytesPerFrame();
    }

    /** {@return 0: the GPU writes the broker's pages itself} */
    @Override
    public long hostCopiedBytesPerFrame() {
        return 0;
    }

    /**
     * Nothing to do: the submit already wrote the broker's pages.
     *
     * @return 0
     */
    @Override
    public long finishOnHost() {
        return 0;
    }

    @Override
    public boolean importsBrokerMemory() {
        return true;
    }

    /** {@return the image the scene draws into} */
    public SurfaceImage image() {
        return image;
    }

    /** {@return a 2D colour view of {@link #image()} (for a render pass's framebuffer); VK_NULL_HANDLE from {@link #importMemfdForTransfers}} */
    @Override
    public long imageView() {
        return view;
    }

    /**
     * Records, before the frame's drawing, the move of the image out of UNDEFINED (first frame only)
     * and the dependency on the previous frame: the previous reader of the broker's pages was a CPU,
     * whose reads finished before it released the surface (the keyed mutex orders them before this submit).
     *
     * @param cmd the frame's command buffer, recording
     */
    @Override
    public void recordStartOfFrame(VkCommandBuffer cmd) {
        int oldLayout = initialised ? VK_IMAGE_LAYOUT_GENERAL : VK_IMAGE_LAYOUT_UNDEFINED;
        initialised = true;
        if (direct()) {
            Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT,
                    VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT,
                    oldLayout, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        } else {
            Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT,
                    VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT,
                    oldLayout, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        }
    }

    /**
     * Records, after the frame's drawing (which left the image in GENERAL), what puts the frame in the
     * broker's pages (the copy, unless direct) and the barrier that makes those writes available to
     * host reads: once the submit's timeline value is reached, the broker may read the pages.
     *
     * @param cmd the frame's command buffer, recording
     */
    @Override
    public void recordEndOfFrame(VkCommandBuffer cmd) {
        if (direct()) {
            Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_WRITE_BIT,
                    VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL,
                    VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
            return;
        }
        Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, VK_ACCESS_2_MEMORY_WRITE_BIT,
                VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL,
                VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
        // The previous frame's host reads of the pages finished before the compositor released (keyed mutex).
        Commands.bufferBarrier(cmd, buffer, VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT,
                VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT);
        Commands.copyImageToBuffer(cmd, image.handle(), buffer, width, height);
        Commands.bufferBarrier(cmd, buffer, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
    }

    /** Destroys the view, image and buffer, frees the imports and unmaps. Idempotent; the GPU must be done. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        VkDevice vk = device.vkDevice();
        vkDestroyImageView(vk, view, null);
        image.close();
        if (buffer != VK_NULL_HANDLE) {
            vkDestroyBuffer(vk, buffer, null);
            vkFreeMemory(vk, bufferMemory, null);
        }
        MMAN.nmunmap(0L, mapping, mappingBytes); // after vkFreeMemory: the driver no longer uses the pages
    }
}
