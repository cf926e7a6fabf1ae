package dev.baton.app.serve;

import dev.baton.app.ShutdownSignal;
import dev.baton.app.demo.ImGuiWindow;
import dev.baton.app.demo.LatencyWindow;
import dev.baton.render.gl.GlInfo;
import imgui.ImGui;
import imgui.flag.ImGuiCol;
import imgui.flag.ImGuiCond;
import imgui.flag.ImGuiTreeNodeFlags;
import imgui.flag.ImGuiWindowFlags;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * The window of {@code ./baton serve} and {@code ./baton demo --processes}: every connected producer
 * process's latest checked frame as a movable imgui window (the in-process demo's layout and panel, from
 * {@link ImGuiWindow}), and a control panel with, per producer, its name and pid, its frame rates, its
 * handoff latency (p50/p99 and a live plot), its pixel-check counters and its state (live, ABANDONED,
 * gone), plus Kill and Restart where the window's owner started the process ({@link Children}).
 *
 * <p>Frames reach GL through {@link FeedTexture} (one upload per new frame). The loop never waits for a
 * producer: it polls events, uploads whatever frames are new, draws and paces itself to 60 fps, so a
 * producer that stalls or dies only stops its own tile. Main thread only (GLFW and imgui).
 */
final class ServeWindow {
    private static final int WIDTH = 1600;
    private static final int HEIGHT = 1000;
    private static final float MARGIN = 10;
    private static final float TILES_LEFT = 420;   // the control panel's column
    private static final float TILE_FRAME_W = 16;  // a tile window's padding around its image
    private static final float TILE_FRAME_H = 40;  // ... and its title bar
    private static final long START_LIMIT_NANOS = 60_000_000_000L;
    private static final String STAMP_HELP = "The black and white bars along the top and bottom edges are the frame stamp,"
            + " not corruption: the frame number in binary, the same number in both strips. The compositor checks it in every"
            + " frame a producer hands over (torn: the strips disagree; stale: older than the frame released; invalid: unreadable).";

    /** The producer processes the window's owner started: the panel offers Kill and Restart for them. */
    interface Children {
        /** {@return whether the process behind {@code feed} is one of these (killable, restartable)} */
        boolean owns(ServeCompositor.Feed feed);

        /** {@return whether it still runs} */
        boolean alive(ServeCompositor.Feed feed);

        /** Sends SIGKILL to the process behind {@code feed}. */
        void kill(ServeCompositor.Feed feed);

        /** Starts a new {@code produce} process in place of the one behind {@code feed} (stopping it first if it runs). */
        void restart(ServeCompositor.Feed feed);

        /** {@return one line per process started that has not connected yet} */
        List<String> starting();
    }

    /** What the caller passes. */
    record Options(String title, String who, int expectedProducers, double exitAfterSeconds, Path screenshot) {}

    private final ServeCompositor compositor;
    private final Options options;
    private final Children children;   // null: serve, whose producers are not its own
    private final IntConsumer onFrame;
    private final ShutdownSignal signal;
    private final PrintStream out;
    private final PrintStream err;
    private final ImGuiWindow ui;
    private final Map<Integer, Tile> tiles = new HashMap<>();   // by client id
    private final Set<Integer> dismissed = new HashSet<>();
    private final List<Runnable> actions = new ArrayList<>();   // applied between frames
    private String lastError;
    private GlInfo glInfo;
    private int laidOutCount = -1;
    private float laidOutWidth;
    private float laidOutHeight;
    private ImGuiWindow.Grid grid = new ImGuiWindow.Grid(1, 1);
    private int cellW = 256;
    private int cellH = 192;
    private int laidOutCellW;
    private int laidOutCellH;
    private long rateMarkNanos;

    /** What the window keeps per producer: its texture, latencies and rates. */
    private static final class Tile {
        final ServeCompositor.Feed feed;
        final FeedTexture texture;
        final LatencyWindow latency = new LatencyWindow(240);
        long deliveredMark;
        long uploadsMark;
        long lastDelivered = -1;
        long lastDeliveryNanos = System.nanoTime();
        double receivedFps;
        double shownFps;

        Tile(ServeCompositor.Feed feed, FeedTexture texture) {
            this.feed = feed;
            this.texture = texture;
            this.deliveredMark = feed.delivered();
        }
    }

    private ServeWindow(ServeCompositor compositor, ImGuiWindow ui, Options options, Children children, IntConsumer onFrame,
            ShutdownSignal signal, PrintStream out, PrintStream err) {
        this.compositor = compositor;
        this.ui = ui;
        this.options = options;
        this.children = children;
        this.onFrame = onFrame;
        this.signal = signal;
        this.out = out;
        this.err = err;
    }

    /**
     * Opens the window (before anything else is started, so that a missing display costs nothing), or
     * prints the one line saying why it cannot and returns null.
     */
    static ImGuiWindow open(Options options, PrintStream err) {
        try {
            return ImGuiWindow.open(options.title(), WIDTH, HEIGHT, options.who());
        } catch (RuntimeException e) {
            err.println(options.who() + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * Runs the window until it is closed, Ctrl-C, or {@code exitAfterSeconds} after
     * {@code expectedProducers} producers delivered a frame (or 60 s after opening, if they never do), then
     * prints the summary. {@code onFrame} gets each frame's number from that moment on (faults go there).
     * Closes {@code ui}. {@return 0 if every handed-over frame passed its pixel checks, 1 otherwise}
     */
    static int run(ServeCompositor compositor, ImGuiWindow ui, Options options, Children children, IntConsumer onFrame,
            ShutdownSignal signal, PrintStream out, PrintStream err) {
        try (ui) {
            return new ServeWindow(compositor, ui, options, children, onFrame, signal, out, err).loop();
        }
    }

    private int loop() {
        glInfo = GlInfo.query(ui.window());
        long opened = System.nanoTime();
        long start = 0;   // when the expected producers delivered: the clock of --exit-after and onFrame
        rateMarkNanos = opened;
        try {
            boolean last = false;
            while (!last) {
                long now = System.nanoTime();
                if (start == 0 && (deliveredFeeds() >= Math.max(1, options.expectedProducers()) || options.expectedProducers() == 0
                        || now - opened > START_LIMIT_NANOS)) {
                    start = now;
                    ui.startClock();
                    if (options.expectedProducers() > 0) {
                        out.println("window: " + deliveredFeeds() + " of " + options.expectedProducers() + " producers delivered;"
                                + " window frames (--kill-at, --restart-at) and --exit-after count from here");
                        out.flush();
                    }
                }
                int frame = ui.frames();
                ui.beginFrame();
                update(now);
                if (start != 0) {
                    onFrame.accept(frame);
                }
                draw();
                last = ui.window().shouldClose() || signal.requested()
                        || (start != 0 && options.exitAfterSeconds() > 0 && System.nanoTime() - start > options.exitAfterSeconds() * 1e9);
                ui.present(last ? options.screenshot() : null, out, err);
                applyActions();
                ui.pace();
            }
            double seconds = (System.nanoTime() - (start != 0 ? start : opened)) / 1e9;
            return summary(seconds);
        } finally {
            for (Tile t : tiles.values()) {
                t.texture.close();
            }
            tiles.clear();
        }
    }

    private int deliveredFeeds() {
        int n = 0;
        for (ServeCompositor.Feed f : compositor.feeds()) {
            if (f.delivered() > 0) {
                n++;
            }
        }
        return n;
    }

    /** New feeds get a tile; each tile uploads its feed's frame if new; rates every half second. */
    private void update(long now) {
        for (ServeCompositor.Feed f : compositor.feeds()) {
            Tile t = tiles.get(f.clientId);
            if (t == null && !dismissed.contains(f.clientId)) {
                t = new Tile(f, new FeedTexture(ui.window(), glInfo));
                tiles.put(f.clientId, t);
            }
            if (t != null && !f.gone() && t.texture.update(f)) {
                t.latency.record(t.texture.lastLatencyNanos());
                cellW = Math.max(cellW, f.width());
                cellH = Math.max(cellH, f.height());
            }
        }
        for (Tile t : tiles.values()) {
            long d = t.feed.delivered();
            if (d != t.lastDelivered) {
                t.lastDelivered = d;
                t.lastDeliveryNanos = now;
            }
        }
        if (now - rateMarkNanos >= 500_000_000L) {
            double dt = (now - rateMarkNanos) / 1e9;
            for (Tile t : tiles.values()) {
                long d = t.feed.delivered();
                long u = t.texture.uploads() + t.texture.inPlaceFrames();
                t.receivedFps = (d - t.deliveredMark) / dt;
                t.shownFps = (u - t.uploadsMark) / dt;
                t.deliveredMark = d;
                t.uploadsMark = u;
            }
            rateMarkNanos = now;
        }
    }

    private List<Tile> shown() {
        List<Tile> list = new ArrayList<>();
        for (ServeCompositor.Feed f : compositor.feeds()) {
            Tile t = tiles.get(f.clientId);
            if (t != null && !dismissed.contains(f.clientId)) {
                list.add(t);
            }
        }
        return list;
    }

    private void applyActions() {
        for (Runnable r : actions) {
            try {
                r.run();
                lastError = null;
            } catch (RuntimeException e) {
                lastError = e.getMessage();
            }
        }
        actions.clear();
    }

    private void dismiss(Tile t) {
        dismissed.add(t.feed.clientId);
        Tile removed = tiles.remove(t.feed.clientId);
        if (removed != null) {
            removed.texture.close();
        }
    }

    private void draw() {
        float displayW = ImGui.getIO().getDisplaySizeX();
        float displayH = ImGui.getIO().getDisplaySizeY();
        List<Tile> shown = shown();
        boolean relayout = shown.size() != laidOutCount || displayW != laidOutWidth || displayH != laidOutHeight
                || cellW != laidOutCellW || cellH != laidOutCellH;
        if (relayout) {
            laidOutCellW = cellW;
            laidOutCellH = cellH;
            laidOutCount = shown.size();
            laidOutWidth = displayW;
            laidOutHeight = displayH;
            grid = ImGuiWindow.grid(shown.size(), Math.max(200, displayW - TILES_LEFT - MARGIN), Math.max(150, displayH - 2 * MARGIN),
                    cellW, cellH, TILE_FRAME_W, TILE_FRAME_H, MARGIN);
        }
        drawPanel(shown, relayout, displayH);
        for (int i = 0; i < shown.size(); i++) {
            drawTile(shown.get(i), i, relayout);
        }
    }

    private static String state(Tile t) {
        ServeCompositor.Feed f = t.feed;
        long quiet = System.nanoTime() - t.lastDeliveryNanos;
        if (f.abandoned()) {
            long ms = f.abandonedLatencyNanos();
            return "ABANDONED" + (ms >= 0 ? String.format(Locale.ROOT, " (%.1f ms after SIGKILL)", ms / 1e6) : "");
        }
        if (f.gone()) {
            return "gone (" + f.goneReason() + ")";
        }
        return quiet > 1_000_000_000L ? String.format(Locale.ROOT, "live, no frame for %.0f s (stalled?)", quiet / 1e9) : "live";
    }

    private void drawTile(Tile t, int position, boolean relayout) {
        ServeCompositor.Feed f = t.feed;
        float imageW = cellW * grid.scale();
        float imageH = cellH * grid.scale();
        int cond = relayout ? ImGuiCond.Always : ImGuiCond.FirstUseEver;
        ImGui.setNextWindowPos(TILES_LEFT + (position % grid.cols()) * (imageW + TILE_FRAME_W + MARGIN),
                MARGIN + (position / grid.cols()) * (imageH + TILE_FRAME_H + MARGIN), cond);
        ImGui.setNextWindowSize(imageW + TILE_FRAME_W, imageH + TILE_FRAME_H, cond);
        if (ImGui.begin(f.name + " (pid " + f.pid + ")###tile" + f.clientId, ImGuiWindowFlags.NoScrollbar)) {
            if (f.abandoned() || f.gone()) {
                ImGui.pushStyleColor(ImGuiCol.Text, 1f, 0.35f, 0.35f, 1f);
                ImGui.text(f.abandoned() ? "ABANDONED" : "GONE");
                ImGui.popStyleColor();
                ImGui.textWrapped(f.abandoned()
                        ? "The producer process died (or left): its connection ended, so the broker abandoned its surfaces"
                                + " (a keyed mutex it owned, or one the compositor waited on, answers ABANDONED) and closed everything"
                                + " of that connection."
                        : "The producer's connection is gone: " + f.goneReason() + ".");
                drawControls(t);
            } else if (t.texture.texture() != 0) {
                float availW = ImGui.getContentRegionAvailX();
                float availH = ImGui.getContentRegionAvailY();
                float scale = Math.min(1f, Math.min(availW / f.width(), availH / f.height()));
                ImGui.image(t.texture.texture(), f.width() * scale, f.height() * scale);
                ImGuiWindow.tooltip(STAMP_HELP);
            } else {
                ImGui.text("waiting for the first frame...");
            }
        }
        ImGui.end();
    }

    private void drawControls(Tile t) {
        if (children == null || !children.owns(t.feed)) {
            if (t.feed.gone() && ImGui.button("Dismiss")) {
                actions.add(() -> dismiss(t));
            }
            return;
        }
        if (children.alive(t.feed)) {
            if (ImGui.button("Kill")) {
                actions.add(() -> children.kill(t.feed));
            }
            ImGuiWindow.tooltip("Fault injection: SIGKILL to this producer process. If it owns a surface (it usually does: it paces"
                    + " while holding the next one), the keyed mutex abandons it and this tile shows ABANDONED; the others go on.");
            ImGui.sameLine();
        }
        if (ImGui.button("Restart")) {
            actions.add(() -> {
                children.restart(t.feed);
                dismiss(t);
            });
        }
        ImGuiWindow.tooltip("Start a new ./baton produce process in this one's place (stopping this one first if it still runs);"
                + " it gets a new tile when it connects.");
    }

    private void drawPanel(List<Tile> shown, boolean relayout, float displayH) {
        int cond = relayout ? ImGuiCond.Always : ImGuiCond.FirstUseEver;
        ImGui.setNextWindowPos(MARGIN, MARGIN, cond);
        ImGui.setNextWindowSize(TILES_LEFT - 2 * MARGIN, Math.max(200, displayH - 2 * MARGIN), cond);
        if (ImGui.begin("Baton broker control panel")) {
            ImGui.text("Compositor: " + glInfo.renderer().split(" \\(")[0] + " (GL " + ui.window().glMajorVersion() + "."
                    + ui.window().glMinorVersion() + ")");
            ImGui.text(String.format(Locale.ROOT, "compositor %.1f fps (target %.0f)", ui.fps(), 1e9 / ImGuiWindow.FRAME_NANOS));
            ImGuiWindow.tooltip("How often this window redraws: it uploads each producer's newest checked frame, never waiting for one.");
            ImGui.textWrapped("socket " + compositor.broker().socketPath());
            long bytes = 0;
            long uploads = 0;
            long nanos = 0;
            for (Tile t : tiles.values()) {
                bytes += t.texture.uploadedBytes();
                uploads += t.texture.uploads();
                nanos += t.texture.uploadNanos();
            }
            ImGui.text(String.format(Locale.ROOT, "frames reach GL by upload: %.1f MB, %.2f ms each", bytes / 1e6,
                    uploads == 0 ? 0 : nanos / 1e6 / uploads));
            ImGuiWindow.tooltip("The broker's surfaces are sealed memfds (host memory) and this GL (llvmpipe) cannot import host memory."
                    + " So each frame a producer hands over is copied once out of the shared pages and its stamp checked, and each"
                    + " frame this window has not shown yet is uploaded once into a GL texture (glTexSubImage2D, width x height x 4"
                    + " bytes). The time is this thread's, per frame uploaded: the copy to staging and the glTexSubImage2D call.");
            long inPlace = 0;
            for (Tile t : tiles.values()) {
                inPlace += t.texture.inPlaceFrames();
            }
            if (inPlace > 0) {
                ImGui.text(String.format(Locale.ROOT, "frames sampled in place: %d (0 bytes uploaded)", inPlace));
                ImGuiWindow.tooltip("Producers on this GL's driver and device (lavapipe for llvmpipe) draw into device memory the broker"
                        + " allocated, which this window imported into GL once per surface and samples directly; only the two stamp rows"
                        + " of each frame are read back for the pixel checks.");
            }
            int live = 0;
            for (ServeCompositor.Feed f : compositor.feeds()) {
                live += f.gone() ? 0 : 1;
            }
            ImGui.text(live + " producer process" + (live == 1 ? "" : "es") + " connected");
            ImGui.sameLine();
            ImGui.textDisabled("(what are the bars?)");
            ImGuiWindow.tooltip(STAMP_HELP);
            if (children != null) {
                for (String s : children.starting()) {
                    ImGui.textDisabled(s);
                }
            } else if (shown.isEmpty()) {
                ImGui.textWrapped("Waiting for producers: ./baton produce --connect " + compositor.broker().socketPath());
            }
            if (lastError != null) {
                ImGui.pushStyleColor(ImGuiCol.Text, 1f, 0.4f, 0.4f, 1f);
                ImGui.textWrapped(lastError);
                ImGui.popStyleColor();
                if (ImGui.smallButton("dismiss")) {
                    lastError = null;
                }
            }
            ImGui.separator();
            for (Tile t : shown) {
                drawProducerPanel(t);
            }
        }
        ImGui.end();
    }

    private void drawProducerPanel(Tile t) {
        ServeCompositor.Feed f = t.feed;
        boolean down = f.abandoned() || f.gone();
        String header = f.name + (f.abandoned() ? " ABANDONED" : f.gone() ? " gone" : "") + "###panel" + f.clientId;
        if (!ImGui.collapsingHeader(header, ImGuiTreeNodeFlags.DefaultOpen)) {
            return;
        }
        ImGui.pushID(f.clientId);
        ImGui.text("pid " + f.pid + "   client " + f.clientId);
        if (down) {
            ImGui.pushStyleColor(ImGuiCol.Text, 1f, 0.35f, 0.35f, 1f);
        }
        ImGui.text("state " + state(t));
        if (down) {
            ImGui.popStyleColor();
        }
        ImGui.text(String.format(Locale.ROOT, "fps: received %.1f, shown %.1f", t.receivedFps, t.shownFps));
        ImGuiWindow.tooltip("received: frames the producer handed over per second (each one's stamp checked). shown: frames this"
                + " window uploaded per second (at most one per window frame, so a faster producer skips frames here).");
        ImGui.text(t.texture.shownFrame() < 0 ? "frame -" : "frame " + t.texture.shownFrame());
        ImGui.text(t.latency.size() == 0 ? "latency -" : String.format(Locale.ROOT, "latency p50 %.2f ms   p99 %.2f ms",
                t.latency.quantileMillis(0.5), t.latency.quantileMillis(0.99)));
        ImGuiWindow.tooltip("Handoff latency, measured here: from the broker taking the producer's RELEASE (the compositor's acquire"
                + " wakes) until its GPU's FENCE_REACHED arrived and the frame was copied and checked, over the last "
                + t.latency.size() + " frames shown.");
        ImGuiWindow.latencyPlot(t.latency, "frames shown");
        boolean bad = f.failures() > 0;
        if (bad) {
            ImGui.pushStyleColor(ImGuiCol.Text, 1f, 0.35f, 0.35f, 1f);
        }
        ImGui.text(String.format(Locale.ROOT, "delivered %d  torn %d  stale %d  invalid %d", f.delivered(), f.torn(), f.stale(), f.invalid()));
        if (bad) {
            ImGui.popStyleColor();
        }
        ImGuiWindow.tooltip("Pixel checks of every frame handed over (" + f.fenceLate() + " acquires whose fence value came late)."
                + " torn: the stamps at top and bottom disagree; stale: older than the frame number released; invalid: unreadable.");
        drawControls(t);
        ImGui.popID();
        ImGui.separator();
    }

    private int summary(double seconds) {
        List<ServeCompositor.Feed> feeds = compositor.feeds();
        long uploads = 0;
        long bytes = 0;
        long nanos = 0;
        long inPlace = 0;
        long readBack = 0;
        for (Tile t : tiles.values()) {
            uploads += t.texture.uploads();
            bytes += t.texture.uploadedBytes();
            nanos += t.texture.uploadNanos();
            inPlace += t.texture.inPlaceFrames();
            readBack += t.texture.readBackBytes();
        }
        int frames = ui.frames();
        out.println();
        out.printf(Locale.ROOT, "Window: %d producer process%s for %.1f s; the compositor drew %d frames (%.1f fps, target %.0f) and"
                        + " uploaded %d producer frames to GL (%.1f MB, %.2f ms each: copy to staging and glTexSubImage2D)%n", feeds.size(),
                feeds.size() == 1 ? "" : "es", seconds, frames, frames / Math.max(seconds, 1e-9), 1e9 / ImGuiWindow.FRAME_NANOS, uploads,
                bytes / 1e6, uploads == 0 ? 0 : nanos / 1e6 / uploads);
        if (inPlace > 0) {
            out.printf(Locale.ROOT, "  sampled %d producer frames in place (device memory imported into GL: 0 bytes uploaded per frame;"
                    + " stamp rows read back for the checks: %d bytes in all)%n", inPlace, readBack);
        }
        for (Tile t : tiles.values()) {
            if (t.texture.importFailure() != null) {
                out.println("  could not sample a frame of " + t.feed.name + " in place (shown by its older frame): " + t.texture.importFailure());
            }
        }
        long failures = ServeCommand.printFeeds(feeds, out);
        out.println("Pixel checks: " + (failures == 0 ? "every handed-over frame intact" : failures + " frames failed  <-- FAILED"));
        return failures == 0 ? 0 : 1;
    }
}
