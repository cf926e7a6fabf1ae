package dev.baton.render.vk;

import dev.baton.sync.Timeline;
import java.nio.ByteBuffer;

/**
 * A surface participant as the surface's handoff record sees it: a Vulkan {@link SurfaceEndpoint} or
 * a {@link GlEndpoint}. The next owner reads it after its acquire (the keyed mutex orders the write
 * before the read) to learn what to wait on and, in the host-copy tier, where the pixels are.
 */
interface Participant {
    /** The timeline this participant's work signals the surface's fence values on. */
    Timeline signalTimeline();

    /**
     * Host-copy tier: host memory holding this participant's latest pixels (RGBA8, tightly packed),
     * valid once {@link #signalTimeline()} reached the fence value it released with.
     */
    ByteBuffer hostPixels();
}
