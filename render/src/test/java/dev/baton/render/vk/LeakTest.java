package dev.baton.render.vk;

import dev.baton.render.SyncTier;
import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 1,000 create/handoff/destroy cycles leave no fd and no Vulkan object behind. */
class LeakTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;

    static int openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    @Test
    void surfacesOnSwiftShaderBinarySemaphores() throws Exception {
        DeviceContext a = deviceWhoseBestTierIs(SyncTier.BINARY_SEMAPHORE, "swiftshader#a");
        DeviceContext b = deviceWhoseBestTierIs(SyncTier.BINARY_SEMAPHORE, "swiftshader#b");
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        cycle(a, b, pa, pb); // warm up lazily opened driver fds
        int before = openFds();
        for (int i = 0; i < 1_000; i++) {
            cycle(a, b, pa, pb);
        }
        int after = openFds();
        assertEquals(before, after, "open fds before and after 1,000 surface cycles");
        // Vulkan objects: the validation layer's object tracker reports leaks when the devices are
        // destroyed in teardown, and GpuTest fails on any message.
    }

    private static void cycle(DeviceContext a, DeviceContext b, TestPattern pa, TestPattern pb) throws Exception {
        try (SharedSurface s = SharedSurface.create("leak", W, H, List.of(a, b), SharedSurface.Options.defaults())) {
            turn(s.endpoint(0), pa, 0, 1, 1);
            assertEquals(1, turn(s.endpoint(1), pb, 1, 0, 2));
        }
    }
}
