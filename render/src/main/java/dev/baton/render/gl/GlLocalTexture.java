package dev.baton.render.gl;

import static org.lwjgl.opengl.GL33.*;

import dev.baton.render.SurfaceFormat;
import java.nio.ByteBuffer;
import org.lwjgl.system.MemoryUtil;

/**
 * A texture in GL's own memory (RGBA8 or another {@link SurfaceFormat} GL has a sized internal format for) with a framebuffer attached: the GL side of a host-copy
 * surface, filled from host memory with {@link #upload} when memory cannot be shared.
 *
 * <p>Thread contract: the {@link GlContext}'s owner thread only; close before the context.
 * Coordinates as in {@link GlImportedTexture}: row 0 is the first row in memory.
 */
public final class GlLocalTexture implements AutoCloseable {
    private final GlContext context;
    private final int width;
    private final int height;
    private final SurfaceFormat format;
    private final int pixelFormat;   // glTexSubImage2D/glReadPixels format and type for the surface format's bytes
    private final int pixelType;
    private final int texture;       // GL texture name
    private final int framebuffer;   // GL framebuffer name
    private boolean closed;

    /**
     * An RGBA8 texture with a framebuffer, in {@code context}.
     *
     * @param context the GL context; the calling thread must own it
     * @param width width in pixels
     * @param height height in pixels
     */
    public GlLocalTexture(GlContext context, int width, int height) {
        this(context, width, height, SurfaceFormat.RGBA8);
    }

    /**
     * A texture of {@code format} with a framebuffer, in {@code context}; {@link #upload} and
     * {@link #readback} move the format's bytes as Vulkan lays them out (tightly packed).
     *
     * @param context the GL context; the calling thread must own it
     * @param width width in pixels
     * @param height height in pixels
     * @param format the surface format
     * @throws IllegalArgumentException if GL has no sized internal format for it (the BGRA formats)
     */
    public GlLocalTexture(GlContext context, int width, int height, SurfaceFormat format) {
        context.checkOwner();
        if (!format.glImportable()) {
            throw new IllegalArgumentException("GL has no sized internal format for " + format
                    + " (no BGRA internal format in desktop GL): use RGBA8 or RGBA8_SRGB for a surface with a GL participant");
        }
        this.context = context;
        this.width = width;
        this.height = height;
        this.format = format;
        switch (format) {
            case RGBA16F:
                pixelFormat = GL_RGBA;
                pixelType = GL_HALF_FLOAT;
                break;
            case RGB10A2:
                pixelFormat = GL_RGBA;
                pixelType = GL_UNSIGNED_INT_2_10_10_10_REV; // R in bits 0-9, as VK_FORMAT_A2B10G10R10_UNORM_PACK32
                break;
            default:
                pixelFormat = GL_RGBA;
                pixelType = GL_UNSIGNED_BYTE;
                break;
        }
        texture = glGenTextures();
        glBindTexture(GL_TEXTURE_2D, texture);
        glTexImage2D(GL_TEXTURE_2D, 0, format.glInternalFormat(), width, height, 0, pixelFormat, pixelType, (ByteBuffer) null);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glBindTexture(GL_TEXTURE_2D, 0);
        framebuffer = glGenFramebuffers();
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
        int status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        if (status != GL_FRAMEBUFFER_COMPLETE) {
            glDeleteFramebuffers(framebuffer);
            glDeleteTextures(texture);
            throw new IllegalStateException("host-copy texture framebuffer incomplete: 0x" + Integer.toHexString(status));
        }
    }

    /**
     * Replaces the whole texture with {@code rgba} (direct, tightly packed from its start, row 0 first, in the
     * format's Vulkan byte layout). GL copies the client memory before returning, so the caller may reuse it right away.
     *
     * @param rgba {@code width * height * bytesPerPixel} bytes
     */
    public void upload(ByteBuffer rgba) {
        context.checkOwner();
        checkCapacity(rgba);
        glBindTexture(GL_TEXTURE_2D, texture);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        // by address from the buffer's start: no buffer view allocated per handoff
        nglTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, pixelFormat, pixelType, MemoryUtil.memAddress0(rgba));
        glBindTexture(GL_TEXTURE_2D, 0);
    }

    /**
     * Reads the whole texture into {@code rgba} (direct, from its start, tightly packed); waits for GL work before it.
     *
     * @param rgba room for {@code width * height * bytesPerPixel} bytes
     */
    public void readback(ByteBuffer rgba) {
        context.checkOwner();
        checkCapacity(rgba);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        nglReadPixels(0, 0, width, height, pixelFormat, pixelType, MemoryUtil.memAddress0(rgba));
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    }

    private void checkCapacity(ByteBuffer rgba) {
        int bytes = width * height * format.bytesPerPixel();
        if (!rgba.isDirect() || rgba.capacity() < bytes) {
            throw new IllegalArgumentException("pixels must be a direct buffer of at least " + bytes
                    + " bytes (" + width + "x" + height + " " + format + "), got " + rgba);
        }
    }

    /** {@return the GL texture name} */
    public int texture() {
        return texture;
    }

    /** {@return the GL framebuffer name, with the texture at {@code GL_COLOR_ATTACHMENT0}} */
    public int framebuffer() {
        return framebuffer;
    }

    /** {@return the texture's surface format} */
    public SurfaceFormat format() {
        return format;
    }

    /** {@return the width in pixels} */
    public int width() {
        return width;
    }

    /** {@return the height in pixels} */
    public int height() {
        return height;
    }

    /** Idempotent; owner thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        context.checkOwner();
        glDeleteFramebuffers(framebuffer);
        glDeleteTextures(texture);
    }
}
