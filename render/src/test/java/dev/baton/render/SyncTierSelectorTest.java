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
