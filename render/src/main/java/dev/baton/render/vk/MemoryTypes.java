package dev.baton.render.vk;

/**
 * Memory-type choice over a device's {@code VkPhysicalDeviceMemoryProperties}, as a pure function of
 * the property flags of each type so that it can be tested with the tables real GPUs report.
 */
final class MemoryTypes {
    private MemoryTypes() {}

    /**
     * The first type allowed by {@code typeBits} that has every {@code required | preferred} flag, else
     * the first with every {@code required} flag, else -1. Drivers list types best-first within equal
     * flags (Vulkan spec, "Device Memory": the order is a preference), so the first match is the one to use.
     */
    static int choose(int[] typeFlags, int typeBits, int required, int preferred) {
        int best = first(typeFlags, typeBits, required | preferred);
        return best >= 0 ? best : first(typeFlags, typeBits, required);
    }

    private static int first(int[] typeFlags, int typeBits, int flags) {
        for (int i = 0; i < typeFlags.length && i < 32; i++) {
            if ((typeBits & (1 << i)) != 0 && (typeFlags[i] & flags) == flags) {
                return i;
            }
        }
        return -1;
    }
}
