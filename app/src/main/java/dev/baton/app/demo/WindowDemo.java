package dev.baton.app.demo;

import dev.baton.app.ShutdownSignal;
import dev.baton.render.SyncTier;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.vk.GlEndpoint;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.window.GlfwWindow;
import imgui.ImGui;
import imgui.extension.implot.ImPlot;
import imgui.extension.implot.flag.ImPlotAxisFlags;
import imgui.extension.implot.flag.ImPlotFlags;
import imgui.flag.ImGuiCol;
import imgui.flag.ImGuiCond;
import imgui.flag.ImGuiWindowFlags;
import imgui.gl3.ImGuiImplGl3;
import imgui.glfw.ImGuiImplGlfw;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import javax.imageio.ImageIO;
import org.lwjgl.system.MemoryUtil;

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
    private static final long FRAME_NANOS = 16_666_667L;

    private WindowDemo() {}

    static int run(DemoOptions options, PrintStream out, PrintStream err) {
        VulkanInstance vulkan = DemoCommand.startVulkan(options, err);
        if (vulkan == null) {
            return 1;
        }
        int result;
        try (ShutdownSignal signal = new ShutdownSignal(15_000); vulkan) {
            GlfwWindow window;
            try {
                window = GlfwWindow.open("Baton: keyed-mutex surface handoff", WIDTH, HEIGHT, false);
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
        private final GlfwWindow window;
        private final ShutdownSignal signal;
        private final PrintStream out;
        private final PrintStream err;
        private final List<Runnable> actions = new ArrayList<>();   // applied between frames
        private final float[] fpsSlider = new float[1];
        private final Faults faults;
        private String lastError;
        private DemoSession session;

        Ui(DemoOptions options, VulkanInstance vulkan, GlfwWindow window, ShutdownSignal signal, PrintStream out, PrintStream err) {
            this.options = options;
            this.vulkan = vulkan;
            this.window = window;
            this.signal = signal;
            this.out = out;
            this.err = err;
            this.faults = new Faults(options);
        }

        int run() {
            ImGui.createContext();
            ImPlot.createContext();
            ImGuiImplGlfw glfw = new ImGuiImplGlfw();
            ImGuiImplGl3 gl3 = new ImGuiImplGl3();
            glfw.init(window.handle(), true);
            gl3.init("#version 330 core");
            ImGui.getIO().setIniFilename(null);   // layout is the program's, not a file's
            session = new DemoSession(vulkan, window, GlInfo.query(window), options);
            int exit = 0;
            try {
                for (int i = 0; i < options.producers(); i++) {
                    session.addProducer(options.tier());
                }
                out.println("Compositor: " + session.glInfo().renderer() + " in a window; close it or press Ctrl-C to stop.");
                String softwareWarning = session.glInfo().softwareWarning(vulkan.physicalDevices());
                if (softwareWarning != null) {
                    err.println("baton demo: " + softwareWarning);
                }
                long start = System.nanoTime();
                long next = start;
                boolean last = false;
                int frames = 0;
                while (!last) {
                    window.pollEvents();
                    session.update();
                    faults.apply(session, frames++, out);
                    glfw.newFrame();
                    gl3.newFrame();
                    ImGui.newFrame();
                    draw();
                    ImGui.render();
                    window.clear(0.09f, 0.10f, 0.13f);
                    gl3.renderDrawData(ImGui.getDrawData());
                    int[] fb = window.framebufferSize();
                    last = window.shouldClose() || signal.requested()
                            || (options.exitAfterSeconds() > 0 && System.nanoTime() - start > options.exitAfterSeconds() * 1e9);
                    if (last && options.screenshot() != null) {
                        screenshot(fb[0], fb[1], options.screenshot());
                    }
                    window.swapBuffers();
                    applyActions();
                    next += FRAME_NANOS;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    } else {
                        next = System.nanoTime();
                    }
                }
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
                gl3.shutdown();
                try {
                    glfw.shutdown();
                } catch (NullPointerException missingCursor) {
                    // imgui-java 1.88 destroys GLFW cursors it never got when the X server has no cursor
                    // theme (plain Xvfb); ./baton sets XCURSOR_THEME=Adwaita to avoid it. Nothing leaks.
                }
                ImPlot.destroyContext();
                ImGui.destroyContext();
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
            drawPanel();
            List<ProducerFeed> feeds = session.feeds();
            for (int i = 0; i < feeds.size(); i++) {
                drawSurface(feeds.get(i), i);
            }
        }

        private void drawSurface(ProducerFeed f, int position) {
            float w = Math.min(options.width(), 560);
            float h = w * options.height() / options.width();
            ImGui.setNextWindowPos(430 + (position % 2) * (w + 24), 20 + (position / 2) * (h + 60), ImGuiCond.FirstUseEver);
            ImGui.setNextWindowSize(w + 16, h + 40, ImGuiCond.FirstUseEver);
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
                    if (ImGui.button("Restart " + f.producer.name)) {
                        actions.add(() -> session.restart(f, null));
                    }
                } else if (shown != null) {
                    ImGui.image(shown.texture(), options.width() * scale, options.height() * scale);
                } else {
                    ImGui.text("waiting for the first frame...");
                }
            }
            ImGui.end();
        }

        private void drawPanel() {
            ImGui.setNextWindowPos(10, 10, ImGuiCond.FirstUseEver);
            ImGui.setNextWindowSize(400, HEIGHT - 20, ImGuiCond.FirstUseEver);
            if (ImGui.begin("Baton control panel")) {
                ImGui.text("Compositor: " + session.glInfo().renderer().split(" \\(")[0] + " (GL "
                        + window.glMajorVersion() + "." + window.glMinorVersion() + ")");
                ImGui.text(session.feeds().size() + " producers");
                if (ImGui.button("Add producer")) {
                    actions.add(() -> session.addProducer(options.tier()));
                }
                if (lastError != null) {
                    ImGui.pushStyleColor(ImGuiCol.Text, 1f, 0.4f, 0.4f, 1f);
                    ImGui.textWrapped(lastError);
                    ImGui.popStyleColor();
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
            StringBuilder keys = new StringBuilder("key/owner ");
            for (SharedSurface s : f.ring) {
                String owner = s.ownerName();
                keys.append(s.storedKey()).append('/').append(owner == null ? "-" : owner.replace("producer-", "p")).append("  ");
            }
            ImGui.text(keys.toString());
            ImGui.text(String.format(Locale.ROOT, "%.1f handoffs/s   frame %d   state %s", f.handoffsPerSecond(), f.displayedFrame(), p.state()));
            ImGui.text(String.format(Locale.ROOT, "latency p50 %.0f us   p99 %.0f us", f.latency.quantileMicros(0.5), f.latency.quantileMicros(0.99)));
            if (f.latency.size() > 1) {
                float[] xs = f.latency.plotX();
                ImPlot.setNextAxesToFit();
                if (ImPlot.beginPlot("##latency", -1, 110, ImPlotFlags.NoLegend | ImPlotFlags.NoMenus | ImPlotFlags.NoMouseText)) {
                    ImPlot.setupAxes("", "us", ImPlotAxisFlags.NoTickLabels, ImPlotAxisFlags.AutoFit);
                    ImPlot.plotLine("latency", xs, f.latency.plotY(), f.latency.size());
                    ImPlot.endPlot();
                }
            }
            if (ImGui.button(p.paused() ? "Resume" : "Pause")) {
                p.setPaused(!p.paused());
            }
            ImGui.sameLine();
            if (ImGui.button("Kill")) {
                p.requestKill();
            }
            ImGui.sameLine();
            if (ImGui.button("Restart")) {
                actions.add(() -> session.restart(f, null));
            }
            ImGui.sameLine();
            if (ImGui.button("Remove")) {
                actions.add(() -> session.removeProducer(f));
            }
            fpsSlider[0] = (float) p.fps();
            if (ImGui.sliderFloat("fps", fpsSlider, 1, 240)) {
                p.setFps(fpsSlider[0]);
            }
            List<SyncTier> tiers = session.availableTiers(f);
            if (tiers.size() > 1 && ImGui.beginCombo("tier", first.tier().id())) {
                for (SyncTier t : tiers) {
                    if (ImGui.selectable(t.id(), t == first.tier()) && t != first.tier()) {
                        actions.add(() -> session.restart(f, t.id()));
                    }
                }
                ImGui.endCombo();
            }
            ImGui.popID();
            ImGui.separator();
        }

        private static String shortName(ProducerFeed f) {
            String name = f.producer.device().info().name();
            int paren = name.indexOf(" (");
            return paren > 0 ? name.substring(0, paren) : name;
        }

        private void screenshot(int width, int height, Path file) {
            ByteBuffer rgba = MemoryUtil.memAlloc(width * height * 4);
            try {
                window.readBackBuffer(width, height, rgba);
                BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        int o = ((height - 1 - y) * width + x) * 4;   // GL's first row is the bottom
                        image.setRGB(x, y, (rgba.get(o) & 0xFF) << 16 | (rgba.get(o + 1) & 0xFF) << 8 | (rgba.get(o + 2) & 0xFF));
                    }
                }
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                ImageIO.write(image, "png", file.toFile());
                out.println("Screenshot: " + file);
            } catch (IOException e) {
                err.println("baton demo: cannot write the screenshot " + file + ": " + e.getMessage());
            } finally {
                MemoryUtil.memFree(rgba);
            }
        }
    }
}
