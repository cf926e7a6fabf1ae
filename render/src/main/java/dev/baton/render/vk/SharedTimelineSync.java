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
    /**
     * Making or exporting the shared timeline failed although the driver reported timelines
     * exportable: {@link SharedSurface} falls back to the next tier.
     */
    static final class ExportFailed extends RuntimeException {
        ExportFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Tests only: when set, every device reports OPAQUE_FD timelines exportable and importable
     * ({@link SharedSurface#capabilitiesOf}) and creating the exportable timeline then fails, as on a
     * driver that advertises exportable timelines but refuses to make one (Vulkan-ValidationLayers #5947).
     */
    static volatile boolean simulateBrokenExportForTest;

    private VulkanTimeline first; // participant 0's, exported to the others

    @Override
    public HandoffSync kind() {
        return HandoffSync.SHARED_TIMELINE;
    }

    @Override
    public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
        if (index > 0) {
            int fd;
            try {
                fd = first.exportFd();
            } catch (RuntimeException e) {
                throw new ExportFailed("exporting the timeline semaphore of " + first.device().name() + " failed (" + e.getMessage() + ")", e);
            }
            return VulkanTimeline.importFd(device, name, fd);
        }
        // exported only when someone imports it: a lone participant has nothing to share
        boolean exportable = participantCount > 1;
        try {
            if (exportable && simulateBrokenExportForTest) {
                throw new dev.baton.render.VulkanException("vkCreateSemaphore(exportable timeline) on " + device.name(),
                        org.lwjgl.vulkan.VK10.VK_ERROR_INITIALIZATION_FAILED, "injected by SharedTimelineSync.simulateBrokenExportForTest");
            }
            first = VulkanTimeline.create(device, name, 0, exportable);
        } catch (RuntimeException e) {
            if (!exportable) {
                throw e;
            }
            throw new ExportFailed("creating an exportable timeline semaphore on " + device.name() + " failed (" + e.getMessage() + ")", e);
        }
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
