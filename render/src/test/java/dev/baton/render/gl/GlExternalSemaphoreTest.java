package dev.baton.render.gl;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

/** llvmpipe has no GL_EXT_semaphore_fd: the capability gate must refuse cleanly and keep no fd. */
class GlExternalSemaphoreTest {
    @Test
    void refusesWithoutTheExtensionAndClosesTheFd() {
        try (EglContext gl = GlTestSupport.contextOrSkip(false)) {
            GlInfo info = GlInfo.query(gl);
            assumeFalse(GlExternalSemaphore.isAvailable(info), "this renderer has GL_EXT_semaphore_fd; the refusal path does not apply");
            int fd = Fds.dup(1); // any open fd: ownership passes to importOpaqueFd
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> GlExternalSemaphore.importOpaqueFd(gl, info, fd));
            assertTrue(e.getMessage().contains("host-bridge"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> Fds.dup(fd), "the fd must have been closed");
        }
    }

    @Test
    void mapsVulkanLayoutsToGlLayouts() {
        assertEquals(org.lwjgl.opengl.EXTSemaphore.GL_LAYOUT_GENERAL_EXT, GlExternalSemaphore.glLayout(1));
        assertEquals(org.lwjgl.opengl.EXTSemaphore.GL_LAYOUT_COLOR_ATTACHMENT_EXT, GlExternalSemaphore.glLayout(2));
        assertEquals(org.lwjgl.opengl.EXTSemaphore.GL_LAYOUT_SHADER_READ_ONLY_EXT, GlExternalSemaphore.glLayout(5));
    }
}
