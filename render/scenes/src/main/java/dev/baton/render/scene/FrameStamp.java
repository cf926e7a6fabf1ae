package dev.baton.render.scene;

import java.nio.ByteBuffer;

/**
 * Encodes and decodes the frame stamp every producer scene writes (see {@code shaders/common.glsl}):
 * the top and bottom {@link #ROWS} rows of a surface carry the low 32 bits of the frame number in
 * 32 black/white cells between two magenta guard cells, {@link #CELLS} cells across.
 *
 * <p>Both strips carry the same number, so a surface torn between two renders decodes as two
 * different numbers ({@link #TORN}), and a stale one as an older number than the frame number its
 * producer released it with. Pure Java; no GPU.
 */
public final class FrameStamp {
    /** Rows of each stamp strip, top and bottom. */
    public static final int ROWS = 8;
    /** Cells across: a guard, 32 bits (least significant first), a guard. */
    public static final int CELLS = 34;
    /** Decoded value when the guards are missing: not a stamped surface, or mixed content. */
    public static final long INVALID = -1;
    /** Decoded value when the top and bottom strips disagree: the surface is torn. */
    public static final long TORN = -2;

    private FrameStamp() {}

    /** The smallest surface width whose cells are at least one pixel wide. */
    public static int minimumWidth() {
        return CELLS;
    }

    /**
     * Decodes the stamp of one tile of a tightly packed RGBA8 image.
     *
     * @param rgba the image, row-major, 4 bytes per pixel, {@code imageWidth} pixels per row
     * @param tileX left of the tile within the image, pixels
     * @param tileY top of the tile within the image (either vertical orientation works: both strips
     *        carry the same number)
     * @param tileWidth the producer surface's width
     * @param tileHeight the producer surface's height
     * @return the frame number (0..2^32-1), {@link #TORN} or {@link #INVALID}
     */
    public static long decode(ByteBuffer rgba, int imageWidth, int tileX, int tileY, int tileWidth, int tileHeight) {
        long top = decodeRow(rgba, imageWidth, tileX, tileY + ROWS / 2, tileWidth);
        long bottom = decodeRow(rgba, imageWidth, tileX, tileY + tileHeight - 1 - ROWS / 2, tileWidth);
        if (top == INVALID || bottom == INVALID) {
            return INVALID;
        }
        return top == bottom ? top : TORN;
    }

    private static long decodeRow(ByteBuffer rgba, int imageWidth, int tileX, int row, int tileWidth) {
        int cellWidth = tileWidth / CELLS;
        if (cellWidth < 1) {
            return INVALID;
        }
        if (!isMagenta(rgba, imageWidth, tileX + cellWidth / 2, row)
                || !isMagenta(rgba, imageWidth, tileX + 33 * cellWidth + cellWidth / 2, row)) {
            return INVALID;
        }
        long value = 0;
        for (int bit = 0; bit < 32; bit++) {
            int x = tileX + (bit + 1) * cellWidth + cellWidth / 2;
            int base = (row * imageWidth + x) * 4;
            int r = rgba.get(base) & 0xFF;
            int g = rgba.get(base + 1) & 0xFF;
            int b = rgba.get(base + 2) & 0xFF;
            boolean white = r > 160 && g > 160 && b > 160;
            boolean black = r < 96 && g < 96 && b < 96;
            if (white == black) {
                return INVALID;      // neither: blended or foreign content
            }
            if (white) {
                value |= 1L << bit;
            }
        }
        return value;
    }

    private static boolean isMagenta(ByteBuffer rgba, int imageWidth, int x, int row) {
        int base = (row * imageWidth + x) * 4;
        return (rgba.get(base) & 0xFF) > 160 && (rgba.get(base + 1) & 0xFF) < 96 && (rgba.get(base + 2) & 0xFF) > 160;
    }

    /**
     * Writes a stamp the way the shaders do, into a tightly packed RGBA8 image (for tests and for
     * host-side producers).
     */
    public static void encode(ByteBuffer rgba, int imageWidth, int tileX, int tileY, int tileWidth, int tileHeight, long frame) {
        int cellWidth = tileWidth / CELLS;
        for (int r = 0; r < ROWS; r++) {
            writeRow(rgba, imageWidth, tileX, tileY + r, tileWidth, cellWidth, frame);
            writeRow(rgba, imageWidth, tileX, tileY + tileHeight - 1 - r, tileWidth, cellWidth, frame);
        }
    }

    private static void writeRow(ByteBuffer rgba, int imageWidth, int tileX, int row, int tileWidth, int cellWidth, long frame) {
        for (int x = 0; x < tileWidth; x++) {
            int cell = x / cellWidth;
            int r;
            int g;
            int b;
            if (cell == 0 || cell == 33) {
                r = 255; g = 0; b = 255;
            } else if (cell > 33) {
                r = 0; g = 0; b = 0;
            } else {
                int v = ((frame >>> (cell - 1)) & 1) == 1 ? 255 : 0;
                r = v; g = v; b = v;
            }
            int base = (row * imageWidth + tileX + x) * 4;
            rgba.put(base, (byte) r).put(base + 1, (byte) g).put(base + 2, (byte) b).put(base + 3, (byte) 255);
        }
    }
}
