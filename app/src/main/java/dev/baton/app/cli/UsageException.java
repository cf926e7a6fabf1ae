package dev.baton.app.cli;

/**
 * Bad command-line input found after parsing (such as two flags that cannot go together).
 * {@link Cli} prints the message on one line, after {@code baton COMMAND: }, and exits with code 2.
 */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
