package dev.baton.render;

import java.util.List;

/**
 * Chooses the sync tier for a surface from its participants' capabilities. Pure: no GPU, no I/O.
 *
 * <p>The surface's memory is allocated by the first participant and imported by the others, and the
 * surface travels in every direction, so each pair must support the tier both ways.
 */
public final class SyncTierSelector {
    private SyncTierSelector() {}

    /** The chosen tier and a sentence saying why, for logs and {@code ./baton devices}. */
    public record Choice(SyncTier tier, String reason) {}

    /**
     * The best tier for a surface that {@code a} allocates (and exports) and {@code b} imports.
     *
     * @param a the allocating participant
     * @param b the importing participant
     * @return the tier and why
     */
    public static Choice choose(InteropCapabilities a, InteropCapabilities b) {
        String memoryProblem = memoryProblem(a, b);
        if (memoryProblem != null) {
            return new Choice(SyncTier.HOST_COPY, memoryProblem + ", so pixels are copied through host memory");
        }
        if (a.timelineSemaphoreExport() && a.timelineSemaphoreImport()
                && b.timelineSemaphoreExport() && b.timelineSemaphoreImport()) {
            return new Choice(SyncTier.SHARED_TIMELINE, "both export and import OPAQUE_FD timeline semaphores");
        }
        if (a.binarySemaphoreExport() && a.binarySemaphoreImport()
                && b.binarySemaphoreExport() && b.binarySemaphoreImport()) {
            return new Choice(SyncTier.BINARY_SEMAPHORE, "memory is shareable and both export and import OPAQUE_FD binary semaphores"
                    + timelineNote(a, b));
        }
        return new Choice(SyncTier.HOST_BRIDGE, "memory is shareable but " + semaphoreGap(a, b)
                + ", so a host thread forwards each fence value between the devices' own timelines");
    }

    /**
     * The tier for a surface shared by all {@code participants}: the weakest of every pair's best
     * tier (a surface uses one tier). With an {@code override} (a tier name, or null/blank for none),
     * that tier is used if every pair supports it.
     *
     * @param participants every participant, the allocating one first
     * @param override a tier name to force, or null or blank to choose
     * @return the tier and why
     * @throws IllegalArgumentException if the override names an unknown tier or one some pair cannot use
     */
    public static Choice choose(List<InteropCapabilities> participants, String override) {
        if (participants.isEmpty()) {
            throw new IllegalArgumentException("a surface needs at least one participant");
        }
        Choice weakest = participants.size() == 1
                ? new Choice(SyncTier.SHARED_TIMELINE, "a single participant needs no cross-device sync")
                : null;
        for (int i = 0; i < participants.size(); i++) {
            for (int j = i + 1; j < participants.size(); j++) {
                Choice pair = choose(participants.get(i), participants.get(j));
                if (weakest == null || pair.tier().ordinal() > weakest.tier().ordinal()) {
                    weakest = new Choice(pair.tier(), participants.get(i).name() + " <-> " + participants.get(j).name() + ": " + pair.reason());
                }
            }
        }
        if (override == null || override.isBlank()) {
            return weakest;
        }
        SyncTier forced = SyncTier.parse(override);
        for (int i = 0; i < participants.size(); i++) {
            for (int j = i + 1; j < participants.size(); j++) {
                String problem = unsupported(forced, participants.get(i), participants.get(j));
                if (problem != null) {
                    throw new IllegalArgumentException("sync tier " + forced + " was requested but " + participants.get(i).name()
                            + " <-> " + participants.get(j).name() + " " + problem + "; drop the override or pick "
                            + choose(participants.get(i), participants.get(j)).tier() + " or a lower tier");
                }
            }
        }
        return new Choice(forced, "requested by name (best available: " + weakest.tier() + ")");
    }

    /** Why {@code tier} cannot be used between a and b, or null if it can. */
    static String unsupported(SyncTier tier, InteropCapabilities a, InteropCapabilities b) {
        if (tier == SyncTier.HOST_COPY) {
            return null;
        }
        String memoryProblem = memoryProblem(a, b);
        if (memoryProblem != null) {
            return "cannot share memory (" + memoryProblem + ")";
        }
        switch (tier) {
            case SHARED_TIMELINE:
                return a.timelineSemaphoreExport() && a.timelineSemaphoreImport() && b.timelineSemaphoreExport() && b.timelineSemaphoreImport()
                        ? null : "cannot share timeline semaphores";
            case BINARY_SEMAPHORE:
                return a.binarySemaphoreExport() && a.binarySemaphoreImport() && b.binarySemaphoreExport() && b.binarySemaphoreImport()
                        ? null : "cannot share binary semaphores";
            default:
                return null; // host-bridge only needs shareable memory and host-signalled timelines (Vulkan 1.2 core)
        }
    }

    private static String memoryProblem(InteropCapabilities a, InteropCapabilities b) {
        if (!a.driverUuid().equals(b.driverUuid())) {
            return "driver UUIDs differ (" + a.name() + " " + a.driverUuid() + ", " + b.name() + " " + b.driverUuid() + ")";
        }
        if (!a.deviceUuid().equals(b.deviceUuid())) {
            return "device UUIDs differ (" + a.name() + " " + a.deviceUuid() + ", " + b.name() + " " + b.deviceUuid() + ")";
        }
        // a allocates and exports (a surface's first participant), b imports; GL only ever imports.
        if (!(a.memoryExport() && b.memoryImport())) {
            return "OPAQUE_FD image memory cannot be exported by " + a.name() + " and imported by " + b.name()
                    + " (Vulkan needs VK_KHR_external_memory_fd, GL needs GL_EXT_memory_object_fd)";
        }
        return null;
    }

    private static String semaphoreGap(InteropCapabilities a, InteropCapabilities b) {
        boolean aNone = !(a.binarySemaphoreExport() && a.binarySemaphoreImport());
        boolean bNone = !(b.binarySemaphoreExport() && b.binarySemaphoreImport());
        if (aNone && bNone) {
            return "neither shares semaphores";
        }
        return (aNone ? a.name() : b.name()) + " cannot export and import semaphores as OPAQUE_FD";
    }

    private static String timelineNote(InteropCapabilities a, InteropCapabilities b) {
        return (a.timelineSemaphoreExport() && b.timelineSemaphoreExport()) ? "" : " (timeline semaphores are not exportable)";
    }
}
