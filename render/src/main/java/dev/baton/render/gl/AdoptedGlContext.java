package dev.baton.render.gl;

import static org.lwjgl.opengl.GL30C.GL_MAJOR_VERSION;
import static org.lwjgl.opengl.GL30C.GL_MINOR_VERSION;
import static org.lwjgl.opengl.GL11C.glGetInteger;

import org.lwjgl.egl.EGL;
import org.lwjgl.egl.EGL10;
import org.lwjgl.egl.EGL14;
import org.lwjgl.opengl.GL;
import org.lwjgl.opengl.GLCapabilities;

/**
 * The application's GL context, current on the thread that adopted it ({@link GlContext#adoptCurrent()}).
 * Holds no GL or EGL object of its own: it never makes the context current, creates or destroys it.
 */
final class AdoptedGlContext implements GlContext {
    private final Thread owner = Thread.currentThread();
    private final GLCapabilities caps;
    private final int major;
    private final int minor;
    private final long eglFenceDisplay; // EGLDisplay, or 0

    AdoptedGlContext() {
        GLCapabilities current;
        try {
            current = GL.getCapabilities();
        } catch (IllegalStateException none) {
            throw new IllegalStateException("GlContext.adoptCurrent() on thread '" + owner.getName() + "': no GL context is"
                    + " current here with LWJGL capabilities; make the application's context current on this thread and call"
                    + " GL.createCapabilities() first", none);
        }
        if (!current.OpenGL30) {
            throw new IllegalStateException("GlContext.adoptCurrent(): the current context is below OpenGL 3.0; Baton's GL side"
                    + " needs 3.3 core or newer with GL_EXT_memory_object_fd for shared memory");
        }
        this.caps = current;
        this.major = glGetInteger(GL_MAJOR_VERSION);
        this.minor = glGetInteger(GL_MINOR_VERSION);
        this.eglFenceDisplay = currentEglFenceDisplay();
    }

    /**
     * The current EGL display when the context is an EGL one with {@code EGL_KHR_fence_sync} and
     * LWJGL's EGL is loaded (the application uses {@code org.lwjgl.egl}); else 0 (GLX, or EGL loaded
     * by someone else such as GLFW): GL sync objects are used then, which only the owner may poll.
     */
    private static long currentEglFenceDisplay() {
        try {
            if (EGL.getFunctionProvider() == null) {
                return 0;
            }
        } catch (IllegalStateException notLoaded) {
            return 0;
        }
        if (EGL14.eglGetCurrentContext() == EGL10.EGL_NO_CONTEXT) {
            return 0;
        }
        long display = EGL14.eglGetCurrentDisplay();
        return display != EGL10.EGL_NO_DISPLAY && EGL.createDisplayCapabilities(display).EGL_KHR_fence_sync ? display : 0;
    }

    @Override
    public void checkOwner() {
        if (owner != Thread.currentThread()) {
            throw new IllegalStateException("the adopted GL context is current on thread '" + owner.getName() + "', not '"
                    + Thread.currentThread().getName() + "': make Baton's GL calls on that thread, or adopt the context again"
                    + " (GlContext.adoptCurrent()) on the thread it is current on now");
        }
    }

    @Override
    public Thread owner() {
        return owner;
    }

    @Override
    public GLCapabilities glCapabilities() {
        return caps;
    }

    @Override
    public int glMajorVersion() {
        return major;
    }

    @Override
    public int glMinorVersion() {
        return minor;
    }

    @Override
    public long eglFenceDisplay() {
        return eglFenceDisplay;
    }

    @Override
    public String toString() {
        return "adopted GL " + major + "." + minor + " context on '" + owner.getName() + "'";
    }
}
