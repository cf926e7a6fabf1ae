package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.lwjgl.opengl.GL33.*;

import dev.baton.render.SyncTier;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.List;
import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTierSelector;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.lwjgl.system.MemoryUtil;

/**
 * The OpenGL participant of a surface, on real drivers, with every Vulkan device there is: here lavapipe
 * and llvmpipe GL (same UUIDs, shared memory, host-bridge) and SwiftShader and llvmpipe GL (different
 * UUIDs, host-copy). Every round
 * checks the pixels that crossed against the frame number that came with them in private data, in
 * both directions: Vulkan draws, GL checks and draws the next frame, Vulkan checks it.
 */
class GlEndpointTest extends GpuTest {
    static final int W = 61;   // odd sizes: rows are not a multiple of anything convenient
    static final int H = 37;
    static final long PRODUCER = 0;
    static final long GL_KEY = 1;

    /**
     * Every Vulkan device with GL: memory shared where the UUIDs match (lavapipe here, fences bridged on the
     * host), pixels copied through host memory where they differ (SwiftShader here).
     */
    @TestFactory
    Stream<DynamicTest> vulkanAndGlRoundTrips() {
        InteropCapabilities gl = glCapabilities();
        return perDevice("Vulkan <-> GL", this::rejection, d -> {
            SyncTier expected = SyncTierSelector.choose(d.capabilities(), gl).tier();
            roundTrips(d, expected, expected == SyncTier.HOST_COPY ? 10 : 25);
        });
    }

    /**
     * GL's acquire and release through {@code GL_EXT_semaphore_fd} (the gl-semaphore tier): on every
     * Vulkan device whose tier with this GL is gl-semaphore, the same pixel-checked round trips, with GL
     * waiting and signalling on its GPU. Runs by itself where GL has the extension (NVIDIA, radeonsi,
     * iris); reported skipped where it does not (llvmpipe), whatever CI says, since no driver here has it.
     */
    @TestFactory
    Stream<DynamicTest> glSemaphoreRoundTrips() {
        InteropCapabilities gl = glCapabilities();
        if (!gl.binarySemaphoreImport()) {
            String why = gl.name().replaceFirst("^GL ", "") + " has no GL_EXT_semaphore_fd (the gl-semaphore tier needs a hardware GL driver)";
            return Stream.of(DynamicTest.dynamicTest("no GL_EXT_semaphore_fd", () -> org.junit.jupiter.api.Assumptions.assumeTrue(false, why)));
        }
        return perDevice("Vulkan <-> GL semaphores", d -> rejection(d) != null ? rejection(d)
                : SyncTierSelector.choose(d.capabilities(), gl).tier() != SyncTier.GL_SEMAPHORE
                ? "its tier with " + gl.name() + " is " + SyncTierSelector.choose(d.capabilities(), gl).tier() : null,
                d -> roundTrips(d, SyncTier.GL_SEMAPHORE, 25));
    }

    /** On every device that shares memory with GL (the value is only passed on where the fence is shared). */
    @TestFactory
    Stream<DynamicTest> glOnlyReadingPassesTheFenceValueOnUnchanged() {
        InteropCapabilities gl = glCapabilities();
        return perDevice("GL read-only lease", d -> rejection(d) != null ? rejection(d)
                : SyncTierSelector.choose(d.capabilities(), gl).tier() == SyncTier.HOST_COPY ? "it does not share memory with " + gl.name()
                : null, this::glOnlyReadingPassesTheFenceValueOnUnchanged);
    }

    private void glOnlyReadingPassesTheFenceValueOnUnchanged(PhysicalDeviceInfo d) throws Exception {
        EglContext gl = glContext();
        DeviceContext vk = device(d, DeviceSelector.label(d) + "#p");
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(vk), new SharedSurface.GlSide(gl, GlInfo.query(gl)),
                SharedSurface.Options.defaults()));
        TestPattern pattern = own(new TestPattern(vk, W, H));
        turn(surface.endpoint(0), pattern, PRODUCER, GL_KEY, 1);
        GlEndpoint.GlLease lease = surface.glEndpoint().acquire(GL_KEY, 5 * SECOND_NANOS);
        long value = lease.fenceValue();
        // acquired but never used: nothing for the next writer to wait for
        lease.release(PRODUCER, null);
        Lease next = surface.endpoint(0).acquire(PRODUCER, 5 * SECOND_NANOS);
        assertEquals(value, next.fenceValue());
        next.release(PRODUCER, null);
        // the pattern's command buffer may only be freed once its submit completed
        SurfaceEndpoint producer = surface.endpoint(0);
        assertTrue(producer.timeline().awaitValue(producer.lastSubmittedValue(), 5 * SECOND_NANOS));
    }

    private void roundTrips(PhysicalDeviceInfo d, SyncTier expectedTier, int rounds) throws Exception {
        EglContext gl = glContext();
        DeviceContext vk = device(d, DeviceSelector.label(d) + "#producer");
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(vk), new SharedSurface.GlSide(gl, GlInfo.query(gl)),
                SharedSurface.Options.defaults()));
        assertEquals(expectedTier, surface.tier(), surface.tierReason());
        GlEndpoint glEnd = surface.glEndpoint();
        TestPattern pattern = own(new TestPattern(vk, W, H));
        ByteBuffer pixels = MemoryUtil.memAlloc(W * H * 4);
        try {
            assertEquals(-1, turn(surface.endpoint(0), pattern, PRODUCER, GL_KEY, 1));
            for (int frame = 2; frame <= 2 * rounds; frame += 2) {
                GlEndpoint.GlLease lease = glEnd.acquire(GL_KEY, 5 * SECOND_NANOS);
                assertEquals(AcquireStatus.ACQUIRED, lease.status());
                int sent = lease.privateData().getInt(lease.privateData().position());
                assertEquals(frame - 1, sent, "private data carries the frame number");
                assertTrue(lease.awaitReady(5 * SECOND_NANOS), "producer's frame never completed");
                readFramebuffer(glEnd.framebuffer(), pixels);
                assertNull(TestPattern.check(pixels, W, H, sent), "Vulkan -> GL");
                drawPattern(glEnd.framebuffer(), frame);
                lease.markWritten();
                lease.release(PRODUCER, ByteBuffer.allocate(4).putInt(0, frame));
                glEnd.poll();
                // the producer checks GL's frame (turn() reads back before drawing frame + 1)
                assertEquals(frame, turn(surface.endpoint(0), pattern, PRODUCER, GL_KEY, frame + 1));
            }
            // GL's copies are counted: with shared memory none; through host memory an upload of the producer's
            // frame and a read-back of GL's own each round.
            assertEquals(expectedTier.memory() == dev.baton.render.MemorySharing.HOST_COPY ? 2L * rounds * W * H * 4 : 0,
                    glEnd.copiedBytes(), "bytes GL copied in " + rounds + " rounds on " + expectedTier);
        } finally {
            MemoryUtil.memFree(pixels);
        }
    }

    /**
     * GL releases with {@link GlEndpoint.GlLease#releaseAndAcquire} (release and queue for its key in one
     * step) while the Vulkan producer takes its turns on its own thread: every frame is checked both ways,
     * on every Vulkan device with GL.
     */
    @TestFactory
    Stream<DynamicTest> glReleaseAndAcquireRoundTrips() {
        InteropCapabilities gl = glCapabilities();
        return perDevice("GL release-and-acquire", this::rejection, d -> glReleaseAndAcquire(d, SyncTierSelector.choose(d.capabilities(), gl).tier()));
    }

    private void glReleaseAndAcquire(PhysicalDeviceInfo d, SyncTier expectedTier) throws Exception {
        int rounds = 8;
        EglContext gl = glContext();
        DeviceContext vk = device(d, DeviceSelector.label(d) + "#producer");
        SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(vk), new SharedSurface.GlSide(gl, GlInfo.query(gl)),
                SharedSurface.Options.defaults()));
        assertEquals(expectedTier, surface.tier(), surface.tierReason());
        GlEndpoint glEnd = surface.glEndpoint();
        TestPattern pattern = own(new TestPattern(vk, W, H));
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                for (int frame = 1; frame <= 2 * rounds + 1; frame += 2) {
                    assertEquals(frame == 1 ? -1 : frame - 1, turn(surface.endpoint(0), pattern, PRODUCER, GL_KEY, frame));
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                surface.endpoint(0).abandon();
            }
        }, "render-" + vk.name());
        producer.start();
        ByteBuffer pixels = MemoryUtil.memAlloc(W * H * 4);
        try {
            GlEndpoint.GlLease lease = glEnd.acquire(GL_KEY, 10 * SECOND_NANOS);
            for (int frame = 2; frame <= 2 * rounds; frame += 2) {
                assertEquals(AcquireStatus.ACQUIRED, lease.status(), "GL (release-and-)acquire");
                int sent = lease.privateData().getInt(lease.privateData().position());
                assertEquals(frame - 1, sent, "private data carries the frame number");
                assertTrue(lease.awaitReady(5 * SECOND_NANOS), "producer's frame never completed");
                readFramebuffer(glEnd.framebuffer(), pixels);
                assertNull(TestPattern.check(pixels, W, H, sent), "Vulkan -> GL");
                drawPattern(glEnd.framebuffer(), frame);
                lease.markWritten();
                ByteBuffer out = ByteBuffer.allocate(4).putInt(0, frame);
                if (frame == 2 * rounds) {
                    lease.release(PRODUCER, out);
                } else {
                    assertTrue(lease == lease.releaseAndAcquire(PRODUCER, out, GL_KEY, 10 * SECOND_NANOS));
                }
                glEnd.poll();
            }
        } finally {
            MemoryUtil.memFree(pixels);
            producer.join(30_000);
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(!producer.isAlive(), "producer still running after 30 s");
    }

    /** The GL renderer's capabilities, from a context closed at once (each test makes its own). */
    private InteropCapabilities glCapabilities() {
        try (EglContext context = EglContext.create(false)) {
            return new SharedSurface.GlSide(context, GlInfo.query(context)).capabilities();
        } catch (GlUnavailableException e) {
            requireOrSkip(false, "OpenGL via EGL surfaceless (" + e.getMessage() + ")", GlUnavailableException.PACKAGES);
            throw e;
        }
    }

    /** A GL context closed after every surface (it is owned first, so closed last). */
    private EglContext glContext() {
        try {
            return own(EglContext.create(false));
        } catch (GlUnavailableException e) {
            requireOrSkip(false, "OpenGL via EGL surfaceless (" + e.getMessage() + ")", GlUnavailableException.PACKAGES);
            throw e;
        }
    }

    private static void readFramebuffer(int framebuffer, ByteBuffer pixels) {
        glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, W, H, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
        if (glGetError() != GL_NO_ERROR) {
            fail("glReadPixels failed");
        }
    }

    /** The same pattern TestPattern draws, with GL clears: background, then the frame's rectangle. */
    private static void drawPattern(int framebuffer, int frame) {
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        clear(TestPattern.backgroundColor(frame));
        glEnable(GL_SCISSOR_TEST);
        glScissor(TestPattern.rectX(frame), TestPattern.rectY(frame), TestPattern.RECT_WIDTH, TestPattern.RECT_HEIGHT);
        clear(TestPattern.rectColor(frame));
        glDisable(GL_SCISSOR_TEST);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
    }

    private static void clear(int rgba) {
        glClearColor((rgba & 0xFF) / 255f, ((rgba >>> 8) & 0xFF) / 255f, ((rgba >>> 16) & 0xFF) / 255f, (rgba >>> 24) / 255f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
}
