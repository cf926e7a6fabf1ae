package dev.baton.render;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Which synchronization tier two participants (Vulkan devices or a GL context) can use to hand a
 * surface to each other, from their capabilities alone. Pure function, no GPU: unit-testable.
 *
 * <p>Tiers, best first:
 * <ol>
 *   <li>{@link SyncTier#SHARED_TIMELINE}: one timeline semaphore exported by one side and imported by
 *       the other; both GPUs wait and signal it directly.
 *   <li>{@link SyncTier#BINARY_SEMAPHORE}: a pair of binary OPAQUE_FD semaphores per handoff
 *       (for GL: {@code GL_EXT_semaphore_fd}).
 *   <li>{@link SyncTier#HOST_BRIDGE}: memory is shared, but no usable external semaphores: the host
 *       waits on the producer's timeline/fence and signals the consumer's.
 *   <li>{@link SyncTier#HOST_COPY}: memory cannot be shared (different driver/device UUIDs, or no
 *       OPAQUE_FD image memory export/import pair): pixels are copied through host memory.
 * </ol>
 */
public final class TierChoice {
    private TierChoice() {}

    /** The synchronization tier of a pair, with the label used in output and configuration. */
    public enum SyncTier {
        SHARED_TIMELINE("shared-timeline"),
        BINARY_SEMAPHORE("binary-semaphore"),
        HOST_BRIDGE("host-bridge"),
        HOST_COPY("host-copy");

        private final String label;

        SyncTier(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * One participant's interop capabilities, all for OPAQUE_FD handles and an RGBA8 optimal 2D image.
     *
     * @param name for reasons, such as {@code "lavapipe"} or {@code "GL llvmpipe"}
     * @param driverUuid 16 bytes, or null if unknown (then nothing can be shared)
     * @param deviceUuid 16 bytes, or null if unknown
     */
    public record Caps(
            String name,
            byte[] driverUuid,
            byte[] deviceUuid,
            boolean memoryExport,
            boolean memoryImport,
            boolean binarySemaphoreExport,
            boolean binarySemaphoreImport,
            boolean timelineSemaphoreExport,
            boolean timelineSemaphoreImport) {

        public Caps {
            driverUuid = driverUuid == null ? null : driverUuid.clone();
            deviceUuid = deviceUuid == null ? null : deviceUuid.clone();
        }

        /**
         * A GL context: it imports memory ({@code GL_EXT_memory_object_fd}) and binary semaphores
         * ({@code GL_EXT_semaphore_fd}) but exports neither and has no timeline semaphores.
         */
        public static Caps openGl(String name, byte[] driverUuid, byte[] deviceUuid, boolean memoryObjectFd, boolean semaphoreFd) {
            return new Caps(name, driverUuid, deviceUuid, false, memoryObjectFd, false, semaphoreFd, false, false);
        }

        @Override
        public byte[] driverUuid() {
            return driverUuid == null ? null : driverUuid.clone();
        }

        @Override
        public byte[] deviceUuid() {
            return deviceUuid == null ? null : deviceUuid.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Caps c && name.equals(c.name) && Arrays.equals(driverUuid, c.driverUuid)
                    && Arrays.equals(deviceUuid, c.deviceUuid) && memoryExport == c.memoryExport && memoryImport == c.memoryImport
                    && binarySemaphoreExport == c.binarySemaphoreExport && binarySemaphoreImport == c.binarySemaphoreImport
                    && timelineSemaphoreExport == c.timelineSemaphoreExport && timelineSemaphoreImport == c.timelineSemaphoreImport;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(deviceUuid);
        }

        @Override
        public String toString() {
            return "Caps[" + name + "]";
        }
    }

    /** The chosen tier and a one-line reason a user can act on. */
    public record Choice(SyncTier tier, String reason) {}

    /** Chooses the best tier for handing surfaces between {@code a} and {@code b} (symmetric). */
    public static Choice choose(Caps a, Caps b) {
        if (a.driverUuid == null || b.driverUuid == null || a.deviceUuid == null || b.deviceUuid == null) {
            String unknown = a.driverUuid == null || a.deviceUuid == null ? a.name : b.name;
            return new Choice(SyncTier.HOST_COPY, unknown + " reports no driver/device UUID, so its memory cannot be shared");
        }
        if (!Arrays.equals(a.driverUuid, b.driverUuid) || !Arrays.equals(a.deviceUuid, b.deviceUuid)) {
            String what = !Arrays.equals(a.driverUuid, b.driverUuid) ? "driver UUIDs differ (" + shortHex(a.driverUuid) + " vs "
                    + shortHex(b.driverUuid) + ")" : "device UUIDs differ (" + shortHex(a.deviceUuid) + " vs " + shortHex(b.deviceUuid) + ")";
            return new Choice(SyncTier.HOST_COPY, what + ": different drivers/devices cannot share memory, so pixels go through host memory");
        }
        if (!(a.memoryExport && b.memoryImport) && !(b.memoryExport && a.memoryImport)) {
            return new Choice(SyncTier.HOST_COPY, "same UUIDs, but no side exports OPAQUE_FD RGBA8 image memory that the other imports");
        }
        if (a.timelineSemaphoreExport && b.timelineSemaphoreImport || b.timelineSemaphoreExport && a.timelineSemaphoreImport) {
            return new Choice(SyncTier.SHARED_TIMELINE, "same UUIDs; OPAQUE_FD timeline semaphores export and import");
        }
        String timelines = pairSummary(a, b, "timeline", a.timelineSemaphoreExport, a.timelineSemaphoreImport,
                b.timelineSemaphoreExport, b.timelineSemaphoreImport);
        if (a.binarySemaphoreExport && b.binarySemaphoreImport || b.binarySemaphoreExport && a.binarySemaphoreImport) {
            return new Choice(SyncTier.BINARY_SEMAPHORE, "same UUIDs; binary OPAQUE_FD semaphores export and import, timeline ones do not ("
                    + timelines + ")");
        }
        String any = pairSummary(a, b, "binary or timeline semaphores",
                a.binarySemaphoreExport || a.timelineSemaphoreExport, a.binarySemaphoreImport || a.timelineSemaphoreImport,
                b.binarySemaphoreExport || b.timelineSemaphoreExport, b.binarySemaphoreImport || b.timelineSemaphoreImport);
        return new Choice(SyncTier.HOST_BRIDGE, "same UUIDs, memory shared; no external semaphore both sides can use ("
                + any + "), so the host waits on one side and signals the other");
    }

    /** "X can only export timeline; Y can only import timeline", or "both ..." / "neither side ..." when the two are alike. */
    private static String pairSummary(Caps a, Caps b, String kind, boolean aExports, boolean aImports, boolean bExports, boolean bImports) {
        String aCan = ability(aExports, aImports);
        String bCan = ability(bExports, bImports);
        if (aCan.equals(bCan)) {
            return (aExports || aImports ? "both " + aCan : "neither side can export or import") + " " + kind;
        }
        return a.name + " " + aCan + " " + kind + "; " + b.name + " " + bCan + " " + kind;
    }

    private static String ability(boolean exports, boolean imports) {
        return exports && imports ? "can export and import" : exports ? "can only export" : imports ? "can only import" : "can neither export nor import";
    }

    private static String shortHex(byte[] uuid) {
        return HexFormat.of().formatHex(uuid, 0, 4) + "...";
    }
}
