package dev.baton.app.demo;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * Writes composited frames as PNGs (a title bar over each tile) and, at the end, a contact sheet of
 * up to {@value #SHEET_MAX} evenly spaced frames. Runs on its own thread so PNG encoding never
 * slows the compositor; pixel arrays come from a small pool, so a slow disk backs the compositor up
 * instead of filling memory.
 *
 * <p>Threading: {@link #submit} and {@link #finish} from the compositor thread; the rest internal.
 */
final class FrameWriter {
    private static final int SHEET_MAX = 48;
    private static final int TITLE_HEIGHT = 22;
    private static final int POOL = 3;

    private record Job(int index, byte[] rgba, String[] titles) {}

    private static final Job END = new Job(-1, null, null);

    private final Path folder;
    private final int width;
    private final int height;
    private final int cols;
    private final int tileWidth;
    private final int tileHeight;
    private final int sheetStep;
    private final BlockingQueue<Job> queue = new ArrayBlockingQueue<>(POOL + 1);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(POOL);
    private final List<BufferedImage> thumbnails = new ArrayList<>();
    private final Thread thread;
    private volatile String failure;
    private volatile int written;

    FrameWriter(Path folder, int width, int height, int cols, int tileWidth, int tileHeight, int expectedFrames) {
        this.folder = folder;
        this.width = width;
        this.height = height;
        this.cols = cols;
        this.tileWidth = tileWidth;
        this.tileHeight = tileHeight;
        this.sheetStep = Math.max(1, (expectedFrames + SHEET_MAX - 1) / SHEET_MAX);
        for (int i = 0; i < POOL; i++) {
            free.add(new byte[width * height * 4]);
        }
        thread = new Thread(this::loop, "baton-png-writer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Copies the canvas pixels (RGBA, tightly packed) and queues the frame; waits if the writer is behind. */
    void submit(int index, ByteBuffer rgba, String[] titles) throws InterruptedException {
        byte[] copy = free.poll(30, TimeUnit.SECONDS);
        if (copy == null) {
            throw new IllegalStateException("the PNG writer made no progress for 30 s" + (failure == null ? "" : ": " + failure));
        }
        rgba.get(0, copy, 0, copy.length);
        queue.put(new Job(index, copy, titles));
    }

    /** Waits for every queued frame, then writes the contact sheet. */
    void finish() throws InterruptedException {
        queue.put(END);
        thread.join(120_000);
        if (thread.isAlive()) {
            failure = "the PNG writer did not finish within 120 s";
            thread.interrupt();
            return;
        }
        try {
            writeContactSheet();
        } catch (IOException e) {
            failure = "contact sheet: " + e.getMessage();
        }
    }

    /** Stops the writer if it is still running (error paths). */
    void abort() {
        thread.interrupt();
    }

    int written() {
        return written;
    }

    String failure() {
        return failure;
    }

    private void loop() {
        try {
            while (true) {
                Job job = queue.take();
                if (job == END) {
                    return;
                }
                try {
                    BufferedImage image = toImage(job);
                    ImageIO.write(image, "png", folder.resolve(String.format("frame-%04d.png", job.index())).toFile());
                    // sample by write count: a soak writes only some composites, so indices skip
                    if (written % sheetStep == 0 && thumbnails.size() < SHEET_MAX) {
                        thumbnails.add(scale(image, 4));
                    }
                    written++;
                } catch (IOException | RuntimeException e) {
                    if (failure == null) {
                        failure = "frame " + job.index() + ": " + e;
                    }
                } finally {
                    free.add(job.rgba());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The canvas with a title bar above each row of tiles. */
    private BufferedImage toImage(Job job) {
        int rows = height / tileHeight;
        BufferedImage image = new BufferedImage(width, height + rows * TITLE_HEIGHT, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        byte[] px = job.rgba();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * 4;
                row[x] = (px[o] & 0xFF) << 16 | (px[o + 1] & 0xFF) << 8 | (px[o + 2] & 0xFF);
            }
            int tileRow = y / tileHeight;
            image.setRGB(0, y + (tileRow + 1) * TITLE_HEIGHT, width, 1, row, 0, width);
        }
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            for (int i = 0; i < job.titles().length; i++) {
                int x = (i % cols) * tileWidth;
                int y = (i / cols) * (tileHeight + TITLE_HEIGHT);
                boolean abandoned = job.titles()[i].contains("ABANDONED");
                g.setColor(abandoned ? new Color(0x8b1a1a) : new Color(0x23283a));
                g.fillRect(x, y, tileWidth, TITLE_HEIGHT);
                g.setColor(Color.WHITE);
                g.drawString(job.titles()[i], x + 6, y + 16);
                if (abandoned) {
                    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 28));
                    g.drawString("ABANDONED", x + tileWidth / 2 - 80, y + TITLE_HEIGHT + tileHeight / 2);
                    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                }
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static BufferedImage scale(BufferedImage image, int factor) {
        BufferedImage small = new BufferedImage(image.getWidth() / factor, image.getHeight() / factor, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = small.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, small.getWidth(), small.getHeight(), null);
        } finally {
            g.dispose();
        }
        return small;
    }

    private void writeContactSheet() throws IOException {
        if (thumbnails.isEmpty()) {
            return;
        }
        int perRow = Math.min(8, thumbnails.size());
        int rows = (thumbnails.size() + perRow - 1) / perRow;
        int tw = thumbnails.get(0).getWidth();
        int th = thumbnails.get(0).getHeight();
        int gap = 4;
        BufferedImage sheet = new BufferedImage(perRow * (tw + gap) + gap, rows * (th + gap) + gap, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(new Color(0x15171f));
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            for (int i = 0; i < thumbnails.size(); i++) {
                g.drawImage(thumbnails.get(i), gap + (i % perRow) * (tw + gap), gap + (i / perRow) * (th + gap), null);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(sheet, "png", folder.resolve("contact-sheet.png").toFile());
    }
}
