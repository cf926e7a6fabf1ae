package dev.baton.render;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Tier selection is pure logic: no GPU. */
class SyncTierSelectorTest {
    static final String LVP = "6c6c766d706970650000000000000000";
    static final String SWS = "53776966745368616465720000000000";

    static InteropCapabilities lavapipe(String name) {
        return new InteropCapabilities(name, LVP, LVP, true, true, false, false, false, false);
    }

    static InteropCapabilities swiftshader(String name) {
        return new InteropCapabilities(name, SWS, SWS, true, true, true, true, false, false);
    }

    static InteropCapabilities gpu(String name) {
        return new InteropCapabilities(name, "aa", "bb", true, true, true, true, true, true);
    }

    @Nested
    class Pairs {
        @Test
        void hardwareWithTimelineExportSharesOneTimeline() {
            assertEquals(SyncTier.SHARED_TIMELINE, SyncTierSelector.choose(gpu("a"), gpu("b")).tier());
        }

        @Test
        void swiftShaderUsesBinarySemaphores() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(swiftshader("a"), swiftshader("b"));
            assertEquals(SyncTier.BINARY_SEMAPHORE, c.tier());
            assertTrue(c.reason().contains("timeline semaphores are not exportable"), c.reason());
        }

        @Test
        void lavapipeHasNoExternalSemaphoresSoBridges() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(lavapipe("a"), lavapipe("b"));
            assertEquals(SyncTier.HOST_BRIDGE, c.tier());
            assertTrue(c.reason().contains("neither shares semaphores"), c.reason());
        }

        @Test
        void differentUuidsCopy() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(lavapipe("lvp"), swiftshader("sws"));
            assertEquals(SyncTier.HOST_COPY, c.tier());
            assertTrue(c.reason().contains("driver UUIDs differ"), c.reason());
        }

        @Test
        void sameDriverDifferentDeviceCopies() {
            InteropCapabilities other = new InteropCapabilities("x", LVP, "ff", true, true, false, false, false, false);
            assertEquals(SyncTier.HOST_COPY, SyncTierSelector.choose(lavapipe("a"), other).tier());
        }

        @Test
        void oneSideCannotImportMemoryCopies() {
            InteropCapabilities noImport = new InteropCapabilities("x", SWS, SWS, true, false, true, true, false, false);
            assertEquals(SyncTier.HOST_COPY, SyncTierSelector.choose(swiftshader("a"), noImport).tier());
        }

        @Test
        void oneSideWithoutSemaphoresBridges() {
            InteropCapabilities half = new InteropCapabilities("half", SWS, SWS, true, true, true, false, false, false);
            SyncTierSelector.Choice c = SyncTierSelector.choose(swiftshader("a"), half);
            assertEquals(SyncTier.HOST_BRIDGE, c.tier());
            assertTrue(c.reason().contains("half"), c.reason());
        }
    }

    @Nested
    class Direction {
        /** Memory goes one way: the first participant allocates and exports, the second imports. */
        @Test
        void memoryNeedsExportOnTheAllocatorAndImportOnTheOtherSide() {
            InteropCapabilities exporter = new InteropCapabilities("exporter", LVP, LVP, true, false, false, false, false, false);
            InteropCapabilities importer = new InteropCapabilities("importer", LVP, LVP, false, true, false, false, false, false);
            assertEquals(SyncTier.HOST_BRIDGE, SyncTierSelector.choose(exporter, importer).tier());
            SyncTierSelector.Choice reversed = SyncTierSelector.choose(importer, exporter);
            assertEquals(SyncTier.HOST_COPY, reversed.tier());
            assertTrue(reversed.reason().contains("cannot be exported by importer and imported by exporter"), reversed.reason());
        }

        @Test
        void semaphoreTiersNeedExportAndImportOnBothSides() {
            InteropCapabilities exportOnly = new InteropCapabilities("exportOnly", "aa", "bb", true, true, true, false, true, false);
            InteropCapabilities importOnly = new InteropCapabilities("importOnly", "aa", "bb", true, true, false, true, false, true);
            SyncTierSelector.Choice c = SyncTierSelector.choose(exportOnly, importOnly);
            assertEquals(SyncTier.HOST_BRIDGE, c.tier(), "the surface travels both ways, so one-way semaphores are not enough");
            assertTrue(c.reason().contains("neither shares semaphores"), c.reason());
        }
    }

    /** GL only imports memory; with GL_EXT_semaphore_fd it imports binary semaphores too (see {@link InteropCapabilities#forGl}). */
    @Nested
    class VulkanAndGl {
        final InteropCapabilities llvmpipe = InteropCapabilities.forGl("GL llvmpipe", LVP, LVP, true);

        @Test
        void lavapipeToLlvmpipeBridgesOnTheHost() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(lavapipe("lavapipe"), llvmpipe);
            assertEquals(SyncTier.HOST_BRIDGE, c.tier());
            assertTrue(c.reason().contains("neither shares semaphores"), c.reason());
            assertTrue(c.reason().contains("host thread forwards each fence value"), c.reason());
        }

        @Test
        void glNeverAllocatesSoGlFirstCopies() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(llvmpipe, lavapipe("lavapipe"));
            assertEquals(SyncTier.HOST_COPY, c.tier());
            assertTrue(c.reason().contains("cannot be exported by GL llvmpipe"), c.reason());
        }

        /** Without GL_EXT_semaphore_fd GL bridges on the host, and the reason says what that does not guarantee. */
        @Test
        void glWithoutSemaphoreFdBridgesAndSaysWhatTheHostPathGuarantees() {
            InteropCapabilities gl = InteropCapabilities.forGl("GL gpu", "aa", "bb", true);
            SyncTierSelector.Choice c = SyncTierSelector.choose(gpu("gpu"), gl);
            assertEquals(SyncTier.HOST_BRIDGE, c.tier());
            assertTrue(c.reason().contains("GL gpu cannot export and import semaphores"), c.reason());
            assertTrue(c.reason().contains("GL gpu has no GL_EXT_semaphore_fd"), c.reason());
            assertTrue(c.reason().contains("the spec does not guarantee that GL sees the producer's writes"), c.reason());
        }

        /** GL's real GL_EXT_semaphore_fd: binary semaphores exported by Vulkan, waited and signalled by GL (its acquire/release). */
        @Test
        void glWithSemaphoreFdUsesGlSemaphoresWithAVulkanDeviceThatExportsBinarySemaphores() {
            InteropCapabilities gl = InteropCapabilities.forGl("GL gpu", "aa", "bb", true, true);
            assertTrue(gl.binarySemaphoreImport() && !gl.binarySemaphoreExport() && gl.glContext(), "GL imports binary semaphores only");
            SyncTierSelector.Choice c = SyncTierSelector.choose(gpu("gpu"), gl);
            assertEquals(SyncTier.GL_SEMAPHORE, c.tier(), c.reason());
            assertEquals(MemorySharing.DEVICE_MEMORY, c.memory());
            assertEquals(HandoffSync.GL_SEMAPHORE, c.sync());
            assertTrue(c.reason().contains("glWaitSemaphoreEXT/glSignalSemaphoreEXT"), c.reason());
            assertEquals(List.of(SyncTier.GL_SEMAPHORE, SyncTier.HOST_BRIDGE, SyncTier.HOST_COPY),
                    SyncTierSelector.feasible(List.of(gpu("gpu"), gl)), "never the Vulkan-only semaphore tiers with GL");
        }

        @Test
        void glWithSemaphoreFdBridgesWhenTheVulkanDeviceCannotExportSemaphores() {
            InteropCapabilities gl = InteropCapabilities.forGl("GL lvp", LVP, LVP, true, true);
            SyncTierSelector.Choice c = SyncTierSelector.choose(lavapipe("lavapipe"), gl);
            assertEquals(SyncTier.HOST_BRIDGE, c.tier());
            assertTrue(c.reason().contains("lavapipe cannot export binary OPAQUE_FD semaphores"), c.reason());
        }

        @Test
        void aSurfaceOfTwoVulkanDevicesAndGlUsesGlSemaphoresOnlyIfTheVulkanPairSharesBinarySemaphores() {
            InteropCapabilities gl = InteropCapabilities.forGl("GL gpu", "aa", "bb", true, true);
            assertEquals(SyncTier.GL_SEMAPHORE, SyncTierSelector.choose(List.of(gpu("a"), gpu("b"), gl), null).tier());
            InteropCapabilities noBinary = new InteropCapabilities("c", "aa", "bb", true, true, false, false, false, false);
            SyncTierSelector.Choice c = SyncTierSelector.choose(List.of(gpu("a"), noBinary, gl), null);
            assertEquals(SyncTier.HOST_BRIDGE, c.tier(), c.reason());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SyncTierSelector.choose(List.of(gpu("a"), gpu("b")), "gl-semaphore"));
            assertTrue(e.getMessage().contains("has no GL participant"), e.getMessage());
        }

        @Test
        void binarySemaphoresAreNeverForcedBetweenVulkanAndGl() {
            InteropCapabilities gl = InteropCapabilities.forGl("GL gpu", "aa", "bb", true, true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SyncTierSelector.choose(List.of(gpu("a"), gl), "binary-semaphore"));
            assertTrue(e.getMessage().contains("cannot share binary semaphores"), e.getMessage());
        }

        @Test
        void glOnAnotherDriverCopies() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(swiftshader("SwiftShader"), llvmpipe);
            assertEquals(SyncTier.HOST_COPY, c.tier());
            assertTrue(c.reason().contains("driver UUIDs differ (SwiftShader " + SWS + ", GL llvmpipe " + LVP + ")"), c.reason());
            assertTrue(c.reason().endsWith("so pixels are copied through host memory"), c.reason());
        }

        @Test
        void glWithoutMemoryObjectFdCopies() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(lavapipe("lavapipe"), InteropCapabilities.forGl("GL", LVP, LVP, false));
            assertEquals(SyncTier.HOST_COPY, c.tier());
            assertTrue(c.reason().contains("imported by GL"), c.reason());
        }

        @Test
        void glWithoutMemoryObjectHasNoUuidsAndCopies() {
            assertEquals(SyncTier.HOST_COPY, SyncTierSelector.choose(lavapipe("lavapipe"), InteropCapabilities.forGl("GL", "", "", false)).tier());
        }

        @Test
        void aSurfaceWithGlCannotBeForcedOntoSemaphores() {
            assertEquals(SyncTier.HOST_BRIDGE, SyncTierSelector.choose(List.of(lavapipe("a"), llvmpipe), null).tier());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SyncTierSelector.choose(List.of(swiftshader("a"), InteropCapabilities.forGl("GL", SWS, SWS, true)), "binary-semaphore"));
            assertTrue(e.getMessage().contains("cannot share binary semaphores"), e.getMessage());
        }
    }

    @Test
    void tierIdsAreTheDocumentedNamesAndParseBack() {
        assertEquals("shared-timeline", SyncTier.SHARED_TIMELINE.id());
        assertEquals("binary-semaphore", SyncTier.BINARY_SEMAPHORE.id());
        assertEquals("host-bridge", SyncTier.HOST_BRIDGE.id());
        assertEquals("host-copy", SyncTier.HOST_COPY.id());
        for (SyncTier tier : SyncTier.values()) {
            assertEquals(tier, SyncTier.parse(tier.id()));
            assertEquals(tier, SyncTier.parse(tier.name()));
            assertEquals(tier.id(), tier.toString());
        }
    }

    @Nested
    class TwoChoices {
        @Test
        void eachTierIsOneMemoryChoiceAndOneSyncChoice() {
            assertEquals(MemorySharing.DEVICE_MEMORY, SyncTier.SHARED_TIMELINE.memory());
            assertEquals(HandoffSync.SHARED_TIMELINE, SyncTier.SHARED_TIMELINE.sync());
            assertEquals(MemorySharing.DEVICE_MEMORY, SyncTier.BINARY_SEMAPHORE.memory());
            assertEquals(HandoffSync.BINARY_SEMAPHORE, SyncTier.BINARY_SEMAPHORE.sync());
            assertEquals(MemorySharing.DEVICE_MEMORY, SyncTier.HOST_BRIDGE.memory());
            assertEquals(HandoffSync.HOST_BRIDGE, SyncTier.HOST_BRIDGE.sync());
            assertEquals(MemorySharing.HOST_COPY, SyncTier.HOST_COPY.memory());
            assertEquals(HandoffSync.HOST_WAIT, SyncTier.HOST_COPY.sync());
            for (SyncTier tier : SyncTier.values()) {
                assertEquals(tier, SyncTier.of(tier.memory(), tier.sync()));
            }
            assertThrows(IllegalArgumentException.class, () -> SyncTier.of(MemorySharing.HOST_COPY, HandoffSync.SHARED_TIMELINE));
        }

        @Test
        void differentDriversThatBothImportHostMemoryShareItWithAHostBridge() {
            InteropCapabilities a = new InteropCapabilities("a", LVP, LVP, true, true, false, false, false, false, true);
            InteropCapabilities b = new InteropCapabilities("b", SWS, SWS, true, true, true, true, false, false, true);
            SyncTierSelector.Choice c = SyncTierSelector.choose(a, b);
            assertEquals(SyncTier.HOST_MEMORY, c.tier(), c.reason());
            assertEquals(MemorySharing.HOST_MEMORY, c.memory());
            assertEquals(HandoffSync.HOST_BRIDGE, c.sync());
            assertEquals("memory: import host memory, sync: host-bridge", c.tier().choices());
            assertTrue(c.reason().contains("driver UUIDs differ") && c.reason().contains("VK_EXT_external_memory_host"), c.reason());
        }

        @Test
        void hostMemoryNeedsBothSidesAndNeverGl() {
            InteropCapabilities a = new InteropCapabilities("a", LVP, LVP, true, true, false, false, false, false, true);
            SyncTierSelector.Choice c = SyncTierSelector.choose(a, swiftshader("sws"));
            assertEquals(SyncTier.HOST_COPY, c.tier(), c.reason());
            assertTrue(c.reason().contains("sws cannot import host memory"), c.reason());
            assertTrue(c.reason().endsWith("so pixels are copied through host memory"), c.reason());
            InteropCapabilities gl = InteropCapabilities.forGl("GL", SWS, SWS, true);
            assertEquals(SyncTier.HOST_COPY, SyncTierSelector.choose(a, gl).tier());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SyncTierSelector.choose(List.of(a, gl), "host-memory"));
            assertTrue(e.getMessage().contains("cannot import host memory"), e.getMessage());
        }

        @Test
        void sharedDeviceMemoryIsPreferredToHostMemory() {
            InteropCapabilities a = new InteropCapabilities("a", LVP, LVP, true, true, false, false, false, false, true);
            InteropCapabilities b = new InteropCapabilities("b", LVP, LVP, true, true, false, false, false, false, true);
            assertEquals(SyncTier.HOST_BRIDGE, SyncTierSelector.choose(a, b).tier());
            assertEquals(SyncTier.HOST_MEMORY, SyncTierSelector.choose(List.of(a, b), "host-memory").tier(), "but it can be requested");
            InteropCapabilities c = new InteropCapabilities("c", SWS, SWS, true, true, true, true, false, false, true);
            assertEquals(SyncTier.HOST_MEMORY, SyncTierSelector.choose(List.of(a, b, c), null).tier(), "the weakest pair decides");
        }

        @Test
        void choicesArePrintedInWords() {
            SyncTierSelector.Choice bridge = SyncTierSelector.choose(lavapipe("a"), lavapipe("b"));
            assertEquals(MemorySharing.DEVICE_MEMORY, bridge.memory());
            assertEquals(HandoffSync.HOST_BRIDGE, bridge.sync());
            assertEquals("memory: import device memory, sync: host-bridge", bridge.tier().choices());
            SyncTierSelector.Choice copy = SyncTierSelector.choose(lavapipe("lvp"), swiftshader("sws"));
            assertEquals("memory: copy through host memory, sync: host-wait", copy.tier().choices());
        }
    }

    @Nested
    class Surfaces {
        @Test
        void weakestPairWins() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(List.of(swiftshader("a"), swiftshader("b"), lavapipe("c")), null);
            assertEquals(SyncTier.HOST_COPY, c.tier());
        }

        @Test
        void overrideToLowerFeasibleTier() {
            SyncTierSelector.Choice c = SyncTierSelector.choose(List.of(swiftshader("a"), swiftshader("b")), "host-bridge");
            assertEquals(SyncTier.HOST_BRIDGE, c.tier());
            assertTrue(c.reason().contains("binary-semaphore"), c.reason());
        }

        @Test
        void overrideToUnsupportedTierFailsSayingWhy() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SyncTierSelector.choose(List.of(lavapipe("a"), lavapipe("b")), "binary-semaphore"));
            assertTrue(e.getMessage().contains("cannot share binary semaphores"), e.getMessage());
        }

        @Test
        void overrideAcrossUuidsOnlyAllowsCopy() {
            assertThrows(IllegalArgumentException.class, () -> SyncTierSelector.choose(List.of(lavapipe("a"), swiftshader("b")), "host-bridge"));
            assertEquals(SyncTier.HOST_COPY, SyncTierSelector.choose(List.of(lavapipe("a"), swiftshader("b")), "HOST_COPY").tier());
        }

        @Test
        void unknownTierNameIsRejected() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncTier.parse("fast"));
            assertTrue(e.getMessage().contains("host-bridge"), e.getMessage());
        }

        @Test
        void emptyParticipantListIsRejected() {
            assertThrows(IllegalArgumentException.class, () -> SyncTierSelector.choose(List.of(), null));
        }
    }
}
