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

    /** A tile's state when its producer has not delivered a frame yet (after a restart). */
    static final String WAITING = "waiting for its first frame";
    /** A tile's state once its producer's surface was abandoned. */
    static final String ABANDONED = AbandonedTile.LABEL;
    private static final String SEPARATOR = "  \u00b7  ";
    private static final int CAPTION_HEIGHT = 16;
    private static final int HEADER_LINE = 16;

    private record Job(int index, byte[] rgba, String[] titles) {}

    /** A contact-sheet cell: the scaled frame and what to print on and under it. */
    private record Thumbnail(BufferedImage image, int index, String[] titles) {}

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
    private final List<Thumbnail> thumbnails = new ArrayList<>();
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
                        thumbnails.add(new Thumbnail(scale(image, 4), job.index(), job.titles()));
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
                boolean abandoned = state(job.titles()[i]).equals(ABANDONED);
                boolean waiting = state(job.titles()[i]).equals(WAITING);
                g.setColor(abandoned ? new Color(0x8b1a1a) : new Color(0x23283a));
                g.fillRect(x, y, tileWidth, TITLE_HEIGHT);
                g.setColor(Color.WHITE);
                g.setClip(x, y, tileWidth - 2, TITLE_HEIGHT);   // a long title stops at its own tile
                g.drawString(job.titles()[i], x + 6, y + 16);
                g.setClip(null);
                if (abandoned) {
                    AbandonedTile.drawLabel(g, x, y + TITLE_HEIGHT, tileWidth, tileHeight, null);
                } else if (waiting) {
                    g.setColor(new Color(0xb0b4c0));
                    g.drawString("waiting for its first frame...", x + 12, y + TITLE_HEIGHT + tileHeight / 2);
                    g.setColor(Color.WHITE);
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

    /**
     * Up to {@value #SHEET_MAX} frames, eight a row, each with its frame number under it and each tile's
     * producer frame number on the tile, under a header naming the producer of each tile position.
     */
    private void writeContactSheet() throws IOException {
        if (thumbnails.isEmpty()) {
            return;
        }
        int perRow = Math.min(8, thumbnails.size());
        int rows = (thumbnails.size() + perRow - 1) / perRow;
        int tw = thumbnails.get(0).image().getWidth();
        int th = thumbnails.get(0).image().getHeight();
        int gap = 4;
        int sheetWidth = perRow * (tw + gap) + gap;
        Font headerFont = new Font(Font.SANS_SERIF, Font.BOLD, 12);
        Font captionFont = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        Font tileFont = new Font(Font.SANS_SERIF, Font.BOLD, 10);
        List<String> header = headerLines(sheetWidth - 2 * gap, headerFont);
        int top = gap + header.size() * HEADER_LINE + gap;
        BufferedImage sheet = new BufferedImage(sheetWidth, top + rows * (th + CAPTION_HEIGHT + gap), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(new Color(0x15171f));
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            g.setColor(Color.WHITE);
            g.setFont(headerFont);
            for (int l = 0; l < header.size(); l++) {
                g.drawString(header.get(l), gap, gap + (l + 1) * HEADER_LINE - 4);
            }
            int titleRows = TITLE_HEIGHT / 4;   // a title bar, scaled like the frame
            int tileW = tileWidth / 4;
            int tileH = tileHeight / 4;
            for (int i = 0; i < thumbnails.size(); i++) {
                Thumbnail t = thumbnails.get(i);
                int x = gap + (i % perRow) * (tw + gap);
                int y = top + (i / perRow) * (th + CAPTION_HEIGHT + gap);
                g.drawImage(t.image(), x, y, null);
                g.setFont(tileFont);
                for (int k = 0; k < t.titles().length; k++) {
                    int tx = x + (k % cols) * tileW;
                    int ty = y + (k / cols) * (tileH + titleRows) + titleRows;
                    String label = "p" + producerNumber(t.titles()[k]) + " " + tileState(t.titles()[k]);
                    g.setColor(new Color(0, 0, 0, 170));
                    g.fillRect(tx + 2, ty + 3, g.getFontMetrics().stringWidth(label) + 4, 12);
                    g.setColor(Color.WHITE);
                    g.drawString(label, tx + 4, ty + 13);
                }
                g.setFont(captionFont);
                g.setColor(new Color(0xc8ccd8));
                g.drawString("frame-" + String.format("%04d", t.index()) + ".png", x + 2, y + th + CAPTION_HEIGHT - 4);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(sheet, "png", folder.resolve("contact-sheet.png").toFile());
    }

    /** "Tiles, left to right and top to bottom: producer-0 plasma [tier], ..." wrapped to {@code width} pixels. */
    private List<String> headerLines(int width, Font font) {
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        List<String> lines = new ArrayList<>();
        try {
            java.awt.FontMetrics metrics = g.getFontMetrics(font);
            String[] titles = thumbnails.get(0).titles();
            StringBuilder line = new StringBuilder("Contact sheet: " + thumbnails.size() + " of " + written
                    + " frames. Tiles (left to right, top to bottom):");
            for (int k = 0; k < titles.length; k++) {
                String who = name(titles[k]) + " " + details(titles[k]) + (k < titles.length - 1 ? "," : "");
                if (metrics.stringWidth(line + " " + who) > width) {
                    lines.add(line.toString());
                    line = new StringBuilder(who);
                } else {
                    line.append(' ').append(who);
                }
            }
            lines.add(line.toString());
            lines.add("On each tile: its producer (p0 = producer-0) and the frame number it shows.");
        } finally {
            g.dispose();
        }
        return lines;
    }

    /**
     * A tile's title bar: what changes first, so a narrow tile cuts off the details rather than the
     * frame number ("producer-0 frame 12  ·  plasma [host-bridge]").
     *
     * @param state "frame N", {@link #WAITING} or {@link #ABANDONED}
     */
    static String title(String producer, String state, String details) {
        return producer + " " + state + SEPARATOR + details;
    }

    private static String name(String title) {
        int space = title.indexOf(' ');
        return space > 0 ? title.substring(0, space) : title;
    }

    private static String state(String title) {
        int space = title.indexOf(' ');
        int end = title.indexOf(SEPARATOR);
        return space > 0 && end > space ? title.substring(space + 1, end) : "";
    }

    private static String details(String title) {
        int end = title.indexOf(SEPARATOR);
        return end >= 0 ? title.substring(end + SEPARATOR.length()) : "";
    }

    private static String producerNumber(String title) {
        String name = name(title);
        return name.startsWith("producer-") ? name.substring("producer-".length()) : name;
    }

    /** "f123", "waiting" or "ABANDONED" from a tile title. */
    private static String tileState(String title) {
        String state = state(title);
        if (state.equals(WAITING)) {
            return "waiting";
        }
        return state.startsWith("frame ") ? "f" + state.substring("frame ".length()) : state;
    }
}
