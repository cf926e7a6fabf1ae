package dev.baton.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Writes the bench's PNG with JFreeChart: latency CDFs per series (log-scaled latency) on the left
 * and, when given, a scaling chart (p50 against producer count) on the right. Latency ticks read
 * "20 us", "1 ms", "2.5 ms": microseconds below a millisecond, milliseconds above, never scientific
 * notation. JFreeChart lays out titles, axis labels, ticks and the legend (below each chart) so none
 * overlaps another. Runs headless ({@code java.awt.headless=true} is set when unset).
 */
public final class Plot {
    /** One CDF line: a label and the series' samples (nanoseconds). */
    public record CdfSeries(String label, Histogram histogram) {}

    /** One scaling line: a label, x values (producer counts) and y values (microseconds). */
    public record ScalingSeries(String label, double[] x, double[] yMicros) {}

    static final int PANEL_WIDTH = 900;
    static final int HEIGHT = 680;
    private static final int HEADER = 40;
    /** Points drawn per CDF line: enough for a smooth curve, few enough for a small PNG. */
    private static final int CDF_POINTS = 400;

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
        new Color(0x393b79), new Color(0x637939),
    };

    private Plot() {}

    public static void write(Path file, String title, List<CdfSeries> cdfs, List<ScalingSeries> scaling) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        int width = scaling.isEmpty() ? PANEL_WIDTH : 2 * PANEL_WIDTH;
        BufferedImage image = new BufferedImage(width, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
            g.drawString(title, (width - g.getFontMetrics().stringWidth(title)) / 2, HEADER - 12);
            cdfChart(cdfs).draw(g, new Rectangle2D.Double(0, HEADER, PANEL_WIDTH, HEIGHT - HEADER));
            if (!scaling.isEmpty()) {
                scalingChart(scaling).draw(g, new Rectangle2D.Double(PANEL_WIDTH, HEADER, PANEL_WIDTH, HEIGHT - HEADER));
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

    static JFreeChart cdfChart(List<CdfSeries> cdfs) {
        XYSeriesCollection data = new XYSeriesCollection();
        double minMicros = Double.MAX_VALUE;
        double maxMicros = 0;
        for (CdfSeries s : cdfs) {
            Histogram h = s.histogram();
            long total = h.getTotalCount();
            XYSeries line = new XYSeries(s.label() + " (n=" + total + ")", false, true);
            if (total > 0) {
                long step = Math.max(1, total / CDF_POINTS);
                long nextAt = 0;
                for (HistogramIterationValue v : h.recordedValues()) {
                    long below = v.getTotalCountToThisValue();
                    if (below >= nextAt || below == total) {
                        // log axis: a zero latency (clamped clock disagreement) is drawn at 0.1 us
                        double micros = Math.max(0.1, h.highestEquivalentValue(v.getValueIteratedTo()) / 1000.0);
                        line.add(micros, (double) below / total);
                        minMicros = Math.min(minMicros, micros);
                        maxMicros = Math.max(maxMicros, micros);
                        nextAt = below + step;
                    }
                }
            }
            data.addSeries(line);
        }
        LogAxis x = new LogAxis("handoff latency (log scale)");
        x.setNumberFormatOverride(new LatencyFormat());
        x.setTickUnit(new NumberTickUnit(1), false, true);   // one labelled tick per decade: 1 us, 10 us, ..., 10 ms
        x.setMinorTickMarksVisible(true);
        x.setSmallestValue(0.1);
        if (maxMicros > 0) {
            x.setRange(Math.pow(10, Math.floor(Math.log10(minMicros))), Math.pow(10, Math.ceil(Math.log10(maxMicros))));
        }
        NumberAxis y = new NumberAxis("fraction of handoffs at or below x");
        y.setRange(0, 1.0);
        y.setTickUnit(new NumberTickUnit(0.1, new DecimalFormat("0.0", DecimalFormatSymbols.getInstance(Locale.ROOT))));
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        style(plot, renderer, cdfs.size());
        return chart("Latency CDF per series (GPU handoff; CPU handoff for the cpu floors)", plot);
    }

    static JFreeChart scalingChart(List<ScalingSeries> scaling) {
        XYSeriesCollection data = new XYSeriesCollection();
        double maxX = 1;
        for (ScalingSeries s : scaling) {
            XYSeries line = new XYSeries(s.label(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isNaN(s.yMicros()[i])) {
                    line.add(s.x()[i], s.yMicros()[i]);
                }
                maxX = Math.max(maxX, s.x()[i]);
            }
            data.addSeries(line);
        }
        LogAxis x = new LogAxis("producers into one compositor");
        x.setBase(2);
        x.setTickUnit(new NumberTickUnit(1), false, true);   // one tick per doubling: 1, 2, 4, 8, 16
        x.setNumberFormatOverride(new DecimalFormat("0", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        x.setMinorTickMarksVisible(false);
        x.setRange(0.8, maxX * 1.25);
        NumberAxis y = new NumberAxis("p50 handoff latency");
        y.setNumberFormatOverride(new LatencyFormat());
        y.setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        style(plot, renderer, scaling.size());
        return chart("Scaling with producer count", plot);
    }

    private static void style(XYPlot plot, XYLineAndShapeRenderer renderer, int seriesCount) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.setOutlinePaint(Color.GRAY);
        plot.setAxisOffset(new RectangleInsets(4, 4, 4, 4));
        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        plot.getDomainAxis().setTickLabelFont(tickFont);
        plot.getRangeAxis().setTickLabelFont(tickFont);
        plot.getDomainAxis().setLabelFont(labelFont);
        plot.getRangeAxis().setLabelFont(labelFont);
        for (int i = 0; i < seriesCount; i++) {
            Paint colour = PALETTE[i % PALETTE.length];
            renderer.setSeriesPaint(i, colour);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
    }

    private static JFreeChart chart(String title, XYPlot plot) {
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(4, 8, 8, 16));
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        legend.setFrame(BlockBorder.NONE);
        legend.setMargin(new RectangleInsets(8, 0, 0, 0));
        return chart;
    }

    /** Text for a latency in microseconds: "0.5 us", "20 us", "1 ms", "2.5 ms" (never scientific). */
    static String formatMicros(double micros) {
        DecimalFormat f = new DecimalFormat("0.##", DecimalFormatSymbols.getInstance(Locale.ROOT));
        if (Math.abs(micros) >= 1000) {
            return f.format(micros / 1000) + " ms";
        }
        return f.format(micros) + " us";
    }

    /** A tick-label format for axes in microseconds (see {@link #formatMicros}). */
    static final class LatencyFormat extends NumberFormat {
        private static final long serialVersionUID = 1L;

        @Override
        public StringBuffer format(double number, StringBuffer toAppendTo, FieldPosition pos) {
            return toAppendTo.append(formatMicros(number));
        }

        @Override
        public StringBuffer format(long number, StringBuffer toAppendTo, FieldPosition pos) {
            return format((double) number, toAppendTo, pos);
        }

        @Override
        public Number parse(String source, ParsePosition parsePosition) {
            throw new UnsupportedOperationException("tick labels are written, never parsed");
        }
    }
}
