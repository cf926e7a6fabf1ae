package dev.baton.render;

/**
 * The pixel formats a shared surface can have: each is a {@code VkFormat}, its size per pixel, and the
 * GL sized internal format a GL participant imports it with ({@code GL_EXT_memory_object}'s
 * {@code glTexStorageMem2DEXT} takes a sized internal format, which must describe the same texel
 * layout as the Vulkan format).
 *
 * <p>Whether a driver can share a format is its own business: {@code SharedSurface.create} asks every
 * participant's driver ({@code vkGetPhysicalDeviceImageFormatProperties2} with the external-memory
 * query) before it allocates anything, and names the participant that cannot.
 *
 * <p>GL has no sized internal format with the B, G, R, A memory order ({@code GL_BGRA8_EXT} exists only
 * in OpenGL ES), so the BGRA formats cannot be imported into a GL texture with the right channel
 * order; {@link #glInternalFormat()} is 0 for them and a surface with a GL participant refuses them.
 */
public enum SurfaceFormat {
    /** {@code VK_FORMAT_R8G8B8A8_UNORM}, {@code GL_RGBA8}: 4 bytes, R first in memory. */
    RGBA8(37, 4, 0x8058, "RGBA8"),
    /** {@code VK_FORMAT_R8G8B8A8_SRGB}, {@code GL_SRGB8_ALPHA8}: RGBA8 with sRGB-encoded colour. */
    RGBA8_SRGB(43, 4, 0x8C43, "RGBA8 sRGB"),
    /** {@code VK_FORMAT_B8G8R8A8_UNORM}: 4 bytes, B first in memory; no GL import (see the class comment). */
    BGRA8(44, 4, 0, "BGRA8"),
    /** {@code VK_FORMAT_B8G8R8A8_SRGB}: BGRA8 with sRGB-encoded colour; no GL import. */
    BGRA8_SRGB(50, 4, 0, "BGRA8 sRGB"),
    /** {@code VK_FORMAT_R16G16B16A16_SFLOAT}, {@code GL_RGBA16F}: 8 bytes, four half floats. */
    RGBA16F(97, 8, 0x881A, "RGBA16F"),
    /**
     * {@code VK_FORMAT_A2B10G10R10_UNORM_PACK32}, {@code GL_RGB10_A2}: one 32-bit word, R in bits 0-9,
     * G in 10-19, B in 20-29, A in 30-31 (GL's {@code GL_UNSIGNED_INT_2_10_10_10_REV} with {@code GL_RGBA}).
     */
    RGB10A2(64, 4, 0x8059, "RGB10A2");

    private final int vkFormat;
    private final int bytesPerPixel;
    private final int glInternalFormat;
    private final String label;

    SurfaceFormat(int vkFormat, int bytesPerPixel, int glInternalFormat, String label) {
        this.vkFormat = vkFormat;
        this.bytesPerPixel = bytesPerPixel;
        this.glInternalFormat = glInternalFormat;
        this.label = label;
    }

    /** {@return the {@code VkFormat} value} */
    public int vkFormat() {
        return vkFormat;
    }

    /** {@return bytes per pixel, tightly packed (what host copies and host memory move per pixel)} */
    public int bytesPerPixel() {
        return bytesPerPixel;
    }

    /** {@return the GL sized internal format a GL participant imports it with, or 0 where GL has none} */
    public int glInternalFormat() {
        return glInternalFormat;
    }

    /** {@return whether a GL participant can import it with the right channel order} */
    public boolean glImportable() {
        return glInternalFormat != 0;
    }

    /**
     * The format whose {@code VkFormat} is {@code vkFormat}.
     *
     * @param vkFormat a {@code VkFormat} value
     * @return the format
     * @throws IllegalArgumentException if no surface format has it
     */
    public static SurfaceFormat ofVkFormat(int vkFormat) {
        for (SurfaceFormat f : values()) {
            if (f.vkFormat == vkFormat) {
                return f;
            }
        }
        throw new IllegalArgumentException("VkFormat " + vkFormat + " is not a surface format; use one of " + java.util.Arrays.toString(values()));
    }

    @Override
    public String toString() {
        return label;
    }
}
