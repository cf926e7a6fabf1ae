package dev.baton.render.vk;

import dev.baton.render.SyncTier;
import static dev.baton.render.vk.NoExternalMemoryTest.assertMentions;
import static org.junit.jupiter.api.Assertions.*;

import dev.baton.sync.AcquireStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Misusing the render-thread API fails with a message that says what was wrong and what to do, and
 * changes nothing: the surface still hands off afterwards.
 */
class MisuseMessagesTest extends GpuTest {
    static final int W = 32;
    static final int H = 20;

    @Test
    void leaseAndEndpointMisuseSaysWhatToDo() throws Exception {
        DeviceContext a = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "lavapipe#a");
        DeviceContext b = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "lavapipe#b");
        TestPattern pa = own(new TestPattern(a, W, H));
        TestPattern pb = own(new TestPattern(b, W, H));
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(a, b), SharedSurface.Options.defaults()));
        SurfaceEndpoint producer = surface.endpoint(0);

        Lease lease = producer.acquire(0, SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, lease.status());
        assertMentions(assertThrows(IllegalStateException.class, () -> producer.acquire(0, 0)).getMessage(),
                "recursive acquire", "release the lease");
        org.lwjgl.vulkan.VkCommandBuffer onB = b.allocateCommandBuffer();
        Commands.begin(onB, org.lwjgl.vulkan.VK10.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        Commands.end(onB);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> b.submit(onB, lease)).getMessage(),
                "submitted on lavapipe#b", "submit it on the endpoint's own device");
        b.freeCommandBuffer(onB); // refused, never submitted
        VulkanTimeline otherDevice = own(VulkanTimeline.create(b, "other", 0, false));
        assertMentions(assertThrows(IllegalArgumentException.class, () -> lease.alsoWaitFor(otherDevice, 1)).getMessage(),
                "belongs to device lavapipe#b", "endpoint's own device");
        a.submit(pa.record(lease, false, true, 1), lease);
        assertMentions(assertThrows(IllegalStateException.class, () -> a.submit(pa.record(lease, false, true, 1), lease)).getMessage(),
                "already submitted", "one submit per lease");
        lease.release(1, java.nio.ByteBuffer.allocate(4).putInt(0, 1));
        assertMentions(assertThrows(IllegalStateException.class, () -> lease.release(1, null)).getMessage(),
                "is not held", "check acquired() first");
        assertMentions(assertThrows(IllegalMonitorStateException.class, () -> producer.handle().release(0, 0, null)).getMessage(),
                "does not own", "only the owner may release");
        // Nothing changed: the consumer gets frame 1 intact.
        assertEquals(1, turn(surface.endpoint(1), pb, 1, 0, 2));
    }

    @Test
    void aTierThatDoesNotExistIsNamedWithTheChoices() {
        DeviceContext a = deviceWhoseBestTierIs(SyncTier.HOST_BRIDGE, "lavapipe#a");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedSurface.create("s", W, H, List.of(a), SharedSurface.Options.defaults().withTier("warp-drive")));
        assertMentions(e.getMessage(), "warp-drive", "host-copy");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> SharedSurface.create("s", W, H, List.of(),
                SharedSurface.Options.defaults())).getMessage(), "no Vulkan participant", "pass at least one DeviceContext");
    }
}
