package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;

import dev.baton.render.HandoffSync;
import java.util.List;

/**
 * {@link HandoffSync#BINARY_SEMAPHORE}: each endpoint has one exportable binary semaphore that every
 * one of its submits signals, and imports every other endpoint's once (a fresh fd each). The next
 * owner's submit waits on the previous signaller's semaphore, which the wait also unsignals, so each
 * payload is recycled: the keyed mutex guarantees one wait per signal. Each endpoint's own timeline
 * still carries the fence values (for teardown and host checks).
 */
class BinarySemaphoreSync implements SurfaceSync {
    /** incoming[i][j]: endpoint i's semaphore sharing endpoint j's payload; incoming[i][i] is i's own, exported one. */
    private long[][] incoming = new long[0][]; // VkSemaphore each
    private DeviceContext[] devices = new DeviceContext[0];
    /** The endpoint whose semaphore is signalled and not yet waited, or -1: written by the mutex owner. */
    private volatile int pending = -1;

    /** The endpoint index whose signal is not yet waited (-1: none; {@link GlSemaphoreSync} adds GL's). Mutex owner. */
    final int pending() {
        return pending;
    }

    final void setPending(int index) {
        pending = index;
    }

    /** Endpoint {@code i}'s own, exported semaphore, which all its submits signal. */
    final long ownSemaphore(int i) {
        return incoming[i][i];
    }

    final DeviceContext deviceOf(int i) {
        return devices[i];
    }

    @Override
    public HandoffSync kind() {
        return HandoffSync.BINARY_SEMAPHORE;
    }

    @Override
    public VulkanTimeline createTimeline(DeviceContext device, String name, int index, int participantCount) {
        return VulkanTimeline.create(device, name, 0, false);
    }

    @Override
    public void connect(List<SurfaceEndpoint> endpoints) {
        int n = endpoints.size();
        incoming = new long[n][n];
        devices = new DeviceContext[n];
        for (int i = 0; i < n; i++) {
            devices[i] = endpoints.get(i).device();
        }
        for (int i = 0; i < n; i++) {
            incoming[i][i] = Semaphores.createBinary(devices[i], true);
        }
        // Each endpoint imports every other endpoint's semaphore once (a fresh fd each).
        for (int consumer = 0; consumer < n; consumer++) {
            for (int producer = 0; producer < n; producer++) {
                if (producer != consumer) {
                    incoming[consumer][producer] = Semaphores.importBinary(devices[consumer],
                            Semaphores.exportFd(devices[producer], incoming[producer][producer]));
                }
            }
        }
    }

    @Override
    public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) {
        int from = pending;
        // A signaller whose device is lost may never signal its semaphore, and a binary semaphore cannot
        // be signalled from the host: never queue a wait on it (the surface is abandoned anyway).
        if (from >= 0 && !(signaller instanceof SurfaceEndpoint && ((SurfaceEndpoint) signaller).device().isLost())) {
            lease.waitFor(incoming[acquirer.index()][from], 0, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        return true;
    }

    @Override
    public void addSignals(SurfaceEndpoint owner) {
        owner.device().addSignal(incoming[owner.index()][owner.index()], 0);
    }

    @Override
    public void endAccess(SurfaceEndpoint owner) {
        pending = owner.index();
    }

    /**
     * Binary semaphores have no host signal, so a survivor's submit already queued on a lost
     * participant's semaphore cannot be released from here: {@link #beginAccess} never queues such a
     * wait once the loss is known, and a wait queued before it completes only if the lost device's
     * signal still executes (on the CPU drivers here it does, since their work still runs). Teardown
     * stays bounded either way ({@link SurfaceEndpoint#awaitIdle}, {@link DeviceContext#close()}). What
     * can be released is the survivors' own timelines, which carry the same fence values for host checks.
     */
    @Override
    public void releaseWaiters(List<SurfaceEndpoint> endpoints, Participant failed, long value) {}

    @Override
    public void closeEndpoint(SurfaceEndpoint endpoint) {
        int i = endpoint.index();
        if (i >= incoming.length) {
            return; // connect never ran (creation failed before it)
        }
        for (int j = 0; j < incoming[i].length; j++) {
            Semaphores.destroy(devices[i], incoming[i][j]);
            incoming[i][j] = 0;
        }
    }
}
