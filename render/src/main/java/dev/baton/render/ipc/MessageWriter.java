package dev.baton.render.ipc;

import static dev.baton.render.ipc.Protocol.*;

import java.nio.ByteBuffer;

/**
 * Builds outgoing messages of one connection direction into one reused direct buffer, numbering them
 * 1, 2, 3, ... Each method returns that buffer (position 0, limit the message length), valid until the
 * next call. Allocation-free except for the text of REFUSE/ERROR/HELLO names. One thread.
 */
public final class MessageWriter {
    private final ByteBuffer buffer = Protocol.newMessageBuffer();
    private int nextSequence = 1;

    /** {@return the sequence number the next message gets} */
    public int nextSequence() {
        return nextSequence;
    }

    private ByteBuffer begin(int type, int length) {
        Protocol.putHeader(buffer, type, length, nextSequence++);
        return buffer;
    }

    /**
     * HELLO: the client's first message.
     *
     * @param pid the client's process id
     * @param capabilities the client's capability bits (none is defined in version 1: Baton sends 0)
     * @param deviceUuid the client device's 16-byte UUID, or null for zeros
     * @param driverUuid the client driver's 16-byte UUID, or null for zeros
     * @param name the client's name; cut to {@link Protocol#MAX_NAME_BYTES} UTF-8 bytes
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer hello(int pid, int capabilities, byte[] deviceUuid, byte[] driverUuid, String name) {
        byte[] nameBytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int n = Math.min(nameBytes.length, MAX_NAME_BYTES);
        ByteBuffer m = begin(TYPE_HELLO, HELLO_FIXED_BYTES + n);
        m.putInt(HELLO_PID, pid);
        m.putInt(HELLO_CAPABILITIES, capabilities);
        for (int i = 0; i < 16; i++) {
            m.put(HELLO_DEVICE_UUID + i, deviceUuid == null ? 0 : deviceUuid[i]);
            m.put(HELLO_DRIVER_UUID + i, driverUuid == null ? 0 : driverUuid[i]);
        }
        m.putShort(HELLO_NAME_LENGTH, (short) n);
        m.putShort(HELLO_NAME_LENGTH + 2, (short) 0);
        for (int i = 0; i < n; i++) {
            m.put(HELLO_NAME + i, nameBytes[i]);
        }
        return m;
    }

    /**
     * WELCOME: the broker accepts a HELLO.
     *
     * @param clientId the id the broker gave the client
     * @param maxPrivateDataBytes the most private data a RELEASE may carry
     * @param maxSurfaces the most surfaces the client may hold at once
     * @param capabilities the broker's capability bits (none is defined in version 1: Baton sends 0)
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer welcome(int clientId, int maxPrivateDataBytes, int maxSurfaces, int capabilities) {
        ByteBuffer m = begin(TYPE_WELCOME, WELCOME_BYTES);
        m.putInt(WELCOME_CLIENT_ID, clientId);
        m.putInt(WELCOME_MAX_PRIVATE_DATA, maxPrivateDataBytes);
        m.putInt(WELCOME_MAX_SURFACES, maxSurfaces);
        m.putInt(WELCOME_CAPABILITIES, capabilities);
        return m;
    }

    /**
     * REFUSE: the broker turns a HELLO down; it carries this build's {@link Protocol#VERSION}.
     *
     * @param clientVersion the version the client's HELLO carried
     * @param reason one of the {@code Protocol.REFUSE_*} reasons
     * @param text what the client should do; cut to {@link Protocol#MAX_TEXT_BYTES} UTF-8 bytes
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer refuse(int clientVersion, int reason, String text) {
        ByteBuffer m = begin(TYPE_REFUSE, MAX_MESSAGE_BYTES); // the length is fixed up once the text is in
        int n = Protocol.putText(m, REFUSE_TEXT, text, MAX_TEXT_BYTES);
        m.putInt(H_LENGTH, REFUSE_FIXED_BYTES + n);
        m.limit(REFUSE_FIXED_BYTES + n);
        m.putShort(REFUSE_BROKER_VERSION, (short) VERSION);
        m.putShort(REFUSE_CLIENT_VERSION, (short) clientVersion);
        m.putShort(REFUSE_REASON, (short) reason);
        m.putShort(REFUSE_TEXT_LENGTH, (short) n);
        return m;
    }

    /**
     * ERROR: the broker tells a client which protocol rule it broke, before closing the connection.
     *
     * @param rule the broken rule (sent as its ordinal)
     * @param relatedSequence the sequence number of the offending message
     * @param text the details; cut to {@link Protocol#MAX_TEXT_BYTES} UTF-8 bytes
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer error(ProtocolViolation.Rule rule, int relatedSequence, String text) {
        ByteBuffer m = begin(TYPE_ERROR, MAX_MESSAGE_BYTES); // the length is fixed up once the text is in
        int n = Protocol.putText(m, ERROR_TEXT, text, MAX_TEXT_BYTES);
        m.putInt(H_LENGTH, ERROR_FIXED_BYTES + n);
        m.limit(ERROR_FIXED_BYTES + n);
        m.putShort(ERROR_RULE, (short) rule.ordinal());
        m.putShort(ERROR_TEXT_LENGTH, (short) n);
        m.putInt(ERROR_SEQUENCE, relatedSequence);
        return m;
    }

    /**
     * SURFACE_OFFER: ask the broker for a surface. {@code syncFdBytes[0..syncFdCount)} are the sizes
     * of the sync fds attached (memfds the client's driver exported).
     *
     * @param requestId the client's id for this request, echoed in SURFACE_CREATED
     * @param width the width in pixels
     * @param height the height in pixels
     * @param format the Vulkan format ({@code VkFormat})
     * @param usage the Vulkan image usage bits
     * @param memoryChoice the memory sharing asked for, a {@code Protocol.MEMORY_*} value
     * @param syncChoice the handoff sync asked for, a {@code Protocol.SYNC_*} value
     * @param initialKey the keyed mutex's initial key
     * @param syncFdBytes the attached sync fds' sizes in bytes (read up to {@code syncFdCount})
     * @param syncFdCount how many sync fds travel with the message, at most
     *     {@link Protocol#MAX_OFFER_SYNC_FDS}
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer offer(int requestId, int width, int height, int format, int usage, int memoryChoice,
            int syncChoice, long initialKey, long[] syncFdBytes, int syncFdCount) {
        return offer(requestId, width, height, format, usage, memoryChoice, syncChoice, initialKey, syncFdBytes, syncFdCount, null);
    }

    /**
     * SURFACE_OFFER with the client's own device memory (memory choice 2, one memory fd travelling
     * before the sync fds), or without it when {@code memory} is null.
     *
     * @param requestId the client's id for this request
     * @param width the surface's width in pixels
     * @param height the surface's height in pixels
     * @param format its {@code VkFormat}
     * @param usage its image usage bits
     * @param memoryChoice a {@code Protocol.MEMORY_*} value
     * @param syncChoice a {@code Protocol.SYNC_*} value
     * @param initialKey the keyed mutex's initial key
     * @param syncFdBytes the size of each sync fd, or null
     * @param syncFdCount how many sync fds travel with it
     * @param memory the exported image memory whose fd travels with the offer, or null
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     * @see #offer(int, int, int, int, int, int, int, long, long[], int)
     */
    public ByteBuffer offer(int requestId, int width, int height, int format, int usage, int memoryChoice,
            int syncChoice, long initialKey, long[] syncFdBytes, int syncFdCount, dev.baton.render.ExportedImageMemory memory) {
        ByteBuffer m = begin(TYPE_SURFACE_OFFER, OFFER_BYTES);
        m.putInt(OFFER_REQUEST_ID, requestId);
        m.putInt(OFFER_WIDTH, width);
        m.putInt(OFFER_HEIGHT, height);
        m.putInt(OFFER_FORMAT, format);
        m.putInt(OFFER_USAGE, usage);
        m.putShort(OFFER_MEMORY_CHOICE, (short) memoryChoice);
        m.putShort(OFFER_SYNC_CHOICE, (short) syncChoice);
        m.putLong(OFFER_INITIAL_KEY, initialKey);
        m.putInt(OFFER_SYNC_FD_COUNT, syncFdCount);
        m.putInt(OFFER_MEMORY_FD_COUNT, memory == null ? 0 : 1);
        for (int i = 0; i < MAX_OFFER_SYNC_FDS; i++) {
            m.putLong(OFFER_SYNC_FD_BYTES + 8 * i, i < syncFdCount ? syncFdBytes[i] : 0L);
        }
        m.putLong(OFFER_ALLOCATION_BYTES, memory == null ? 0L : memory.allocationSizeBytes());
        m.putInt(OFFER_MEMORY_TYPE_INDEX, memory == null ? 0 : memory.memoryTypeIndex());
        m.putInt(OFFER_TILING, memory == null || !memory.linearTiling() ? 0 : 1); // VK_IMAGE_TILING_OPTIMAL / LINEAR
        m.putInt(OFFER_CREATE_FLAGS, memory == null ? 0 : memory.vkCreateFlags());
        m.putInt(OFFER_CREATE_FLAGS + 4, 0);
        byte[] driver = memory == null ? null : memory.driverUuid();
        byte[] device = memory == null ? null : memory.deviceUuid();
        for (int i = 0; i < 16; i++) {
            m.put(OFFER_DRIVER_UUID + i, driver == null ? 0 : driver[i]);
            m.put(OFFER_DEVICE_UUID + i, device == null ? 0 : device[i]);
        }
        return m;
    }

    /**
     * SURFACE_CREATED, from a surface's description.
     *
     * @param requestId the id of the SURFACE_OFFER this answers
     * @param d the allocated surface: ids, allocation size, image parameters, choices and fd counts
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer created(int requestId, BrokerSurface.Description d) {
        ByteBuffer m = begin(TYPE_SURFACE_CREATED, CREATED_BYTES);
        m.putInt(CREATED_REQUEST_ID, requestId);
        m.putInt(CREATED_SURFACE_ID, d.surfaceId);
        m.putLong(CREATED_ALLOCATION_BYTES, d.allocationBytes);
        m.putInt(CREATED_MEMORY_TYPE_INDEX, d.memoryTypeIndex);
        m.putInt(CREATED_WIDTH, d.width);
        m.putInt(CREATED_HEIGHT, d.height);
        m.putInt(CREATED_FORMAT, d.format);
        m.putInt(CREATED_TILING, d.tiling);
        m.putInt(CREATED_USAGE, d.usage);
        m.putShort(CREATED_MEMORY_CHOICE, (short) d.memoryChoice);
        m.putShort(CREATED_SYNC_CHOICE, (short) d.syncChoice);
        m.putInt(CREATED_MEMORY_FD_COUNT, d.memoryFdCount);
        m.putInt(CREATED_SYNC_FD_COUNT, d.syncFdCount);
        m.putInt(CREATED_MAX_PRIVATE_DATA, d.maxPrivateDataBytes);
        m.putLong(CREATED_INITIAL_KEY, d.initialKey);
        for (int i = 0; i < 16; i++) {
            m.put(CREATED_DRIVER_UUID + i, d.driverUuid[i]);
            m.put(CREATED_DEVICE_UUID + i, d.deviceUuid[i]);
        }
        m.putInt(CREATED_CREATE_FLAGS, d.createFlags);
        m.putInt(CREATED_CREATE_FLAGS + 4, 0);
        return m;
    }

    /**
     * A surface message: ACQUIRE ({@code value} = timeout in ns), ACQUIRED / RELEASE ({@code value} =
     * fence value, with private data), TIMEOUT / ABANDONED ({@code value} 0), FENCE_REACHED
     * ({@code value} = the fence value reached).
     *
     * @param type one of the surface message types listed above
     * @param surfaceId the surface's id from SURFACE_CREATED
     * @param key the keyed mutex key (to acquire, or to release to)
     * @param value as listed above for each type
     * @param data private data (position..limit, not moved), or null
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     * @throws IllegalArgumentException if {@code data} holds more than
     *     {@link Protocol#MAX_PRIVATE_DATA_BYTES}; no sequence number is used
     */
    public ByteBuffer surface(int type, int surfaceId, long key, long value, ByteBuffer data) {
        int n = data == null ? 0 : data.remaining();
        if (n > MAX_PRIVATE_DATA_BYTES) {
            throw new IllegalArgumentException("private data of " + n + " bytes, more than the protocol's "
                    + MAX_PRIVATE_DATA_BYTES + ": send at most that many");
        }
        ByteBuffer m = begin(type, SURFACE_FIXED_BYTES + n);
        m.putInt(S_SURFACE_ID, surfaceId);
        m.putInt(S_DATA_LENGTH, n);
        m.putLong(S_KEY, key);
        m.putLong(S_VALUE, value);
        if (n > 0) {
            m.put(S_DATA, data, data.position(), n);
        }
        return m;
    }

    /**
     * BYE: an orderly end of the session.
     *
     * @param reason the sender's reason code
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer bye(int reason) {
        ByteBuffer m = begin(TYPE_BYE, BYE_BYTES);
        m.putInt(BYE_REASON, reason);
        m.putInt(BYE_REASON + 4, 0);
        return m;
    }

    /**
     * Raw bytes as the next message, its header's sequence overwritten with the next number when
     * {@code fixSequence} (for tests that send malformed messages).
     *
     * @param bytes the message bytes; cut to {@link Protocol#MAX_MESSAGE_BYTES}
     * @param fixSequence whether to overwrite the header's sequence (when the bytes hold a header)
     * @return the reused buffer, position 0, limit the message length, valid until the next call
     */
    public ByteBuffer raw(byte[] bytes, boolean fixSequence) {
        buffer.clear();
        int n = Math.min(bytes.length, buffer.capacity());
        buffer.put(0, bytes, 0, n);
        buffer.limit(n);
        if (fixSequence && n >= HEADER_BYTES) {
            buffer.putInt(H_SEQUENCE, nextSequence);
        }
        nextSequence++;
        return buffer;
    }
}
