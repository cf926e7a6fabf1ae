/**
 * OpenGL side of Baton: a surfaceless EGL context ({@link dev.baton.render.gl.EglContext}), what it
 * offers for interop ({@link dev.baton.render.gl.GlInfo}), Vulkan memory imported as a texture
 * ({@link dev.baton.render.gl.GlImportedTexture}) and GL's side of synchronization.
 *
 * <p><b>Threads.</b> One thread owns a context and makes every GL call; the context moves only
 * through {@code release()} then {@code makeCurrent()}. The only members callable from other threads
 * are {@link dev.baton.render.gl.GlFenceTimeline}'s {@code completedValue}, {@code awaitValue} and
 * {@code signalFromHost}, plus the debug counters of {@code EglContext}.
 *
 * <p><b>Synchronization, by capability.</b> Where the GL driver reports {@code GL_EXT_semaphore_fd},
 * GL waits and signals Vulkan binary semaphores on the GPU ({@link dev.baton.render.gl.GlExternalSemaphore},
 * tier binary-semaphore). Otherwise (llvmpipe) GL's completion is a
 * {@link dev.baton.render.gl.GlFenceTimeline} of EGL fences that any thread can wait on, and GL waits
 * for Vulkan on the host before issuing commands (tier host-bridge).
 *
 * <p><b>Teardown order.</b> GL objects, then the context, then the Vulkan exporter: the importer goes
 * before the exporter.
 */
package dev.baton.render.gl;
