package dev.baton.render.scene;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FrameStampTest {
    private static final int W = 512;
    private static final int H = 384;

    @Test
    void roundTripsFrameNumbersIncludingHighBits() {
        for (long frame : new long[] {0, 1, 0x55AA55AAL, 0xFFFFFFFFL, 123456789L}) {
            ByteBuffer image = ByteBuffer.allocate(W * H * 4);
            FrameStamp.encode(image, W, 0, 0, W, H, frame);
            assertEquals(frame, FrameStamp.decode(image, W, 0, 0, W, H));
        }
    }

    @Test
    void decodesATileInsideALargerImage() {
        int imageWidth = 2 * W + 37;
        ByteBuffer image = ByteBuffer.allocate(imageWidth * (H + 11) * 4);
        FrameStamp.encode(image, imageWidth, W + 37, 11, W, H, 4242);
        assertEquals(4242, FrameStamp.decode(image, imageWidth, W + 37, 11, W, H));
        assertEquals(FrameStamp.INVALID, FrameStamp.decode(image, imageWidth, 0, 0, W, H));
    }

    @Test
    void detectsATornSurface() {
        ByteBuffer image = ByteBuffer.allocate(W * H * 4);
        FrameStamp.encode(image, W, 0, 0, W, H, 7);
        ByteBuffer newer = ByteBuffer.allocate(W * H * 4);
        FrameStamp.encode(newer, W, 0, 0, W, H, 8);
        // the bottom half comes from the newer render: a tear
        for (int i = W * (H / 2) * 4; i < W * H * 4; i++) {
            image.put(i, newer.get(i));
        }
        assertEquals(FrameStamp.TORN, FrameStamp.decode(image, W, 0, 0, W, H));
    }

    @Test
    void rejectsBlendedContent() {
        ByteBuffer image = ByteBuffer.allocate(W * H * 4);
        FrameStamp.encode(image, W, 0, 0, W, H, 0xF0F0);
        for (int i = 0; i < W * H * 4; i++) {
            image.put(i, (byte) ((image.get(i) & 0xFF) / 2));   // a 50% mix with black
        }
        assertEquals(FrameStamp.INVALID, FrameStamp.decode(image, W, 0, 0, W, H));
    }
}
