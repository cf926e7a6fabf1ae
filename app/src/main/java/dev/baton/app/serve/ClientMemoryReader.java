package dev.baton.app.serve;

import dev.baton.render.ExportedImageMemory;
import dev.baton.render.ipc.BrokerSurface;
import dev.baton.render.ipc.Fds;
import dev.baton.render.vk.ClientImageReader;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.VulkanInstance;
import java.nio.ByteBuffer;

/**
 * How {@code serve --trust-clients} reads a surface in a trusted producer's own memory, handed over
 * with binary semaphores or one shared timeline: a device of this process on the producer's physical
 * device (one per surface, owned by the surface's consumer thread: a queue is used by one thread)
 * imports the image and the semaphores ({@link ClientImageReader}); each frame its GPU waits for the
 * producer's work, copies the image into a host-visible buffer and signals what the producer's next
 * frame waits for.
 *
 * <p>The fds are duplicated on the broker's loop thread, in the constructor (the broker closes its own
 * when the producer leaves); everything else happens on the consumer thread.
 */
final class ClientMemoryReader implements AutoCloseable {
    private final VulkanInstance vulkan;
    private final int physicalDevice;
    private final String name;
    private final BrokerSurface.Description description;
    private final boolean sharedTimeline;
    private int memoryFd;
    private int readyFd; // or the shared timeline's
    private int doneFd;  // -1 with the shared timeline
    private DeviceContext device;
    private ClientImageReader reader;

    /** Loop thread: keeps dups of the surface's memory fd and its semaphore fds (two binary, or one timeline). */
    ClientMemoryReader(VulkanInstance vulkan, int physicalDevice, BrokerSurface surface) {
        this.vulkan = vulkan;
        this.physicalDevice = physicalDevice;
        this.name = "serve-surface-" + surface.id();
        this.description = surface.description();
        this.sharedTimeline = surface.syncFds().count() == 1;
        this.memoryFd = Fds.dup(surface.memoryFds().get(0));
        this.readyFd = Fds.dup(surface.syncFds().get(0));
        this.doneFd = sharedTimeline ? -1 : Fds.dup(surface.syncFds().get(1));
    }

    /** Consumer thread: makes the device and imports the image and semaphores. */
    void open() {
        device = DeviceContext.builder(vulkan).physicalDeviceIndex(physicalDevice).name(name).build();
        int ready = readyFd, done = doneFd;
        readyFd = -1;
        doneFd = -1;
        reader = sharedTimeline ? ClientImageReader.withSharedTimeline(device, memory(), ready, name)
                : ClientImageReader.withBinarySemaphores(device, memory(), ready, done, name);
    }

    /** See {@link ClientImageReader#read}. */
    boolean read(long acquiredValue, long timeoutNanos) throws InterruptedException {
        return reader.read(acquiredValue, timeoutNanos);
    }

    /** See {@link ClientImageReader#releaseValue}. */
    long releaseValue(long acquiredValue) {
        return reader.releaseValue(acquiredValue);
    }

    ByteBuffer pixels() {
        return reader.pixels();
    }

    private ExportedImageMemory memory() {
        return description.asExportedMemory(() -> Fds.dup(memoryFd));
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
