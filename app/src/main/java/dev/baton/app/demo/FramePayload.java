package dev.baton.app.demo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The private data a producer releases each frame with: frame number, release timestamp
 * ({@link System#nanoTime()}), producer index and a checksum of the three, 24 bytes little-endian.
 * The compositor rejects data whose checksum does not match. Encoding writes into a caller's
 * preallocated buffer, decoding reads without allocating.
 */
final class FramePayload {
    static final int BYTES = 24;

    private FramePayload() {}

    /** Writes the payload into {@code out} (at least {@link #BYTES}, position 0..BYTES) and flips it. */
    static ByteBuffer encode(ByteBuffer out, long frame, long timestampNanos, int producer) {
        out.clear().order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(0, frame).putLong(8, timestampNanos).putInt(16, producer).putInt(20, checksum(frame, timestampNanos, producer));
        out.position(0).limit(BYTES);
        return out;
    }

    /** True if {@code data} (position..limit) holds a well-formed payload. */
    static boolean valid(ByteBuffer data) {
        if (data == null || data.remaining() != BYTES) {
            return false;
        }
        return checksum(frame(data), timestampNanos(data), producer(data)) == data.order(ByteOrder.LITTLE_ENDIAN).getInt(data.position() + 20);
    }

    static long frame(ByteBuffer data) {
        return data.order(ByteOrder.LITTLE_ENDIAN).getLong(data.position());
    }

    static long timestampNanos(ByteBuffer data) {
        return data.order(ByteOrder.LITTLE_ENDIAN).getLong(data.position() + 8);
    }

    static int producer(ByteBuffer data) {
        return data.order(ByteOrder.LITTLE_ENDIAN).getInt(data.position() + 16);
    }

    /** A 32-bit mix (murmur3 finalizer) of the fields: catches torn or foreign private data. */
    static int checksum(long frame, long timestampNanos, int producer) {
        long h = frame * 0x9E3779B97F4A7C15L ^ timestampNanos * 0xC2B2AE3D27D4EB4FL ^ (producer + 0x165667B19E3779F9L);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h;
    }
}
