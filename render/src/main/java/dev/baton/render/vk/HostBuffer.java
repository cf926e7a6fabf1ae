package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;

import dev.baton.render.VkResults;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * A host-visible, coherent, persistently mapped transfer buffer (staging and read-back). One owner.
 *
 * <p>The CPU reads these bytes (read-back, then a memcpy to the next device's staging), so the memory
 * is HOST_CACHED where the driver offers it: on discrete GPUs the first HOST_VISIBLE|COHERENT type is
 * often write-combined or BAR memory, where CPU reads are 10-100x slower.
 */
public final class HostBuffer implements AutoCloseable {
    static final int HOST_REQUIRED = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    static final int HOST_PREFERRED = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;

    private final DeviceContext device;
    private final long buffer; // VkBuffer
    private final long memory; // VkDeviceMemory
    private final ByteBuffer mapped;
    private boolean closed;

    private HostBuffer(DeviceContext device, long buffer, long memory, ByteBuffer mapped) {
        this.device = device;
        this.buffer = buffer;
        this.memory = memory;
        this.mapped = mapped;
    }

    /**
     * A buffer of {@code sizeBytes} usable as transfer source and destination.
     *
     * @param device the device
     * @param sizeBytes the size in bytes
     * @return the buffer, mapped, owned by the caller
     */
    public static HostBuffer create(DeviceContext device, int sizeBytes) {
        VkDevice vk = device.vkDevice();
        long buffer = VK_NULL_HANDLE;
        long memory = VK_NULL_HANDLE;
        try (MemoryStack stack = stackPush()) {
            VkBufferCreateInfo info = VkBufferCreateInfo.calloc(stack).sType$Default().size(sizeBytes)
                    .usage(VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT).sharingMode(VK_SHARING_MODE_EXCLUSIVE);
            LongBuffer p = stack.mallocLong(1);
            VkResults.check(vkCreateBuffer(vk, info, null, p), "vkCreateBuffer on " + device.name());
            buffer = p.get(0);
            VkMemoryRequirements req = VkMemoryRequirements.malloc(stack);
            vkGetBufferMemoryRequirements(vk, buffer, req);
            VkMemoryAllocateInfo alloc = VkMemoryAllocateInfo.calloc(stack).sType$Default().allocationSize(req.size())
                    .memoryTypeIndex(device.memoryType(req.memoryTypeBits(), HOST_REQUIRED, HOST_PREFERRED));
            VkResults.check(vkAllocateMemory(vk, alloc, null, p), "vkAllocateMemory(host) on " + device.name());
            memory = p.get(0);
            VkResults.check(vkBindBufferMemory(vk, buffer, memory, 0), "vkBindBufferMemory on " + device.name());
            PointerBuffer ptr = stack.mallocPointer(1);
            VkResults.check(vkMapMemory(vk, memory, 0, VK_WHOLE_SIZE, 0, ptr), "vkMapMemory on " + device.name());
            return new HostBuffer(device, buffer, memory, MemoryUtil.memByteBuffer(ptr.get(0), sizeBytes));
        } catch (RuntimeException e) {
            if (buffer != VK_NULL_HANDLE) {
                vkDestroyBuffer(vk, buffer, null);
            }
            if (memory != VK_NULL_HANDLE) {
                vkFreeMemory(vk, memory, null);
            }
            throw e;
        }
    }

    /** {@return the {@code VkBuffer}} */
    public long handle() {
        return buffer;
    }

    /** {@return the mapped bytes (position 0, limit = size). Read only after the GPU work that wrote them completed} */
    public ByteBuffer mapped() {
        return mapped;
    }

    /** Destroys the buffer and frees (and thereby unmaps) its memory. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        vkDestroyBuffer(device.vkDevice(), buffer, null);
        vkFreeMemory(device.vkDevice(), memory, null);
    }
}
