package dev.baton.app.demo;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * How a tile whose producer abandoned its surface looks, in one place for every compositor: the
 * in-process demo (its canvas fill and its PNG label, {@link FrameWriter}) and the broker's compositor
 * ({@code ./baton serve}, {@code ./baton demo --processes}), which keeps the dead producer's last frame
 * and marks it. Static; any thread.
 */
public final class AbandonedTile {
    /** The tile colour (red, green, blue in 0..1) of an abandoned surface with no frame to show. */
    public static final float RED = 0.45f, GREEN = 0.08f, BLUE = 0.08f;
    /** The label drawn on an abandoned tile. */
    public static final String LABEL = "ABANDONED";
    /** The colour of the label's text. */
    public static final Color TEXT = Color.WHITE;
    /** How much of a kept frame's own colour is left once marked (the rest is {@link #RED}/{@link #GREEN}/{@link #BLUE}). */
    public static final float KEPT = 0.35f;

    private static final int LABEL_POINTS = 28;
    private static final int REASON_POINTS = 12;

    private AbandonedTile() {
    }

    /**
     * Draws {@link #LABEL} centred on the tile at ({@code x}, {@code y}) of {@code width} x
     * {@code height} pixels, and under it {@code reason} (why the producer's connection went) when not null.
     *
     * @param g where to draw; its font and colour are restored afterwards
     * @param reason one line, or null
     */
    public static void drawLabel(Graphics2D g, int x, int y, int width, int height, String reason) {
        Font font = g.getFont();
        Color color = g.getColor();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(TEXT);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, LABEL_POINTS));
            FontMetrics m = g.getFontMetrics();
            if (m.stringWidth(LABEL) > width - 8) { // a small tile gets a smaller label, still whole
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(8, LABEL_POINTS * (width - 8) / m.stringWidth(LABEL))));
                m = g.getFontMetrics();
            }
            int baseline = y + height / 2;
            g.drawString(LABEL, x + Math.max(2, (width - m.stringWidth(LABEL)) / 2), baseline);
            if (reason != null && !reason.isEmpty()) {
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, REASON_POINTS));
                m = g.getFontMetrics();
                g.setClip(x, y, width, height); // a long reason stops at its own tile
                g.drawString(reason, x + Math.max(4, (width - m.stringWidth(reason)) / 2), baseline + m.getHeight() + 4);
                g.setClip(null);
            }
        } finally {
            g.setFont(font);
            g.setColor(color);
        }
    }

    /**
     * Marks a kept frame in place: the tile at ({@code x}, {@code y}) of {@code width} x {@code height}
     * pixels of {@code rgba} (row-major RGBA, {@code stride} pixels a row) is dimmed toward the abandoned
     * colour ({@link #KEPT} of its own colour left) and labelled as {@link #drawLabel} does.
     *
     * @param reason why the producer's connection went, or null while that is not known
     */
    public static void mark(byte[] rgba, int stride, int x, int y, int width, int height, String reason) {
        int r0 = Math.round(RED * 255 * (1 - KEPT)), g0 = Math.round(GREEN * 255 * (1 - KEPT)), b0 = Math.round(BLUE * 255 * (1 - KEPT));
        BufferedImage tile = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int j = 0; j < height; j++) {
            int o = ((y + j) * stride + x) * 4;
            for (int i = 0; i < width; i++, o += 4) {
                int r = r0 + Math.round((rgba[o] & 0xFF) * KEPT);
                int g = g0 + Math.round((rgba[o + 1] & 0xFF) * KEPT);
                int b = b0 + Math.round((rgba[o + 2] & 0xFF) * KEPT);
                row[i] = r << 16 | g << 8 | b;
            }
            tile.setRGB(0, j, width, 1, row, 0, width);
        }
        Graphics2D g = tile.createGraphics();
        try {
            drawLabel(g, 0, 0, width, height, reason);
        } finally {
            g.dispose();
        }
        for (int j = 0; j < height; j++) {
            tile.getRGB(0, j, width, 1, row, 0, width);
            int o = ((y + j) * stride + x) * 4;
            for (int i = 0; i < width; i++, o += 4) {
                int p = row[i];
                rgba[o] = (byte) (p >> 16);
                rgba[o + 1] = (byte) (p >> 8);
                rgba[o + 2] = (byte) p;
                rgba[o + 3] = (byte) 0xFF;
            }
        }
    }
}
