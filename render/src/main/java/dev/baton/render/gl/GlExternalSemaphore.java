package dev.baton.render.gl;

import static org.lwjgl.opengl.EXTSemaphore.*;
import static org.lwjgl.opengl.EXTSemaphoreFD.glImportSemaphoreFdEXT;
import static org.lwjgl.opengl.GL11C.*;

import java.nio.IntBuffer;
import org.lwjgl.opengl.EXTMemoryObjectFD;
import org.lwjgl.system.MemoryStack;

/**
 * A Vulkan binary semaphore imported into GL as OPAQUE_FD ({@code GL_EXT_semaphore_fd}): the
 * binary-semaphore tier for GL, where GL waits and signals on the GPU instead of the host.
 *
 * <p>Only used when {@link #isAvailable(GlInfo)}; otherwise (llvmpipe here) GL synchronizes through
 * {@link GlFenceTimeline} and host waits. This path cannot run on this project's CI machines (no
 * driver offers the extension), so it is deliberately small: import, wait, signal, delete.
 *
 * <p><b>Thread contract:</b> the {@link GlContext} owner thread only. GL semaphores are binary: each
 * signal must be waited exactly once before it is signalled again.
 */
public final class GlExternalSemaphore implements AutoCloseable {
    private static final int VK_IMAGE_LAYOUT_GENERAL = 1;
    private static final int VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL = 2;
    private static final int VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL = 5;
    private static final int VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL = 6;
    private static final int VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL = 7;

    private final GlContext context;
    private int semaphore; // GLuint semaphore name (GL_EXT_semaphore)

    private GlExternalSemaphore(GlContext context, int semaphore) {
        this.context = context;
        this.semaphore = semaphore;
    }

    /**
     * True if this GL can import Vulkan semaphores as OPAQUE_FD.
     *
     * @param info the context's facts
     * @return whether {@code GL_EXT_semaphore_fd} is there
     */
    public static boolean isAvailable(GlInfo info) {
        return info.semaphore() && info.semaphoreFd();
    }

    /**
     * Imports an exported binary semaphore. On success GL owns {@code fd}; on failure this method
     * closes it.
     *
     * @param context the GL context; the calling thread must own it
     * @param info the context's facts
     * @param fd the exported semaphore's fd
     * @return the imported semaphore
     * @throws IllegalStateException without GL_EXT_semaphore_fd (use host fences instead), off the
     *     owner thread, or if GL reports an error
     */
    public static GlExternalSemaphore importOpaqueFd(GlContext context, GlInfo info, int fd) {
        boolean owned = false;
        int semaphore = 0;
        try {
            context.checkOwner();
            if (!isAvailable(info)) {
                throw new IllegalStateException("GL renderer '" + info.renderer() + "' lacks GL_EXT_semaphore_fd: "
                        + "synchronize GL on the host with GlFenceTimeline (tier host-bridge)");
            }
            semaphore = glGenSemaphoresEXT();
            glImportSemaphoreFdEXT(semaphore, EXTMemoryObjectFD.GL_HANDLE_TYPE_OPAQUE_FD_EXT, fd);
            int error = glGetError();
            if (error != GL_NO_ERROR) {
                throw new IllegalStateException("glImportSemaphoreFdEXT raised GL error 0x" + Integer.toHexString(error)
                        + "; the semaphore must be exported as OPAQUE_FD by a device with GL's UUIDs");
            }
            owned = true;
            return new GlExternalSemaphore(context, semaphore);
        } finally {
            if (!owned) {
                if (semaphore != 0) {
                    glDeleteSemaphoresEXT(semaphore);
                }
                Fds.close(fd);
            }
        }
    }

    /**
     * The {@code GL_LAYOUT_*_EXT} that corresponds to a {@code VkImageLayout}; GENERAL for anything else.
     *
     * @param vkImageLayout a {@code VkImageLayout}
     * @return the GL layout enum
     */
    public static int glLayout(int vkImageLayout) {
        switch (vkImageLayout) {
            case VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL: return GL_LAYOUT_COLOR_ATTACHMENT_EXT;
            case VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL: return GL_LAYOUT_SHADER_READ_ONLY_EXT;
            case VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL: return GL_LAYOUT_TRANSFER_SRC_EXT;
            case VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL: return GL_LAYOUT_TRANSFER_DST_EXT;
            case VK_IMAGE_LAYOUT_GENERAL:
            default: return GL_LAYOUT_GENERAL_EXT;
        }
    }

    /**
     * Makes GL's following commands on {@code texture} wait for the semaphore (GPU-side wait).
     *
     * @param vkLayoutFromProducer the {@code VkImageLayout} Vulkan released the image in
     * @param texture the imported texture the commands use
     */
    public void waitBeforeUse(GlImportedTexture texture, int vkLayoutFromProducer) {
        waitBeforeUse(texture.texture(), vkLayoutFromProducer);
    }

    /**
     * Like {@link #waitBeforeUse(GlImportedTexture, int)} for a texture given by its GL name.
     *
     * @param texture the GL texture name the following commands use
     * @param vkLayoutFromProducer the {@code VkImageLayout} Vulkan released the image in
     */
    public void waitBeforeUse(int texture, int vkLayoutFromProducer) {
        context.checkOwner();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer textures = stack.ints(texture);
            glWaitSemaphoreEXT(semaphore, null, textures, stack.ints(glLayout(vkLayoutFromProducer)));
        }
    }

    /**
     * Signals the semaphore after GL's commands so far on {@code texture}, then flushes: without the
     * flush the signal may never reach the GPU and the Vulkan waiter hangs.
     *
     * @param vkLayoutForConsumer the {@code VkImageLayout} the Vulkan consumer will acquire it in
     * @param texture the imported texture the commands used
     */
    public void signalAfterUse(GlImportedTexture texture, int vkLayoutForConsumer) {
        signalAfterUse(texture.texture(), vkLayoutForConsumer);
    }

    /**
     * Like {@link #signalAfterUse(GlImportedTexture, int)} for a texture given by its GL name.
     *
     * @param texture the GL texture name the commands used
     * @param vkLayoutForConsumer the {@code VkImageLayout} the Vulkan consumer will acquire it in
     */
    public void signalAfterUse(int texture, int vkLayoutForConsumer) {
        context.checkOwner();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer textures = stack.ints(texture);
            glSignalSemaphoreEXT(semaphore, null, textures, stack.ints(glLayout(vkLayoutForConsumer)));
        }
        glFlush();
    }

    /**
     * GL semaphore name (GLuint).
     *
     * @return the name
     */
    public int semaphore() {
        return semaphore;
    }

    /** Deletes the semaphore (and the imported fd with it); idempotent. Owner thread. */
    @Override
    public void close() {
        if (semaphore != 0) {
            context.checkOwner();
            glDeleteSemaphoresEXT(semaphore);
            semaphore = 0;
        }
    }
}
