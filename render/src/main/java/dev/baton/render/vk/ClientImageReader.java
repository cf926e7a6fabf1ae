package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.ExportedImageMemory;
import java.nio.ByteBuffer;

/**
 * The consumer's half of a surface in a producer process's own memory, for a compositor that reads
 * what the producer draws into its exportable image ({@link BrokerSurfaces#offerWithBinarySemaphores},
 * {@link BrokerSurfaces#offerWithSharedTimeline}): the image and the producer's semaphores imported
 * once; every {@link #read} is one submit that waits on the GPU for the producer's work (binary
 * semaphores: on <em>ready</em>; the shared timeline: for the fence value the producer released
 * with), acquires the image from {@code VK_QUEUE_FAMILY_EXTERNAL}, copies it into a host-visible
 * buffer, releases it back and signals what the producer's next access waits for (<em>done</em>, or
 * the next value on the shared timeline, {@link #releaseValue}), and this reader's own timeline; the
 * host then waits (bounded) for that timeline only, to read the copy. No FENCE_REACHED, no wait for
 * the producer's GPU on the host. The two kinds differ only in that wait and signal ({@link Link}),
 * so the shared-timeline path, which no driver here can run, is the binary one's code.
 *
 * <p>Importing another process's memory trusts it: on SwiftShader the exporter can truncate the fd
 * and this process dies of SIGBUS on the next copy (cross-process.md). Use it only for producers the
 * compositor trusts ({@code ./baton serve --trust-clients}).
 *
 * <p>Threading: one thread (the device's owner) for {@link #read} and {@link #close}. A read that
 * timed out leaves its submit pending (it waits for a signal the producer never made): the reader
 * then refuses further reads ({@link #pending()}), and {@link #close} leaks rather than destroys what
 * the GPU may still use.
 */
public final class ClientImageReader implements AutoCloseable {
    /** How this reader's submit waits for the producer's work and signals its own. */
    private interface Link extends AutoCloseable {
        void addWait(RawSubmission submit, long acquiredValue);

        void addSignal(RawSubmission submit, long acquiredValue);

        /** The fence value to release with after a read of the access that acquired {@code acquiredValue}. */
        long releaseValue(long acquiredValue);

        @Override
        void close();
    }

    private final DeviceContext device;
    private final SurfaceImage image;
    private final Link link;
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

    private ClientImageReader(DeviceContext device, SurfaceImage image, Link link, HostBuffer readback, VulkanTimeline timeline,
                              org.lwjgl.vulkan.VkCommandBuffer cmd) {
        this.device = device;
        this.image = image;
        this.link = link;
        this.readback = readback;
        this.timeline = timeline;
        this.cmd = cmd;
        this.submit = new RawSubmission(device);
        this.width = image.width();
        this.height = image.height();
        this.view = readback.mapped().asReadOnlyBuffer();
    }

    /**
     * Binary semaphores: imports the producer's image ({@code memory}, checked against this device's
     * UUIDs and memory requirements) and its <em>ready</em> and <em>done</em> semaphores. All-or-nothing;
     * the fds are consumed (closed on failure too).
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
    public static ClientImageReader withBinarySemaphores(DeviceContext device, ExportedImageMemory memory, int readyFd, int doneFd,
                                                         String name) {
        ExternalBinarySemaphore ready;
        try {
            ready = ExternalBinarySemaphore.importFd(device, readyFd);
        } catch (RuntimeException | Error e) {
            dev.baton.render.ipc.Fds.closeQuietly(doneFd);
            throw e;
        }
        ExternalBinarySemaphore done;
        try {
            done = ExternalBinarySemaphore.importFd(device, doneFd);
        } catch (RuntimeException | Error e) {
            ready.close();
            throw e;
        }
        return open(device, memory, name, new Link() {
            @Override
            public void addWait(RawSubmission s, long acquiredValue) {
                s.waitBinary(ready.handle());
            }

            @Override
            public void addSignal(RawSubmission s, long acquiredValue) {
                s.signalBinary(done.handle());
            }

            @Override
            public long releaseValue(long acquiredValue) {
                return acquiredValue; // the producer waits on "done", not on a value
            }

            @Override
            public void close() {
                done.close();
                ready.close();
            }
        });
    }

    /**
     * The shared timeline (a hardware path: no driver here exports timelines): imports the producer's
     * image and its exported timeline. Each read waits on it for the value the producer released with
     * and signals the next, which the caller releases with ({@link #releaseValue}). All-or-nothing; the
     * fd is consumed.
     *
     * @param device this process's device, of the producer's driver and physical device
     * @param memory the producer's exported image memory
     * @param timelineFd an fd of the producer's exported timeline semaphore (consumed)
     * @param name for the timelines' debug names
     * @return the reader, owned by the caller
     * @throws IllegalArgumentException if the UUIDs or memory requirements differ from the exporter's
     */
    public static ClientImageReader withSharedTimeline(DeviceContext device, ExportedImageMemory memory, int timelineFd, String name) {
        VulkanTimeline shared = VulkanTimeline.importFd(device, name + "/shared", timelineFd);
        return open(device, memory, name, new Link() {
            @Override
            public void addWait(RawSubmission s, long acquiredValue) {
                s.waitTimeline(shared, acquiredValue);
            }

            @Override
            public void addSignal(RawSubmission s, long acquiredValue) {
                s.signalTimeline(shared, acquiredValue + 1);
            }

            @Override
            public long releaseValue(long acquiredValue) {
                return acquiredValue + 1; // the producer's next submit waits for it on the shared timeline
            }

            @Override
            public void close() {
                shared.close();
            }
        });
    }

    private static ClientImageReader open(DeviceContext device, ExportedImageMemory memory, String name, Link link) {
        SurfaceImage image = null;
        HostBuffer readback = null;
        VulkanTimeline timeline = null;
        org.lwjgl.vulkan.VkCommandBuffer cmd = null;
        try {
            image = SurfaceImage.importFrom(device, memory);
            readback = HostBuffer.create(device, image.width() * image.height() * 4);
            timeline = VulkanTimeline.create(device, name + "/timeline", 0, false);
            cmd = device.allocateCommandBuffer();
            record(device, cmd, image, readback);
            return new ClientImageReader(device, image, link, readback, timeline, cmd);
        } catch (RuntimeException | Error e) {
            device.freeCommandBuffer(cmd);
            for (AutoCloseable c : new AutoCloseable[] {timeline, readback, image, link}) {
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
     * Copies the frame of the access that acquired {@code acquiredValue}: the submit waits for the
     * producer's work, signals what its next access waits for; then waits at most {@code timeoutNanos}
     * on the host for the copy. Call once per access the keyed mutex gave this consumer, then release
     * with {@link #releaseValue}: the producer's next access waits for this submit's signal, so every
     * access must make exactly one. Allocates nothing.
     *
     * @param acquiredValue the fence value ACQUIRED gave this access
     * @param timeoutNanos how long to wait for the copy
     * @return true once {@link #pixels()} hold the frame; false if the copy did not complete in time
     *     (the producer's GPU never signalled; nothing more can be read)
     * @throws InterruptedException if interrupted while waiting (the submit stays pending: as a timeout)
     * @throws IllegalStateException after a read that did not complete
     */
    public boolean read(long acquiredValue, long timeoutNanos) throws InterruptedException {
        if (stuck || closed) {
            throw new IllegalStateException("client image reader " + timeline.name() + (closed ? " is closed"
                    : ": an earlier copy never completed (the producer's GPU did not signal)"));
        }
        reads++;
        submit.begin();
        link.addWait(submit, acquiredValue);
        submit.commandBuffer(cmd);
        link.addSignal(submit, acquiredValue);
        submit.signalTimeline(timeline, reads).submit();
        stuck = true; // until the host saw it complete
        if (!timeline.awaitValue(reads, timeoutNanos)) {
            return false;
        }
        stuck = false;
        return true;
    }

    /**
     * The fence value to release the surface with after reading the access that acquired
     * {@code acquiredValue}: the same value with binary semaphores, the next one with the shared timeline
     * (the one this reader's submit signals on it, which the producer's next access waits for).
     *
     * @param acquiredValue the fence value ACQUIRED gave the access
     * @return the value to release with
     */
    public long releaseValue(long acquiredValue) {
        return link.releaseValue(acquiredValue);
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
        link.close();
    }
}
