package dev.baton.app.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @Test
    void distributionUsesNearestRank() {
        long[] samples = new long[1000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (samples.length - i) * 1000L;   // 1..1000 us, reversed
        }
        Distribution d = Distribution.of(samples, samples.length);
        assertEquals(1000, d.count());
        assertEquals(500_000, d.p50Nanos());
        assertEquals(900_000, d.p90Nanos());
        assertEquals(990_000, d.p99Nanos());
        assertEquals(999_000, d.p999Nanos());
        assertEquals(1_000_000, d.maxNanos());
        assertEquals(0, Distribution.of(samples, 0).count());
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
    void plotDrawsEverySeries(@TempDir Path dir) throws Exception {
        long[] fast = new long[500];
        long[] slow = new long[500];
        for (int i = 0; i < 500; i++) {
            fast[i] = 10_000 + i * 20L;
            slow[i] = 100_000 + i * 400L;
        }
        Path file = dir.resolve("plot.png");
        Plot.write(file, "test", List.of(new Plot.CdfSeries("fast", fast), new Plot.CdfSeries("slow", slow)),
                List.of(new Plot.ScalingSeries("p50", new double[] {1, 2, 4, 8, 16}, new double[] {10, 12, 20, 40, 90})));
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(1520, image.getWidth());
        // the first two palette colours appear: both CDF lines were drawn
        assertTrue(countColour(image, 0x1f77b4) > 100, "no pixels of the first series");
        assertTrue(countColour(image, 0xd62728) > 100, "no pixels of the second series");
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
