package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.VK_IMAGE_LAYOUT_GENERAL;
import static org.lwjgl.vulkan.VK13.VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;

import dev.baton.render.HandoffSync;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlExternalSemaphore;
import dev.baton.render.gl.GlInfo;
import java.util.List;

/**
 * {@link HandoffSync#GL_SEMAPHORE}: a surface with a GL participant whose GL has
 * {@code GL_EXT_semaphore_fd}. The Vulkan endpoints hand off among themselves exactly as
 * {@link BinarySemaphoreSync} (whose semaphores this reuses); GL imports each Vulkan endpoint's own
 * semaphore and waits on it with {@code glWaitSemaphoreEXT} before touching the texture, and signals
 * one more binary semaphore (exported by Vulkan endpoint 0, imported by every Vulkan endpoint) with
 * {@code glSignalSemaphoreEXT} when it is done. Those two calls are where {@code EXT_external_objects}
 * (sections 4.2.3-4.2.4, issue 14) performs GL's acquire and release of the memory: they make the
 * Vulkan writes visible to GL and GL's writes available to Vulkan, and carry the layout, which is
 * {@code GL_LAYOUT_GENERAL_EXT} on GL's side to match {@code VK_IMAGE_LAYOUT_GENERAL} on Vulkan's,
 * where {@link DeviceMemoryImport} transfers the image from and to {@code VK_QUEUE_FAMILY_EXTERNAL}.
 * GL's fences on its {@link dev.baton.render.gl.GlFenceTimeline} still carry the fence values, for
 * teardown.
 *
 * <p>GL semaphores are binary: the keyed mutex gives one wait per signal, as for Vulkan. No driver
 * here has {@code GL_EXT_semaphore_fd} (llvmpipe lacks it), so this path runs only on hardware
 * drivers; {@code GlEndpointTest} covers it where the extension exists and reports it skipped here.
 *
 * <p>Threading: the Vulkan part as {@link BinarySemaphoreSync}; the {@code gl*} methods on the GL
 * context's owner thread while GL owns the surface (or at attach/close).
 */
final class GlSemaphoreSync extends BinarySemaphoreSync {
    /** {@link #pending()} value: GL signalled {@link #fromGl} and nobody waited yet. */
    private static final int FROM_GL = -2;

    private long[] fromGl = new long[0]; // VkSemaphore per Vulkan endpoint, one payload; [0] created and exported
    private GlExternalSemaphore[] glWaits = new GlExternalSemaphore[0]; // GL's import of each Vulkan endpoint's own semaphore
    private GlExternalSemaphore glSignal;                               // GL's import of fromGl's payload

    @Override
    public HandoffSync kind() {
        return HandoffSync.GL_SEMAPHORE;
    }

    @Override
    public void connect(List<SurfaceEndpoint> endpoints) {
        super.connect(endpoints);
        int n = endpoints.size();
        fromGl = new long[n];
        fromGl[0] = Semaphores.createBinary(deviceOf(0), true);
        for (int i = 1; i < n; i++) {
            fromGl[i] = Semaphores.importBinary(deviceOf(i), Semaphores.exportFd(deviceOf(0), fromGl[0]));
        }
    }

    @Override
    public boolean beginAccess(SurfaceEndpoint acquirer, Participant signaller, long fenceValue, Lease lease) {
        if (pending() == FROM_GL) {
            lease.waitFor(fromGl[acquirer.index()], 0, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
            return true;
        }
        return super.beginAccess(acquirer, signaller, fenceValue, lease);
    }

    /** GL side of {@link #connect}: imports every Vulkan endpoint's semaphore and GL's own. All-or-nothing. GL owner thread. */
    void connectGl(GlContext context, GlInfo info) {
        GlExternalSemaphore[] waits = new GlExternalSemaphore[fromGl.length];
        GlExternalSemaphore signal = null;
        try {
            for (int i = 0; i < waits.length; i++) {
                waits[i] = GlExternalSemaphore.importOpaqueFd(context, info, Semaphores.exportFd(deviceOf(i), ownSemaphore(i)));
            }
            signal = GlExternalSemaphore.importOpaqueFd(context, info, Semaphores.exportFd(deviceOf(0), fromGl[0]));
        } catch (RuntimeException | Error e) {
            for (GlExternalSemaphore w : waits) {
                if (w != null) {
                    w.close();
                }
            }
            throw e;
        }
        glWaits = waits;
        glSignal = signal;
    }

    /**
     * GL acquires: GL's next commands on {@code texture} wait on the GPU for the last Vulkan writer's
     * semaphore (GL's acquire of the memory, layout GENERAL). Nothing to wait for if GL itself was the
     * last signaller or nobody signalled yet. Never blocks. GL owner thread.
     */
    void glBeginAccess(int texture) {
        int from = pending();
        if (from >= 0) {
            glWaits[from].waitBeforeUse(texture, VK_IMAGE_LAYOUT_GENERAL);
        }
    }

    /** GL releases after using {@code texture}: signals GL's semaphore (GL's release, layout GENERAL) and flushes. GL owner thread. */
    void glEndAccess(int texture) {
        glSignal.signalAfterUse(texture, VK_IMAGE_LAYOUT_GENERAL);
        setPending(FROM_GL);
    }

    /** Deletes GL's imports; GL's work must be done. Idempotent. GL owner thread. */
    void closeGl() {
        for (GlExternalSemaphore w : glWaits) {
            w.close();
        }
        glWaits = new GlExternalSemaphore[0];
        if (glSignal != null) {
            glSignal.close();
            glSignal = null;
        }
    }

    @Override
    public void closeEndpoint(SurfaceEndpoint endpoint) {
        super.closeEndpoint(endpoint);
        int i = endpoint.index();
        if (i < fromGl.length && fromGl[i] != 0) {
            Semaphores.destroy(deviceOf(i), fromGl[i]);
            fromGl[i] = 0;
        }
    }
}
