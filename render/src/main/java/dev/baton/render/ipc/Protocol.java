package dev.baton.render.ipc;

import dev.baton.sync.KeyedMutex;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Baton broker protocol, version {@link #VERSION}: constants, the fixed header and per-type
 * layouts, and the checks every received message goes through. See {@code package-info.java} for the
 * message table. All integers are little-endian; every message has one exact length (fixed part plus
 * the variable length it declares).
 *
 * <h2>Header (16 bytes)</h2>
 * <pre>
 *   0 u32 magic    'B','A','T','N' (0x4E544142 read little-endian)
 *   4 u16 version  {@link #VERSION}
 *   6 u16 type     one of the TYPE_* constants
 *   8 u32 length   total bytes, header included
 *  12 u32 sequence 1 for the first message in each direction, then +1 per message
 * </pre>
 * Static; any thread.
 */
public final class Protocol {
    public static final int MAGIC = 0x4E544142;
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 16;
    /** Every message fits in this many bytes; a receiver refuses anything longer. */
    public static final int MAX_MESSAGE_BYTES = 512;
    /** Private data carried by ACQUIRED and RELEASE: at most this many bytes (as in D3DKMT). */
    public static final int MAX_PRIVATE_DATA_BYTES = KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES;
    public static final int MAX_NAME_BYTES = 64;
    public static final int MAX_TEXT_BYTES = 256;
    /** Sync fds a client may attach to SURFACE_OFFER. */
    public static final int MAX_OFFER_SYNC_FDS = 4;
    /** Fds in any one message (SURFACE_CREATED: memory and sync fds). */
    public static final int MAX_FDS_PER_MESSAGE = 8;

    // Header offsets.
    public static final int H_MAGIC = 0, H_VERSION = 4, H_TYPE = 6, H_LENGTH = 8, H_SEQUENCE = 12;

    // Types. C = client sends, B = broker sends.
    public static final int TYPE_HELLO = 1;           // C
    public static final int TYPE_WELCOME = 2;         // B
    public static final int TYPE_REFUSE = 3;          // B
    public static final int TYPE_SURFACE_OFFER = 4;   // C
    public static final int TYPE_SURFACE_CREATED = 5; // B
    public static final int TYPE_ACQUIRE = 6;         // C
    public static final int TYPE_ACQUIRED = 7;        // B
    public static final int TYPE_TIMEOUT = 8;         // B
    public static final int TYPE_ABANDONED = 9;       // B
    public static final int TYPE_RELEASE = 10;        // C
    public static final int TYPE_FENCE_REACHED = 11;  // C and B
    public static final int TYPE_BYE = 12;            // C and B
    public static final int TYPE_ERROR = 13;          // B
    static final int TYPE_COUNT = 14;

    // HELLO
    public static final int HELLO_PID = 16, HELLO_CAPABILITIES = 20, HELLO_DEVICE_UUID = 24, HELLO_DRIVER_UUID = 40,
            HELLO_NAME_LENGTH = 56, HELLO_NAME = 60, HELLO_FIXED_BYTES = 60;
    // WELCOME
    public static final int WELCOME_CLIENT_ID = 16, WELCOME_MAX_PRIVATE_DATA = 20, WELCOME_MAX_SURFACES = 24,
            WELCOME_CAPABILITIES = 28, WELCOME_BYTES = 32;
    // REFUSE and ERROR share a shape: two u16 codes, a u16 reason, a u16 text length, text.
    public static final int REFUSE_BROKER_VERSION = 16, REFUSE_CLIENT_VERSION = 18, REFUSE_REASON = 20,
            REFUSE_TEXT_LENGTH = 22, REFUSE_TEXT = 24, REFUSE_FIXED_BYTES = 24;
    public static final int ERROR_RULE = 16, ERROR_TEXT_LENGTH = 18, ERROR_SEQUENCE = 20, ERROR_TEXT = 24,
            ERROR_FIXED_BYTES = 24;
    // SURFACE_OFFER
    public static final int OFFER_REQUEST_ID = 16, OFFER_WIDTH = 20, OFFER_HEIGHT = 24, OFFER_FORMAT = 28,
            OFFER_USAGE = 32, OFFER_MEMORY_CHOICE = 36, OFFER_SYNC_CHOICE = 38, OFFER_INITIAL_KEY = 40,
            OFFER_SYNC_FD_COUNT = 48, OFFER_SYNC_FD_BYTES = 56, OFFER_BYTES = 56 + 8 * MAX_OFFER_SYNC_FDS;
    // SURFACE_CREATED
    public static final int CREATED_REQUEST_ID = 16, CREATED_SURFACE_ID = 20, CREATED_ALLOCATION_BYTES = 24,
            CREATED_MEMORY_TYPE_INDEX = 32, CREATED_WIDTH = 36, CREATED_HEIGHT = 40, CREATED_FORMAT = 44,
            CREATED_TILING = 48, CREATED_USAGE = 52, CREATED_MEMORY_CHOICE = 56, CREATED_SYNC_CHOICE = 58,
            CREATED_MEMORY_FD_COUNT = 60, CREATED_SYNC_FD_COUNT = 64, CREATED_MAX_PRIVATE_DATA = 68,
            CREATED_INITIAL_KEY = 72, CREATED_BYTES = 80;
    // Surface messages (ACQUIRE, ACQUIRED, TIMEOUT, ABANDONED, RELEASE, FENCE_REACHED) share one layout.
    public static final int S_SURFACE_ID = 16, S_DATA_LENGTH = 20, S_KEY = 24, S_VALUE = 32, S_DATA = 40,
            SURFACE_FIXED_BYTES = 40;
    // BYE
    public static final int BYE_REASON = 16, BYE_BYTES = 24;

    /** Memory choices (how pixels are shared): the broker allocates; a client may only ask. */
    public static final int MEMORY_HOST_MEMFD = 1, MEMORY_DEVICE_OPAQUE_FD = 2;
    /** Sync choices (how the next owner waits). */
    public static final int SYNC_HOST_BRIDGE = 1, SYNC_BINARY_SEMAPHORES = 2, SYNC_SHARED_TIMELINE = 3;

    /** REFUSE reasons. */
    public static final int REFUSE_VERSION_MISMATCH = 1, REFUSE_TOO_MANY_CLIENTS = 2, REFUSE_NOT_SAME_USER = 3,
            REFUSE_SHUTTING_DOWN = 4;

    private Protocol() {
    }

    /** A direct little-endian buffer that holds any message. */
    public static ByteBuffer newMessageBuffer() {
        return ByteBuffer.allocateDirect(MAX_MESSAGE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The type's name, for logs and the message table; {@code "type N"} for an unknown one. */
    public static String typeName(int type) {
        switch (type) {
            case TYPE_HELLO: return "HELLO";
            case TYPE_WELCOME: return "WELCOME";
            case TYPE_REFUSE: return "REFUSE";
            case TYPE_SURFACE_OFFER: return "SURFACE_OFFER";
            case TYPE_SURFACE_CREATED: return "SURFACE_CREATED";
            case TYPE_ACQUIRE: return "ACQUIRE";
            case TYPE_ACQUIRED: return "ACQUIRED";
            case TYPE_TIMEOUT: return "TIMEOUT";
            case TYPE_ABANDONED: return "ABANDONED";
            case TYPE_RELEASE: return "RELEASE";
            case TYPE_FENCE_REACHED: return "FENCE_REACHED";
            case TYPE_BYE: return "BYE";
            case TYPE_ERROR: return "ERROR";
            default: return "type " + type;
        }
    }

    /** True if a client may send {@code type}. */
    public static boolean clientSends(int type) {
        return type == TYPE_HELLO || type == TYPE_SURFACE_OFFER || type == TYPE_ACQUIRE || type == TYPE_RELEASE
                || type == TYPE_FENCE_REACHED || type == TYPE_BYE;
    }

    /** True if the broker may send {@code type}. */
    public static boolean brokerSends(int type) {
        return type >= TYPE_HELLO && type < TYPE_COUNT && type != TYPE_HELLO && type != TYPE_SURFACE_OFFER
                && type != TYPE_ACQUIRE && type != TYPE_RELEASE;
    }

    /** How many fds a message of {@code type} carries, read from its (length-checked) fields. */
    public static int declaredFdCount(ByteBuffer m, int type) {
        switch (type) {
            case TYPE_SURFACE_OFFER: return m.getInt(OFFER_SYNC_FD_COUNT);
            case TYPE_SURFACE_CREATED: return m.getInt(CREATED_MEMORY_FD_COUNT) + m.getInt(CREATED_SYNC_FD_COUNT);
            default: return 0;
        }
    }

    /**
     * The exact length a message of {@code type} must have, given its fixed part (already known to be
     * present); -1 if its declared variable length is itself out of range.
     */
    static int exactLength(ByteBuffer m, int type, int length) {
        switch (type) {
            case TYPE_HELLO: {
                if (length < HELLO_FIXED_BYTES) return HELLO_FIXED_BYTES;
                int n = Short.toUnsignedInt(m.getShort(HELLO_NAME_LENGTH));
                return n > MAX_NAME_BYTES ? -1 : HELLO_FIXED_BYTES + n;
            }
            case TYPE_WELCOME: return WELCOME_BYTES;
            case TYPE_REFUSE: {
                if (length < REFUSE_FIXED_BYTES) return REFUSE_FIXED_BYTES;
                int n = Short.toUnsignedInt(m.getShort(REFUSE_TEXT_LENGTH));
                return n > MAX_TEXT_BYTES ? -1 : REFUSE_FIXED_BYTES + n;
            }
            case TYPE_ERROR: {
                if (length < ERROR_FIXED_BYTES) return ERROR_FIXED_BYTES;
                int n = Short.toUnsignedInt(m.getShort(ERROR_TEXT_LENGTH));
                return n > MAX_TEXT_BYTES ? -1 : ERROR_FIXED_BYTES + n;
            }
            case TYPE_SURFACE_OFFER: return OFFER_BYTES;
            case TYPE_SURFACE_CREATED: return CREATED_BYTES;
            case TYPE_ACQUIRED:
            case TYPE_RELEASE: {
                if (length < SURFACE_FIXED_BYTES) return SURFACE_FIXED_BYTES;
                // The private-data limit itself is checked by the receiver (rule PRIVATE_DATA_LIMIT).
                int n = m.getInt(S_DATA_LENGTH);
                return n < 0 || n > MAX_MESSAGE_BYTES - SURFACE_FIXED_BYTES ? -1 : SURFACE_FIXED_BYTES + n;
            }
            case TYPE_ACQUIRE:
            case TYPE_TIMEOUT:
            case TYPE_ABANDONED:
            case TYPE_FENCE_REACHED: return SURFACE_FIXED_BYTES;
            case TYPE_BYE: return BYE_BYTES;
            default: return -1;
        }
    }

    /**
     * Checks one received message's framing: size, magic, header length, sequence, known type,
     * direction, exact length and declared fd count. HELLO's version is left to the caller (a mismatch
     * there is answered with REFUSE, not treated as a violation); any other type must carry
     * {@link #VERSION}.
     *
     * @param m the message, little-endian, position 0, limit its length
     * @param received the byte count recvmsg returned (may exceed the buffer when truncated)
     * @param truncated the receiver saw MSG_TRUNC
     * @param fdCount fds that arrived with it
     * @param fdsTruncated the kernel truncated the fds (MSG_CTRUNC)
     * @param expectedSequence the sequence number this message must carry
     * @param fromClient true on the broker side (checks that a client may send the type)
     * @return the message type
     */
    public static int checkFraming(ByteBuffer m, int received, boolean truncated, int fdCount, boolean fdsTruncated,
            int expectedSequence, boolean fromClient) throws ProtocolViolation {
        if (truncated || received > MAX_MESSAGE_BYTES) {
            throw new ProtocolViolation(ProtocolViolation.Rule.OVERSIZED, received + " bytes, more than the "
                    + MAX_MESSAGE_BYTES + " any message may have");
        }
        if (fdsTruncated) {
            throw new ProtocolViolation(ProtocolViolation.Rule.FD_TRUNCATED, "more fds than the "
                    + MAX_FDS_PER_MESSAGE + " a message may carry");
        }
        if (received < HEADER_BYTES) {
            throw new ProtocolViolation(ProtocolViolation.Rule.LENGTH, received + " bytes, shorter than the "
                    + HEADER_BYTES + "-byte header");
        }
        if (m.getInt(H_MAGIC) != MAGIC) {
            throw new ProtocolViolation(ProtocolViolation.Rule.MAGIC, String.format("magic 0x%08x, expected 0x%08x",
                    m.getInt(H_MAGIC), MAGIC));
        }
        int type = Short.toUnsignedInt(m.getShort(H_TYPE));
        int version = Short.toUnsignedInt(m.getShort(H_VERSION));
        if (type != TYPE_HELLO && version != VERSION) {
            throw new ProtocolViolation(ProtocolViolation.Rule.VERSION, "version " + version + " in a "
                    + typeName(type) + ", this connection speaks " + VERSION);
        }
        if (m.getInt(H_LENGTH) != received) {
            throw new ProtocolViolation(ProtocolViolation.Rule.LENGTH, "header says " + Integer.toUnsignedString(m.getInt(H_LENGTH))
                    + " bytes, the message has " + received);
        }
        if (m.getInt(H_SEQUENCE) != expectedSequence) {
            throw new ProtocolViolation(ProtocolViolation.Rule.SEQUENCE, "sequence " + Integer.toUnsignedString(m.getInt(H_SEQUENCE))
                    + ", expected " + Integer.toUnsignedString(expectedSequence));
        }
        if (type < TYPE_HELLO || type >= TYPE_COUNT) {
            throw new ProtocolViolation(ProtocolViolation.Rule.UNKNOWN_TYPE, "type " + type + " is not in protocol version " + VERSION);
        }
        if (fromClient ? !clientSends(type) : !brokerSends(type)) {
            throw new ProtocolViolation(ProtocolViolation.Rule.DIRECTION, typeName(type) + " is sent only by the "
                    + (fromClient ? "broker" : "client"));
        }
        if (type == TYPE_HELLO && version != VERSION) {
            return type; // the caller refuses with both versions named; the rest of the layout may differ
        }
        int exact = exactLength(m, type, received);
        if (exact < 0) {
            throw new ProtocolViolation(ProtocolViolation.Rule.LENGTH, typeName(type) + " declares a variable part longer than allowed");
        }
        if (received != exact) {
            throw new ProtocolViolation(ProtocolViolation.Rule.LENGTH, typeName(type) + " of " + received
                    + " bytes; its exact length is " + exact);
        }
        int declared = declaredFdCount(m, type);
        if (declared < 0 || declared > MAX_FDS_PER_MESSAGE || declared != fdCount) {
            throw new ProtocolViolation(ProtocolViolation.Rule.FD_COUNT, typeName(type) + " declares "
                    + Integer.toUnsignedString(declared) + " fds and carries " + fdCount);
        }
        return type;
    }

    /** Writes the header of a {@code length}-byte message and sets the buffer's limit to it. */
    public static void putHeader(ByteBuffer m, int type, int length, int sequence) {
        m.clear();
        m.putInt(H_MAGIC, MAGIC);
        m.putShort(H_VERSION, (short) VERSION);
        m.putShort(H_TYPE, (short) type);
        m.putInt(H_LENGTH, length);
        m.putInt(H_SEQUENCE, sequence);
        m.limit(length);
    }

    /** Writes bytes (at most {@code max}) of {@code text} at {@code offset}; returns how many (ASCII-safe UTF-8, cut at max). */
    static int putText(ByteBuffer m, int offset, String text, int max) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int n = Math.min(bytes.length, max);
        for (int i = 0; i < n; i++) {
            m.put(offset + i, bytes[i]);
        }
        return n;
    }

    /** Reads {@code length} UTF-8 bytes at {@code offset} (diagnostics: allocates). */
    public static String getText(ByteBuffer m, int offset, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = m.get(offset + i);
        }
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
