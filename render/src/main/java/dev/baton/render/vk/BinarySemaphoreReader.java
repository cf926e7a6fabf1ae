package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.ExportedImageMemory;
import java.nio.ByteBuffer;

/**
 * The consumer's half of binary semaphores across processes, for a compositor that reads what a
 * producer process draws into its own exportable image ({@link BrokerSurfaces#offerWithBinarySemaphores}):
 * the image and both semaphores imported once; every {@link #read} is one submit that waits on the
 * GPU for <em>ready</em> (the producer's submit signalled it), acquires the image from
 * {@code VK_QUEUE_FAMILY_EXTERNAL}, copies it into a host-visible buffer, releases it back and
 * signals <em>done</em> (the producer's next access waits on it) and this reader's own timeline; the
 * host then waits (bounded) for that timeline only, to read the copy. No FENCE_REACHED, no wait for
 * the producer's GPU on the host.
 *
 * <p>Importing another process's memory trusts it: on SwiftShader the exporter can truncate the fd
 * and this process dies of SIGBUS on the next copy (cross-process.md). Use it only for producers the
 * compositor trusts ({@code ./baton serve --trust-clients}).
 *
 * <p>Threading: one thread (the device's owner) for {@link #read} and {@link #close}. A read that
 * timed out leaves its submit pending (it waits for a <em>ready</em> the producer never signalled):
 * the reader then refuses further reads, and {@link #close} leaks rather than destroys what the GPU may
 * still use.
 */
public final class BinarySemaphoreReader implements AutoCloseable {
    private final DeviceContext device;
    private final SurfaceImage image;
    private final ExternalBinarySemaphore ready;
    private final ExternalBinarySemaphore done;
    private final HostBuffer readback;
    private final VulkanTimeline timeline;
    private final org.lwjgl.vulkan.VkCommandBuffer cmd; // the prerecorded copy: the same commands every read
    private final RawSubmission submit;
    private final int width;
    private final int height;
    private final ByteBuffer view;
    private long reads;
    private boolean stuck;
    private boolean closed;

    private BinarySemaphoreReader(DeviceContext device, SurfaceImage image, ExternalBinarySemaphore ready, ExternalBinarySemaphore done,
                                  HostBuffer readback, VulkanTimeline timeline, org.lwjgl.vulkan.VkCommandBuffer cmd) {
        this.device = device;
        this.image = image;
        this.ready = ready;
        this.done = done;
        this.readback = readback;
        this.timeline = timeline;
        this.cmd = cmd;
        this.submit = new RawSubmission(device);
        this.width = image.width();
        this.height = image.height();
        this.view = readback.mapped().asReadOnlyBuffer();
    }

    /**
     * Imports a producer's image ({@code memory}: its description and fd, checked against this
     * device's UUIDs and memory requirements) and its two binary semaphores. All-or-nothing; the
     * semaphore fds are consumed (closed on failure too).
     *
     * @param device this process's device, of the producer's driver and physical device
     * @param memory the producer's exported image memory
     * @param readyFd an fd of the <em>ready</em> semaphore (consumed)
     * @param doneFd an fd of the <em>done</em> semaphore (consumed)
     * @param name for the timeline's debug name
     * @return the reader, owned by the caller
     * @throws IllegalArgumentException if the UUIDs or memory requirements differ from the exporter's
     * @throws IllegalStateException if the device cannot import binary OPAQUE_FD semaphores
     */
    public static BinarySemaphoreReader open(DeviceContext device, ExportedImageMemory memory, int readyFd, int doneFd, String name) {
        ExternalBinarySemaphore ready = null, done = null;
        SurfaceImage image = null;
        HostBuffer readback = null;
        VulkanTimeline timeline = null;
        org.lwjgl.vulkan.VkCommandBuffer cmd = null;
        try {
            ready = ExternalBinarySemaphore.importFd(device, readyFd);
            readyFd = -1;
            done = ExternalBinarySemaphore.importFd(device, doneFd);
            doneFd = -1;
            image = SurfaceImage.importFrom(device, memory);
            readback = HostBuffer.create(device, image.width() * image.height() * 4);
            timeline = VulkanTimeline.create(device, name + "/timeline", 0, false);
            cmd = device.allocateCommandBuffer();
            record(device, cmd, image, readback);
            return new BinarySemaphoreReader(device, image, ready, done, readback, timeline, cmd);
        } catch (RuntimeException | Error e) {
            dev.baton.render.ipc.Fds.closeQuietly(readyFd);
            dev.baton.render.ipc.Fds.closeQuietly(doneFd);
            device.freeCommandBuffer(cmd);
            for (AutoCloseable c : new AutoCloseable[] {timeline, readback, image, done, ready}) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (Exception ignored) {
                    // nothing of it was used by the GPU yet
                }
            }
            throw e;
        }
    }

    private static void record(DeviceContext device, org.lwjgl.vulkan.VkCommandBuffer cmd, SurfaceImage image, HostBuffer readback) {
        int family = device.queueFamilyIndex();
        Commands.begin(cmd, 0);
        // Acquire from the producer's device (its release to EXTERNAL); the source scope of an acquire is ignored.
        Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_NONE, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_COPY_BIT,
                VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_EXTERNAL, family);
        // The previous read's host reads of the buffer came before this submit (same thread, program order).
        Commands.bufferBarrier(cmd, readback.handle(), VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT,
                VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT);
        Commands.copyImageToBuffer(cmd, image.handle(), readback.handle(), image.width(), image.height());
        Commands.bufferBarrier(cmd, readback.handle(), VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_READ_BIT);
        // Release back to the producer's device; the destination scope of a release is ignored.
        Commands.imageBarrier(cmd, image.handle(), VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_NONE, VK_PIPELINE_STAGE_2_NONE,
                VK_ACCESS_2_NONE, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_GENERAL, family, VK_QUEUE_FAMILY_EXTERNAL);
        Commands.end(cmd);
    }

    /**
     * Copies the frame the producer released: the submit waits on <em>ready</em>, signals
     * <em>done</em>; then waits at most {@code timeoutNanos} for it on the host. Call once per access
     * the keyed mutex gave this consumer, and release the surface after it (the producer's next
     * access waits for <em>done</em>, so every access must make exactly one such submit). Allocates nothing.
     *
     * @param timeoutNanos how long to wait for the copy
     * @return true once {@link #pixels()} hold the frame; false if the copy did not complete in time
     *     (the producer's GPU never signalled; nothing more can be read)
     * @throws InterruptedException if interrupted while waiting (the submit stays pending: as a timeout)
     * @throws IllegalStateException after a read that did not complete
     */
    public boolean read(long timeoutNanos) throws InterruptedException {
        if (stuck || closed) {
            throw new IllegalStateException("binary-semaphore reader of " + timeline.name() + (closed ? " is closed"
                    : ": an earlier copy never completed (the producer's GPU did not signal ready)"));
        }
        reads++;
        submit.begin().waitBinary(ready.handle()).commandBuffer(cmd).signalBinary(done.handle()).signalTimeline(timeline, reads)
                .submit();
        stuck = true; // until the host saw it complete
        if (!timeline.awaitValue(reads, timeoutNanos)) {
            return false;
        }
        stuck = false;
        return true;
    }

    /** {@return the last copy, {@code width * height * 4} RGBA8 bytes in rows of {@code width * 4} (one read-only view; read it absolutely)} */
    public ByteBuffer pixels() {
        return view;
    }

    /** {@return whether a copy never completed: its submit may still wait on the GPU, so the device must not be waited for or closed} */
    public boolean pending() {
        return stuck;
    }

    /** {@return the frame width in pixels} */
    public int width() {
        return width;
    }

    /** {@return the frame height in pixels} */
    public int height() {
        return height;
    }

    /**
     * Frees everything, unless a copy is still pending (a read that timed out): then nothing is
     * destroyed (it leaks, rather than free what the GPU may still use). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (stuck) {
            return;
        }
        device.freeCommandBuffer(cmd);
        timeline.close();
        readback.close();
        image.close();
        done.close();
        ready.close();
    }
}
