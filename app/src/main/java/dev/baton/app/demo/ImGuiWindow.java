package dev.baton.app.demo;

import dev.baton.render.window.GlfwWindow;
import imgui.ImGui;
import imgui.extension.implot.ImPlot;
import imgui.extension.implot.flag.ImPlotAxis;
import imgui.extension.implot.flag.ImPlotAxisFlags;
import imgui.extension.implot.flag.ImPlotFlags;
import imgui.gl3.ImGuiImplGl3;
import imgui.glfw.ImGuiImplGlfw;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import javax.imageio.ImageIO;
import org.lwjgl.system.MemoryUtil;

/**
 * What every Baton window shares (the in-process demo's and the broker's): a {@link GlfwWindow} with
 * imgui and ImPlot on it, a frame loop paced to 60 frames per second that measures the rate it reaches,
 * the tile grid, tooltips, the latency plot and the screenshot of the last frame.
 *
 * <p>Threading: imgui's rule is one thread for everything, and GLFW's is the main thread: open, draw
 * and close on the calling (main) thread. Close after every GL object the caller made in the
 * window's context is closed.
 */
public final class ImGuiWindow implements AutoCloseable {
    /** The frame period the loop paces to. */
    public static final long FRAME_NANOS = 16_666_667L;

    private final GlfwWindow window;
    private final String who;
    private final ImGuiImplGlfw glfw = new ImGuiImplGlfw();
    private final ImGuiImplGl3 gl3 = new ImGuiImplGl3();
    private long next;
    private int frames;
    private long fpsMarkNanos;
    private int fpsMarkFrames;
    private double fps;
    private boolean closed;

    private ImGuiWindow(GlfwWindow window, String who) {
        this.window = window;
        this.who = who;
        ImGui.createContext();
        ImPlot.createContext();
        glfw.init(window.handle(), true);
        gl3.init("#version 330 core");
        ImGui.getIO().setIniFilename(null);   // layout is the program's, not a file's
        startClock();
    }

    /**
     * Opens a window of {@code width x height} with imgui on it.
     *
     * @param who the command, for its error lines ("baton demo")
     * @throws RuntimeException if there is no display or no GL 3.3 context; its message is one line that
     *     says to use {@code --headless} or start Xvfb
     */
    public static ImGuiWindow open(String title, int width, int height, String who) {
        GlfwWindow window = GlfwWindow.open(title, width, height, false);
        try {
            return new ImGuiWindow(window, who);
        } catch (RuntimeException e) {
            window.close();
            throw e;
        }
    }

    /** {@return the GLFW window and its GL context} */
    public GlfwWindow window() {
        return window;
    }

    /** Restarts the pacing and the frame count (after a wait before the first frame that counts). */
    public void startClock() {
        next = System.nanoTime();
        fpsMarkNanos = next;
        fpsMarkFrames = 0;
        frames = 0;
    }

    /** {@return frames begun since {@link #startClock}} */
    public int frames() {
        return frames;
    }

    /** {@return the redraw rate over the last half second} */
    public double fps() {
        return fps;
    }

    /** Processes window events (polled, never waited for) and starts an imgui frame. */
    public void beginFrame() {
        long now = System.nanoTime();
        if (now - fpsMarkNanos >= 500_000_000L) {
            fps = (frames - fpsMarkFrames) * 1e9 / (now - fpsMarkNanos);
            fpsMarkNanos = now;
            fpsMarkFrames = frames;
        }
        frames++;
        window.pollEvents();
        glfw.newFrame();
        gl3.newFrame();
        ImGui.newFrame();
    }

    /**
     * Renders the imgui frame on a cleared back buffer, saves it as {@code screenshot} when that is not
     * null (before the swap: what the swap shows), and swaps.
     */
    public void present(Path screenshot, PrintStream out, PrintStream err) {
        ImGui.render();
        window.clear(0.09f, 0.10f, 0.13f);
        gl3.renderDrawData(ImGui.getDrawData());
        if (screenshot != null) {
            int[] fb = window.framebufferSize();
            screenshot(fb[0], fb[1], screenshot, out, err);
        }
        window.swapBuffers();
    }

    /** Sleeps until the next frame is due (no sleep when late: the loop then runs as fast as it can). */
    public void pace() {
        next += FRAME_NANOS;
        long wait = next - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        } else {
            next = System.nanoTime();
        }
    }

    /** The grid that shows {@code n} tiles of {@code tileW x tileH} largest in an area, never above 1:1. */
    public record Grid(int cols, float scale) {}

    /**
     * The grid of {@code n} tiles in {@code areaW x areaH} that shows them largest (never above 1:1), each
     * tile framed by {@code frameW x frameH} of window decoration and {@code margin} apart.
     */
    public static Grid grid(int n, float areaW, float areaH, int tileW, int tileH, float frameW, float frameH, float margin) {
        float best = 0;
        int bestCols = 1;
        for (int cols = 1; cols <= Math.max(1, n); cols++) {
            int rows = (Math.max(1, n) + cols - 1) / cols;
            float scale = Math.min(1f, Math.min((areaW / cols - frameW - margin) / tileW, (areaH / rows - frameH - margin) / tileH));
            if (scale > best) {
                best = scale;
                bestCols = cols;
            }
        }
        return new Grid(bestCols, Math.max(0.05f, best));
    }

    /** A tooltip for the last item, wrapped to a readable width. */
    public static void tooltip(String text) {
        if (ImGui.isItemHovered()) {
            ImGui.beginTooltip();
            ImGui.pushTextWrapPos(ImGui.getFontSize() * 32);
            ImGui.textUnformatted(text);
            ImGui.popTextWrapPos();
            ImGui.endTooltip();
        }
    }

    /** The live plot of a latency window (newest on the right, milliseconds), with its tooltip; nothing below two samples. */
    public static void latencyPlot(LatencyWindow latency, String what) {
        if (latency.size() <= 1) {
            return;
        }
        float[] xs = latency.plotX();
        ImPlot.setNextAxesToFit();
        if (ImPlot.beginPlot("##latency", -1, 110, ImPlotFlags.NoLegend | ImPlotFlags.NoMenus | ImPlotFlags.NoMouseText)) {
            ImPlot.setupAxes("handoffs ago", "latency", ImPlotAxisFlags.NoTickLabels | ImPlotAxisFlags.NoLabel, ImPlotAxisFlags.AutoFit);
            ImPlot.setupAxisFormat(ImPlotAxis.Y1, "%g ms");   // %g: 0.5, 12.5, 2000; never 2e+06
            ImPlot.plotLine("latency", xs, latency.plotY(), latency.size());
            ImPlot.endPlot();
        }
        tooltip("Handoff latency of the last " + latency.size() + " " + what + ", newest on the right, in milliseconds.");
    }

    private void screenshot(int width, int height, Path file, PrintStream out, PrintStream err) {
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
            err.println(who + ": cannot write the screenshot " + file + ": " + e.getMessage());
        } finally {
            MemoryUtil.memFree(rgba);
        }
    }

    /** Shuts imgui down and closes the window. Idempotent; main thread, after the caller's GL objects. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        gl3.shutdown();
        try {
            glfw.shutdown();
        } catch (NullPointerException missingCursor) {
            // imgui-java 1.88 destroys GLFW cursors it never got when the X server has no cursor
            // theme (plain Xvfb); ./baton sets XCURSOR_THEME=Adwaita to avoid it. Nothing leaks.
        }
        ImPlot.destroyContext();
        ImGui.destroyContext();
        window.close();
    }
}
