package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ExportedImageMemory;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Issue 9 defect 5: an importer allocates exactly the exporter's size in the exporter's memory type
 * (VUID-VkMemoryAllocateInfo-allocationSize-01742, VUID-VkMemoryDedicatedAllocateInfo-image-02964),
 * received with the exported memory, and refuses with a clear message (before taking an fd) when its
 * own requirements for the identical image differ. Before the fix a larger size was accepted and the
 * type recomputed.
 */
class ImportRequirementsTest extends GpuTest {
    static final int W = 40;
    static final int H = 24;

    @TestFactory
    Stream<DynamicTest> importerUsesTheExportersSizeAndType() {
        return perDevice("import requirements", this::rejection, d -> {
            DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
            DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
            SurfaceImage exported = own(SurfaceImage.createExportable(a, W, H));
            SurfaceImage imported = own(SurfaceImage.importFrom(b, exported));
            assertEquals(exported.allocationSizeBytes(), imported.allocationSizeBytes());
            assertEquals(exported.memoryTypeIndex(), imported.memoryTypeIndex(), "the importer allocates in the exporter's memory type");
            assertEquals(exported.vkUsage(), imported.vkUsage());
            assertEquals(exported.vkCreateFlags(), imported.vkCreateFlags());
        });
    }

    @TestFactory
    Stream<DynamicTest> refusesASizeOtherThanItsOwnRequirement() {
        return perDevice("import size mismatch", this::rejection, d -> {
            DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
            DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
            SurfaceImage exported = own(SurfaceImage.createExportable(a, W, H));
            for (long delta : new long[] {4096, -exported.allocationSizeBytes() / 2}) {
                Altered larger = new Altered(exported, exported.allocationSizeBytes() + delta, exported.memoryTypeIndex());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SurfaceImage.importFrom(b, larger));
                assertTrue(e.getMessage().contains("needs exactly") && e.getMessage().contains("requirements differ"), e.getMessage());
                assertEquals(0, larger.fdsTaken, "no fd may be taken when the import is refused");
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> refusesAMemoryTypeItsRequirementsDoNotAllow() {
        return perDevice("import type mismatch", this::rejection, d -> {
            DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
            DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
            SurfaceImage exported = own(SurfaceImage.createExportable(a, W, H));
            for (int type : new int[] {31, -1}) {
                assertNotEquals(exported.memoryTypeIndex(), type);
                Altered other = new Altered(exported, exported.allocationSizeBytes(), type);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SurfaceImage.importFrom(b, other));
                assertTrue(e.getMessage().contains("memory type " + type) && e.getMessage().contains("requirements differ"), e.getMessage());
                assertEquals(0, other.fdsTaken);
            }
        });
    }

    /** The exporter's memory with another size or type, as an exporter on a differing driver would report it. */
    private static final class Altered implements ExportedImageMemory {
        private final ExportedImageMemory real;
        private final long size;
        private final int type;
        int fdsTaken;

        Altered(ExportedImageMemory real, long size, int type) {
            this.real = real;
            this.size = size;
            this.type = type;
        }

        @Override public int width() { return real.width(); }
        @Override public int height() { return real.height(); }
        @Override public int vkFormat() { return real.vkFormat(); }
        @Override public boolean linearTiling() { return real.linearTiling(); }
        @Override public int vkUsage() { return real.vkUsage(); }
        @Override public int vkCreateFlags() { return real.vkCreateFlags(); }
        @Override public int memoryTypeIndex() { return type; }
        @Override public long allocationSizeBytes() { return size; }
        @Override public byte[] driverUuid() { return real.driverUuid(); }
        @Override public byte[] deviceUuid() { return real.deviceUuid(); }

        @Override
        public int dupFd() {
            fdsTaken++;
            return real.dupFd();
        }
    }
}
