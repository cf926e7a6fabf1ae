package dev.baton.render.ipc;

/**
 * A libc call failed. Carries the call's name and its {@code errno}, so the message says what failed
 * and why ({@code "connect(...) failed: ECONNREFUSED (111)"}).
 */
public class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public NativeException(String call, int errno) {
        this(call, errno, null);
    }

    public NativeException(String call, int errno, String hint) {
        super(call + " failed: " + LibC.errnoName(errno) + " (" + errno + ")" + (hint == null ? "" : "; " + hint));
        this.errno = errno;
    }

    /** The {@code errno} the call left. */
    public int errno() {
        return errno;
    }
}
