package dev.baton.app.serve;

import dev.baton.render.ExportedImageMemory;
import dev.baton.render.ipc.BrokerSurface;
import dev.baton.render.ipc.Fds;
import dev.baton.render.vk.BinarySemaphoreReader;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.VulkanInstance;
import java.nio.ByteBuffer;

/**
 * How {@code serve --trust-clients} reads a surface in a trusted producer's own memory, handed over
 * with binary semaphores: a device of this process on the producer's physical device (one per surface,
 * owned by the surface's consumer thread: a queue is used by one thread) imports the image and both
 * semaphores ({@link BinarySemaphoreReader}); each frame its GPU waits for the producer's on
 * <em>ready</em>, copies the image into a host-visible buffer and signals <em>done</em>.
 *
 * <p>The fds are duplicated on the broker's loop thread, in the constructor (the broker closes its own
 * when the producer leaves); everything else happens on the consumer thread.
 */
final class ClientMemoryReader implements AutoCloseable {
    private final VulkanInstance vulkan;
    private final int physicalDevice;
    private final String name;
    private final BrokerSurface.Description description;
    private int memoryFd;
    private int readyFd;
    private int doneFd;
    private DeviceContext device;
    private BinarySemaphoreReader reader;

    /** Loop thread: keeps dups of the surface's memory fd and its two semaphore fds. */
    ClientMemoryReader(VulkanInstance vulkan, int physicalDevice, BrokerSurface surface) {
        this.vulkan = vulkan;
        this.physicalDevice = physicalDevice;
        this.name = "serve-surface-" + surface.id();
        this.description = surface.description();
        this.memoryFd = Fds.dup(surface.memoryFds().get(0));
        this.readyFd = Fds.dup(surface.syncFds().get(0));
        this.doneFd = Fds.dup(surface.syncFds().get(1));
    }

    /** Consumer thread: makes the device and imports the image and semaphores. */
    void open() {
        device = DeviceContext.builder(vulkan).physicalDeviceIndex(physicalDevice).name(name).build();
        int ready = readyFd, done = doneFd;
        readyFd = -1;
        doneFd = -1;
        reader = BinarySemaphoreReader.open(device, memory(), ready, done, name);
    }

    /** See {@link BinarySemaphoreReader#read}. */
    boolean read(long timeoutNanos) throws InterruptedException {
        return reader.read(timeoutNanos);
    }

    ByteBuffer pixels() {
        return reader.pixels();
    }

    private ExportedImageMemory memory() {
        BrokerSurface.Description d = description;
        ClientMemoryReader self = this;
        return new ExportedImageMemory() {
            @Override public int width() { return d.width; }
            @Override public int height() { return d.height; }
            @Override public int vkFormat() { return d.format; }
            @Override public boolean linearTiling() { return d.tiling == 1; }
            @Override public int vkUsage() { return d.usage; }
            @Override public int vkCreateFlags() { return d.createFlags; }
            @Override public int memoryTypeIndex() { return d.memoryTypeIndex; }
            @Override public long allocationSizeBytes() { return d.allocationBytes; }
            @Override public byte[] driverUuid() { return d.driverUuid.clone(); }
            @Override public byte[] deviceUuid() { return d.deviceUuid.clone(); }
            @Override public int dupFd() { return Fds.dup(self.memoryFd); }
        };
    }

    /** Consumer thread, after its last read: frees the imports (leaks them if a copy is still pending) and the device. */
    @Override
    public void close() {
        if (reader != null) {
            reader.close();
        }
        Fds.closeQuietly(memoryFd);
        Fds.closeQuietly(readyFd);
        Fds.closeQuietly(doneFd);
        memoryFd = readyFd = doneFd = -1;
        if (device != null && (reader == null || !reader.pending())) {
            device.close(); // never with a submit that waits for a "ready" nobody will signal: closing waits for the queue
        }
    }
}
