package dev.baton.render.gl;

import org.lwjgl.opengl.GLCapabilities;

/**
 * A GL context as the GL-side classes need it: who owns it, what it offers, and whether EGL fences
 * (waitable from any thread) can be made in it. Implemented by {@link EglContext} (headless) and
 * the demo's {@code GlfwWindow} in {@code baton-scenes} (a window; GLX on X11, so no EGL fences).
 *
 * <p>Thread contract: a GL context is current on at most one thread, its owner, and only the owner
 * may make GL calls with it; {@link #checkOwner()} enforces that in every wrapper.
 */
public interface GlContext {
    /**
     * Adopts the GL context the application made current on the calling thread (EGL, or GLX through
     * GLFW), so Baton's GL side ({@code SharedSurface.GlSide}, {@link GlImportedTexture},
     * {@link GlFenceTimeline}) can use it. Baton never makes it current, creates or destroys it; the
     * application keeps it current on this thread (the owner) while it makes Baton GL calls, and
     * destroys it after closing every Baton object made with it. To move the context to another
     * thread, adopt it again there. EGL fences (waitable from any thread) are used when the context is
     * an EGL one with {@code EGL_KHR_fence_sync} and LWJGL's EGL is loaded; otherwise GL sync objects,
     * which only the owner polls.
     *
     * @return an adapter owned by the calling thread
     * @throws IllegalStateException if no context with LWJGL capabilities ({@code GL.createCapabilities()})
     *     is current on this thread, or it is below OpenGL 3.0
     */
    static GlContext adoptCurrent() {
        return new AdoptedGlContext();
    }

    /** Throws {@link IllegalStateException} unless the calling thread owns the context. */
    void checkOwner();

    /** {@return the owning thread, or null while released} */
    Thread owner();

    /** {@return LWJGL's capabilities of this context: which GL functions and extensions it has} */
    GLCapabilities glCapabilities();

    /** {@return the context's GL major version} */
    int glMajorVersion();

    /** {@return the context's GL minor version} */
    int glMinorVersion();

    /**
     * {@return true if Baton should label the GL objects it makes ({@code glObjectLabel}, KHR_debug) so
     * that debug output and captures name its surfaces} The debug switch: {@link EglContext} made with
     * {@code debug}; false by default (an adopted context, a window).
     */
    default boolean debugLabels() {
        return false;
    }

    /** {@return the {@code EGLDisplay} of an EGL context with {@code EGL_KHR_fence_sync}, or 0 when EGL fences cannot be used} */
    long eglFenceDisplay();
}
