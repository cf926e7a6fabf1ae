package dev.baton.app.cli;

/** Bad command-line input. Main prints the message on one line and exits with code 2. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
