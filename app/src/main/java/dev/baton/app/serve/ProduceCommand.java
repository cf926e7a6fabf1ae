package dev.baton.app.serve;

import dev.baton.app.ShutdownSignal;
import dev.baton.app.cli.Cli;
import dev.baton.app.cli.Range;
import dev.baton.app.cli.Size;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.Protocol;
import dev.baton.render.ipc.SocketPaths;
import dev.baton.render.scene.FrameStamp;
import dev.baton.render.scene.Scene;
import dev.baton.render.scene.RingRenderer;
import dev.baton.render.vk.BrokerSurfaces;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.DeviceMemorySurface;
import dev.baton.render.vk.ExternalBinarySemaphore;
import dev.baton.render.vk.MemfdSurface;
import dev.baton.render.vk.Lease;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.sync.AcquireStatus;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.lwjgl.vulkan.VK10;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton produce}: one producer process. Connects to a broker ({@code ./baton serve}, or the
 * broker of {@code ./baton demo --processes}), offers {@code --ring} surfaces that the broker allocates
 * as sealed memfds, opens each on its Vulkan device ({@link MemfdSurface}: imported as host memory
 * where the device can, memory choice HOST_MEMFD; otherwise, as on SwiftShader, drawn into its own image
 * and copied into the memfd by its GPU and CPU, memory choice HOST_COPY) and hands frames to the
 * compositor with the keyed mutex: acquire key {@link #PRODUCER_KEY}, draw the scene and its frame
 * stamp, submit (signalling its timeline), release to {@link #COMPOSITOR_KEY} with that fence value and
 * the frame number as private data at submit time. With host-memory import it does not wait for its
 * GPU: a {@link FenceReporter} thread waits (bounded) on the producer's timeline for each released
 * value in turn and reports FENCE_REACHED (the host bridge across processes), so the render thread
 * records and submits the next surface of its ring while the GPU still draws the previous one, and
 * nothing is copied by the CPU (the compositor reads the same pages). With the host copy the frame
 * reaches the broker's pages only after its GPU finished and its CPU copied it, so the render thread
 * does both and then reports FENCE_REACHED itself.
 *
 * <p>Prints one line when connected and a summary on exit. Exit codes: 0 after {@code --frames}
 * frames, 1 when the broker is gone or refuses (within about 2 s of its death), 2 bad usage.
 */
@Command(name = "produce", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "one producer process handing frames to ./baton serve",
        description = {
            "Connects to the compositor's broker socket, draws a scene on its own Vulkan device into surfaces the",
            "broker allocated (sealed memfds, imported as host memory: nothing is copied; a device that cannot import",
            "host memory copies each frame there after its fence) and hands each frame over with the keyed mutex.",
            "A broker started with --trust-clients takes this device's own memory and semaphores instead, where the",
            "device exports them (SwiftShader here): its GPU then waits for this one's, nothing copied.",
            "Exits 0 after --frames frames; non-zero within 2 s if the broker goes away."})
public final class ProduceCommand implements Cli.Body {
    /** The key a producer acquires its surfaces with (the initial key: it draws first). */
    public static final long PRODUCER_KEY = 0L;
    /** The key a producer releases to: the compositor's. */
    public static final long COMPOSITOR_KEY = 1L;
    /** Bytes of private data per frame: the frame number (u64) and the producer's hue index (u32). */
    public static final int PRIVATE_DATA_BYTES = 12;

    @Option(names = "--connect", paramLabel = "PATH", description = "the broker's socket (default: $XDG_RUNTIME_DIR/baton/compositor.sock,"
            + " else /tmp/baton-UID/compositor.sock)")
    Path connect;

    @Option(names = "--scene", paramLabel = "NAME", completionCandidates = SceneNames.class, description = "what to draw")
    String scene = "plasma";

    @Option(names = "--device", paramLabel = "NAME", description = "Vulkan device: an index, a label ./baton devices prints or part of its"
            + " name (default: the first that imports host memory; a device that cannot copies each frame into the broker's memfd)")
    String device;

    @Option(names = "--size", paramLabel = "WxH", description = "surface size in pixels (width a multiple of 16)")
    @Range(min = 64, max = 4096)
    Size size = new Size(256, 192);

    @Option(names = "--fps", paramLabel = "FPS", description = "target frame rate")
    @Range(min = 1, max = 1000)
    double fps = 30;

    @Option(names = "--ring", paramLabel = "N", description = "surfaces this producer cycles through")
    @Range(min = 1, max = 3)
    int ring = 2;

    @Option(names = "--frames", paramLabel = "N", description = "frames to hand over, then exit 0 (0: until killed or the broker goes)")
    @Range(min = 0, max = 100_000_000)
    int frames = 0;

    @Option(names = "--hue", paramLabel = "I", description = "producer index the scene's colours derive from")
    @Range(min = 0, max = 255)
    int hue = 0;

    @Option(names = "--acquire-timeout-ms", paramLabel = "MS", description = "the longest one acquire waits for the compositor")
    @Range(min = 1, max = 60_000)
    int acquireTimeoutMs = 2000;

    @Option(names = "--validate", description = "run under the Khronos validation layer (sync validation on); fail on any message")
    boolean validate;

    /** The scene names, for {@code --scene}'s check, help and completion. */
    static final class SceneNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            List<String> names = new ArrayList<>();
            for (Scene s : Scene.values()) {
                names.add(s.label());
            }
            return names.iterator();
        }
    }

    @Override
    public int run(PrintStream out, PrintStream err) {
        if (size.width() % 16 != 0 || size.width() < FrameStamp.minimumWidth()) {
            err.println("baton produce: --size width must be a multiple of 16 (tightly packed rows in the broker's memory), got " + size);
            return Cli.USAGE;
        }
        Scene chosen = Scene.valueOf(scene.toUpperCase(Locale.ROOT));
        Path socket = connect != null ? connect : SocketPaths.defaultSocketPath();
        VulkanInstance vulkan;
        try {
            vulkan = VulkanInstance.create(validate);
        } catch (RuntimeException e) {
            err.println("baton produce: cannot start Vulkan: " + e.getMessage());
            return 1;
        }
        int result;
        // The report is made before the signal is closed: under SIGTERM the JVM exits as soon as it is.
        try (ShutdownSignal signal = new ShutdownSignal(5000)) {
            try {
                result = produce(vulkan, chosen, socket, signal, out, err);
            } finally {
                if (validate) {
                    int messages = vulkan.validationMessageCount();
                    out.println("Validation: " + messages + " message" + (messages == 1 ? "" : "s") + " from the Khronos validation layer");
                    for (String m : vulkan.validationMessages()) {
                        err.println("  " + m);
                    }
                    out.flush();
                }
            }
            if (validate && vulkan.validationMessageCount() > 0 && result == 0) {
                result = 1;
            }
            vulkan.close();
        }
        return result;
    }

    private int produce(VulkanInstance vulkan, Scene chosen, Path socket, ShutdownSignal signal, PrintStream out, PrintStream err) {
        DeviceContext.Builder b = DeviceContext.builder(vulkan).name("produce-" + ProcessHandle.current().pid());
        if (device != null) {
            try {
                b.device(device);
            } catch (IllegalArgumentException e) {
                err.println("baton produce: --device " + device + ": " + e.getMessage());
                return Cli.USAGE;
            }
        }
        if (device == null) {
            // Prefer a device that imports the broker's pages (nothing copied by the CPU); any other
            // device still works through the host copy (MemfdSurface.open chooses by capability).
            for (PhysicalDeviceInfo d : vulkan.physicalDevices()) {
                if (d.hostMemoryImport()) {
                    b.physicalDeviceIndex(d.index());
                    break;
                }
            }
        }
        DeviceContext dev;
        try {
            dev = b.build();
        } catch (RuntimeException e) {
            err.println("baton produce: no Vulkan device can draw into the broker's memory: " + e.getMessage());
            return 1;
        }
        long timeout = TimeUnit.MILLISECONDS.toNanos(acquireTimeoutMs);
        List<SharedSurface> ring = new ArrayList<>();
        List<SurfaceEndpoint> endpoints = new ArrayList<>();
        BrokerClient client = null;
        BrokerSurfaces broker = null;
        RingRenderer renderer = null;
        long delivered = 0;
        long overlapped = 0; // frames submitted while the previous one was still on the GPU
        long timeouts = 0;
        // Capability, not name: a device that cannot import host memory copies each frame into the memfd.
        boolean imports = MemfdSurface.importsHostMemory(dev, size.width(), size.height());
        int memoryChoice = imports ? Protocol.MEMORY_HOST_MEMFD : Protocol.MEMORY_HOST_COPY;
        long t0 = System.nanoTime();
        String failure = null;
        try {
            String name = chosen.label() + "-" + ProcessHandle.current().pid();
            try {
                // HELLO says whether this device imports OPAQUE_FD image memory, and which driver and device it is:
                // a broker with a device of that driver then allocates our surfaces as device memory.
                boolean deviceImport = DeviceMemorySurface.importsDeviceMemory(dev);
                client = BrokerClient.connect(socket.toString(), name, deviceImport ? Protocol.CAP_CLIENT_IMPORTS_DEVICE_MEMORY : 0,
                        dev.info().driverUuid(), dev.info().deviceUuid(), TimeUnit.SECONDS.toNanos(5));
            } catch (RuntimeException e) {
                err.println("baton produce: cannot connect to the broker at " + socket + ": " + e.getMessage()
                        + " (start it with ./baton serve, or pass --connect PATH)");
                return 1;
            }
            // Room for every value the ring can have in flight, and more (a compositor that gave a late
            // frame up releases before its FENCE_REACHED came).
            broker = BrokerSurfaces.over(client, timeout, 4 * this.ring, name);
            // The window holds the surface it shows until a newer one arrives: with a ring of one the producer
            // would wait for it forever, so a single surface stays in the host memfd (read, then released).
            if ((client.brokerCapabilities() & Protocol.CAP_BROKER_DEVICE_MEMORY) != 0 && this.ring >= 2) {
                memoryChoice = Protocol.MEMORY_DEVICE_OPAQUE_FD; // the broker's GL samples it in place
            }
            // A compositor that trusts its producers imports a device's own memory and binary semaphores (its GPU then
            // waits for ours: no FENCE_REACHED, nothing copied); chosen by what both sides report, never by a name.
            // The shared timeline where the device exports timelines (hardware; none here), else binary semaphores.
            boolean timeline = dev.info().timelineSemaphoreExport() && dev.info().timelineSemaphoreImport();
            boolean ownMemory = (client.brokerCapabilities() & Protocol.CAP_BROKER_IMPORTS_CLIENT_MEMORY) != 0
                    && (timeline || ExternalBinarySemaphore.supported(dev)) && dev.info().memoryExport();
            for (int i = 0; i < this.ring; i++) {
                if (ownMemory) {
                    try {
                        SharedSurface shared = timeline
                                ? broker.offerWithSharedTimeline(dev, size.width(), size.height(), PRODUCER_KEY, TimeUnit.SECONDS.toNanos(5))
                                : broker.offerWithBinarySemaphores(dev, size.width(), size.height(), PRODUCER_KEY, TimeUnit.SECONDS.toNanos(5));
                        ring.add(shared);
                        endpoints.add(shared.endpoint(0));
                        continue;
                    } catch (BrokerClient.BrokerRefusal e) {
                        if (i > 0 || client.brokerGoneReason() != null) {
                            throw e;
                        }
                        out.println("produce: the broker took no memory of this device (" + e.getMessage() + "); using its memory");
                        ownMemory = false;
                    }
                }
                BrokerClient.Surface s;
                try {
                    s = client.offer(size.width(), size.height(), SurfaceImage.FORMAT, SurfaceImage.USAGE,
                            memoryChoice, Protocol.SYNC_HOST_BRIDGE, PRODUCER_KEY, null, null, TimeUnit.SECONDS.toNanos(5));
                } catch (BrokerClient.BrokerRefusal e) {
                    if (memoryChoice != Protocol.MEMORY_DEVICE_OPAQUE_FD || i > 0 || client.brokerGoneReason() != null) {
                        throw e;
                    }
                    // The broker could not give device memory after all (its ERROR leaves us connected): the host memfd.
                    out.println("produce: the broker gave no device memory (" + e.getMessage() + "); using its host memfd");
                    memoryChoice = imports ? Protocol.MEMORY_HOST_MEMFD : Protocol.MEMORY_HOST_COPY;
                    s = client.offer(size.width(), size.height(), SurfaceImage.FORMAT, SurfaceImage.USAGE,
                            memoryChoice, Protocol.SYNC_HOST_BRIDGE, PRODUCER_KEY, null, null, TimeUnit.SECONDS.toNanos(5));
                }
                SharedSurface shared = broker.open(s, dev);
                ring.add(shared);
                endpoints.add(shared.endpoint(0));
            }
            // The same renderer, lease and release as an in-process producer thread (the demo's Producer).
            renderer = new RingRenderer(dev, endpoints, chosen);
            out.println("produce: connected to " + socket + " as client " + client.clientId() + " (" + name + " on " + dev.info().name() + ", "
                    + this.ring + " surface" + (this.ring == 1 ? "" : "s") + " of " + size + (ownMemory ? " in this device's own memory, "
                            : memoryChoice == Protocol.MEMORY_DEVICE_OPAQUE_FD
                            ? " in device memory the broker allocated, " : " in the broker's sealed memfds, ")
                    + describe(ring.get(0)) + ")");
            out.flush();
            ByteBuffer data = ByteBuffer.allocateDirect(PRIVATE_DATA_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long period = (long) (1e9 / fps);
            long next = System.nanoTime();
            long frame = 0;
            int slot = 0;
            SurfaceEndpoint previous = null; // the surface of the frame before, for the overlap count
            while ((frames == 0 || frame < frames) && !signal.requested()) {
                SurfaceEndpoint endpoint = endpoints.get(slot);
                Lease lease = endpoint.acquire(PRODUCER_KEY, timeout);
                if (lease.status() == AcquireStatus.TIMEOUT) {
                    // The compositor still holds this surface (the window shows it until a newer frame replaces it):
                    // the next frame goes into the next one, or a ring whose other surface is free would wait for ever.
                    timeouts++;
                    slot = (slot + 1) % this.ring;
                    continue;
                }
                if (!lease.acquired()) {
                    failure = broker.failure() != null ? broker.failure()
                            : "surface " + ring.get(slot).name() + " was abandoned by the compositor";
                    break;
                }
                // Pace while owning (the compositor's reads of this surface were done before it released).
                if (!pace(client, next, signal)) {
                    failure = "the broker is gone: " + client.brokerGoneReason();
                    break;
                }
                next = Math.max(next + period, System.nanoTime() - period);
                // The slot's previous frame is done in steady state (the compositor released it after its
                // FENCE_REACHED); one it gave up on late may not be: the renderer waits for it, bounded.
                float seconds = (System.nanoTime() - t0) / 1e9f;
                dev.submit(renderer.record(slot, frame, seconds, hue, timeout), lease);
                if (previous != null && Long.compareUnsigned(previous.timeline().completedValue(), previous.lastSubmittedValue()) < 0) {
                    overlapped++;
                }
                previous = endpoint;
                data.putLong(0, frame).putInt(8, hue);
                data.clear();
                // Release at submit time: the compositor waits for FENCE_REACHED, which the reporter sends.
                lease.release(COMPOSITOR_KEY, data);
                if (broker.failure() != null) {
                    failure = broker.failure();
                    break;
                }
                frame++;
                delivered++;
                slot = (slot + 1) % this.ring;
            }
            if (failure == null && !broker.drain(timeout)) {
                failure = broker.failure() != null ? broker.failure()
                        : "the GPU did not finish the last frames within " + acquireTimeoutMs + " ms";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        } catch (RuntimeException e) {
            failure = e.getMessage();
        } finally {
            VK10.vkDeviceWaitIdle(dev.vkDevice());
            if (renderer != null) {
                renderer.close();
            }
            for (SharedSurface s : ring) {
                try {
                    s.close(); // the reporter is done with it (or stopped) first
                } catch (RuntimeException e) {
                    err.println("baton produce: " + e.getMessage());
                }
            }
            if (broker != null) {
                broker.close(); // before the socket closes: its reporter sends on it
            }
            if (client != null) {
                client.close();
            }
            dev.close();
        }
        long hostCopies = broker == null ? 0 : broker.hostCopies();
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "produce: %d frames handed over in %.1f s (%.1f fps), %d acquire timeouts, %d submitted while the"
                + " previous frame was still on the GPU, %d bytes copied by the CPU into the broker's memfds%s%s%n", delivered, seconds,
                delivered / Math.max(seconds, 1e-9), timeouts, overlapped, broker == null ? 0 : broker.hostCopiedBytes(), hostCopies == 0 ? ""
                        : String.format(Locale.ROOT, " (%.1f us per frame on average, %.1f us at most, on the reporter thread)",
                        broker.hostCopyNanos() / 1e3 / hostCopies, broker.hostCopyMaxNanos() / 1e3), failure != null ? "; stopped: " + failure
                        : signal.requested() ? "; stopped by a signal" : "");
        if (failure != null) {
            err.println("baton produce: " + failure);
            return 1;
        }
        return 0;
    }
    /** How the frames reach the broker's pages, and what each costs in copies. */
    private static String describe(SharedSurface s) {
        if (s.handoffSync() == dev.baton.render.HandoffSync.BINARY_SEMAPHORE || s.handoffSync() == dev.baton.render.HandoffSync.SHARED_TIMELINE) {
            return "which the compositor imports (it trusts its producers); its GPU waits for this one's on "
                    + (s.handoffSync() == dev.baton.render.HandoffSync.SHARED_TIMELINE ? "a shared timeline" : "binary semaphores")
                    + ": no FENCE_REACHED, nothing copied";
        }
        switch (s.memorySharing()) {
            case DEVICE_MEMORY:
                return "imported as device memory (OPAQUE_FD of the broker's device, same driver); drawn in place, nothing copied";
            case HOST_COPY:
                return "which this device cannot import as host memory: drawn into its own image, copied by its GPU into its own"
                        + " host-visible buffer and after the fence by the CPU into the memfd, on the reporter thread";
            default:
                return "imported as host memory; drawn in place or copied there by the GPU, nothing copied by the CPU";
        }
    }

    /** Sleeps until {@code deadline} in slices, reading the broker's messages; false as soon as the broker is gone. */
    private static boolean pace(BrokerClient client, long deadline, ShutdownSignal signal) throws InterruptedException {
        while (!signal.requested()) {
            client.poll();
            if (client.brokerGoneReason() != null) {
                return false;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            long slice = Math.min(left, TimeUnit.MILLISECONDS.toNanos(50));
            client.socket().awaitReadable((int) Math.max(1, slice / 1_000_000));
        }
        return true; // stopping: the frame is still drawn and released, so the compositor is not left waiting
    }
}
