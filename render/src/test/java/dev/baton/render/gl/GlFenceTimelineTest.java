package dev.baton.render.gl;

import static org.junit.jupiter.api.Assertions.*;
import static org.lwjgl.opengl.GL45C.*;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both fence kinds: EGL_KHR_fence_sync (any thread waits) and GLsync (owner thread polls). */
class GlFenceTimelineTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private EglContext gl;
    private int texture; // GLuint, 1024x1024 RGBA8: big enough that clears take measurable time
    private int framebuffer; // GLuint
    private final ExecutorService other = Executors.newSingleThreadExecutor(r -> new Thread(r, "gl-fence-waiter"));

    @BeforeEach
    void setUp() {
        gl = GlTestSupport.contextOrSkip(true);
        texture = glCreateTextures(GL_TEXTURE_2D);
        glTextureStorage2D(texture, 1, GL_RGBA8, 1024, 1024);
        framebuffer = glCreateFramebuffers();
        glNamedFramebufferTexture(framebuffer, GL_COLOR_ATTACHMENT0, texture, 0);
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        glViewport(0, 0, 1024, 1024);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        other.shutdownNow();
        other.awaitTermination(10, TimeUnit.SECONDS);
        if (gl != null) {
            glDeleteFramebuffers(framebuffer);
            glDeleteTextures(texture);
            assertEquals(0, gl.debugErrorCount(), () -> "GL errors: " + gl.lastDebugMessage());
            gl.close();
        }
    }

    private void submitWork(int clears) {
        for (int i = 0; i < clears; i++) {
            glClearColor(i / (float) clears, 0.5f, 0.25f, 1f);
            glClear(GL_COLOR_BUFFER_BIT);
        }
    }

    private GlFenceTimeline timeline(boolean eglFences, int capacity) {
        GlFenceTimeline timeline = new GlFenceTimeline("gl-test", gl, capacity, 0, eglFences);
        assertEquals(eglFences, timeline.usesEglFences(), "Mesa's EGL should offer EGL_KHR_fence_sync");
        return timeline;
    }

    @ParameterizedTest(name = "eglFences={0}")
    @ValueSource(booleans = {true, false})
    void valueIsReachedAfterTheWorkCompletes(boolean eglFences) throws InterruptedException {
        GlFenceTimeline timeline = timeline(eglFences, 4);
        try {
            submitWork(20);
            timeline.signalAfterSubmittedWork(1);
            assertTrue(timeline.awaitValue(1, 10 * SECOND));
            assertEquals(1, timeline.completedValue());
            assertEquals(1, timeline.poll());
        } finally {
            timeline.close();
        }
    }

    @ParameterizedTest(name = "eglFences={0}")
    @ValueSource(booleans = {true, false})
    void timeoutReturnsFalse(boolean eglFences) throws InterruptedException {
        GlFenceTimeline timeline = timeline(eglFences, 4);
        try {
            long start = System.nanoTime();
            assertFalse(timeline.awaitValue(7, TimeUnit.MILLISECONDS.toNanos(30)));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(30));
            assertFalse(timeline.awaitValue(7, 0), "a zero timeout polls");
            assertThrows(IllegalArgumentException.class, () -> timeline.awaitValue(7, -1));
        } finally {
            timeline.close();
        }
    }

    @ParameterizedTest(name = "eglFences={0}")
    @ValueSource(booleans = {true, false})
    void anotherThreadWaitsForAValueSubmittedLater(boolean eglFences) throws Exception {
        GlFenceTimeline timeline = timeline(eglFences, 4);
        try {
            CountDownLatch waiting = new CountDownLatch(1);
            Future<Boolean> waiter = other.submit(() -> {
                waiting.countDown();
                return timeline.awaitValue(2, 10 * SECOND); // no GL context on this thread
            });
            assertTrue(waiting.await(10, TimeUnit.SECONDS));
            submitWork(5);
            timeline.signalAfterSubmittedWork(1);
            submitWork(5);
            timeline.signalAfterSubmittedWork(2);
            if (!eglFences) {
                // GLsync: only the owner can see the fence; its poll/await wakes the other thread.
                assertTrue(timeline.awaitValue(2, 10 * SECOND));
            }
            assertTrue(waiter.get(10, TimeUnit.SECONDS));
            assertEquals(2, timeline.completedValue());
        } finally {
            timeline.close();
        }
    }

    @org.junit.jupiter.api.Test
    void eglFenceAloneWakesAThreadWithoutAContext() throws Exception {
        GlFenceTimeline timeline = timeline(true, 4);
        try {
            submitWork(50);
            timeline.signalAfterSubmittedWork(1);
            // The owner neither polls nor waits: only eglClientWaitSyncKHR on the other thread can see it.
            Future<Boolean> waiter = other.submit(() -> timeline.awaitValue(1, 10 * SECOND));
            assertTrue(waiter.get(10, TimeUnit.SECONDS));
        } finally {
            timeline.close();
        }
    }

    @ParameterizedTest(name = "eglFences={0}")
    @ValueSource(booleans = {true, false})
    void anotherThreadTimesOutWhenNothingIsSubmitted(boolean eglFences) throws Exception {
        GlFenceTimeline timeline = timeline(eglFences, 4);
        try {
            submitWork(1);
            timeline.signalAfterSubmittedWork(1);
            Future<Boolean> waiter = other.submit(() -> timeline.awaitValue(2, TimeUnit.MILLISECONDS.toNanos(50)));
            assertFalse(waiter.get(10, TimeUnit.SECONDS));
        } finally {
            timeline.close();
        }
    }

    @ParameterizedTest(name = "eglFences={0}")
    @ValueSource(booleans = {true, false})
    void ringWrapsWithManyValuesInFlight(boolean eglFences) throws InterruptedException {
        GlFenceTimeline timeline = timeline(eglFences, 2);
        try {
            for (long value = 1; value <= 50; value++) {
                submitWork(1);
                timeline.signalAfterSubmittedWork(value); // waits for a slot when two are pending
            }
            assertTrue(timeline.awaitValue(50, 10 * SECOND));
            assertThrows(IllegalArgumentException.class, () -> timeline.signalAfterSubmittedWork(50));
        } finally {
            timeline.close();
        }
    }

    @ParameterizedTest(name = "eglFences={0}")
    @ValueSource(booleans = {true, false})
    void hostSignalAdvancesTheCounterAndWakesWaiters(boolean eglFences) throws Exception {
        GlFenceTimeline timeline = timeline(eglFences, 4);
        try {
            CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return timeline.awaitValue(5, 10 * SECOND);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, other);
            timeline.signalFromHost(5);
            timeline.signalFromHost(3); // lower: ignored
            assertTrue(waiter.get(10, TimeUnit.SECONDS));
            assertEquals(5, timeline.completedValue());
            submitWork(1);
            timeline.signalAfterSubmittedWork(6);
            assertTrue(timeline.awaitValue(6, 10 * SECOND));
        } finally {
            timeline.close();
        }
    }

    @ParameterizedTest(name = "eglFences={0}")
    @ValueSource(booleans = {true, false})
    void closedTimelineRejectsWaits(boolean eglFences) {
        GlFenceTimeline timeline = timeline(eglFences, 4);
        submitWork(1);
        timeline.signalAfterSubmittedWork(1);
        timeline.close();
        timeline.close();
        assertThrows(IllegalStateException.class, () -> timeline.awaitValue(9, SECOND));
    }
}
