package dev.baton.app.demo;

import dev.baton.render.DeviceLostException;
import dev.baton.render.scene.RingRenderer;
import dev.baton.render.scene.Scene;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.Lease;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.lwjgl.system.MemoryUtil;

/**
 * One producer render thread: its own Vulkan device, drawing its {@link Scene} into a ring of
 * shared surfaces and handing each to the compositor ({@link #COMPOSITOR_KEY}) with its frame
 * number, timestamp and checksum in the private data. It paces itself to its target frame rate and
 * never waits for its device to go idle: the release happens at submit time (keyed-mutex rule 10).
 *
 * <p>Threading: {@link #run()} on the producer's own named thread, which then owns the device,
 * the renderer and the surfaces' Vulkan endpoints. Controls ({@link #setPaused}, {@link #setFps},
 * {@link #requestStop}, {@link #requestKill}) and the counters are safe from any thread.
 * No allocation and no logging in the frame loop.
 */
final class Producer implements Runnable {
    /** The key a producer acquires its surfaces with. */
    static final long PRODUCER_KEY = 0;
    /** The key the compositor acquires with. */
    static final long COMPOSITOR_KEY = 1;

    enum State { STARTING, RUNNING, PAUSED, ABANDONED, STOPPED, FAILED }

    final int index;
    final String name;
    final Scene scene;
    private final DeviceContext device;
    private final List<SharedSurface> ring;
    private final long acquireTimeoutNanos;
    private final boolean stamp;
    private final ByteBuffer payload = MemoryUtil.memAlloc(FramePayload.BYTES);
    private final long startNanos = System.nanoTime();

    private volatile double fps;
    private volatile boolean paused;
    private volatile boolean stopRequested;
    private volatile boolean killRequested;
    private volatile boolean killAfterRelease;
    private volatile State state = State.STARTING;
    private volatile String failure;
    private volatile long framesSubmitted;
    private volatile long acquireTimeouts;
    private volatile boolean leakedRenderer;

    /** @param stamp draw the frame stamp (false: a clean picture the pixel checks cannot read) */
    Producer(int index, Scene scene, DeviceContext device, List<SharedSurface> ring, double fps, long acquireTimeoutNanos, boolean stamp) {
        this.stamp = stamp;
        this.index = index;
        this.name = "producer-" + index;
        this.scene = scene;
        this.device = device;
        this.ring = ring;
        this.fps = fps;
        this.acquireTimeoutNanos = acquireTimeoutNanos;
    }

    @Override
    public void run() {
        List<SurfaceEndpoint> endpoints = new ArrayList<>();
        for (SharedSurface s : ring) {
            endpoints.add(s.endpoint(0));
        }
        RingRenderer renderer = null;
        try {
            renderer = new RingRenderer(device, endpoints, scene, stamp);
            state = State.RUNNING;
            loop(renderer);
            if (state == State.RUNNING || state == State.PAUSED) {
                state = State.STOPPED;
            }
        } catch (DeviceLostException | dev.baton.sync.DeviceRemovedException e) {
            // DeviceRemovedException: the loss was reported by another thread's wait (after a release)
            state = State.ABANDONED;
            failure = e.getMessage();
        } catch (InterruptedException e) {
            state = State.STOPPED;
        } catch (RuntimeException | Error e) {
            state = State.FAILED;
            failure = e.toString();
            // A surface this thread still owns would stay owned forever: abandon it, so the compositor
            // sees ABANDONED (and offers a restart) instead of waiting.
            for (SharedSurface s : ring) {
                s.endpoint(0).abandon();
            }
        } finally {
            if (renderer != null) {
                boolean finished;
                try {
                    finished = renderer.awaitSubmitted(5_000_000_000L);
                } catch (InterruptedException e) {
                    finished = false;
                } catch (RuntimeException unexpected) {
                    finished = false;   // awaitSubmitted handles DEVICE_LOST itself: anything else, keep them
                }
                if (finished) {
                    renderer.close();
                } else {
                    // Destroying command buffers a queue still holds is undefined behaviour: leak them
                    // and let the session report it instead.
                    leakedRenderer = true;
                }
            }
            MemoryUtil.memFree(payload);
        }
    }

    private void loop(RingRenderer renderer) throws InterruptedException {
        long frame = 0;
        long nextFrameNanos = System.nanoTime();
        while (!stopRequested) {
            if (paused) {
                state = State.PAUSED;
                LockSupport.parkNanos(5_000_000L);
                nextFrameNanos = System.nanoTime();
                continue;
            }
            state = State.RUNNING;
            long wait = nextFrameNanos - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                continue;   // re-check stop and pause after the sleep
            }
            nextFrameNanos += (long) (1e9 / fps);
            if (System.nanoTime() - nextFrameNanos > 250_000_000L) {
                nextFrameNanos = System.nanoTime();   // far behind (slow machine): do not burst
            }
            int slot = (int) (frame % ring.size());
            Lease lease = ring.get(slot).endpoint(0).acquire(PRODUCER_KEY, acquireTimeoutNanos);
            if (lease.status() == AcquireStatus.TIMEOUT) {
                acquireTimeouts++;     // the compositor still holds this slot: try again next tick
                continue;
            }
            if (lease.status() == AcquireStatus.ABANDONED) {
                state = State.ABANDONED;
                return;
            }
            if (killRequested && !killAfterRelease) {
                // The device vanishes while it owns a surface: the loss abandons every mutex this
                // device holds, and the compositor sees ABANDONED.
                device.injectDeviceLossOnNextSubmit();
            }
            float seconds = (System.nanoTime() - startNanos) / 1e9f;
            device.submit(renderer.record(slot, frame, seconds, index, acquireTimeoutNanos), lease);
            lease.release(COMPOSITOR_KEY, FramePayload.encode(payload, frame, System.nanoTime(), index));
            framesSubmitted = ++frame;
            if (killRequested && killAfterRelease) {
                // The frame is submitted and released; now the GPU "hangs": whoever waits on this device
                // next (the compositor's readiness check, the host bridge) is told it is lost.
                killRequested = false;
                device.injectDeviceLossOnNextWait();
            }
        }
    }

    void setPaused(boolean value) {
        paused = value;
    }

    boolean paused() {
        return paused;
    }

    void setFps(double value) {
        fps = value;
    }

    double fps() {
        return fps;
    }

    void requestStop() {
        stopRequested = true;
    }

    /** The next frame's submit reports the device lost while this producer owns a surface. */
    void requestKill() {
        requestKill(false);
    }

    /**
     * @param afterRelease false: as {@link #requestKill()}; true: the next frame is submitted and released, then the
     *     next wait on the device reports it lost
     */
    void requestKill(boolean afterRelease) {
        killAfterRelease = afterRelease;
        killRequested = true;
    }

    State state() {
        return state;
    }

    String failure() {
        return failure;
    }

    long framesSubmitted() {
        return framesSubmitted;
    }

    long acquireTimeouts() {
        return acquireTimeouts;
    }

    /** True if the producer stopped with frames its GPU never finished (its renderer was not freed). */
    boolean leakedRenderer() {
        return leakedRenderer;
    }

    DeviceContext device() {
        return device;
    }

    List<SharedSurface> ring() {
        return ring;
    }
}
