package dev.baton.render.gl;

import static org.lwjgl.opengl.GL33.*;

import java.nio.ByteBuffer;

/**
 * The headless compositor's canvas: an RGBA8 texture with a framebuffer that producer surfaces are
 * blitted into 1:1 (no scaling, so every stamp survives bit for bit), and read back for PNGs and
 * pixel checks.
 *
 * <p>Thread contract: the thread whose GL context is current when it is made; closed on it before
 * the context. Uses only GL 3.3 calls, so it works in an EGL surfaceless and a GLFW context alike.
 */
public final class TileCompositor implements AutoCloseable {
    private final int width;
    private final int height;
    private final int texture;      // GL texture name
    private final int framebuffer;  // GL framebuffer name
    private boolean closed;

    public TileCompositor(int width, int height) {
        this.width = width;
        this.height = height;
        texture = glGenTextures();
        glBindTexture(GL_TEXTURE_2D, texture);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, (ByteBuffer) null);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glBindTexture(GL_TEXTURE_2D, 0);
        framebuffer = glGenFramebuffers();
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
        int status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        if (status != GL_FRAMEBUFFER_COMPLETE) {
            glDeleteFramebuffers(framebuffer);
            glDeleteTextures(texture);
            throw new IllegalStateException("compositor framebuffer incomplete: 0x" + Integer.toHexString(status));
        }
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Fills a rectangle (x, y from the first row in memory) with a colour, components 0..1. */
    public void fill(int x, int y, int w, int h, float r, float g, float b) {
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        glEnable(GL_SCISSOR_TEST);
        glScissor(x, y, w, h);
        glClearColor(r, g, b, 1f);
        glClear(GL_COLOR_BUFFER_BIT);
        glDisable(GL_SCISSOR_TEST);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
    }

    /** Copies a source framebuffer's {@code w x h} pixels to (x, y) unscaled. */
    public void blit(int sourceFramebuffer, int w, int h, int x, int y) {
        glBindFramebuffer(GL_READ_FRAMEBUFFER, sourceFramebuffer);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, framebuffer);
        glBlitFramebuffer(0, 0, w, h, x, y, x + w, y + h, GL_COLOR_BUFFER_BIT, GL_NEAREST);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    }

    /**
     * Reads the whole canvas into {@code destination} (tightly packed RGBA8, row 0 first, at least
     * {@code width * height * 4} bytes). Blocks until the GL work before it is done.
     */
    public void readback(ByteBuffer destination) {
        if (destination.remaining() < width * height * 4) {
            throw new IllegalArgumentException("readback needs " + width * height * 4 + " bytes, got " + destination.remaining());
        }
        glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, destination);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    }

    /** Deletes the framebuffer and texture. Idempotent; on the owning GL thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        glDeleteFramebuffers(framebuffer);
        glDeleteTextures(texture);
    }
}
