package dev.baton.app.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    private static Histogram histogram(long... nanos) {
        Histogram h = new Histogram(1, 60_000_000_000L, 3);
        for (long v : nanos) {
            h.recordValue(v);
        }
        return h;
    }

    @Test
    void distributionReadsHdrHistogramPercentiles() {
        long[] samples = new long[1000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (samples.length - i) * 1000L;   // 1..1000 us, reversed
        }
        Distribution d = Distribution.of(histogram(samples));
        assertEquals(1000, d.count());
        // 3 significant digits: each figure is the nearest-rank sample's highest equivalent value, within 0.1%
        assertEquals(500_000, d.p50Nanos(), 500);
        assertEquals(900_000, d.p90Nanos(), 900);
        assertEquals(990_000, d.p99Nanos(), 990);
        assertEquals(999_000, d.p999Nanos(), 999);
        assertEquals(1_000_000, d.maxNanos(), 1000);
        assertTrue(d.p50Nanos() >= 500_000 && d.p50Nanos() < 501_000, "p50 " + d.p50Nanos());
        assertEquals(0.25, d.shareBelow(250_001), 0.002);
        assertEquals(0, Distribution.of(histogram()).count());
    }

    @Test
    void tableAlignsAndRendersMarkdown() {
        Table t = new Table("series", "p50 us").row("host-bridge", 61.234).row("park/unpark", 48.0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        t.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("host-bridge    61.2"), text);
        assertTrue(t.markdown().startsWith("| series | p50 us |\n|---|---:|\n| host-bridge | 61.2 |"), t.markdown());
    }

    @Test
    void tableFitsAWidthByShorteningTheWidestTextColumn() {
        Table t = new Table("series", "floor", "p50").row("x".repeat(60), "y".repeat(50), "61.2 us").row("short", "short", "1.27 ms");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        t.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), 80);
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        for (String line : lines) {
            assertTrue(line.length() <= 80, line.length() + " columns: " + line);
        }
        assertTrue(lines.get(2).endsWith("61.2 us") && lines.get(2).contains(".."), "cut cells end in '..', numbers stay whole: " + lines.get(2));
        assertTrue(lines.get(3).endsWith("1.27 ms"), "units right-aligned: " + lines.get(3));
    }

    @Test
    void latencyTicksReadInMicrosecondsThenMilliseconds() {
        assertEquals("20 us", Plot.formatMicros(20));
        assertEquals("0.5 us", Plot.formatMicros(0.5));
        assertEquals("999 us", Plot.formatMicros(999));
        assertEquals("1 ms", Plot.formatMicros(1000));
        assertEquals("2.5 ms", Plot.formatMicros(2500));
        assertEquals("2000 ms", Plot.formatMicros(2_000_000), "no scientific notation for seconds either");
    }

    @Test
    void plotDrawsEverySeriesWithReadableAxes(@TempDir Path dir) throws Exception {
        long[] fast = new long[500];
        long[] slow = new long[500];
        for (int i = 0; i < 500; i++) {
            fast[i] = 10_000 + i * 20L;
            slow[i] = 100_000 + i * 4000L;
        }
        List<Plot.CdfSeries> cdfs = List.of(new Plot.CdfSeries("fast", histogram(fast)), new Plot.CdfSeries("slow", histogram(slow)));
        List<Plot.ScalingSeries> scaling = List.of(new Plot.ScalingSeries("p50", new double[] {1, 2, 4, 8, 16}, new double[] {10, 12, 20, 400, 2100}));
        Path file = dir.resolve("plot.png");
        Plot.write(file, "test", cdfs, scaling);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(2 * Plot.PANEL_WIDTH, image.getWidth());
        assertEquals(Plot.HEIGHT, image.getHeight());
        // the first two palette colours appear: both CDF lines were drawn
        assertTrue(countColour(image, 0x1f77b4) > 100, "no pixels of the first series");
        assertTrue(countColour(image, 0xd62728) > 100, "no pixels of the second series");

        // The axes the charts draw: latency from 1 us to 10 ms in us/ms, producers as plain counts.
        JFreeChart cdf = Plot.cdfChart(cdfs);
        ValueAxis x = ((XYPlot) cdf.getPlot()).getDomainAxis();
        assertEquals(10, x.getLowerBound(), 1e-9);
        assertEquals(10_000, x.getUpperBound(), 1e-9);
        assertTrue(cdf.getLegend().getPosition().toString().contains("BOTTOM"), "the legend sits below the axes, not on them");
        XYPlot scalingPlot = (XYPlot) Plot.scalingChart(scaling).getPlot();
        String tick = ((org.jfree.chart.axis.NumberAxis) scalingPlot.getRangeAxis()).getNumberFormatOverride().format(1500.0);
        assertEquals("1.5 ms", tick);
        String count = ((org.jfree.chart.axis.LogAxis) scalingPlot.getDomainAxis()).getNumberFormatOverride().format(16.0);
        assertEquals("16", count);
        assertFalse(count.contains("E"));
    }

    private static int countColour(BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }
}
