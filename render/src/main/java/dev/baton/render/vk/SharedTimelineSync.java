package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;

import dev.baton.render.HandoffSync;
import java.util.List;

/**
 * {@link HandoffSync#SHARED_TIMELINE}: participant 0 creates an exportable timeline semaphore and every
 * other participant imports it, so each endpoint's timeline is the same payload and the next owner's
 * GPU waits for the fence value on it directly.
 */
final class SharedTimelineSync implements SurfaceSync {
    private VulkanTimeline first; // participant 0's, exported to the others

    @Override
    public HandoffSync kind() {
        return HandoffSync.SHARED_TIMELINE;
    }

    @Override
    public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
        if (index > 0) {
            return VulkanTimeline.importFd(device, name, first.exportFd());
        }
        // exported only when someone imports it: a lone participant has nothing to share
        first = VulkanTimeline.create(device, name, 0, participantCount > 1);
        return first;
    }

    @Override
    public void connect(List<SurfaceEndpoint> endpoints) {}

    @Override
    public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) {
        if (fenceValue != 0) {
            lease.waitFor(acquirer.timeline().handle(), fenceValue, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        return true;
    }

    @Override
    public void addSignals(SurfaceEndpoint owner) {}

    @Override
    public void endAccess(SurfaceEndpoint owner) {}

    @Override
    public void closeEndpoint(SurfaceEndpoint endpoint) {}
}
