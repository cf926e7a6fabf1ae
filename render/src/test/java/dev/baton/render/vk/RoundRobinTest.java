package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.SyncTier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Three devices pass one surface round-robin with keys 0,1,2,0,... , each on its own render thread;
 * private data carries the frame number and every receiver checks it against the pixels.
 */
class RoundRobinTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;
    static final int HANDOFFS = 1_002; // a multiple of 3, > 1,000

    /** Three VkDevices on each device, on its best same-device tier (the one a surface picks by default). */
    @TestFactory
    Stream<DynamicTest> threeDevicesOnTheirBestTier() {
        return perDevice("round robin", d -> rejection(d) != null ? rejection(d) : sameDeviceTiers(d).isEmpty()
                ? "two devices on it cannot share memory" : null, d -> run(d, sameDeviceTiers(d).get(0)));
    }

    private void run(PhysicalDeviceInfo physical, SyncTier expected) throws Exception {
        List<DeviceContext> devices = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            devices.add(device(physical, DeviceSelector.label(physical) + "#" + i));
        }
        SharedSurface surface = own(SharedSurface.create("rr", W, H, devices, SharedSurface.Options.defaults()));
        assertEquals(expected, surface.tier(), surface.tierReason());
        List<TestPattern> patterns = new ArrayList<>();
        for (DeviceContext d : devices) {
            patterns.add(own(new TestPattern(d, W, H)));
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            final int me = i;
            Thread t = new Thread(() -> {
                try {
                    // Participant i draws frames i, i+3, ...: frame f is drawn by participant f % 3.
                    for (int frame = me; frame < HANDOFFS; frame += 3) {
                        int previous = turn(surface.endpoint(me), patterns.get(me), me, (me + 1) % 3, frame);
                        assertEquals(frame == 0 ? -1 : frame - 1, previous, "frame number in private data");
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "render-" + devices.get(i).name());
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(120_000);
            assertFalse(t.isAlive(), t.getName() + " still running after 120 s");
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        // Includes each receiver's test-only wait for its own read-back and the validation layer's cost.
        System.out.printf("%s %s: %d handoffs in %d ms (%.0f us each, validated)%n", DeviceSelector.label(physical), surface.tier(), HANDOFFS,
                (System.nanoTime() - start) / 1_000_000, (System.nanoTime() - start) / 1000.0 / HANDOFFS);
    }
}
