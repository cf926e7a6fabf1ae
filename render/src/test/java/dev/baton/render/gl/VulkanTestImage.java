package dev.baton.render.gl;

import static org.lwjgl.vulkan.VK11.*;

import dev.baton.render.ExportedImageMemory;
import dev.baton.render.SurfaceFormat;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.HostBuffer;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * Test-only: Baton's own exportable {@link SurfaceImage} on the Vulkan device whose UUIDs are GL's,
 * with just enough commands to write a pattern into it and read it back around the ownership
 * transfer to and from {@code VK_QUEUE_FAMILY_EXTERNAL}. Each step waits for its submit (test setup).
 * Runs under the validation layer when installed ({@link #validationMessages()}).
 */
final class VulkanTestImage implements AutoCloseable, ExportedImageMemory {
    private final VulkanInstance instance;
    private DeviceContext device;
    private SurfaceImage image;
    private VulkanTimeline timeline;
    private long value;
    private int externalLayout = VK_IMAGE_LAYOUT_UNDEFINED;

    VulkanTestImage(int width, int height, SurfaceFormat format, byte[] wantDriverUuid, byte[] wantDeviceUuid) {
        instance = VulkanInstance.create(VulkanInstance.validationLayerAvailable());
        try {
            PhysicalDeviceInfo twin = null;
            for (PhysicalDeviceInfo d : instance.physicalDevices()) {
                if (d.driverUuidHex().equals(GlInfo.hex(wantDriverUuid)) && d.deviceUuidHex().equals(GlInfo.hex(wantDeviceUuid))) {
                    twin = d;
                }
            }
            if (twin == null) {
                throw new IllegalStateException("no Vulkan device has GL's driver/device UUIDs");
            }
            device = DeviceContext.builder(instance).physicalDeviceIndex(twin.index()).name("exporter").requireMemorySharing().build();
            image = SurfaceImage.createExportable(device, format, width, height);
            timeline = VulkanTimeline.create(device, "exporter", 0, false);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    String deviceName() {
        return device.name() + " (" + device.info().name() + ")";
    }

    boolean validationEnabled() {
        return instance.validationEnabled();
    }

    List<String> validationMessages() {
        return instance.validationMessages();
    }

    /** Records with {@code recorder}, submits, waits (at most 10 s). */
    private void submitAndWait(Consumer<VkCommandBuffer> recorder) {
        VkCommandBuffer cmd = device.allocateCommandBuffer();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            vkBeginCommandBuffer(cmd, VkCommandBufferBeginInfo.calloc(stack).sType$Default().flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT));
            recorder.accept(cmd);
            vkEndCommandBuffer(cmd);
            device.submit(cmd, timeline, ++value);
            if (!timeline.awaitValue(value, 10_000_000_000L)) {
                throw new IllegalStateException("test submit did not complete in 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            device.freeCommandBuffer(cmd);
        }
    }

    private void barrier(VkCommandBuffer cmd, int oldLayout, int newLayout, int srcAccess, int dstAccess,
                         int srcFamily, int dstFamily, int srcStage, int dstStage) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkImageMemoryBarrier.Buffer barrier = VkImageMemoryBarrier.calloc(1, stack);
            barrier.get(0).sType$Default().srcAccessMask(srcAccess).dstAccessMask(dstAccess).oldLayout(oldLayout).newLayout(newLayout)
                    .srcQueueFamilyIndex(srcFamily).dstQueueFamilyIndex(dstFamily).image(image.handle())
                    .subresourceRange(r -> r.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1));
            vkCmdPipelineBarrier(cmd, srcStage, dstStage, 0, null, null, barrier);
        }
    }

    /**
     * Clears the whole image to {@code background} (RGBA bytes), uploads {@code rect} (tightly packed
     * 4-byte texels, {@code rectWidth x rectHeight}) at ({@code x}, {@code y}), then releases the
     * image to {@code VK_QUEUE_FAMILY_EXTERNAL} in GENERAL for GL. The odd-offset rectangle is copied
     * from a buffer so that every texel can differ.
     */
    void writePatternAndReleaseToExternal(byte[] background, int x, int y, int rectWidth, int rectHeight, ByteBuffer rect) {
        boolean hasRect = rect != null && rectWidth > 0 && rectHeight > 0;
        try (HostBuffer staging = HostBuffer.create(device, Math.max(4, rectWidth * rectHeight * 4))) {
            if (hasRect) {
                MemoryUtil.memCopy(MemoryUtil.memAddress(rect), MemoryUtil.memAddress(staging.mapped()), (long) rectWidth * rectHeight * 4);
            }
            int family = device.queueFamilyIndex();
            int from = externalLayout;
            submitAndWait(cmd -> {
                try (MemoryStack stack = MemoryStack.stackPush()) {
                    barrier(cmd, from, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0, VK_ACCESS_TRANSFER_WRITE_BIT,
                            from == VK_IMAGE_LAYOUT_UNDEFINED ? VK_QUEUE_FAMILY_IGNORED : VK_QUEUE_FAMILY_EXTERNAL,
                            from == VK_IMAGE_LAYOUT_UNDEFINED ? VK_QUEUE_FAMILY_IGNORED : family,
                            VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
                    VkClearColorValue color = VkClearColorValue.calloc(stack);
                    for (int c = 0; c < 4; c++) {
                        color.float32(c, (background[c] & 0xFF) / 255f);
                    }
                    VkImageSubresourceRange.Buffer range = VkImageSubresourceRange.calloc(1, stack);
                    range.get(0).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1);
                    vkCmdClearColorImage(cmd, image.handle(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, color, range);
                    barrier(cmd, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_ACCESS_TRANSFER_WRITE_BIT,
                            VK_ACCESS_TRANSFER_WRITE_BIT, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED,
                            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
                    if (hasRect) {
                        VkBufferImageCopy.Buffer region = VkBufferImageCopy.calloc(1, stack);
                        region.get(0).imageSubresource(s -> s.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).layerCount(1))
                                .imageOffset(o -> o.set(x, y, 0)).imageExtent(e -> e.set(rectWidth, rectHeight, 1));
                        vkCmdCopyBufferToImage(cmd, staging.handle(), image.handle(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, region);
                    }
                    // Release to GL: GL has no layouts of its own, it reads memory as GENERAL would.
                    barrier(cmd, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_GENERAL, VK_ACCESS_TRANSFER_WRITE_BIT, 0,
                            family, VK_QUEUE_FAMILY_EXTERNAL, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT);
                }
            });
            externalLayout = VK_IMAGE_LAYOUT_GENERAL;
        }
    }

    /** Clears the whole image to {@code background} and releases it to GL (see above). */
    void clearAndReleaseToExternal(byte[] background) {
        writePatternAndReleaseToExternal(background, 0, 0, 0, 0, null);
    }

    /**
     * Acquires the image back from {@code VK_QUEUE_FAMILY_EXTERNAL} (after GL finished writing: the
     * caller did glFinish), copies it to a host buffer and returns the tightly packed 4-byte texels.
     * Leaves the image released to external again, in GENERAL.
     */
    byte[] acquireFromExternalAndRead() {
        int size = width() * height() * 4;
        try (HostBuffer staging = HostBuffer.create(device, size)) {
            int family = device.queueFamilyIndex();
            int from = externalLayout;
            submitAndWait(cmd -> {
                try (MemoryStack stack = MemoryStack.stackPush()) {
                    barrier(cmd, from, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, 0, VK_ACCESS_TRANSFER_READ_BIT,
                            from == VK_IMAGE_LAYOUT_UNDEFINED ? VK_QUEUE_FAMILY_IGNORED : VK_QUEUE_FAMILY_EXTERNAL,
                            from == VK_IMAGE_LAYOUT_UNDEFINED ? VK_QUEUE_FAMILY_IGNORED : family,
                            VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
                    VkBufferImageCopy.Buffer region = VkBufferImageCopy.calloc(1, stack);
                    region.get(0).imageSubresource(s -> s.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).layerCount(1))
                            .imageExtent(e -> e.set(width(), height(), 1));
                    vkCmdCopyImageToBuffer(cmd, image.handle(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, staging.handle(), region);
                    barrier(cmd, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_IMAGE_LAYOUT_GENERAL, 0, 0, family, VK_QUEUE_FAMILY_EXTERNAL,
                            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT);
                    VkBufferMemoryBarrier.Buffer hostRead = VkBufferMemoryBarrier.calloc(1, stack);
                    hostRead.get(0).sType$Default().srcAccessMask(VK_ACCESS_TRANSFER_WRITE_BIT).dstAccessMask(VK_ACCESS_HOST_READ_BIT)
                            .srcQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED).dstQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED)
                            .buffer(staging.handle()).size(VK_WHOLE_SIZE);
                    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, null, hostRead, null);
                }
            });
            externalLayout = VK_IMAGE_LAYOUT_GENERAL;
            byte[] pixels = new byte[size];
            staging.mapped().duplicate().get(pixels);
            return pixels;
        }
    }

    @Override public int width() { return image.width(); }
    @Override public int height() { return image.height(); }
    @Override public int vkFormat() { return image.vkFormat(); }
    @Override public boolean linearTiling() { return image.linearTiling(); }
    @Override public int vkUsage() { return image.vkUsage(); }
    @Override public int vkCreateFlags() { return image.vkCreateFlags(); }
    @Override public int memoryTypeIndex() { return image.memoryTypeIndex(); }
    @Override public long allocationSizeBytes() { return image.allocationSizeBytes(); }
    @Override public byte[] driverUuid() { return image.driverUuid(); }
    @Override public byte[] deviceUuid() { return image.deviceUuid(); }
    @Override public int dupFd() { return image.dupFd(); }

    /** Closes the image, the device and the instance (after GL's imports were closed). Idempotent. */
    @Override
    public void close() {
        if (timeline != null) {
            timeline.close();
            timeline = null;
        }
        if (image != null) {
            image.close();
            image = null;
        }
        if (device != null) {
            device.close();
            device = null;
        }
        instance.close();
    }
}
