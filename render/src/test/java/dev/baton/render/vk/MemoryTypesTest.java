package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.lwjgl.vulkan.VK10.*;

import org.junit.jupiter.api.Test;

/** Memory-type choice against tables shaped like those discrete and integrated GPUs report. No GPU. */
class MemoryTypesTest {
    private static final int LOCAL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    private static final int VISIBLE = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
    private static final int COHERENT = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    private static final int CACHED = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;

    @Test
    void readBackOnADiscreteGpuAvoidsWriteCombinedAndBarMemory() {
        // Discrete GPU: VRAM, write-combined system memory, cached system memory, BAR (VRAM mapped).
        int[] discrete = {LOCAL, VISIBLE | COHERENT, VISIBLE | COHERENT | CACHED, LOCAL | VISIBLE | COHERENT};
        assertEquals(2, MemoryTypes.choose(discrete, 0b1111, HostBuffer.HOST_REQUIRED, HostBuffer.HOST_PREFERRED));
        // What the old choice (required flags, no preference) took: the write-combined type.
        assertEquals(1, MemoryTypes.choose(discrete, 0b1111, HostBuffer.HOST_REQUIRED, 0));
    }

    @Test
    void fallsBackToUncachedWhenThatIsAllTheResourceAllows() {
        int[] discrete = {LOCAL, VISIBLE | COHERENT, VISIBLE | COHERENT | CACHED};
        assertEquals(1, MemoryTypes.choose(discrete, 0b011, HostBuffer.HOST_REQUIRED, HostBuffer.HOST_PREFERRED));
        assertEquals(-1, MemoryTypes.choose(discrete, 0b001, HostBuffer.HOST_REQUIRED, HostBuffer.HOST_PREFERRED));
    }

    @Test
    void integratedAndCpuDriversKeepTheirFirstType() {
        int[] unified = {LOCAL | VISIBLE | COHERENT | CACHED};
        assertEquals(0, MemoryTypes.choose(unified, 0b1, HostBuffer.HOST_REQUIRED, HostBuffer.HOST_PREFERRED));
        assertEquals(0, MemoryTypes.choose(unified, 0b1, 0, LOCAL));
    }
}
