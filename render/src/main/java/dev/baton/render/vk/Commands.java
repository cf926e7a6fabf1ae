package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.VkResults;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/** Small recording helpers (synchronization2 barriers, copies) shared by surfaces and the test pattern. */
final class Commands {
    private Commands() {}

    static void begin(VkCommandBuffer cmd, int flags) {
        try (MemoryStack stack = stackPush()) {
            VkResults.check(vkBeginCommandBuffer(cmd, VkCommandBufferBeginInfo.calloc(stack).sType$Default().flags(flags)),
                    "vkBeginCommandBuffer");
        }
    }

    static void end(VkCommandBuffer cmd) {
        VkResults.check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
    }

    /** One image barrier on the whole colour image (queue families: VK_QUEUE_FAMILY_IGNORED for none). */
    static void imageBarrier(VkCommandBuffer cmd, long image, long srcStage, long srcAccess, long dstStage, long dstAccess,
                             int oldLayout, int newLayout, int srcFamily, int dstFamily) {
        try (MemoryStack stack = stackPush()) {
            VkImageMemoryBarrier2.Buffer b = VkImageMemoryBarrier2.calloc(1, stack);
            b.get(0).sType$Default().srcStageMask(srcStage).srcAccessMask(srcAccess).dstStageMask(dstStage).dstAccessMask(dstAccess)
                    .oldLayout(oldLayout).newLayout(newLayout).srcQueueFamilyIndex(srcFamily).dstQueueFamilyIndex(dstFamily).image(image)
                    .subresourceRange(r -> r.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1));
            vkCmdPipelineBarrier2(cmd, VkDependencyInfo.calloc(stack).sType$Default().pImageMemoryBarriers(b));
        }
    }

    static void bufferBarrier(VkCommandBuffer cmd, long buffer, long srcStage, long srcAccess, long dstStage, long dstAccess) {
        try (MemoryStack stack = stackPush()) {
            VkBufferMemoryBarrier2.Buffer b = VkBufferMemoryBarrier2.calloc(1, stack);
            b.get(0).sType$Default().srcStageMask(srcStage).srcAccessMask(srcAccess).dstStageMask(dstStage).dstAccessMask(dstAccess)
                    .srcQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED).dstQueueFamilyIndex(VK_QUEUE_FAMILY_IGNORED).buffer(buffer).size(VK_WHOLE_SIZE);
            vkCmdPipelineBarrier2(cmd, VkDependencyInfo.calloc(stack).sType$Default().pBufferMemoryBarriers(b));
        }
    }

    /** Copies the region (x, y, w, h) between a tightly packed buffer (at offset 0) and an image in GENERAL. */
    static void copyBufferToImage(VkCommandBuffer cmd, long buffer, long image, int x, int y, int w, int h) {
        try (MemoryStack stack = stackPush()) {
            vkCmdCopyBufferToImage(cmd, buffer, image, VK_IMAGE_LAYOUT_GENERAL, region(stack, x, y, w, h));
        }
    }

    static void copyImageToBuffer(VkCommandBuffer cmd, long image, long buffer, int w, int h) {
        try (MemoryStack stack = stackPush()) {
            vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_GENERAL, buffer, region(stack, 0, 0, w, h));
        }
    }

    private static VkBufferImageCopy.Buffer region(MemoryStack stack, int x, int y, int w, int h) {
        VkBufferImageCopy.Buffer region = VkBufferImageCopy.calloc(1, stack);
        region.get(0).imageSubresource(s -> s.aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).layerCount(1));
        region.get(0).imageOffset().set(x, y, 0);
        region.get(0).imageExtent().set(w, h, 1);
        return region;
    }
}
