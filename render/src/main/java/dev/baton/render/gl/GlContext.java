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
    /** Throws {@link IllegalStateException} unless the calling thread owns the context. */
    void checkOwner();

    /** The owning thread, or null while released. */
    Thread owner();

    GLCapabilities glCapabilities();

    int glMajorVersion();

    int glMinorVersion();

    /** The {@code EGLDisplay} of an EGL context with {@code EGL_KHR_fence_sync}, or 0 when EGL fences cannot be used. */
    long eglFenceDisplay();
}
