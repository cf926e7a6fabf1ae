package dev.baton.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Writes the bench's PNG: latency CDFs per series (log-scaled microseconds) on the left and a
 * scaling chart (p50 and p99 against producer count) on the right. Java2D, headless.
 */
public final class Plot {
    /** One CDF line: a label and the sorted samples in nanoseconds. */
    public record CdfSeries(String label, long[] sortedNanos) {}

    /** One scaling line: a label, x values (producer counts) and y values (microseconds). */
    public record ScalingSeries(String label, double[] x, double[] yMicros) {}

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
        new Color(0x393b79), new Color(0x637939),
    };

    private Plot() {}

    public static void write(Path file, String title, List<CdfSeries> cdfs, List<ScalingSeries> scaling) throws IOException {
        int panelWidth = 760;
        int height = 560;
        int width = scaling.isEmpty() ? panelWidth : 2 * panelWidth;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, 20, 24);
            drawCdfs(g, 0, 36, panelWidth, height - 36, cdfs);
            if (!scaling.isEmpty()) {
                drawScaling(g, panelWidth, 36, panelWidth, height - 36, scaling);
            }
        } finally {
            g.dispose();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ImageIO.write(image, "png", file.toFile());
    }

    private static void drawCdfs(Graphics2D g, int x0, int y0, int w, int h, List<CdfSeries> series) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (CdfSeries s : series) {
            if (s.sortedNanos().length > 0) {
                min = Math.min(min, Math.max(0.01, s.sortedNanos()[0] / 1000.0));
                max = Math.max(max, s.sortedNanos()[s.sortedNanos().length - 1] / 1000.0);
            }
        }
        if (max == 0) {
            min = 1;
            max = 10;
        }
        double logMin = Math.floor(Math.log10(min));
        double logMax = Math.ceil(Math.log10(max));
        if (logMax <= logMin) {
            logMax = logMin + 1;
        }
        Frame f = new Frame(x0 + 70, y0 + 30, w - 100, h - 150);
        axes(g, f, "handoff latency, microseconds (log scale)", "fraction of handoffs <= x", "Latency CDF per series (GPU handoff; CPU handoff for the cpu floors)");
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (double e = logMin; e <= logMax; e++) {
            int px = f.x + (int) ((e - logMin) / (logMax - logMin) * f.w);
            g.setColor(new Color(0xdddddd));
            g.drawLine(px, f.y, px, f.y + f.h);
            g.setColor(Color.DARK_GRAY);
            g.drawString(formatMicros(Math.pow(10, e)), px - 12, f.y + f.h + 15);
        }
        for (int i = 0; i <= 4; i++) {
            int py = f.y + f.h - i * f.h / 4;
            g.setColor(new Color(0xdddddd));
            g.drawLine(f.x, py, f.x + f.w, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.2f", i / 4.0), f.x - 34, py + 4);
        }
        int legendY = f.y + f.h + 40;
        for (int i = 0; i < series.size(); i++) {
            CdfSeries s = series.get(i);
            Color c = PALETTE[i % PALETTE.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            long[] v = s.sortedNanos();
            int prevX = -1;
            int prevY = -1;
            int steps = Math.min(v.length, 400);
            for (int k = 0; k < steps; k++) {
                int idx = (int) ((long) k * (v.length - 1) / Math.max(1, steps - 1));
                double micros = Math.max(Math.pow(10, logMin), v[idx] / 1000.0);
                int px = f.x + (int) ((Math.log10(micros) - logMin) / (logMax - logMin) * f.w);
                int py = f.y + f.h - (int) ((idx + 1.0) / v.length * f.h);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                prevX = px;
                prevY = py;
            }
            legend(g, f, legendY, i, c, s.label() + " (n=" + v.length + ")");
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static void drawScaling(Graphics2D g, int x0, int y0, int w, int h, List<ScalingSeries> series) {
        double maxX = 1;
        double maxY = 1;
        for (ScalingSeries s : series) {
            for (double x : s.x()) {
                maxX = Math.max(maxX, x);
            }
            for (double y : s.yMicros()) {
                maxY = Math.max(maxY, y);
            }
        }
        maxY = niceCeiling(maxY);
        Frame f = new Frame(x0 + 70, y0 + 30, w - 100, h - 150);
        axes(g, f, "producers into one compositor", "handoff latency, microseconds", "Scaling with producer count");
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i <= 4; i++) {
            int py = f.y + f.h - i * f.h / 4;
            g.setColor(new Color(0xdddddd));
            g.drawLine(f.x, py, f.x + f.w, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(formatMicros(maxY * i / 4), f.x - 50, py + 4);
        }
        double logMaxX = Math.log(maxX) / Math.log(2);
        for (int e = 0; e <= Math.ceil(logMaxX); e++) {
            int px = f.x + (int) (e / Math.max(1, Math.ceil(logMaxX)) * f.w);
            g.setColor(Color.DARK_GRAY);
            g.drawString(Integer.toString(1 << e), px - 4, f.y + f.h + 15);
        }
        int legendY = f.y + f.h + 40;
        for (int i = 0; i < series.size(); i++) {
            ScalingSeries s = series.get(i);
            Color c = PALETTE[i % PALETTE.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            int prevX = -1;
            int prevY = -1;
            for (int k = 0; k < s.x().length; k++) {
                double e = Math.log(s.x()[k]) / Math.log(2);
                int px = f.x + (int) (e / Math.max(1, Math.ceil(logMaxX)) * f.w);
                int py = f.y + f.h - (int) (s.yMicros()[k] / maxY * f.h);
                g.fillOval(px - 3, py - 3, 6, 6);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                prevX = px;
                prevY = py;
            }
            legend(g, f, legendY, i, c, s.label());
        }
        g.setStroke(new BasicStroke(1f));
    }

    private record Frame(int x, int y, int w, int h) {}

    /** Legend entry {@code i}: two columns under the frame, a colour swatch and the label. */
    private static void legend(Graphics2D g, Frame f, int legendY, int i, Color colour, String label) {
        int lx = f.x + (i % 2) * (f.w / 2);
        int ly = legendY + (i / 2) * 16;
        g.setColor(colour);
        g.fillRect(lx, ly - 8, 14, 4);
        g.setColor(Color.BLACK);
        g.drawString(label, lx + 20, ly - 2);
    }

    private static void axes(Graphics2D g, Frame f, String xLabel, String yLabel, String title) {
        g.setColor(Color.BLACK);
        g.drawRect(f.x, f.y, f.w, f.h);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, f.x, f.y - 10);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(xLabel, f.x + f.w / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, f.y + f.h + 30);
        Graphics2D r = (Graphics2D) g.create();
        r.rotate(-Math.PI / 2);
        r.drawString(yLabel, -(f.y + f.h / 2 + r.getFontMetrics().stringWidth(yLabel) / 2), f.x - 55);
        r.dispose();
    }

    private static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String formatMicros(double micros) {
        if (micros >= 1000) {
            return String.format(Locale.ROOT, "%.0f ms", micros / 1000).replace(".0 ms", " ms");
        }
        if (micros >= 1) {
            return String.format(Locale.ROOT, "%.0f us", micros);
        }
        return String.format(Locale.ROOT, "%.2f us", micros);
    }
}
