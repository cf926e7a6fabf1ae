package dev.baton.render.window;

import static org.lwjgl.opengl.GL33.*;

import dev.baton.render.gl.GlContext;
import dev.baton.render.gl.GlLocalTexture;
import java.nio.ByteBuffer;

/**
 * The headless compositor's canvas: a {@link GlLocalTexture} that producer surfaces are blitted into
 * 1:1 (no scaling, so every stamp survives bit for bit), and read back for PNGs and pixel checks.
 *
 * <p>Thread contract: the {@link GlContext}'s owner thread; closed on it before the context. Uses
 * only GL 3.3 calls, so it works in an EGL surfaceless and a GLFW context alike.
 */
public final class TileCompositor implements AutoCloseable {
    private final GlContext context;
    private final GlLocalTexture canvas;

    public TileCompositor(GlContext context, int width, int height) {
        this.context = context;
        this.canvas = new GlLocalTexture(context, width, height);
    }

    public int width() {
        return canvas.width();
    }

    public int height() {
        return canvas.height();
    }

    /** Fills a rectangle (x, y from the first row in memory) with a colour, components 0..1. */
    public void fill(int x, int y, int w, int h, float r, float g, float b) {
        context.checkOwner();
        glBindFramebuffer(GL_FRAMEBUFFER, canvas.framebuffer());
        glEnable(GL_SCISSOR_TEST);
        glScissor(x, y, w, h);
        glClearColor(r, g, b, 1f);
        glClear(GL_COLOR_BUFFER_BIT);
        glDisable(GL_SCISSOR_TEST);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
    }

    /** Copies a source framebuffer's {@code w x h} pixels to (x, y) unscaled. */
    public void blit(int sourceFramebuffer, int w, int h, int x, int y) {
        context.checkOwner();
        glBindFramebuffer(GL_READ_FRAMEBUFFER, sourceFramebuffer);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, canvas.framebuffer());
        glBlitFramebuffer(0, 0, w, h, x, y, x + w, y + h, GL_COLOR_BUFFER_BIT, GL_NEAREST);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    }

    /**
     * Reads the whole canvas into {@code destination} (direct, tightly packed RGBA8 from its start, row
     * 0 first, at least {@code width * height * 4} bytes). Blocks until the GL work before it is done.
     */
    public void readback(ByteBuffer destination) {
        canvas.readback(destination);
    }

    /** Idempotent; owner thread. */
    @Override
    public void close() {
        canvas.close();
    }
}
