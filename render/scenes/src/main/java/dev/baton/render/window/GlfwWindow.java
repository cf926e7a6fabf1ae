package dev.baton.render.window;

import static org.lwjgl.glfw.GLFW.*;
import static org.lwjgl.system.MemoryUtil.NULL;

import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlUnavailableException;
import org.lwjgl.glfw.GLFWErrorCallback;
import org.lwjgl.opengl.GL;
import org.lwjgl.opengl.GLCapabilities;

/**
 * A desktop window with an OpenGL core context (GLFW; GLX on X11), for the compositor.
 *
 * <p>Thread contract: GLFW requires that windows are created, polled and destroyed on the main
 * thread; the GL context is made current on the creating thread, which owns it. {@link #close()}
 * on the same thread, after every GL object made in the context is closed.
 */
public final class GlfwWindow implements GlContext, AutoCloseable {
    private final long window;            // GLFWwindow*
    private final GLCapabilities caps;
    private final int major;
    private final int minor;
    private final Thread owner = Thread.currentThread();
    private final GLFWErrorCallback errors;
    private boolean closed;

    private GlfwWindow(long window, GLCapabilities caps, int major, int minor, GLFWErrorCallback errors) {
        this.window = window;
        this.caps = caps;
        this.major = major;
        this.minor = minor;
        this.errors = errors;
    }

    /**
     * Opens a window of {@code width x height} (at most the primary monitor's size) with a GL 4.5 core
     * context, or 3.3 core if 4.5 is not offered, and makes it current on the calling thread.
     *
     * @throws GlUnavailableException if there is no display or no suitable GL context; the message
     *     says to use {@code --headless} or start Xvfb
     */
    public static GlfwWindow open(String title, int width, int height, boolean vsync) {
        // Before the window exists GLFW's errors become part of the exception's one line; afterwards each is
        // one line on stderr. (GLFWErrorCallback.createPrint printed a stack trace before the hint.)
        String[] initError = new String[1];
        boolean[] opened = new boolean[1];
        GLFWErrorCallback errors = GLFWErrorCallback.create((code, description) -> {
            String text = GLFWErrorCallback.getDescription(description);
            if (opened[0]) {
                System.err.println("GLFW error 0x" + Integer.toHexString(code) + ": " + text);
            } else if (initError[0] == null) {
                initError[0] = text;
            }
        });
        glfwSetErrorCallback(errors);
        String wayland = System.getenv("WAYLAND_DISPLAY");
        if (wayland == null || wayland.isBlank()) {
            // Without a Wayland compositor only X11 can work; probing Wayland too makes libwayland print
            // its own XDG_RUNTIME_DIR complaint and hides X11's precise "cannot open display" reason.
            glfwInitHint(GLFW_PLATFORM, GLFW_PLATFORM_X11);
        }
        if (!glfwInit()) {
            glfwSetErrorCallback(null);
            errors.free();
            throw new GlUnavailableException("cannot open a window: GLFW found no display (DISPLAY='"
                    + System.getenv("DISPLAY") + "'" + (initError[0] == null ? "" : ": " + initError[0])
                    + "); run with --headless, or start one (Xvfb :99 &) and run again with DISPLAY=:99");
        }
        // Never larger than the screen: an X server without a window manager (Xvfb) would cut the rest off.
        org.lwjgl.glfw.GLFWVidMode mode = glfwGetPrimaryMonitor() == NULL ? null : glfwGetVideoMode(glfwGetPrimaryMonitor());
        if (mode != null && mode.width() > 0 && mode.height() > 0) {
            width = Math.min(width, mode.width());
            height = Math.min(height, mode.height());
        }
        int[][] versions = {{4, 5}, {3, 3}};
        for (int[] v : versions) {
            glfwDefaultWindowHints();
            glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, v[0]);
            glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, v[1]);
            glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
            glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
            glfwWindowHint(GLFW_VISIBLE, GLFW_TRUE);
            long window = glfwCreateWindow(width, height, title, NULL, NULL);
            if (window != NULL) {
                glfwMakeContextCurrent(window);
                glfwSwapInterval(vsync ? 1 : 0);
                GLCapabilities caps = GL.createCapabilities();
                opened[0] = true;
                return new GlfwWindow(window, caps, v[0], v[1], errors);
            }
        }
        glfwTerminate();
        glfwSetErrorCallback(null);
        errors.free();
        throw new GlUnavailableException("cannot create a window with an OpenGL 3.3 core context"
                + (initError[0] == null ? "" : " (" + initError[0] + ")") + "; run with --headless");
    }

    /** The {@code GLFWwindow*} handle, for the imgui backend. */
    public long handle() {
        return window;
    }

    public boolean shouldClose() {
        return glfwWindowShouldClose(window);
    }

    public void requestClose() {
        glfwSetWindowShouldClose(window, true);
    }

    /** Processes window events; main thread only. */
    public void pollEvents() {
        glfwPollEvents();
    }

    public void swapBuffers() {
        glfwSwapBuffers(window);
    }

    /** Framebuffer size in pixels: {@code [width, height]}. */
    public int[] framebufferSize() {
        int[] w = new int[1];
        int[] h = new int[1];
        glfwGetFramebufferSize(window, w, h);
        return new int[] {w[0], h[0]};
    }

    /** Starts a frame: viewport to the framebuffer size, cleared to the colour (components 0..1). */
    public void clear(float r, float g, float b) {
        checkOwner();
        int[] size = framebufferSize();
        org.lwjgl.opengl.GL33.glBindFramebuffer(org.lwjgl.opengl.GL33.GL_FRAMEBUFFER, 0);
        org.lwjgl.opengl.GL33.glViewport(0, 0, size[0], size[1]);
        org.lwjgl.opengl.GL33.glClearColor(r, g, b, 1f);
        org.lwjgl.opengl.GL33.glClear(org.lwjgl.opengl.GL33.GL_COLOR_BUFFER_BIT);
    }

    /**
     * Reads the back buffer (what the next swap shows) into {@code rgba}: tightly packed RGBA8,
     * {@code width * height * 4} bytes, first row at the bottom (GL's window origin). Owner thread.
     */
    public void readBackBuffer(int width, int height, java.nio.ByteBuffer rgba) {
        checkOwner();
        org.lwjgl.opengl.GL33.glBindFramebuffer(org.lwjgl.opengl.GL33.GL_READ_FRAMEBUFFER, 0);
        org.lwjgl.opengl.GL33.glReadBuffer(org.lwjgl.opengl.GL33.GL_BACK);
        org.lwjgl.opengl.GL33.glPixelStorei(org.lwjgl.opengl.GL33.GL_PACK_ALIGNMENT, 1);
        org.lwjgl.opengl.GL33.glReadPixels(0, 0, width, height, org.lwjgl.opengl.GL33.GL_RGBA, org.lwjgl.opengl.GL33.GL_UNSIGNED_BYTE, rgba);
    }

    @Override
    public void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("the window's GL context belongs to thread '" + owner.getName()
                    + "'; GL calls from '" + Thread.currentThread().getName() + "' are not allowed");
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

    /** GLX contexts cannot make EGL fences: GL fences (polled on the owner thread) are used instead. */
    @Override
    public long eglFenceDisplay() {
        return 0;
    }

    /** Destroys the window and terminates GLFW. Idempotent; owner (main) thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        GL.setCapabilities(null);
        glfwMakeContextCurrent(NULL);
        glfwDestroyWindow(window);
        glfwTerminate();
        glfwSetErrorCallback(null);
        errors.free();
    }
}
