package dev.baton.render.ipc;

/**
 * A libc call failed. Carries the call's name and its {@code errno}, so the message says what failed
 * and why ({@code "connect(...) failed: ECONNREFUSED (111)"}).
 */
public class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The {@code errno} the failed call left. */
    private final int errno;

    /**
     * A failure of {@code call} with {@code errno}.
     *
     * @param call the call and its salient arguments, such as {@code connect("/run/baton.sock")}
     * @param errno the {@code errno} it left, read right after it
     */
    public NativeException(String call, int errno) {
        this(call, errno, null);
    }

    /**
     * A failure of {@code call} with {@code errno} and what the user should do about it.
     *
     * @param call the call and its salient arguments
     * @param errno the {@code errno} it left, read right after it
     * @param hint what to do, appended after a semicolon; null for none
     */
    public NativeException(String call, int errno, String hint) {
        super(call + " failed: " + LibC.errnoName(errno) + " (" + errno + ")" + (hint == null ? "" : "; " + hint));
        this.errno = errno;
    }

    /** {@return the {@code errno} the call left} */
    public int errno() {
        return errno;
    }
}
