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
    /** The header's first field: 'B','A','T','N' read as a little-endian u32. */
    public static final int MAGIC = 0x4E544142;
    /**
     * The protocol version this build speaks; HELLO with another is answered with REFUSE. Version 2
     * added memory choice {@link #MEMORY_HOST_COPY}, and a client's own device memory in SURFACE_OFFER
     * (memory fd count, allocation, UUIDs; relayed only where {@link Broker.Config#clientMemory} allows)
     * with the exporter's UUIDs and create flags in SURFACE_CREATED. Version 3 gave HELLO's device and
     * driver UUIDs and both capability words a meaning ({@link #CAP_CLIENT_IMPORTS_DEVICE_MEMORY},
     * {@link #CAP_BROKER_DEVICE_MEMORY}) and added memory choice {@link #MEMORY_DEVICE_OPAQUE_FD}
     * without a memory fd: the broker allocates exportable device memory of the client's driver.
     */
    public static final int VERSION = 3;
    /**
     * HELLO capability: the client's device (whose UUIDs HELLO carries) imports OPAQUE_FD image memory,
     * so it can draw into device memory the broker allocates on a device of the same driver.
     */
    public static final int CAP_CLIENT_IMPORTS_DEVICE_MEMORY = 1;
    /**
     * WELCOME capability: the broker allocates device memory for this client's HELLO UUIDs: a
     * SURFACE_OFFER with memory choice {@link #MEMORY_DEVICE_OPAQUE_FD} and no memory fd is answered
     * with an OPAQUE_FD of an exportable image the broker allocated (sealed against truncation), which
     * the client imports into its device. Sent only to a client that set
     * {@link #CAP_CLIENT_IMPORTS_DEVICE_MEMORY}.
     */
    public static final int CAP_BROKER_DEVICE_MEMORY = 1;
    /**
     * WELCOME capability: the broker's compositor imports a client's own exportable image and two
     * binary semaphores (SURFACE_OFFER with memory choice {@link #MEMORY_DEVICE_OPAQUE_FD}, a memory fd,
     * sync choice {@link #SYNC_BINARY_SEMAPHORES} and two sync fds) and waits on them on its GPU: it has
     * a device of the client's HELLO UUIDs and trusts its clients' memory ({@code serve --trust-clients}).
     * Additive: a client that ignores it keeps the broker's memory.
     */
    public static final int CAP_BROKER_IMPORTS_CLIENT_MEMORY = 2;
    /** Size of the fixed header every message starts with. */
    public static final int HEADER_BYTES = 16;
    /** Every message fits in this many bytes; a receiver refuses anything longer. */
    public static final int MAX_MESSAGE_BYTES = 512;
    /** Private data carried by ACQUIRED and RELEASE: at most this many bytes (as in D3DKMT). */
    public static final int MAX_PRIVATE_DATA_BYTES = KeyedMutex.DEFAULT_MAX_PRIVATE_DATA_BYTES;
    /** Longest client name in HELLO, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 64;
    /** Longest diagnostic text in REFUSE and ERROR, in UTF-8 bytes. */
    public static final int MAX_TEXT_BYTES = 256;
    /** Sync fds a client may attach to SURFACE_OFFER. */
    public static final int MAX_OFFER_SYNC_FDS = 4;
    /** Fds in any one message (SURFACE_CREATED: memory and sync fds). */
    public static final int MAX_FDS_PER_MESSAGE = 8;

    /** Byte offsets of the header fields (see the class comment). */
    public static final int H_MAGIC = 0, H_VERSION = 4, H_TYPE = 6, H_LENGTH = 8, H_SEQUENCE = 12;

    // Types. C = client sends, B = broker sends.
    /** Client: opens the session with its pid, capabilities, device and driver UUIDs and name. */
    public static final int TYPE_HELLO = 1;           // C
    /** Broker: accepts HELLO with the client id and limits. */
    public static final int TYPE_WELCOME = 2;         // B
    /** Broker: refuses HELLO (one of the REFUSE_* reasons), then closes. */
    public static final int TYPE_REFUSE = 3;          // B
    /** Client: asks for a shared surface (size, format, usage, memory and sync choices, initial key). */
    public static final int TYPE_SURFACE_OFFER = 4;   // C
    /** Broker: the surface it allocated, with its memory and sync fds. */
    public static final int TYPE_SURFACE_CREATED = 5; // B
    /** Client: waits for a surface's keyed mutex with a key and a timeout. */
    public static final int TYPE_ACQUIRE = 6;         // C
    /** Broker: the client owns the surface; carries the fence value and private data of the last release. */
    public static final int TYPE_ACQUIRED = 7;        // B
    /** Broker: the ACQUIRE's timeout passed; the client does not own the surface. */
    public static final int TYPE_TIMEOUT = 8;         // B
    /** Broker: the surface's owner died without releasing, or its creator left: recreate it. */
    public static final int TYPE_ABANDONED = 9;       // B
    /** Client: releases the surface to a key with a fence value and private data. */
    public static final int TYPE_RELEASE = 10;        // C
    /** Either side: a fence value was reached (host-bridged sync, where no GPU semaphore is shared). */
    public static final int TYPE_FENCE_REACHED = 11;  // C and B
    /** Either side: an orderly end of the session, with a reason. */
    public static final int TYPE_BYE = 12;            // C and B
    /** Broker: the client broke a protocol rule (named, with the offending sequence); the broker closes. */
    public static final int TYPE_ERROR = 13;          // B
    static final int TYPE_COUNT = 14;

    /** HELLO field offsets; the name follows the fixed part. */
    public static final int HELLO_PID = 16, HELLO_CAPABILITIES = 20, HELLO_DEVICE_UUID = 24, HELLO_DRIVER_UUID = 40,
            HELLO_NAME_LENGTH = 56, HELLO_NAME = 60, HELLO_FIXED_BYTES = 60;
    /** WELCOME field offsets and its exact size. */
    public static final int WELCOME_CLIENT_ID = 16, WELCOME_MAX_PRIVATE_DATA = 20, WELCOME_MAX_SURFACES = 24,
            WELCOME_CAPABILITIES = 28, WELCOME_BYTES = 32;
    /** REFUSE field offsets; REFUSE and ERROR share a shape: codes, a u16 text length, text. */
    public static final int REFUSE_BROKER_VERSION = 16, REFUSE_CLIENT_VERSION = 18, REFUSE_REASON = 20,
            REFUSE_TEXT_LENGTH = 22, REFUSE_TEXT = 24, REFUSE_FIXED_BYTES = 24;
    /** ERROR field offsets: the broken rule, text length, the offending message's sequence, text. */
    public static final int ERROR_RULE = 16, ERROR_TEXT_LENGTH = 18, ERROR_SEQUENCE = 20, ERROR_TEXT = 24,
            ERROR_FIXED_BYTES = 24;
    /** Memory fds a client may attach to SURFACE_OFFER (its own device memory, memory choice 2). */
    public static final int MAX_OFFER_MEMORY_FDS = 1;
    /**
     * SURFACE_OFFER field offsets and its exact size. Version 2: {@code OFFER_MEMORY_FD_COUNT} (was a
     * zero u32) and, after the sync fd sizes, the client memory's allocation size, memory type, tiling,
     * create flags and the exporter's driver and device UUIDs (all zero without a memory fd).
     */
    public static final int OFFER_REQUEST_ID = 16, OFFER_WIDTH = 20, OFFER_HEIGHT = 24, OFFER_FORMAT = 28,
            OFFER_USAGE = 32, OFFER_MEMORY_CHOICE = 36, OFFER_SYNC_CHOICE = 38, OFFER_INITIAL_KEY = 40,
            OFFER_SYNC_FD_COUNT = 48, OFFER_MEMORY_FD_COUNT = 52, OFFER_SYNC_FD_BYTES = 56,
            OFFER_ALLOCATION_BYTES = 56 + 8 * MAX_OFFER_SYNC_FDS, OFFER_MEMORY_TYPE_INDEX = OFFER_ALLOCATION_BYTES + 8,
            OFFER_TILING = OFFER_ALLOCATION_BYTES + 12, OFFER_CREATE_FLAGS = OFFER_ALLOCATION_BYTES + 16,
            OFFER_DRIVER_UUID = OFFER_ALLOCATION_BYTES + 24, OFFER_DEVICE_UUID = OFFER_ALLOCATION_BYTES + 40,
            OFFER_BYTES = OFFER_ALLOCATION_BYTES + 56;
    /** SURFACE_CREATED field offsets and its exact size. */
    public static final int CREATED_REQUEST_ID = 16, CREATED_SURFACE_ID = 20, CREATED_ALLOCATION_BYTES = 24,
            CREATED_MEMORY_TYPE_INDEX = 32, CREATED_WIDTH = 36, CREATED_HEIGHT = 40, CREATED_FORMAT = 44,
            CREATED_TILING = 48, CREATED_USAGE = 52, CREATED_MEMORY_CHOICE = 56, CREATED_SYNC_CHOICE = 58,
            CREATED_MEMORY_FD_COUNT = 60, CREATED_SYNC_FD_COUNT = 64, CREATED_MAX_PRIVATE_DATA = 68,
            CREATED_INITIAL_KEY = 72, CREATED_DRIVER_UUID = 80, CREATED_DEVICE_UUID = 96, CREATED_CREATE_FLAGS = 112,
            CREATED_BYTES = 120;
    /** Surface messages (ACQUIRE, ACQUIRED, TIMEOUT, ABANDONED, RELEASE, FENCE_REACHED) share one layout. */
    public static final int S_SURFACE_ID = 16, S_DATA_LENGTH = 20, S_KEY = 24, S_VALUE = 32, S_DATA = 40,
            SURFACE_FIXED_BYTES = 40;
    /** BYE field offsets and its exact size. */
    public static final int BYE_REASON = 16, BYE_BYTES = 24;

    /**
     * Memory choices (how pixels are shared): the broker allocates; a client may only ask.
     * {@code MEMORY_HOST_MEMFD}: the broker's sealed memfd, which the producer's device imports as host
     * memory (nothing copied on the host). {@code MEMORY_DEVICE_OPAQUE_FD}: device memory (not offered
     * by the default allocator). {@code MEMORY_HOST_COPY}: the same sealed memfd, for a producer whose
     * device cannot import host memory: it copies each frame there with its CPU after its fence, so
     * every frame costs {@code width*height*4} copied bytes (reported, not hidden).
     */
    public static final int MEMORY_HOST_MEMFD = 1, MEMORY_DEVICE_OPAQUE_FD = 2, MEMORY_HOST_COPY = 3;
    /** Sync choices (how the next owner waits). */
    public static final int SYNC_HOST_BRIDGE = 1, SYNC_BINARY_SEMAPHORES = 2, SYNC_SHARED_TIMELINE = 3;

    /** REFUSE reasons. */
    public static final int REFUSE_VERSION_MISMATCH = 1, REFUSE_TOO_MANY_CLIENTS = 2, REFUSE_NOT_SAME_USER = 3,
            REFUSE_SHUTTING_DOWN = 4;

    private Protocol() {
    }

    /** {@return a new direct little-endian buffer of {@link #MAX_MESSAGE_BYTES} that holds any message} */
    public static ByteBuffer newMessageBuffer() {
        return ByteBuffer.allocateDirect(MAX_MESSAGE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The type's name, for logs and the message table; {@code "type N"} for an unknown one.
     *
     * @param type a TYPE_* value
     * @return its name without the prefix, such as {@code "ACQUIRE"}
     */
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

    /**
     * True if a client may send {@code type}.
     *
     * @param type a message type
     * @return whether it is HELLO, SURFACE_OFFER, ACQUIRE, RELEASE, FENCE_REACHED or BYE
     */
    public static boolean clientSends(int type) {
        return type == TYPE_HELLO || type == TYPE_SURFACE_OFFER || type == TYPE_ACQUIRE || type == TYPE_RELEASE
                || type == TYPE_FENCE_REACHED || type == TYPE_BYE;
    }

    /**
     * True if the broker may send {@code type}.
     *
     * @param type a message type
     * @return whether it is a known type that is not client-only
     */
    public static boolean brokerSends(int type) {
        return type >= TYPE_HELLO && type < TYPE_COUNT && type != TYPE_HELLO && type != TYPE_SURFACE_OFFER
                && type != TYPE_ACQUIRE && type != TYPE_RELEASE;
    }

    /**
     * How many fds a message of {@code type} carries, read from its (length-checked) fields.
     *
     * @param m the message, little-endian, its length already checked
     * @param type its type
     * @return the declared fd count (the sync fds of SURFACE_OFFER, memory plus sync fds of
     *     SURFACE_CREATED), 0 for every other type
     */
    public static int declaredFdCount(ByteBuffer m, int type) {
        switch (type) {
            case TYPE_SURFACE_OFFER: {
                // Each count range-checked first, so no pair of u32s can add up to the fds carried.
                int memory = m.getInt(OFFER_MEMORY_FD_COUNT);
                int sync = m.getInt(OFFER_SYNC_FD_COUNT);
                return memory < 0 || memory > MAX_FDS_PER_MESSAGE || sync < 0 || sync > MAX_FDS_PER_MESSAGE ? -1 : memory + sync;
            }
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
     * @throws ProtocolViolation naming the first rule the message breaks
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

    /**
     * Writes the header of a {@code length}-byte message and sets the buffer's limit to it.
     *
     * @param m the message buffer; cleared first
     * @param type a TYPE_* value
     * @param length the whole message's bytes, header included
     * @param sequence the sender's sequence number for this message
     */
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

    /**
     * Reads {@code length} UTF-8 bytes at {@code offset} (diagnostics: allocates).
     *
     * @param m the message
     * @param offset the text's first byte
     * @param length its byte count, as the message declares it (already range-checked)
     * @return the decoded text (malformed UTF-8 replaced)
     */
    public static String getText(ByteBuffer m, int offset, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = m.get(offset + i);
        }
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
