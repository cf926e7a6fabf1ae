/**
 * Baton's Vulkan side: instances, per-participant devices, shared surfaces and their sync tiers.
 *
 * <h2>A render thread's frame</h2>
 * <pre>{@code
 * Lease lease = endpoint.acquire(myKey, timeoutNanos);      // ACQUIRED, TIMEOUT or ABANDONED
 * if (lease.acquired()) {
 *     VkCommandBuffer cmd = recordInto(lease.image());        // image is in GENERAL, ours
 *     device.submit(cmd, lease);                              // waits what the lease says, signals fence+1
 *     lease.release(nextKey, privateData);                    // at submit time; no CPU waits for the GPU
 * }
 * }</pre>
 *
 * <h2>Tiers as implemented</h2>
 * <ul>
 * <li>shared-timeline: participant 0 exports a timeline semaphore, the others import it; a submit
 *     waits for the acquired fence value and signals value+1. Same code as host-bridge minus the
 *     forwarding; not runnable here (no driver exports timelines).</li>
 * <li>binary-semaphore: each endpoint exports one binary semaphore that each of its submits signals;
 *     every other endpoint imports it once. The acquirer waits on its imported copy of the last
 *     signaller's semaphore, which also un-signals it before its producer can signal it again (the
 *     mutex guarantees that order). Two fds per pair at creation, none per frame.</li>
 * <li>host-bridge: each endpoint has its own timeline; at acquire a host thread is asked to forward
 *     value v from the last signaller's timeline to ours, and our submit waits for v on our timeline
 *     (wait-before-signal, which lavapipe in Mesa 22.3 honours).</li>
 * <li>host-copy: each endpoint has a private image and a host-visible staging buffer; every submit
 *     copies the image out at its end; the next acquirer on another device waits (CPU, finite) for
 *     that submit, copies the bytes into its own staging buffer and its submit uploads them first.</li>
 * </ul>
 * Shared-memory tiers hand the image over with queue-family ownership transfers to and from
 * {@code VK_QUEUE_FAMILY_EXTERNAL} (layout GENERAL on both sides) in prerecorded command buffers.
 */
package dev.baton.render.vk;
