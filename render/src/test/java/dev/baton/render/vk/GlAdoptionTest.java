package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lwjgl.opengl.GL33.*;

import dev.baton.render.SyncTier;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.lwjgl.egl.EGL14;
import org.lwjgl.system.MemoryUtil;

/**
 * A GL context the application made current, adopted with {@link GlContext#adoptCurrent()}: frames
 * drawn on lavapipe cross into it (pixels checked), and after the surface is closed the context is
 * still current and usable, because the adapter neither creates nor destroys anything. The
 * application's context is made here with {@link EglContext}, standing in for the application's own
 * EGL code; the test closes it last, as the application would.
 */
class GlAdoptionTest extends GpuTest {
    static final int W = 40;
    static final int H = 30;

    @Test
    void framesCrossIntoTheApplicationsContextWhichOutlivesBaton() throws Exception {
        EglContext app;
        try {
            app = own(EglContext.create(false));
        } catch (GlUnavailableException e) {
            requireOrSkip(false, "OpenGL via EGL surfaceless (" + e.getMessage() + ")", GlUnavailableException.PACKAGES);
            throw e;
        }
        GlContext adopted = GlContext.adoptCurrent();
        assertSame(app.glCapabilities(), adopted.glCapabilities());
        assertEquals(app.glMajorVersion() * 10 + app.glMinorVersion(), adopted.glMajorVersion() * 10 + adopted.glMinorVersion());
        assertEquals(app.eglFenceDisplay(), adopted.eglFenceDisplay(), "an EGL context with EGL_KHR_fence_sync gets EGL fences");
        AtomicReference<Throwable> elsewhere = new AtomicReference<>();
        Thread other = new Thread(() -> elsewhere.set(assertThrows(IllegalStateException.class, adopted::checkOwner)));
        other.start();
        other.join();
        assertTrue(elsewhere.get().getMessage().contains("adopt the context again"), elsewhere.get().getMessage());

        GlInfo glInfo = GlInfo.query(adopted);
        PhysicalDeviceInfo twin = glTwinOf(instance, glInfo);
        requireOrSkip(twin != null && rejection(twin) == null, "a Vulkan device with GL's UUIDs (" + glInfo.renderer() + ")",
                "mesa-vulkan-drivers (lavapipe shares llvmpipe GL's UUIDs)");
        DeviceContext vk = device(twin, "vulkan#producer");
        SharedSurface surface = SharedSurface.create("adopted-gl", W, H, List.of(vk), new SharedSurface.GlSide(adopted, glInfo),
                SharedSurface.Options.defaults());
        TestPattern pattern = new TestPattern(vk, W, H);
        ByteBuffer pixels = MemoryUtil.memAlloc(W * H * 4);
        try {
            assertEquals(SyncTier.HOST_BRIDGE, surface.tier(), surface.tierReason());
            for (int frame = 1; frame <= 3; frame++) {
                turn(surface.endpoint(0), pattern, 0, 1, frame);
                GlEndpoint.GlLease lease = surface.glEndpoint().acquire(1, 5 * SECOND_NANOS);
                assertEquals(AcquireStatus.ACQUIRED, lease.status());
                int sent = lease.privateData().getInt(lease.privateData().position());
                assertEquals(frame, sent, "private data carries the frame number");
                assertTrue(lease.awaitReady(5 * SECOND_NANOS), "the producer's frame never completed");
                glBindFramebuffer(GL_READ_FRAMEBUFFER, surface.glEndpoint().framebuffer());
                glPixelStorei(GL_PACK_ALIGNMENT, 1);
                glReadPixels(0, 0, W, H, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
                glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
                assertEquals(GL_NO_ERROR, glGetError());
                assertNull(TestPattern.check(pixels, W, H, sent), "Vulkan -> adopted GL");
                lease.release(0, null);
            }
            SurfaceEndpoint producer = surface.endpoint(0);
            assertTrue(producer.timeline().awaitValue(producer.lastSubmittedValue(), 5 * SECOND_NANOS));
        } finally {
            MemoryUtil.memFree(pixels);
            pattern.close();
            surface.close();
        }
        // Baton is done with the context: it is still the application's, current and working.
        assertEquals(app.eglContext(), EGL14.eglGetCurrentContext());
        int texture = glGenTextures();
        glBindTexture(GL_TEXTURE_2D, texture);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 4, 4, 0, GL_RGBA, GL_UNSIGNED_BYTE, (ByteBuffer) null);
        glBindTexture(GL_TEXTURE_2D, 0);
        glDeleteTextures(texture);
        assertEquals(GL_NO_ERROR, glGetError());
    }

    @Test
    void aThreadWithoutAContextGetsToldWhatToDo() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread bare = new Thread(() -> thrown.set(assertThrows(IllegalStateException.class, GlContext::adoptCurrent)));
        bare.start();
        bare.join();
        assertTrue(thrown.get().getMessage().contains("call GL.createCapabilities() first"), thrown.get().getMessage());
    }
}
