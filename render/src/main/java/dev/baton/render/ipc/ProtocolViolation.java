package dev.baton.render.ipc;

/**
 * A peer broke a rule of the Baton protocol. The broker disconnects that client alone and logs one
 * line naming the client and {@link #rule()}; a client treats it as a broker it cannot trust.
 */
public final class ProtocolViolation extends Exception {
    private static final long serialVersionUID = 1L;

    /** The rules; the enum name is what logs and ERROR messages carry. */
    public enum Rule {
        /** The header does not start with {@link Protocol#MAGIC}. */
        MAGIC,
        /** A message after HELLO carries another protocol version. */
        VERSION,
        /** The type is not one the protocol defines. */
        UNKNOWN_TYPE,
        /** A type only the other side sends (a client sent a broker message, or the reverse). */
        DIRECTION,
        /** The length is not the exact length of the type (or its header says another length). */
        LENGTH,
        /** Longer than {@link Protocol#MAX_MESSAGE_BYTES}. */
        OVERSIZED,
        /** The header's sequence number is not the previous one plus 1. */
        SEQUENCE,
        /** The message is not legal in the connection's state (before HELLO, a second HELLO, ...). */
        STATE,
        /** A field has a value the protocol does not allow (zero size, unknown choice, bad UTF-8). */
        FIELD,
        /** The message carries another number of fds than it declares. */
        FD_COUNT,
        /** More fds than the receiver accepts; the kernel truncated them (all closed). */
        FD_TRUNCATED,
        /** A received fd is not of the type the message claims (fstat). */
        FD_TYPE,
        /** A received fd is not of the size the message claims (fstat). */
        FD_SIZE,
        /** The surface id is not one the broker gave this client. */
        UNKNOWN_SURFACE,
        /** A release by a client that does not own the surface. */
        NOT_OWNER,
        /** An acquire by a client that already owns the surface (recursion). */
        ALREADY_OWNER,
        /** An acquire while this client's previous acquire of the surface is still pending. */
        ACQUIRE_PENDING,
        /** A fence value below the stored one (unsigned): fence values never decrease. */
        FENCE_BACKWARDS,
        /** A FENCE_REACHED value this client never released, or below one it already reported. */
        FENCE_REACHED,
        /** Private data longer than the surface's limit. */
        PRIVATE_DATA_LIMIT,
        /** A bounded count was exceeded: surfaces per client. */
        LIMIT
    }

    /** The rule the peer broke. */
    private final Rule rule;

    /**
     * A violation of {@code rule}; no stack trace is filled in (the broker answers, logs and moves on).
     *
     * @param rule the broken rule
     * @param detail what the message held, for the log line and the ERROR text
     */
    public ProtocolViolation(Rule rule, String detail) {
        super(rule + ": " + detail, null, false, false);
        this.rule = rule;
    }

    /** {@return the rule the peer broke} */
    public Rule rule() {
        return rule;
    }
}
