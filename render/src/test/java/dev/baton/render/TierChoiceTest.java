package dev.baton.render;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.TierChoice.Caps;
import dev.baton.render.TierChoice.Choice;
import dev.baton.render.TierChoice.SyncTier;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** GPU-free: the tier rules on made-up capabilities shaped like this machine's and real GPUs'. */
class TierChoiceTest {
    private static final byte[] MESA_DRIVER = uuid(1);
    private static final byte[] MESA_DEVICE = uuid(2);
    private static final byte[] SWIFTSHADER_DRIVER = uuid(3);
    private static final byte[] SWIFTSHADER_DEVICE = uuid(4);

    private static byte[] uuid(int seed) {
        byte[] uuid = new byte[16];
        uuid[0] = (byte) seed;
        return uuid;
    }

    /** lavapipe: OPAQUE_FD memory both ways, no external semaphores. */
    private static Caps lavapipe(String name) {
        return new Caps(name, MESA_DRIVER, MESA_DEVICE, true, true, false, false, false, false);
    }

    /** SwiftShader: memory and binary semaphores both ways, timeline not exportable. */
    private static Caps swiftShader(String name) {
        return new Caps(name, SWIFTSHADER_DRIVER, SWIFTSHADER_DEVICE, true, true, true, true, false, false);
    }

    /** A real GPU: everything. */
    private static Caps fullGpu(String name) {
        return new Caps(name, uuid(9), uuid(10), true, true, true, true, true, true);
    }

    @Nested
    class VulkanPairs {
        @Test
        void differentUuidsCopyThroughTheHost() {
            Choice choice = TierChoice.choose(lavapipe("lavapipe"), swiftShader("SwiftShader"));
            assertEquals(SyncTier.HOST_COPY, choice.tier());
            assertTrue(choice.reason().contains("driver UUIDs differ"), choice.reason());
        }

        @Test
        void sameDeviceWithoutExternalSemaphoresBridgesOnTheHost() {
            Choice choice = TierChoice.choose(lavapipe("lavapipe#a"), lavapipe("lavapipe#b"));
            assertEquals(SyncTier.HOST_BRIDGE, choice.tier());
            assertTrue(choice.reason().contains("neither side can export or import binary or timeline"), choice.reason());
        }

        @Test
        void binaryOnlySemaphoresGiveTheBinaryTier() {
            assertEquals(SyncTier.BINARY_SEMAPHORE, TierChoice.choose(swiftShader("a"), swiftShader("b")).tier());
        }

        @Test
        void timelineExportAndImportGiveTheSharedTimeline() {
            assertEquals(SyncTier.SHARED_TIMELINE, TierChoice.choose(fullGpu("a"), fullGpu("b")).tier());
        }

        @Test
        void oneExporterAndOneImporterAreEnough() {
            Caps exporter = new Caps("exporter", MESA_DRIVER, MESA_DEVICE, true, false, false, false, true, false);
            Caps importer = new Caps("importer", MESA_DRIVER, MESA_DEVICE, false, true, false, false, false, true);
            assertEquals(SyncTier.SHARED_TIMELINE, TierChoice.choose(exporter, importer).tier());
            assertEquals(SyncTier.SHARED_TIMELINE, TierChoice.choose(importer, exporter).tier(), "symmetric");
        }

        @Test
        void sameUuidsButNoMemoryPairCopies() {
            Caps noImport = new Caps("a", MESA_DRIVER, MESA_DEVICE, true, false, true, true, true, true);
            Caps noImportEither = new Caps("b", MESA_DRIVER, MESA_DEVICE, true, false, true, true, true, true);
            assertEquals(SyncTier.HOST_COPY, TierChoice.choose(noImport, noImportEither).tier());
        }

        @Test
        void unknownUuidsCopy() {
            Caps unknown = new Caps("old driver", null, null, true, true, true, true, true, true);
            assertEquals(SyncTier.HOST_COPY, TierChoice.choose(unknown, fullGpu("gpu")).tier());
        }
    }

    @Nested
    class VulkanAndGl {
        @Test
        void llvmpipeWithLavapipeBridgesOnTheHost() {
            Caps gl = Caps.openGl("GL llvmpipe", MESA_DRIVER, MESA_DEVICE, true, false);
            Choice choice = TierChoice.choose(lavapipe("lavapipe"), gl);
            assertEquals(SyncTier.HOST_BRIDGE, choice.tier());
            assertTrue(choice.reason().contains("neither side can export or import"), choice.reason());
        }

        @Test
        void glWithSemaphoreFdUsesBinarySemaphoresNeverTheTimeline() {
            Caps gl = Caps.openGl("GL", uuid(9), uuid(10), true, true);
            assertEquals(SyncTier.BINARY_SEMAPHORE, TierChoice.choose(fullGpu("gpu"), gl).tier());
        }

        @Test
        void glOnAnotherDeviceCopies() {
            Caps gl = Caps.openGl("GL llvmpipe", MESA_DRIVER, MESA_DEVICE, true, false);
            assertEquals(SyncTier.HOST_COPY, TierChoice.choose(swiftShader("SwiftShader"), gl).tier());
        }

        @Test
        void glWithoutMemoryObjectsCopies() {
            Caps gl = Caps.openGl("GL", MESA_DRIVER, MESA_DEVICE, false, false);
            assertEquals(SyncTier.HOST_COPY, TierChoice.choose(lavapipe("lavapipe"), gl).tier());
        }
    }

    @Test
    void labelsMatchTheDocumentedNames() {
        assertEquals("shared-timeline", SyncTier.SHARED_TIMELINE.label());
        assertEquals("binary-semaphore", SyncTier.BINARY_SEMAPHORE.label());
        assertEquals("host-bridge", SyncTier.HOST_BRIDGE.label());
        assertEquals("host-copy", SyncTier.HOST_COPY.label());
    }
}
