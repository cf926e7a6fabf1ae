package dev.baton.render.vk;

import dev.baton.sync.Timeline;

/**
 * A surface participant as the handoff code sees it: the keyed-mutex acquire/release in the endpoints
 * and the {@link SurfaceSync} and {@link SurfaceMemory} choices only ever ask a participant these
 * questions, so they do not know whether it is local or remote.
 *
 * <ul>
 *   <li>Local: a {@link SurfaceEndpoint} (a {@link DeviceContext} in this process) or a
 *       {@link GlEndpoint} (a GL context in this process).
 *   <li>Remote (a producer in another process, connected to the compositor): an implementation over
 *       its connection. Its {@link #signalTimeline()} is either a timeline imported from the fd the
 *       peer sent (shared timeline) or a host-side timeline the connection advances when the peer
 *       reports "fence value reached" (host bridge, host wait): both are plain {@link Timeline}s, which
 *       is all the sync choices read. Its memory is whatever its {@link SurfaceMemory} choice hands it
 *       as fds (the exported device memory's fd with size and memory type; a sealed memfd for host
 *       memory), so the memory choice, not the participant, decides what crosses the connection.
 * </ul>
 *
 * <p>The next owner reads the previous owner's participant after its acquire (the keyed mutex orders
 * the write before the read).
 */
public interface Participant {
    /** {@return the timeline this participant's work signals the surface's fence values on} */
    Timeline signalTimeline();
}
