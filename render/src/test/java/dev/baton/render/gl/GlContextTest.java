package dev.baton.render.gl;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.lwjgl.opengl.GL11C;

class GlContextTest {
    @Test
    void createsCoreContextOnLlvmpipeWithMemoryObjectFd() {
        try (EglContext context = GlTestSupport.contextOrSkip(true)) {
            GlInfo info = GlInfo.query(context);
            assertTrue(info.renderer().contains("llvmpipe"), "renderer: " + info.renderer());
            assertTrue(info.memoryObject(), "GL_EXT_memory_object");
            assertTrue(info.memoryObjectFd(), "GL_EXT_memory_object_fd");
            assertEquals(16, info.driverUuid().length);
            assertEquals(16, info.deviceUuid().length);
            assertTrue(context.glMajorVersion() > 3 || context.glMinorVersion() >= 3);
            assertEquals(0, context.debugErrorCount(), () -> "GL errors: " + context.lastDebugMessage());
        }
    }

    @Test
    void debugCallbackCountsErrors() {
        try (EglContext context = GlTestSupport.contextOrSkip(true)) {
            GL11C.glEnable(0xFFFF); // GL_INVALID_ENUM on purpose
            assertEquals(GL11C.GL_INVALID_ENUM, GL11C.glGetError());
            assertEquals(1, context.debugErrorCount(), "KHR_debug should count the invalid enum");
        }
    }

    @Test
    void moveToAnotherThreadWithReleaseAndMakeCurrent() throws Exception {
        try (EglContext context = GlTestSupport.contextOrSkip(false)) {
            context.release();
            assertThrows(IllegalStateException.class, context::checkOwner);
            AtomicReference<String> renderer = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    context.makeCurrent();
                    renderer.set(GlInfo.query(context).renderer());
                    context.release();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "gl-test-other");
            other.start();
            other.join(10_000);
            assertNull(failure.get());
            assertNotNull(renderer.get());
            context.makeCurrent();
            context.checkOwner();
        }
    }

    @Test
    void closeIsIdempotentAndContextsCanBeRecreated() {
        EglContext first = GlTestSupport.contextOrSkip(false);
        first.close();
        first.close();
        try (EglContext second = GlTestSupport.contextOrSkip(false)) {
            assertNotNull(GlInfo.query(second).renderer());
        }
    }
}
