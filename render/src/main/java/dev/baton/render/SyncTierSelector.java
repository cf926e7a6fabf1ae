package dev.baton.render;

import java.util.List;

/**
 * Chooses a surface's two choices from its participants' capabilities: how its memory is shared
 * ({@link MemorySharing}) and, given that, how the next owner waits ({@link HandoffSync}); the pair is
 * the surface's {@link SyncTier}. Pure: no GPU, no I/O. This class and the choice classes are the only
 * code that decides by kind; everything else asks the chosen objects.
 *
 * <p>The surface's memory is allocated by the first participant and imported by the others, and the
 * surface travels in every direction, so each pair must support the choice both ways.
 */
public final class SyncTierSelector {
    private SyncTierSelector() {}

    /** The chosen tier and a sentence saying why, for logs and {@code ./baton devices}. */
    public record Choice(SyncTier tier, String reason) {
        /** {@return how the surface's memory is shared} */
        public MemorySharing memory() {
            return tier.memory();
        }

        /** {@return how the surface's next owner waits} */
        public HandoffSync sync() {
            return tier.sync();
        }
    }

    /** One of the two choices and why. */
    private record Decision<T>(T kind, String reason) {}

    /**
     * The best tier for a surface that {@code a} allocates (and exports) and {@code b} imports.
     *
     * @param a the allocating participant
     * @param b the importing participant
     * @return the tier and why
     */
    public static Choice choose(InteropCapabilities a, InteropCapabilities b) {
        Decision<MemorySharing> memory = chooseMemory(a, b);
        Decision<HandoffSync> sync = chooseSync(memory.kind(), a, b);
        String reason = sync.reason() == null ? memory.reason() : sync.reason();
        return new Choice(SyncTier.of(memory.kind(), sync.kind()), reason);
    }

    /** Memory first: it decides which sync choices are possible at all. */
    private static Decision<MemorySharing> chooseMemory(InteropCapabilities a, InteropCapabilities b) {
        String memoryProblem = memoryProblem(a, b);
        if (memoryProblem == null) {
            return new Decision<>(MemorySharing.DEVICE_MEMORY, "memory is shareable");
        }
        if (hostMemoryShared(a, b)) {
            return new Decision<>(MemorySharing.HOST_MEMORY, memoryProblem + ", but both import host memory"
                    + " (VK_EXT_external_memory_host), so both map the same sealed memfd pages as a linear image and a host thread"
                    + " forwards each fence value (pixels are copied through host memory instead if the drivers' layouts differ)");
        }
        return new Decision<>(MemorySharing.HOST_COPY, memoryProblem + hostMemoryGap(a, b) + ", so pixels are copied through host memory");
    }

    /** The best sync for {@code memory}; a null reason means the memory's reason says it all. */
    private static Decision<HandoffSync> chooseSync(MemorySharing memory, InteropCapabilities a, InteropCapabilities b) {
        if (memory == MemorySharing.HOST_COPY) {
            return new Decision<>(HandoffSync.HOST_WAIT, null); // the CPU reads the pixels, so the CPU waits
        }
        if (memory == MemorySharing.HOST_MEMORY) {
            return new Decision<>(HandoffSync.HOST_BRIDGE, null); // different drivers share no semaphores
        }
        if (a.glContext() || b.glContext()) {
            return chooseGlSync(a.glContext() ? b : a, a.glContext() ? a : b);
        }
        if (timelinesShared(a, b)) {
            return new Decision<>(HandoffSync.SHARED_TIMELINE, "both export and import OPAQUE_FD timeline semaphores");
        }
        if (binarySemaphoresShared(a, b)) {
            return new Decision<>(HandoffSync.BINARY_SEMAPHORE, "memory is shareable and both export and import OPAQUE_FD binary semaphores"
                    + timelineNote(a, b));
        }
        return new Decision<>(HandoffSync.HOST_BRIDGE, "memory is shareable but " + semaphoreGap(a, b)
                + ", so a host thread forwards each fence value between the devices' own timelines");
    }

    /**
     * Vulkan-GL with shared memory: GL's binary semaphores where GL has {@code GL_EXT_semaphore_fd}
     * and Vulkan exports binary semaphores; otherwise the host bridge, saying what it guarantees.
     */
    private static Decision<HandoffSync> chooseGlSync(InteropCapabilities vulkan, InteropCapabilities gl) {
        if (glSemaphoresShared(vulkan, gl)) {
            return new Decision<>(HandoffSync.GL_SEMAPHORE, "memory is shareable, " + gl.name() + " imports semaphores"
                    + " (GL_EXT_semaphore_fd) and " + vulkan.name() + " exports binary OPAQUE_FD semaphores, so GL waits and"
                    + " signals on its GPU (glWaitSemaphoreEXT/glSignalSemaphoreEXT: GL's acquire and release of the memory)");
        }
        String gap = !gl.binarySemaphoreImport()
                ? gl.name() + " has no GL_EXT_semaphore_fd"
                : vulkan.name() + " cannot export binary OPAQUE_FD semaphores";
        return new Decision<>(HandoffSync.HOST_BRIDGE, "memory is shareable but " + semaphoreGap(vulkan, gl) + " (" + gap
                + "), so a host thread forwards each fence value between the devices' own timelines. " + HOST_PATH_GUARANTEE);
    }

    /**
     * What the host path between Vulkan and GL guarantees, for {@code ./baton devices} and the README.
     * {@code EXT_external_objects} makes memory visible and hands the layout over only in
     * {@code glWaitSemaphoreEXT}/{@code glSignalSemaphoreEXT}.
     */
    public static final String HOST_PATH_GUARANTEE = "Without GL semaphores GL never performs EXT_external_objects' acquire"
            + " and release: the host fence orders GL's work after the producer's (and Vulkan's after GL's), which suffices on"
            + " CPU drivers (no GPU caches), but on a hardware driver the spec does not guarantee that GL sees the producer's"
            + " writes or the layout handover";

    private static boolean glSemaphoresShared(InteropCapabilities vulkan, InteropCapabilities gl) {
        // GL only imports: Vulkan exports both directions' semaphores and uses them natively.
        return gl.binarySemaphoreImport() && vulkan.binarySemaphoreExport() && vulkan.binarySemaphoreImport();
    }

    /** Why host memory is not shared either, once device memory cannot be; empty when neither side could be asked. */
    private static String hostMemoryGap(InteropCapabilities a, InteropCapabilities b) {
        if (a.hostMemoryImport() == b.hostMemoryImport()) {
            return a.hostMemoryImport() ? "" : "; neither imports host memory for a linear image (VK_EXT_external_memory_host)";
        }
        return "; " + (a.hostMemoryImport() ? b.name() : a.name()) + " cannot import host memory for a linear image (VK_EXT_external_memory_host)";
    }

    private static boolean hostMemoryShared(InteropCapabilities a, InteropCapabilities b) {
        return a.hostMemoryImport() && b.hostMemoryImport();
    }

    private static boolean timelinesShared(InteropCapabilities a, InteropCapabilities b) {
        return a.timelineSemaphoreExport() && a.timelineSemaphoreImport() && b.timelineSemaphoreExport() && b.timelineSemaphoreImport();
    }

    private static boolean binarySemaphoresShared(InteropCapabilities a, InteropCapabilities b) {
        return a.binarySemaphoreExport() && a.binarySemaphoreImport() && b.binarySemaphoreExport() && b.binarySemaphoreImport();
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
            if (weakest.tier() == SyncTier.GL_SEMAPHORE) {
                // gl-semaphore was the weakest Vulkan <-> GL pair; the Vulkan pairs must share binary semaphores too.
                for (int i = 0; i < participants.size(); i++) {
                    for (int j = i + 1; j < participants.size(); j++) {
                        String problem = unsupported(SyncTier.GL_SEMAPHORE, participants.get(i), participants.get(j));
                        if (problem != null) {
                            return new Choice(SyncTier.HOST_BRIDGE, participants.get(i).name() + " <-> " + participants.get(j).name()
                                    + " " + problem + ", so every handoff of the surface goes through the host bridge. "
                                    + HOST_PATH_GUARANTEE);
                        }
                    }
                }
            }
            return weakest;
        }
        SyncTier forced = SyncTier.parse(override);
        if (forced == SyncTier.GL_SEMAPHORE && !anyGl(participants)) {
            throw new IllegalArgumentException("sync tier " + forced + " was requested but the surface has no GL participant"
                    + " (gl-semaphore is Vulkan <-> GL only); drop the override or pick " + weakest.tier() + " or a lower tier");
        }
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

    /**
     * Every tier a surface shared by all {@code participants} can use, best first (for a tier switch).
     *
     * @param participants the capabilities of every participant
     * @return the feasible tiers, best first
     */
    public static List<SyncTier> feasible(List<InteropCapabilities> participants) {
        List<SyncTier> tiers = new java.util.ArrayList<>();
        for (SyncTier tier : SyncTier.values()) {
            boolean ok = tier != SyncTier.GL_SEMAPHORE || anyGl(participants);
            for (int i = 0; i < participants.size() && ok; i++) {
                for (int j = i + 1; j < participants.size() && ok; j++) {
                    ok = unsupported(tier, participants.get(i), participants.get(j)) == null;
                }
            }
            if (ok) {
                tiers.add(tier);
            }
        }
        return List.copyOf(tiers);
    }

    private static boolean anyGl(List<InteropCapabilities> participants) {
        for (InteropCapabilities p : participants) {
            if (p.glContext()) {
                return true;
            }
        }
        return false;
    }

    /** Why {@code tier} cannot be used between a and b, or null if it can: its memory choice, then its sync. */
    static String unsupported(SyncTier tier, InteropCapabilities a, InteropCapabilities b) {
        switch (tier.memory()) {
            case HOST_COPY:
                return null; // copies work between any two participants, and host waits need nothing shared
            case DEVICE_MEMORY: {
                String memoryProblem = memoryProblem(a, b);
                if (memoryProblem != null) {
                    return "cannot share memory (" + memoryProblem + ")";
                }
                break;
            }
            case HOST_MEMORY:
                if (!hostMemoryShared(a, b)) {
                    return "cannot import host memory (VK_EXT_external_memory_host on both; GL never can)";
                }
                break;
            default:
                throw new AssertionError(tier.memory());
        }
        switch (tier.sync()) {
            case SHARED_TIMELINE:
                return timelinesShared(a, b) ? null : "cannot share timeline semaphores";
            case BINARY_SEMAPHORE:
                return binarySemaphoresShared(a, b) && !a.glContext() && !b.glContext() ? null : "cannot share binary semaphores";
            case GL_SEMAPHORE:
                if (a.glContext() && b.glContext()) {
                    return "are two GL contexts (gl-semaphore needs a Vulkan device to export the semaphores)";
                }
                if (!a.glContext() && !b.glContext()) {
                    // two Vulkan participants of a surface with GL hand off through their own binary semaphores
                    return binarySemaphoresShared(a, b) ? null : "cannot share binary semaphores";
                }
                return glSemaphoresShared(a.glContext() ? b : a, a.glContext() ? a : b) ? null
                        : "cannot share GL semaphores (GL needs GL_EXT_semaphore_fd, Vulkan binary OPAQUE_FD export)";
            default:
                return null; // host-bridge and host-wait need only host-signalled timelines (Vulkan 1.2 core)
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
