package dev.baton.render.gl;

import static org.lwjgl.opengl.EXTMemoryObject.*;
import static org.lwjgl.opengl.EXTMemoryObjectFD.GL_HANDLE_TYPE_OPAQUE_FD_EXT;
import static org.lwjgl.opengl.EXTMemoryObjectFD.glImportMemoryFdEXT;
import static org.lwjgl.opengl.GL33C.*;

import dev.baton.render.ExportedImageMemory;
import java.nio.ByteBuffer;

/**
 * A GL texture whose storage is Vulkan image memory imported as OPAQUE_FD
 * ({@code GL_EXT_memory_object_fd}), with a framebuffer attached for rendering into it and reading it
 * back.
 *
 * <p><b>Thread contract:</b> created, used and closed on the thread that owns the {@link GlContext};
 * {@link #close()} before closing the context, and before the exporter frees the Vulkan memory.
 *
 * <p><b>Coordinates:</b> GL texel (x, y) is the Vulkan texel (x, y): row 0 is the first row in
 * memory. Nothing is flipped; a GL viewport/scissor y is a Vulkan image y.
 *
 * <p><b>Formats:</b> {@link #glInternalFormat(int)} maps the Vulkan format. GL has no BGRA internal
 * format, so {@code VK_FORMAT_B8G8R8A8_*} is imported as RGBA8 with a sampler swizzle (R and B
 * swapped): sampling returns the right colours, but framebuffer writes and {@code glReadPixels} see the
 * raw memory order (B, G, R, A) — {@link #redBlueSwapped()} says so, and writers must swap themselves.
 *
 * <p><b>Synchronization</b> is the caller's job: GL must not touch the texture until the Vulkan
 * producer's work is complete (host wait, or a GL semaphore wait where {@code GL_EXT_semaphore_fd}
 * exists), and Vulkan must not read it before GL's fence has signalled (see {@link GlFenceTimeline}).
 */
public final class GlImportedTexture implements AutoCloseable {
    // Vulkan formats (VkFormat) this class can import.
    static final int VK_FORMAT_R8G8B8A8_UNORM = 37;
    static final int VK_FORMAT_R8G8B8A8_SRGB = 43;
    static final int VK_FORMAT_B8G8R8A8_UNORM = 44;
    static final int VK_FORMAT_B8G8R8A8_SRGB = 50;
    static final int VK_FORMAT_A2B10G10R10_UNORM_PACK32 = 64;
    static final int VK_FORMAT_R16G16B16A16_SFLOAT = 97;
    static final int VK_FORMAT_R32G32B32A32_SFLOAT = 109;

    private final GlContext context;
    private final int width;
    private final int height;
    private final int vkFormat;
    private int memoryObject; // GLuint memory object (GL_EXT_memory_object)
    private int texture; // GLuint texture name, GL_TEXTURE_2D
    private int framebuffer; // GLuint framebuffer name, texture at GL_COLOR_ATTACHMENT0
    private boolean closed;

    private GlImportedTexture(GlContext context, int width, int height, int vkFormat) {
        this.context = context;
        this.width = width;
        this.height = height;
        this.vkFormat = vkFormat;
    }

    /**
     * The GL sized internal format for a {@code VkFormat}, or 0 if unsupported. B8G8R8A8 maps to the
     * RGBA format of the same size (see the class comment).
     *
     * @param vkFormat a {@code VkFormat}
     * @return such as {@code GL_RGBA8}, or 0
     */
    public static int glInternalFormat(int vkFormat) {
        switch (vkFormat) {
            case VK_FORMAT_R8G8B8A8_UNORM:
            case VK_FORMAT_B8G8R8A8_UNORM:
                return GL_RGBA8;
            case VK_FORMAT_R8G8B8A8_SRGB:
            case VK_FORMAT_B8G8R8A8_SRGB:
                return GL_SRGB8_ALPHA8;
            case VK_FORMAT_A2B10G10R10_UNORM_PACK32:
                return GL_RGB10_A2;
            case VK_FORMAT_R16G16B16A16_SFLOAT:
                return GL_RGBA16F;
            case VK_FORMAT_R32G32B32A32_SFLOAT:
                return GL_RGBA32F;
            default:
                return 0;
        }
    }

    /**
     * Imports {@code memory} into a new texture and framebuffer. The fd comes from
     * {@link ExportedImageMemory#dupFd()} (one fresh duplicate per import); on success GL owns it, on
     * failure this method closes it. Nothing is left behind on failure.
     *
     * @param info the context's {@link GlInfo}, for the capability and UUID checks
     * @param context the GL context; the calling thread must own it
     * @param memory the exported image memory
     * @return the texture, owned by the caller (close it on the owner thread)
     * @throws IllegalArgumentException if the UUIDs differ (the memory belongs to another driver or
     *     device: copy through the host instead) or the format is unsupported
     * @throws IllegalStateException if GL lacks GL_EXT_memory_object_fd, the calling thread does not
     *     own the context, or GL reports an error (the message names the failing call)
     */
    public static GlImportedTexture importFrom(GlContext context, GlInfo info, ExportedImageMemory memory) {
        context.checkOwner();
        if (!info.memoryObjectFd()) {
            throw new IllegalStateException("GL renderer '" + info.renderer() + "' lacks GL_EXT_memory_object_fd: "
                    + "share through a host copy instead (tier host-copy)");
        }
        if (!info.canImportOpaqueFdFrom(memory.driverUuid(), memory.deviceUuid())) {
            throw new IllegalArgumentException("cannot import: exporter driver/device UUID " + GlInfo.hex(memory.driverUuid()) + "/"
                    + GlInfo.hex(memory.deviceUuid()) + " differ from GL's " + GlInfo.hex(info.driverUuid()) + "/"
                    + GlInfo.hex(info.deviceUuid()) + " (" + info.renderer() + "); OPAQUE_FD memory only imports into the "
                    + "same driver and device: fall back to a host copy (tier host-copy)");
        }
        int internalFormat = glInternalFormat(memory.vkFormat());
        if (internalFormat == 0) {
            throw new IllegalArgumentException("VkFormat " + memory.vkFormat() + " has no GL mapping here; supported: "
                    + "R8G8B8A8_UNORM(37), R8G8B8A8_SRGB(43), B8G8R8A8_UNORM(44), B8G8R8A8_SRGB(50), "
                    + "A2B10G10R10_UNORM_PACK32(64), R16G16B16A16_SFLOAT(97), R32G32B32A32_SFLOAT(109)");
        }
        drainErrors();
        GlImportedTexture imported = new GlImportedTexture(context, memory.width(), memory.height(), memory.vkFormat());
        int fd = memory.dupFd();
        boolean fdOwnedByGl = false;
        try {
            imported.memoryObject = glCreateMemoryObjectsEXT();
            // Dedicated must be declared before the import: Vulkan allocated the image dedicated.
            glMemoryObjectParameteriEXT(imported.memoryObject, GL_DEDICATED_MEMORY_OBJECT_EXT, GL_TRUE);
            check("glMemoryObjectParameteriEXT(GL_DEDICATED_MEMORY_OBJECT_EXT)");
            glImportMemoryFdEXT(imported.memoryObject, memory.allocationSizeBytes(), GL_HANDLE_TYPE_OPAQUE_FD_EXT, fd);
            check("glImportMemoryFdEXT(size " + memory.allocationSizeBytes() + ")");
            fdOwnedByGl = true;

            int previousTexture = glGetInteger(GL_TEXTURE_BINDING_2D);
            imported.texture = glGenTextures();
            glBindTexture(GL_TEXTURE_2D, imported.texture);
            // Tiling must be set before the storage call; it has to match the Vulkan image's.
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_TILING_EXT, memory.linearTiling() ? GL_LINEAR_TILING_EXT : GL_OPTIMAL_TILING_EXT);
            glTexStorageMem2DEXT(GL_TEXTURE_2D, 1, internalFormat, memory.width(), memory.height(), imported.memoryObject, 0L);
            check("glTexStorageMem2DEXT(" + memory.width() + "x" + memory.height() + ", internal format 0x"
                    + Integer.toHexString(internalFormat) + ")");
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
            if (imported.redBlueSwapped()) {
                glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_R, GL_BLUE);
                glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_B, GL_RED);
            }
            glBindTexture(GL_TEXTURE_2D, previousTexture);

            int previousFramebuffer = glGetInteger(GL_FRAMEBUFFER_BINDING);
            imported.framebuffer = glGenFramebuffers();
            glBindFramebuffer(GL_FRAMEBUFFER, imported.framebuffer);
            glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, imported.texture, 0);
            int status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
            glBindFramebuffer(GL_FRAMEBUFFER, previousFramebuffer);
            if (status != GL_FRAMEBUFFER_COMPLETE) {
                throw new IllegalStateException("framebuffer on the imported texture is incomplete (status 0x"
                        + Integer.toHexString(status) + "); the format may not be color-renderable in this driver");
            }
            check("framebuffer setup");
            return imported;
        } catch (RuntimeException | Error e) {
            imported.close();
            if (!fdOwnedByGl) {
                Fds.close(fd);
            }
            throw e;
        }
    }

    private static void drainErrors() {
        for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; i++) {
            // Earlier errors belong to earlier calls; start clean so check() names the right call.
        }
    }

    private static void check(String call) {
        int error = glGetError();
        if (error != GL_NO_ERROR) {
            throw new IllegalStateException(call + " raised GL error 0x" + Integer.toHexString(error)
                    + "; check that size, format, extent and tiling match the exporter's image exactly");
        }
    }

    /** Binds this texture's framebuffer for drawing and reading and sets the viewport to the whole image. */
    public void bindFramebuffer() {
        context.checkOwner();
        checkOpen();
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        glViewport(0, 0, width, height);
    }

    /**
     * Reads a rectangle as tightly packed 8-bit RGBA (raw memory order: B, G, R, A for BGRA images) into
     * {@code destination} from its position. Synchronous: waits for GL's pending rendering. Only for
     * 8-bit formats.
     *
     * @param x left column
     * @param y bottom row (GL convention)
     * @param rectWidth width in pixels
     * @param rectHeight height in pixels
     * @param destination receives {@code rectWidth * rectHeight * 4} bytes
     * @throws IllegalArgumentException if the rectangle leaves the image or {@code destination} is too small
     */
    public void readPixelsRgba8(int x, int y, int rectWidth, int rectHeight, ByteBuffer destination) {
        context.checkOwner();
        checkOpen();
        if (x < 0 || y < 0 || rectWidth < 0 || rectHeight < 0 || x + rectWidth > width || y + rectHeight > height) {
            throw new IllegalArgumentException("rectangle " + x + "," + y + " " + rectWidth + "x" + rectHeight + " leaves the "
                    + width + "x" + height + " image");
        }
        if (destination.remaining() < rectWidth * rectHeight * 4) {
            throw new IllegalArgumentException("destination has " + destination.remaining() + " bytes, needs " + rectWidth * rectHeight * 4);
        }
        int previousFramebuffer = glGetInteger(GL_READ_FRAMEBUFFER_BINDING);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(x, y, rectWidth, rectHeight, GL_RGBA, GL_UNSIGNED_BYTE, destination);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, previousFramebuffer);
        check("glReadPixels");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("GlImportedTexture is closed");
        }
    }

    /** {@return true for B8G8R8A8 images: stored as RGBA8 with a sampler swizzle (see the class comment)} */
    public boolean redBlueSwapped() {
        return vkFormat == VK_FORMAT_B8G8R8A8_UNORM || vkFormat == VK_FORMAT_B8G8R8A8_SRGB;
    }

    /**
     * GL texture name (GLuint), target GL_TEXTURE_2D.
     *
     * @return the name
     */
    public int texture() {
        return texture;
    }

    /**
     * GL framebuffer name (GLuint) with the texture at GL_COLOR_ATTACHMENT0.
     *
     * @return the name
     */
    public int framebuffer() {
        return framebuffer;
    }

    /**
     * GL memory object name (GLuint) that owns the imported fd.
     *
     * @return the name
     */
    public int memoryObject() {
        return memoryObject;
    }

    /** {@return the width in pixels} */
    public int width() {
        return width;
    }

    /** {@return the height in pixels} */
    public int height() {
        return height;
    }

    /** {@return the {@code VkFormat} of the exported image} */
    public int vkFormat() {
        return vkFormat;
    }

    /**
     * Deletes the framebuffer, the texture and the memory object (which closes the imported fd);
     * idempotent. Owner thread of the context only. The exporter may free its memory afterwards.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        context.checkOwner();
        closed = true;
        if (framebuffer != 0) {
            glDeleteFramebuffers(framebuffer);
            framebuffer = 0;
        }
        if (texture != 0) {
            glDeleteTextures(texture);
            texture = 0;
        }
        if (memoryObject != 0) {
            glDeleteMemoryObjectsEXT(memoryObject);
            memoryObject = 0;
        }
    }
}
