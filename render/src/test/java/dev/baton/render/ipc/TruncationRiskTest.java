package dev.baton.render.ipc;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Which exported memory fds the broker may hand a client ({@link DeviceMemoryAllocator#truncationRisk}):
 * a memfd only sealed against shrinking and growing (lavapipe here), and the fds hardware drivers export
 * whose size only their driver sets (a dma-buf's anonymous inode, a driver's character device), so that
 * the in-place window path is not refused on a GPU for a rule that only memfds need. Real fds of each
 * kind here: a sealed and an unsealed memfd; the hardware kinds by their type, as no driver here exports one.
 */
class TruncationRiskTest {
    @Test
    void aMemfdMustBeSealedAgainstShrinkingAndGrowing() {
        int sealed = Fds.memfdCreate("sealed", 4096);
        int open = Fds.memfdCreate("unsealed", 4096);
        try {
            Fds.FileStatus st = new Fds.FileStatus();
            Fds.fstat(sealed, st);
            Fds.addSeals(sealed, LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_SEAL);
            assertNull(DeviceMemoryAllocator.truncationRisk(st.type(), Fds.seals(sealed)));
            Fds.fstat(open, st);
            String risk = DeviceMemoryAllocator.truncationRisk(st.type(), Fds.seals(open));
            assertNotNull(risk);
            assertTrue(risk.contains("not sealed"), risk);
        } finally {
            LibC.close(sealed);
            LibC.close(open);
        }
    }

    @Test
    void aDmaBufOrADriverDeviceFdHasASizeOnlyItsDriverSetsAndAnythingElseIsRefused() {
        assertNull(DeviceMemoryAllocator.truncationRisk(0, -1), "an anonymous inode (dma-buf)");
        assertNull(DeviceMemoryAllocator.truncationRisk(LibC.S_IFCHR, -1), "a driver's character device");
        String fifo = DeviceMemoryAllocator.truncationRisk(LibC.S_IFIFO, -1);
        assertNotNull(fifo);
        assertTrue(fifo.contains("pipe"), fifo);
    }
}
