package dev.baton.render.gl;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Skips GPU tests when a driver is missing, but fails them when {@code CI=true} (CI installs drivers). */
final class GlTestSupport {
    private GlTestSupport() {}

    static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Marks the test skipped (locally) or failed (on CI) with a message naming the packages. */
    static void driverMissing(String what, String packages, Throwable cause) {
        String detail = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        String message = what + " is unavailable: " + detail + (detail.contains(packages) ? "" : "; install " + packages);
        if (onCi()) {
            fail(message, cause);
        }
        assumeTrue(false, message);
    }

    /** Creates a context, or skips/fails the test if EGL surfaceless GL is missing. */
    static EglContext contextOrSkip(boolean debug) {
        try {
            return EglContext.create(debug);
        } catch (GlUnavailableException e) {
            driverMissing("OpenGL via EGL surfaceless", GlUnavailableException.PACKAGES, e);
            throw e; // not reached
        }
    }
}
