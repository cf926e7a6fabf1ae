package dev.baton.render.ipc;

import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ipc.ProtocolViolation.Rule;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The codec: every message round-trips through the framing checks, and every framing rule fires. */
class ProtocolTest {
    private final MessageWriter w = new MessageWriter();

    /** A copy of {@code m} as a receiver would see it (little-endian, position 0). */
    private static ByteBuffer received(ByteBuffer m) {
        ByteBuffer copy = ByteBuffer.allocate(MAX_MESSAGE_BYTES + 1).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(0, m, 0, m.limit());
        copy.limit(m.limit());
        return copy;
    }

    private static int check(ByteBuffer m, int fds, int seq, boolean fromClient) throws ProtocolViolation {
        return checkFraming(m, m.limit(), false, fds, false, seq, fromClient);
    }

    private static Rule violation(ByteBuffer m, int received, boolean truncated, int fds, boolean fdsTruncated, int seq,
            boolean fromClient) {
        return assertThrows(ProtocolViolation.class,
                () -> checkFraming(m, received, truncated, fds, fdsTruncated, seq, fromClient)).rule();
    }

    @Test
    void everyMessageRoundTrips() throws ProtocolViolation {
        ByteBuffer m = received(w.hello(4321, 7, new byte[16], null, "producer-é"));
        assertEquals(TYPE_HELLO, check(m, 0, 1, true));
        assertEquals(4321, m.getInt(HELLO_PID));
        assertEquals("producer-é", getText(m, HELLO_NAME, m.getShort(HELLO_NAME_LENGTH)));

        m = received(w.welcome(3, 256, 8, 0));
        assertEquals(TYPE_WELCOME, check(m, 0, 2, false));
        assertEquals(3, m.getInt(WELCOME_CLIENT_ID));

        m = received(w.refuse(9, REFUSE_VERSION_MISMATCH, "versions 1 and 9"));
        assertEquals(TYPE_REFUSE, check(m, 0, 3, false));
        assertEquals(9, m.getShort(REFUSE_CLIENT_VERSION));
        assertEquals(VERSION, m.getShort(REFUSE_BROKER_VERSION));
        assertEquals("versions 1 and 9", getText(m, REFUSE_TEXT, m.getShort(REFUSE_TEXT_LENGTH)));

        m = received(w.offer(5, 640, 480, 37, 0x13, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, -1L, new long[] {64, 128}, 2));
        assertEquals(TYPE_SURFACE_OFFER, check(m, 2, 4, true));
        assertEquals(640, m.getInt(OFFER_WIDTH));
        assertEquals(-1L, m.getLong(OFFER_INITIAL_KEY));
        assertEquals(128, m.getLong(OFFER_SYNC_FD_BYTES + 8));

        BrokerSurface.Description d = new BrokerSurface.Description();
        d.surfaceId = 11;
        d.allocationBytes = 1 << 20;
        d.memoryFdCount = 1;
        d.syncFdCount = 2;
        d.initialKey = Long.MIN_VALUE;
        m = received(w.created(5, d));
        assertEquals(TYPE_SURFACE_CREATED, check(m, 3, 5, false));
        assertEquals(11, m.getInt(CREATED_SURFACE_ID));
        assertEquals(Long.MIN_VALUE, m.getLong(CREATED_INITIAL_KEY));

        ByteBuffer data = ByteBuffer.allocate(256);
        for (int i = 0; i < 256; i++) {
            data.put(i, (byte) i);
        }
        m = received(w.surface(TYPE_RELEASE, 11, 0xfeedL, -2L, data));
        assertEquals(TYPE_RELEASE, check(m, 0, 6, true));
        assertEquals(-2L, m.getLong(S_VALUE));
        assertEquals(256, m.getInt(S_DATA_LENGTH));
        assertEquals((byte) 255, m.get(S_DATA + 255));
        assertEquals(0, data.position(), "the writer does not move the caller's buffer");

        int seq = 7;
        for (int type : new int[] {TYPE_ACQUIRED, TYPE_TIMEOUT, TYPE_ABANDONED, TYPE_FENCE_REACHED}) {
            m = received(w.surface(type, 11, 1L, 2L, null));
            assertEquals(type, check(m, 0, seq++, false));
        }
        m = received(w.surface(TYPE_ACQUIRE, 11, 1L, 1_000_000L, null));
        assertEquals(TYPE_ACQUIRE, check(m, 0, seq++, true));
        m = received(w.bye(0));
        assertEquals(TYPE_BYE, check(m, 0, seq++, true));
        m = received(w.error(Rule.NOT_OWNER, 99, "x"));
        assertEquals(TYPE_ERROR, check(m, 0, seq, false));
        assertEquals(Rule.NOT_OWNER.ordinal(), m.getShort(ERROR_RULE));
    }

    @Test
    void framingRules() {
        ByteBuffer good = received(w.surface(TYPE_ACQUIRE, 1, 0L, 0L, null));
        int len = good.limit();

        ByteBuffer m = received(good);
        m.putInt(H_MAGIC, 0x12345678);
        assertEquals(Rule.MAGIC, violation(m, len, false, 0, false, 1, true));

        m = received(good);
        m.putShort(H_VERSION, (short) (VERSION + 1));
        assertEquals(Rule.VERSION, violation(m, len, false, 0, false, 1, true));

        m = received(good);
        m.putShort(H_TYPE, (short) 99);
        assertEquals(Rule.UNKNOWN_TYPE, violation(m, len, false, 0, false, 1, true));

        assertEquals(Rule.DIRECTION, violation(received(good), len, false, 0, false, 1, false));
        ByteBuffer acquired = received(w.surface(TYPE_ACQUIRED, 1, 0L, 0L, null));
        assertEquals(Rule.DIRECTION, violation(acquired, acquired.limit(), false, 0, false, 2, true));

        assertEquals(Rule.SEQUENCE, violation(received(good), len, false, 0, false, 2, true));
        assertEquals(Rule.LENGTH, violation(received(good), 10, false, 0, false, 1, true));
        assertEquals(Rule.LENGTH, violation(received(good), len - 1, false, 0, false, 1, true), "header says another length");

        m = received(good);
        m.putInt(H_LENGTH, len + 8);
        m.limit(len + 8);
        assertEquals(Rule.LENGTH, violation(m, len + 8, false, 0, false, 1, true), "not the type's exact length");

        assertEquals(Rule.OVERSIZED, violation(received(good), MAX_MESSAGE_BYTES + 1, true, 0, false, 1, true));
        assertEquals(Rule.FD_TRUNCATED, violation(received(good), len, false, 0, true, 1, true));
        assertEquals(Rule.FD_COUNT, violation(received(good), len, false, 1, false, 1, true), "fds on a type that carries none");

        ByteBuffer offer = received(w.offer(1, 8, 8, 0, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, new long[] {4096}, 1));
        assertEquals(Rule.FD_COUNT, violation(offer, offer.limit(), false, 0, false, 3, true), "declares 1, carries 0");

        ByteBuffer release = received(w.surface(TYPE_RELEASE, 1, 0L, 0L, ByteBuffer.allocate(8)));
        release.putInt(S_DATA_LENGTH, 4);
        assertEquals(Rule.LENGTH, violation(release, release.limit(), false, 0, false, 4, true), "data length disagrees");
    }

    @Test
    void helloWithAnotherVersionPassesFramingSoTheBrokerCanNameBothVersions() throws ProtocolViolation {
        ByteBuffer m = received(w.hello(1, 0, null, null, "old"));
        m.putShort(H_VERSION, (short) 7);
        m.putInt(HELLO_NAME_LENGTH, 0xffff); // a future layout: not read
        assertEquals(TYPE_HELLO, check(m, 0, 1, true));
    }

    @Test
    void theWriterRefusesPrivateDataOverTheLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> w.surface(TYPE_RELEASE, 1, 0, 0, ByteBuffer.allocate(MAX_PRIVATE_DATA_BYTES + 1)));
        assertTrue(e.getMessage().contains("at most"), e.getMessage());
    }
}
