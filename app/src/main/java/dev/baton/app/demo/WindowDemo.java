package dev.baton.app.demo;

import dev.baton.app.ShutdownSignal;
import dev.baton.render.SyncTier;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.vk.GlEndpoint;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.window.GlfwWindow;
import imgui.ImGui;
import imgui.flag.ImGuiCol;
import imgui.flag.ImGuiCond;
import imgui.flag.ImGuiWindowFlags;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./baton demo} with a display: a GLFW window whose imgui desktop shows each producer's newest
 * surface as a movable, resizable window, and a control panel per surface (device, driver, tier,
 * mutex key and owner, handoffs per second, latency p50/p99 and a live plot) with controls to add
 * and remove producers, pause, change frame rate or tier, and kill a producer (its device is lost
 * while it owns a surface: the surface shows ABANDONED and offers a restart).
 *
 * <p>Threading: imgui's rule is one thread for everything, and GLFW's is the main thread: this runs
 * on the calling (main) thread, which owns the window, its GL context and every GL endpoint.
 * Controls act between frames, never while a draw list still refers to a texture.
 */
final class WindowDemo {
    private static final int WIDTH = 1600;
    private static final int HEIGHT = 1000;
    private static final long FRAME_NANOS = ImGuiWindow.FRAME_NANOS;
    private static final float MARGIN = 10;
    private static final float TILES_LEFT = 420;   // the control panel's column
    private static final float TILE_FRAME_W = 16;  // a surface window's padding around its image
    private static final float TILE_FRAME_H = 40;  // ... and its title bar
    private static final String STAMP_HELP = "The black and white bars along the top and bottom edges are the frame stamp,"
            + " not corruption: the frame number in binary (32 cells between two magenta guards), the same number in both strips."
            + " The headless demo and the tests read it back from the composited pixels: two different numbers mean a torn"
            + " frame, an older number a stale one. --no-stamp draws a clean picture (and turns those checks off).";
    /** One line per {@link SyncTier}, in declaration order. */
    private static final String[] TIER_HELP = {
        "shared-timeline: one Vulkan timeline semaphore shared by both sides; the GPU waits, no CPU involved",
        "binary-semaphore: exported binary semaphores, one signal and one wait per handoff",
        "host-bridge: each side has its own timeline; a host thread forwards each fence value (GL has no semaphores here)",
        "host-copy: no shared memory; the pixels go through host memory on every handoff (works everywhere, slowest)",
    };

    private WindowDemo() {}

    static int run(DemoOptions options, PrintStream out, PrintStream err) {
        VulkanInstance vulkan = DemoCommand.startVulkan(options, err);
        if (vulkan == null) {
            return 1;
        }
        int result;
        try (ShutdownSignal signal = new ShutdownSignal(15_000); vulkan) {
            ImGuiWindow window;
            try {
                window = ImGuiWindow.open("Baton: keyed-mutex surface handoff", WIDTH, HEIGHT, "baton demo");
            } catch (RuntimeException e) {
                err.println("baton demo: " + e.getMessage());
                return 1;
            }
            try (window) {
                result = new WindowDemo.Ui(options, vulkan, window, signal, out, err).run();
            }
            result = DemoCommand.withValidation(vulkan, options, result, out, err);
        }
        return result;
    }

    /** The window's state; main thread only. */
    private static final class Ui {
        private final DemoOptions options;
        private final VulkanInstance vulkan;
        private final ImGuiWindow ui;
        private final GlfwWindow window;
        private final ShutdownSignal signal;
        private final PrintStream out;
        private final PrintStream err;
        private final List<Runnable> actions = new ArrayList<>();   // applied between frames
        private final float[] fpsSlider = new float[1];
        private final Faults faults;
        private String lastError;
        private DemoSession session;
        private int laidOutCount = -1;
        private float laidOutWidth;
        private float laidOutHeight;
        private float tileScale = 1;
        private int tileCols = 2;

        Ui(DemoOptions options, VulkanInstance vulkan, ImGuiWindow ui, ShutdownSignal signal, PrintStream out, PrintStream err) {
            this.options = options;
            this.vulkan = vulkan;
            this.ui = ui;
            this.window = ui.window();
            this.signal = signal;
            this.out = out;
            this.err = err;
            this.faults = new Faults(options);
        }

        int run() {
            session = new DemoSession(vulkan, window, GlInfo.query(window), options);
            int exit = 0;
            try {
                for (int i = 0; i < options.producers(); i++) {
                    session.addProducer(options.tier());
                }
                session.awaitStarted(60_000_000_000L);
                out.println("Compositor: " + session.glInfo().renderer() + " in a window; close it or press Ctrl-C to stop.");
                String softwareWarning = session.glInfo().softwareWarning(vulkan.physicalDevices());
                if (softwareWarning != null) {
                    err.println("baton demo: " + softwareWarning);
                }
                long start = System.nanoTime();
                ui.startClock();
                boolean last = false;
                while (!last) {
                    int frame = ui.frames();
                    ui.beginFrame();
                    session.update();
                    faults.apply(session, frame, out);
                    draw();
                    last = window.shouldClose() || signal.requested()
                            || (options.exitAfterSeconds() > 0 && System.nanoTime() - start > options.exitAfterSeconds() * 1e9);
                    ui.present(last ? options.screenshot() : null, out, err);
                    applyActions();
                    ui.pace();
                }
                int frames = ui.frames();
                double seconds = (System.nanoTime() - start) / 1e9;
                out.println();
                out.printf(Locale.ROOT, "Window: %d producers (%dx%d each) for %.1f s; the compositor drew %d frames (%.1f fps, target %.0f)%n",
                        session.feeds().size(), options.width(), options.height(), seconds, frames, frames / seconds, 1e9 / FRAME_NANOS);
                DemoSummary.producers(session, seconds, out);
                out.println(options.stamp() ? "Frame stamps: on (the window shows them; headless runs check them in every composite)"
                        : "Frame stamps: off (--no-stamp); pixel checks: off");
                faults.report(out);
                if (!faults.ok()) {
                    exit = 1;
                }
                out.println("Stopping: producers first, then the compositor's imports, then the devices.");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exit = 1;
            } catch (RuntimeException e) {
                err.println("baton demo: " + e.getMessage());
                exit = 1;
            } finally {
                session.close();
                for (String p : session.problems()) {
                    err.println("baton demo: " + p);
                    exit = 1;
                }
            }
            return exit;
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

        private void draw() {
            float displayW = ImGui.getIO().getDisplaySizeX();
            float displayH = ImGui.getIO().getDisplaySizeY();
            List<ProducerFeed> feeds = session.feeds();
            // Reflow when producers come or go, or the window is resized; otherwise windows stay where the user put them.
            boolean relayout = feeds.size() != laidOutCount || displayW != laidOutWidth || displayH != laidOutHeight;
            if (relayout) {
                layout(feeds.size(), displayW, displayH);
            }
            drawPanel(relayout, displayH);
            for (int i = 0; i < feeds.size(); i++) {
                drawSurface(feeds.get(i), i, relayout);
            }
        }

        /**
         * Tiles right of the panel, in the grid that shows them largest (never above 1:1), so that every
         * producer stays on screen however many there are.
         */
        private void layout(int n, float displayW, float displayH) {
            laidOutCount = n;
            laidOutWidth = displayW;
            laidOutHeight = displayH;
            ImGuiWindow.Grid grid = ImGuiWindow.grid(n, Math.max(200, displayW - TILES_LEFT - MARGIN), Math.max(150, displayH - 2 * MARGIN),
                    options.width(), options.height(), TILE_FRAME_W, TILE_FRAME_H, MARGIN);
            tileScale = grid.scale();
            tileCols = grid.cols();
        }

        private void drawSurface(ProducerFeed f, int position, boolean relayout) {
            float imageW = options.width() * tileScale;
            float imageH = options.height() * tileScale;
            int cond = relayout ? ImGuiCond.Always : ImGuiCond.FirstUseEver;
            ImGui.setNextWindowPos(TILES_LEFT + (position % tileCols) * (imageW + TILE_FRAME_W + MARGIN),
                    MARGIN + (position / tileCols) * (imageH + TILE_FRAME_H + MARGIN), cond);
            ImGui.setNextWindowSize(imageW + TILE_FRAME_W, imageH + TILE_FRAME_H, cond);
            String title = f.producer.name + ": " + f.producer.scene.label() + " on " + shortName(f) + " [" + f.ring.get(0).tier() + "]"
                    + "###surface" + f.producer.index;
            if (ImGui.begin(title, ImGuiWindowFlags.NoScrollbar)) {
                float availW = ImGui.getContentRegionAvailX();
                float availH = ImGui.getContentRegionAvailY();
                float scale = Math.min(availW / options.width(), availH / options.height());
                GlEndpoint shown = f.displayed();
                if (f.abandoned()) {
                    ImGui.pushStyleColor(ImGuiCol.Text, 1f, 0.35f, 0.35f, 1f);
                    ImGui.text("ABANDONED");
                    ImGui.popStyleColor();
                    ImGui.textWrapped("The producer's device was lost while it owned a surface. The keyed mutex "
                            + "abandoned it: no frame from this producer will be shown again until it restarts.");
                    if (replacing(f) != null) {
                        ImGui.text("restarting on a new device...");
                    } else if (ImGui.button("Restart " + f.producer.name)) {
                        actions.add(() -> session.restart(f, null));
                    }
                } else if (shown != null) {
                    ImGui.image(shown.texture(), options.width() * scale, options.height() * scale);
                    tooltip(options.stamp() ? STAMP_HELP : "Frame stamps are off (--no-stamp): nothing checks this picture's pixels.");
                } else {
                    ImGui.text("waiting for the first frame...");
                }
            }
            ImGui.end();
        }

        private DemoSession.Setup replacing(ProducerFeed f) {
            for (DemoSession.Setup s : session.setups()) {
                if (s.replaces == f) {
                    return s;
                }
            }
            return null;
        }

        private void drawPanel(boolean relayout, float displayH) {
            int cond = relayout ? ImGuiCond.Always : ImGuiCond.FirstUseEver;
            ImGui.setNextWindowPos(MARGIN, MARGIN, cond);
            ImGui.setNextWindowSize(TILES_LEFT - 2 * MARGIN, Math.max(200, displayH - 2 * MARGIN), cond);
            if (ImGui.begin("Baton control panel")) {
                ImGui.text("Compositor: " + session.glInfo().renderer().split(" \\(")[0] + " (GL "
                        + window.glMajorVersion() + "." + window.glMinorVersion() + ")");
                ImGui.text(String.format(Locale.ROOT, "compositor %.1f fps (target %.0f)", ui.fps(), 1e9 / FRAME_NANOS));
                tooltip("How often this window redraws: it takes each producer's newest ready frame, never waiting for one.");
                ImGui.text(session.feeds().size() + " producers");
                ImGui.sameLine();
                ImGui.textDisabled("(what are the bars?)");
                tooltip(options.stamp() ? STAMP_HELP : "Frame stamps are off (--no-stamp): the producers draw a clean picture,"
                        + " and no pixel check can read their frame numbers.");
                if (ImGui.button("Add producer")) {
                    actions.add(() -> session.addProducer(options.tier()));
                }
                tooltip("Start another producer on its own Vulkan device. It is built off the compositor's thread and joins when ready.");
                for (DemoSession.Setup s : session.setups()) {
                    ImGui.textDisabled(s.replaces == null ? "starting " + s.name + "..."
                            : s.name + ": building its replacement" + (s.tier == null ? "" : " (" + s.tier + ")") + "...");
                }
                if (session.retiringCount() > 0) {
                    ImGui.textDisabled("freeing " + session.retiringCount() + " stopped producer(s)...");
                }
                String error = lastError != null ? lastError : session.lastSetupFailure();
                if (error != null) {
                    ImGui.pushStyleColor(ImGuiCol.Text, 1f, 0.4f, 0.4f, 1f);
                    ImGui.textWrapped(error);
                    ImGui.popStyleColor();
                    if (ImGui.smallButton("dismiss")) {
                        lastError = null;
                        session.clearSetupFailure();
                    }
                }
                ImGui.separator();
                for (ProducerFeed f : session.feeds()) {
                    drawProducerPanel(f);
                }
            }
            ImGui.end();
        }

        private void drawProducerPanel(ProducerFeed f) {
            Producer p = f.producer;
            SharedSurface first = f.ring.get(0);
            String header = p.name + " (" + p.scene.label() + ")" + (f.abandoned() ? " ABANDONED" : p.paused() ? " paused" : "")
                    + "###panel" + p.index;
            if (!ImGui.collapsingHeader(header, imgui.flag.ImGuiTreeNodeFlags.DefaultOpen)) {
                return;
            }
            ImGui.pushID(p.index);
            ImGui.text("device  " + p.device().info().name());
            ImGui.text("driver  " + p.device().info().driverName() + " " + p.device().info().driverInfo());
            ImGui.text("tier    " + first.tier());
            ImGui.text("        " + first.tier().choices());
            tooltip("How the GPUs synchronize on this producer's surfaces: " + first.tierReason());
            StringBuilder keys = new StringBuilder("key/owner ");
            for (SharedSurface s : f.ring) {
                String owner = s.ownerName();
                keys.append(s.storedKey()).append('/').append(owner == null ? "-" : owner.replace("producer-", "p")).append("  ");
            }
            ImGui.text(keys.toString());
            tooltip("One key/owner pair per surface of the producer's ring. key: who may acquire the surface next (0 the producer, "
                    + "1 the compositor), named by whoever released it last. owner: who holds it now (pN the producer's device, GL the "
                    + "compositor, - nobody: released and waiting for the next key's acquire).");
            ImGui.text(String.format(Locale.ROOT, "fps: target %.0f, producer %.1f, shown %.1f", p.fps(), f.producerFramesPerSecond(),
                    f.handoffsPerSecond()));
            tooltip("target: the rate the producer paces itself to. producer: frames it submitted per second. shown: frames the "
                    + "compositor took per second (at most one per compositor frame, so a faster producer skips frames).");
            ImGui.text(String.format(Locale.ROOT, "frame %d   state %s", f.displayedFrame(), p.state()));
            ImGui.text(String.format(Locale.ROOT, "latency p50 %.2f ms   p99 %.2f ms", f.latency.quantileMillis(0.5), f.latency.quantileMillis(0.99)));
            tooltip("Handoff latency: from the producer's release (at submit) until the compositor sees the frame ready to show, "
                    + "over the last " + f.latency.size() + " handoffs.");
            ImGuiWindow.latencyPlot(f.latency, "frames");
            if (ImGui.button(p.paused() ? "Resume" : "Pause")) {
                p.setPaused(!p.paused());
            }
            tooltip(p.paused() ? "Let the producer draw again." : "Stop drawing; the compositor keeps showing the last frame.");
            ImGui.sameLine();
            if (ImGui.button("Kill")) {
                p.requestKill();
            }
            tooltip("Fault injection: the producer's device is lost at its next frame, while it owns a surface. The keyed mutex "
                    + "abandons the surface, the tile shows ABANDONED, the other producers keep running.");
            ImGui.sameLine();
            if (ImGui.button("Restart")) {
                actions.add(() -> session.restart(f, null));
            }
            tooltip("Replace this producer with a fresh device and surfaces (best tier); it keeps its tile until the new one is ready.");
            ImGui.sameLine();
            if (ImGui.button("Remove")) {
                actions.add(() -> session.removeProducer(f));
            }
            tooltip("Stop this producer and free its device; the other tiles reflow.");
            fpsSlider[0] = (float) p.fps();
            if (ImGui.sliderFloat("fps", fpsSlider, 1, 240, "%.0f")) {
                p.setFps(fpsSlider[0]);
            }
            tooltip("The producer's target frame rate (Ctrl-click to type a value).");
            List<SyncTier> tiers = session.availableTiers(f);
            if (tiers.size() > 1 && ImGui.beginCombo("tier", first.tier().id())) {
                for (SyncTier t : tiers) {
                    if (ImGui.selectable(t.id(), t == first.tier()) && t != first.tier()) {
                        actions.add(() -> session.restart(f, t.id()));
                    }
                    tooltip(TIER_HELP[t.ordinal()]);
                }
                ImGui.endCombo();
            }
            tooltip("Switch this producer's sync tier: new surfaces on the chosen tier are built while this one keeps running.");
            ImGui.popID();
            ImGui.separator();
        }

        private static void tooltip(String text) {
            ImGuiWindow.tooltip(text);
        }

        private static String shortName(ProducerFeed f) {
            String name = f.producer.device().info().name();
            int paren = name.indexOf(" (");
            return paren > 0 ? name.substring(0, paren) : name;
        }
    }
}
