package dev.baton.render.gl;

/**
 * OpenGL through EGL cannot be used on this machine: libEGL is missing, the surfaceless platform is
 * not offered, or no core context of a usable version can be created. The message says what to
 * install or check. Tests turn this into a skipped test (or a failure when {@code CI=true}).
 */
public final class GlUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The Debian packages that provide EGL surfaceless with Mesa's llvmpipe. */
    public static final String PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri";

    /**
     * OpenGL cannot be used.
     *
     * @param message what is missing and what to install or do
     */
    public GlUnavailableException(String message) {
        super(message);
    }

    /**
     * OpenGL cannot be used.
     *
     * @param message what is missing and what to install or do
     * @param cause what failed
     */
    public GlUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
