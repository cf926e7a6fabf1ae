package dev.baton.render.gl;

import static org.lwjgl.egl.EGL10.*;
import static org.lwjgl.egl.EGL14.EGL_OPENGL_API;
import static org.lwjgl.egl.EGL12.eglBindAPI;
import static org.lwjgl.egl.EGL15.*;

import java.nio.IntBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.lwjgl.PointerBuffer;
import org.lwjgl.egl.EGL;
import org.lwjgl.egl.EGLCapabilities;
import org.lwjgl.opengl.GL;
import org.lwjgl.opengl.GL43C;
import org.lwjgl.opengl.GLCapabilities;
import org.lwjgl.opengl.GLDebugMessageCallback;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.JNI;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * A headless OpenGL core context: no window, no display server. Rendering goes to FBOs, for example
 * {@link GlImportedTexture}'s.
 *
 * <p><b>Which GPU.</b> With {@code EGL_EXT_device_enumeration} and {@code EGL_EXT_platform_device}
 * (NVIDIA's EGL, Mesa 19+), the context is made on an EGL <i>device</i>: the one whose GL reports the
 * driver and device UUIDs asked for ({@link #create(boolean, String, String)}, the Vulkan device a
 * surface comes from), or without UUIDs the first hardware device. Otherwise, or when no device
 * matches, it falls back to Mesa's surfaceless platform ({@code EGL_MESA_platform_surfaceless}), which
 * on a machine with glvnd may be served by llvmpipe while a GPU is present: {@link #selection()} says
 * what was chosen and why, so callers can warn.
 *
 * <p><b>Thread contract.</b> A GL context is current on at most one thread, and only that thread may
 * make GL calls with it. {@link #create} makes the new context current on the creating thread, which
 * becomes the owner. To move it, the owner calls {@link #release()} and the new thread calls
 * {@link #makeCurrent()}. {@link #close()} is called by the owner (or by any thread after
 * {@link #release()}). GL objects made with this context ({@link GlImportedTexture},
 * {@link GlFenceTimeline}) follow the same rule unless they say otherwise.
 *
 * <p>Creation tries GL 4.5 core, then 4.3 core, then 3.3 core; {@link #glMajorVersion()} and
 * {@link #glMinorVersion()} say which one was made.
 *
 * <p>An EGL display is shared by every context of the process on the same platform and device (EGL
 * returns the same handle); it is initialized by the first such context and terminated when the last
 * one closes.
 */
public final class EglContext implements GlContext, AutoCloseable {
    /** {@code EGL_PLATFORM_SURFACELESS_MESA} from EGL_MESA_platform_surfaceless. */
    private static final int EGL_PLATFORM_SURFACELESS_MESA = 0x31DD;
    /** {@code EGL_PLATFORM_DEVICE_EXT} from EGL_EXT_platform_device. */
    private static final int EGL_PLATFORM_DEVICE_EXT = 0x313F;
    private static final int MAX_EGL_DEVICES = 16;
    /** {@code EGL_NO_CONFIG_KHR} from EGL_KHR_no_config_context. */
    private static final long EGL_NO_CONFIG_KHR = 0L;
    private static final int[][] VERSIONS_TO_TRY = {{4, 5}, {4, 3}, {3, 3}};

    private static final Object DISPLAY_LOCK = new Object();
    private static boolean librariesLoaded;
    /** Users per initialized EGLDisplay: EGL hands out one handle per platform and native display. */
    private static final Map<Long, Integer> displayUsers = new HashMap<>();
    private static final Map<Long, EGLCapabilities> displayCaps = new HashMap<>();

    /**
     * What {@link #create} chose: {@code platform} is {@code "device"} or {@code "surfaceless"},
     * {@code eglDevice} the EGLDeviceEXT (0 on surfaceless), {@code software} whether the EGL device
     * says it is a software renderer ({@code EGL_MESA_device_software}), {@code reason} one sentence.
     */
    public record Selection(String platform, long eglDevice, boolean software, String reason) {}

    private final long display; // EGLDisplay
    private final long context; // EGLContext
    private final EGLCapabilities eglDisplayCaps;
    private Selection selection;
    private final GLCapabilities glCaps;
    private final int glMajor;
    private final int glMinor;
    private final GLDebugMessageCallback debugCallback; // null unless debug
    private final AtomicLong debugErrors = new AtomicLong();
    private final AtomicLong debugWarnings = new AtomicLong();
    private volatile String lastDebugMessage;
    private volatile Thread owner;
    private boolean closed;

    private EglContext(long display, EGLCapabilities displayCaps, long context, int major, int minor, boolean debug) {
        this.display = display;
        this.eglDisplayCaps = displayCaps;
        this.context = context;
        this.glMajor = major;
        this.glMinor = minor;
        if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
            throw new GlUnavailableException("eglMakeCurrent(surfaceless) failed: EGL error 0x"
                    + Integer.toHexString(eglGetError()) + "; the driver lacks EGL_KHR_surfaceless_context");
        }
        this.owner = Thread.currentThread();
        this.glCaps = GL.createCapabilities();
        this.debugCallback = debug && glCaps.GL_KHR_debug ? installDebugCallback() : null;
    }

    /**
     * Creates a GL core context and makes it current on the calling thread, which becomes its owner:
     * on the first hardware EGL device if the device platform offers one, else on the surfaceless
     * platform (see the class comment).
     *
     * @param debug create a debug context and count GL errors and warnings through KHR_debug
     *     ({@link #debugErrorCount()}, {@link #debugWarningCount()}); debug output is synchronous
     * @return the context, current on the calling thread, owned by the caller
     * @throws GlUnavailableException if libEGL is missing, neither platform is offered, or no GL 3.3+
     *     core context can be created; the message says what to install
     */
    public static EglContext create(boolean debug) {
        return create(debug, null, null);
    }

    /**
     * Like {@link #create(boolean)}, on the EGL device whose GL reports these UUIDs (lower-case hex as
     * {@link GlInfo#hex} writes them; null for "any hardware device"): the GPU of the Vulkan device a
     * surface comes from, so that its memory can be imported. Falls back to surfaceless when no device
     * matches; {@link #selection()} says so.
     *
     * @param debug create a debug context that counts GL errors and warnings, as {@link #create(boolean)}
     * @param driverUuidHex the wanted {@code GL_DRIVER_UUID_EXT} in hex, or null with {@code deviceUuidHex} null
     * @param deviceUuidHex the wanted {@code GL_DEVICE_UUID_EXT} in hex, or null with {@code driverUuidHex} null
     * @return the context, current on the calling thread, owned by the caller
     * @throws GlUnavailableException if libEGL is missing or no GL 3.3+ core context can be created
     *     on any platform
     */
    public static EglContext create(boolean debug, String driverUuidHex, String deviceUuidHex) {
        loadLibraries();
        StringBuilder tried = new StringBuilder();
        for (DeviceCandidate candidate : deviceCandidates()) {
            boolean wantAny = driverUuidHex == null && deviceUuidHex == null;
            if (wantAny && candidate.software()) {
                tried.append(" device ").append(candidate.index()).append(" is a software renderer;");
                continue; // with no UUIDs asked for, surfaceless serves a software renderer just as well
            }
            EglContext context;
            try {
                context = createOn(candidate.display(), debug);
            } catch (GlUnavailableException e) {
                tried.append(" device ").append(candidate.index()).append(": ").append(e.getMessage()).append(';');
                continue;
            }
            GlInfo info = GlInfo.query(context);
            boolean matches = wantAny || (GlInfo.hex(info.driverUuid()).equals(driverUuidHex)
                    && GlInfo.hex(info.deviceUuid()).equals(deviceUuidHex));
            if (matches) {
                context.selection = new Selection("device", candidate.device(), candidate.software(), "EGL device " + candidate.index()
                        + " (" + info.renderer() + ")" + (wantAny ? " is a hardware device" : " matches the Vulkan device's UUIDs"));
                return context;
            }
            tried.append(" device ").append(candidate.index()).append(" (").append(info.renderer()).append(") has other UUIDs;");
            context.close();
        }
        long display = acquireDisplay(EGL_PLATFORM_SURFACELESS_MESA, MemoryUtil.NULL);
        EglContext context = createOnAcquired(display, debug);
        String why = tried.length() == 0 ? "the EGL device platform is not offered or lists no device" : tried.toString().trim();
        context.selection = new Selection("surfaceless", 0, false, "Mesa's surfaceless platform (" + why + ")");
        return context;
    }

    /** {@return what this context runs on (device or surfaceless platform) and why it was chosen} */
    public Selection selection() {
        return selection;
    }

    private record DeviceCandidate(int index, long device, long display, boolean software) {}

    /** True if this EGL can enumerate devices and make displays on them (after libEGL loads). */
    static boolean devicePlatformOffered() {
        loadLibraries();
        Set<String> client = clientExtensions();
        EGLCapabilities caps = EGL.getCapabilities();
        return client.contains("EGL_EXT_device_enumeration") && client.contains("EGL_EXT_platform_device")
                && caps.eglQueryDevicesEXT != MemoryUtil.NULL && caps.eglGetPlatformDisplayEXT != MemoryUtil.NULL;
    }

    /** Every EGL device on the device platform, hardware first; empty without the extensions. */
    private static java.util.List<DeviceCandidate> deviceCandidates() {
        if (!devicePlatformOffered()) {
            return java.util.List.of();
        }
        EGLCapabilities caps = EGL.getCapabilities();
        java.util.List<DeviceCandidate> hardware = new java.util.ArrayList<>();
        java.util.List<DeviceCandidate> software = new java.util.ArrayList<>();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer devices = stack.mallocPointer(MAX_EGL_DEVICES);
            IntBuffer count = stack.mallocInt(1);
            if (JNI.invokePPZ(MAX_EGL_DEVICES, MemoryUtil.memAddress(devices), MemoryUtil.memAddress(count), caps.eglQueryDevicesEXT)
                    && count.get(0) > 0) {
                for (int i = 0; i < Math.min(count.get(0), MAX_EGL_DEVICES); i++) {
                    long device = devices.get(i);
                    String extensions = caps.eglQueryDeviceStringEXT == MemoryUtil.NULL ? null
                            : MemoryUtil.memASCIISafe(JNI.invokePP(device, EGL_EXTENSIONS, caps.eglQueryDeviceStringEXT));
                    boolean isSoftware = extensions != null && Set.of(extensions.trim().split("\\s+")).contains("EGL_MESA_device_software");
                    (isSoftware ? software : hardware).add(new DeviceCandidate(i, device, device, isSoftware));
                }
            }
        }
        java.util.List<DeviceCandidate> all = new java.util.ArrayList<>(hardware);
        all.addAll(software);
        return all;
    }

    /** Initializes the device's display (counted per display) and makes a context on it. */
    private static EglContext createOn(long eglDevice, boolean debug) {
        return createOnAcquired(acquireDisplay(EGL_PLATFORM_DEVICE_EXT, eglDevice), debug);
    }

    private static EglContext createOnAcquired(long display, boolean debug) {
        try {
            EGLCapabilities caps;
            synchronized (DISPLAY_LOCK) {
                caps = displayCaps.get(display);
            }
            if (!eglBindAPI(EGL_OPENGL_API)) {
                throw new GlUnavailableException("eglBindAPI(EGL_OPENGL_API) failed: this EGL has no desktop OpenGL; install "
                        + GlUnavailableException.PACKAGES);
            }
            long config = chooseConfig(display, caps);
            for (int[] version : VERSIONS_TO_TRY) {
                long context = createContext(display, config, version[0], version[1], debug);
                if (context != EGL_NO_CONTEXT) {
                    try {
                        return new EglContext(display, caps, context, version[0], version[1], debug);
                    } catch (RuntimeException | Error e) {
                        eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
                        eglDestroyContext(display, context);
                        throw e;
                    }
                }
            }
            throw new GlUnavailableException("eglCreateContext failed for GL 4.5, 4.3 and 3.3 core (EGL error 0x"
                    + Integer.toHexString(eglGetError()) + "); install " + GlUnavailableException.PACKAGES
                    + " or check that LIBGL_ALWAYS_SOFTWARE / MESA_GL_VERSION_OVERRIDE are not forcing a lower version");
        } catch (RuntimeException | Error e) {
            releaseDisplay(display);
            throw e;
        }
    }

    private static long createContext(long display, long config, int major, int minor, boolean debug) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer attribs = stack.mallocInt(9);
            attribs.put(EGL_CONTEXT_MAJOR_VERSION).put(major)
                    .put(EGL_CONTEXT_MINOR_VERSION).put(minor)
                    .put(EGL_CONTEXT_OPENGL_PROFILE_MASK).put(EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT);
            if (debug) {
                attribs.put(EGL_CONTEXT_OPENGL_DEBUG).put(EGL_TRUE);
            }
            attribs.put(EGL_NONE).flip();
            // Through JNI: LWJGL's eglCreateContext rejects EGL_NO_CONFIG_KHR (a NULL config).
            return JNI.invokePPPPP(display, config, EGL_NO_CONTEXT, MemoryUtil.memAddress(attribs),
                    EGL.getCapabilities().eglCreateContext);
        }
    }

    private static long chooseConfig(long display, EGLCapabilities caps) {
        if (caps.EGL_KHR_no_config_context) {
            return EGL_NO_CONFIG_KHR; // we never make an EGL surface: FBOs only
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer attribs = stack.ints(EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_NONE);
            PointerBuffer configs = stack.mallocPointer(1);
            IntBuffer count = stack.mallocInt(1);
            if (!eglChooseConfig(display, attribs, configs, count) || count.get(0) == 0) {
                throw new GlUnavailableException("eglChooseConfig found no desktop-GL config on the surfaceless display; install "
                        + GlUnavailableException.PACKAGES);
            }
            return configs.get(0);
        }
    }

    /** Loads libEGL and GL's function provider once per process. */
    private static void loadLibraries() {
        synchronized (DISPLAY_LOCK) {
            if (!librariesLoaded) {
                // GL's entry points must come from EGL (eglGetProcAddress), not from libGL/GLX.
                // Explicit init: the failure to load libEGL surfaces here, as a clear message, rather
                // than as an ExceptionInInitializerError from a static initializer.
                Configuration.EGL_EXPLICIT_INIT.set(true);
                Configuration.OPENGL_EXPLICIT_INIT.set(true);
                try {
                    if (!eglLoaded()) {
                        EGL.create();
                    }
                } catch (RuntimeException | LinkageError e) {
                    throw new GlUnavailableException("cannot load libEGL.so.1 (" + e + "); install "
                            + GlUnavailableException.PACKAGES, e);
                }
                if (GL.getFunctionProvider() == null) {
                    GL.create(EGL.getFunctionProvider()); // (if GLFW created GL first, Mesa's GLX entry points serve EGL too)
                }
                librariesLoaded = true;
            }
        }
    }

    /** Opens (first user: initializes) the display of {@code platform} and {@code nativeDisplay}; counted. */
    private static long acquireDisplay(int platform, long nativeDisplay) {
        synchronized (DISPLAY_LOCK) {
            long display = openDisplay(platform, nativeDisplay);
            Integer users = displayUsers.get(display);
            if (users == null) {
                EGLCapabilities caps = EGL.createDisplayCapabilities(display);
                if (!caps.EGL_KHR_surfaceless_context) {
                    eglTerminate(display);
                    throw new GlUnavailableException("the " + platformName(platform) + " EGL display lacks EGL_KHR_surfaceless_context; install "
                            + GlUnavailableException.PACKAGES + " (Mesa 17 or newer)");
                }
                displayCaps.put(display, caps);
                users = 0;
            }
            displayUsers.put(display, users + 1);
            return display;
        }
    }

    private static boolean eglLoaded() {
        try {
            return EGL.getFunctionProvider() != null;
        } catch (IllegalStateException notLoaded) {
            return false;
        }
    }

    private static void releaseDisplay(long display) {
        synchronized (DISPLAY_LOCK) {
            Integer users = displayUsers.get(display);
            if (users == null) {
                return;
            }
            if (users == 1) {
                displayUsers.remove(display);
                displayCaps.remove(display);
                eglTerminate(display);
            } else {
                displayUsers.put(display, users - 1);
            }
        }
    }

    private static String platformName(int platform) {
        return platform == EGL_PLATFORM_DEVICE_EXT ? "device-platform" : "surfaceless";
    }

    private static long openDisplay(int platform, long nativeDisplay) {
        Set<String> clientExtensions = clientExtensions();
        if (platform == EGL_PLATFORM_SURFACELESS_MESA
                && (!clientExtensions.contains("EGL_EXT_platform_base") || !clientExtensions.contains("EGL_MESA_platform_surfaceless"))) {
            throw new GlUnavailableException("EGL offers neither a matching EGL device (EGL_EXT_platform_device) nor"
                    + " EGL_MESA_platform_surfaceless (client extensions: "
                    + String.join(" ", clientExtensions) + "); install " + GlUnavailableException.PACKAGES
                    + " (Mesa's EGL), or check that __EGL_VENDOR_LIBRARY_FILENAMES does not select another vendor");
        }
        long getPlatformDisplay = EGL.getCapabilities().eglGetPlatformDisplayEXT;
        if (getPlatformDisplay == MemoryUtil.NULL) {
            throw new GlUnavailableException("eglGetPlatformDisplayEXT is missing from libEGL; install " + GlUnavailableException.PACKAGES);
        }
        // Called through JNI: LWJGL's eglGetPlatformDisplayEXT wrapper rejects a NULL native display.
        long display = JNI.invokePPP(platform, nativeDisplay, MemoryUtil.NULL, getPlatformDisplay);
        if (display == EGL_NO_DISPLAY) {
            throw new GlUnavailableException("eglGetPlatformDisplayEXT(" + platformName(platform) + ") returned no display (EGL error 0x"
                    + Integer.toHexString(eglGetError()) + "); install " + GlUnavailableException.PACKAGES);
        }
        if (displayUsers.containsKey(display)) {
            return display; // already initialized by another context
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer major = stack.mallocInt(1);
            IntBuffer minor = stack.mallocInt(1);
            if (!eglInitialize(display, major, minor)) {
                throw new GlUnavailableException("eglInitialize on the " + platformName(platform) + " display failed (EGL error 0x"
                        + Integer.toHexString(eglGetError()) + "); is /dev/dri readable, or is libgl1-mesa-dri (swrast) installed? install "
                        + GlUnavailableException.PACKAGES);
            }
        }
        return display;
    }

    private static Set<String> clientExtensions() {
        String extensions = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS); // null without EGL_EXT_client_extensions
        return extensions == null ? Set.of() : Set.of(extensions.trim().split("\\s+"));
    }

    private GLDebugMessageCallback installDebugCallback() {
        GLDebugMessageCallback callback = GLDebugMessageCallback.create((source, type, id, severity, length, message, userParam) -> {
            if (type == GL43C.GL_DEBUG_TYPE_ERROR) {
                debugErrors.incrementAndGet();
            } else if (severity != GL43C.GL_DEBUG_SEVERITY_NOTIFICATION) {
                debugWarnings.incrementAndGet();
            } else {
                return;
            }
            lastDebugMessage = GLDebugMessageCallback.getMessage(length, message);
        });
        GL43C.glEnable(GL43C.GL_DEBUG_OUTPUT);
        GL43C.glEnable(GL43C.GL_DEBUG_OUTPUT_SYNCHRONOUS); // count on the calling thread, in call order
        GL43C.glDebugMessageCallback(callback, MemoryUtil.NULL);
        return callback;
    }

    /**
     * Makes this context current on the calling thread, which becomes the owner. The previous owner
     * must have called {@link #release()} first (EGL fails otherwise).
     *
     * @throws IllegalStateException if closed or if EGL refuses (for example the context is still
     *     current on another thread)
     */
    public void makeCurrent() {
        checkOpen();
        if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
            throw new IllegalStateException("eglMakeCurrent failed (EGL error 0x" + Integer.toHexString(eglGetError())
                    + "); the owner thread must call release() before another thread calls makeCurrent()");
        }
        GL.setCapabilities(glCaps);
        owner = Thread.currentThread();
    }

    /** Makes no context current on the calling thread (the owner), so another thread may take it. */
    public void release() {
        checkOwner();
        eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        GL.setCapabilities(null);
        owner = null;
    }

    /**
     * Throws unless the calling thread owns (has current) this context. GL wrappers call this on
     * their entry points so that a wrong-thread call fails loudly instead of hitting another context.
     */
    public void checkOwner() {
        checkOpen();
        if (owner != Thread.currentThread()) {
            throw new IllegalStateException("GL context is owned by " + (owner == null ? "no thread" : "thread '" + owner.getName() + "'")
                    + ", not '" + Thread.currentThread().getName() + "': call release() on the owner and makeCurrent() here");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("EglContext is closed");
        }
    }

    /** {@return the {@code EGLDisplay} handle, shared by every context of the process} */
    public long eglDisplay() {
        return display;
    }

    /** {@return the {@code EGLContext} handle} */
    public long eglContext() {
        return context;
    }

    /** {@return the display's EGL extensions (for example {@code EGL_KHR_fence_sync})} */
    public EGLCapabilities eglCapabilities() {
        return eglDisplayCaps;
    }

    /** LWJGL's GL capabilities of this context (extension flags, function pointers). */
    public GLCapabilities glCapabilities() {
        return glCaps;
    }

    /** The GL major version that was requested and created (4 or 3). */
    public int glMajorVersion() {
        return glMajor;
    }

    /** The GL minor version that was requested and created (5, 3 or 3). */
    public int glMinorVersion() {
        return glMinor;
    }

    /** The display when {@code EGL_KHR_fence_sync} is offered (fences waitable from any thread), else 0. */
    @Override
    public long eglFenceDisplay() {
        return eglCapabilities().EGL_KHR_fence_sync ? eglDisplay() : 0;
    }

    /** True when created with {@code debug}: Baton labels the GL objects it makes in this context. */
    @Override
    public boolean debugLabels() {
        return debugCallback != null;
    }

    /** The thread that owns the context, or null after {@link #release()}. */
    public Thread owner() {
        return owner;
    }

    /**
     * KHR_debug messages of type ERROR since creation; 0 unless created with debug. Any thread.
     *
     * @return the count
     */
    public long debugErrorCount() {
        return debugErrors.get();
    }

    /**
     * KHR_debug messages of other types above NOTIFICATION severity; 0 unless debug. Any thread.
     *
     * @return the count
     */
    public long debugWarningCount() {
        return debugWarnings.get();
    }

    /** {@return the last counted KHR_debug message, or null. Any thread} */
    public String lastDebugMessage() {
        return lastDebugMessage;
    }

    /**
     * Destroys the context; idempotent. Call on the owner thread (the context is released there) or
     * after {@link #release()}. Close every GL object made with this context first.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (owner == Thread.currentThread()) {
            if (debugCallback != null) {
                GL43C.glDebugMessageCallback(null, MemoryUtil.NULL);
            }
            eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
            GL.setCapabilities(null);
            owner = null;
        }
        // If still current elsewhere (contract broken), EGL defers the destruction until released.
        eglDestroyContext(display, context);
        if (debugCallback != null) {
            debugCallback.free();
        }
        releaseDisplay(display);
    }
}
