package dev.baton.render.gl;

import static org.junit.jupiter.api.Assertions.*;
import static org.lwjgl.opengl.GL11C.*;

import dev.baton.render.ExportedImageMemory;
import dev.baton.render.SurfaceFormat;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lwjgl.system.MemoryUtil;

/** Cross-API pixel tests: OPAQUE_FD memory of a Baton {@code SurfaceImage} on GL's Vulkan twin, imported into GL. */
class GlImportedTextureTest {
    // Odd sizes and offsets: a row-pitch or tiling mismatch between the two drivers shows up as shear.
    private static final int WIDTH = 61;
    private static final int HEIGHT = 37;
    private static final byte[] BACKGROUND = {(byte) 10, (byte) 200, (byte) 30, (byte) 255};

    private EglContext gl;
    private GlInfo info;
    private VulkanTestImage vulkan;

    @BeforeEach
    void setUp() {
        gl = GlTestSupport.contextOrSkip(true);
        info = GlInfo.query(gl);
        try {
            vulkan = new VulkanTestImage(WIDTH, HEIGHT, SurfaceFormat.RGBA8, info.driverUuid(), info.deviceUuid());
        } catch (RuntimeException | LinkageError e) {
            gl.close();
            GlTestSupport.driverMissing("a Vulkan device with GL's UUIDs (lavapipe with llvmpipe)", "libvulkan1 mesa-vulkan-drivers", e);
        }
        System.out.println("GL " + info + "; Vulkan exporter " + vulkan.deviceName() + ", validation layer "
                + (vulkan.validationEnabled() ? "on" : "off (install vulkan-validationlayers)"));
    }

    @AfterEach
    void tearDown() {
        // Importer (GL) before exporter (Vulkan).
        if (gl != null) {
            gl.close();
        }
        if (vulkan != null) {
            vulkan.close();
            assertEquals(java.util.List.of(), vulkan.validationMessages(), "validation layer messages");
            vulkan = null;
        }
    }

    /** A texel value that differs for every (x, y) of the image, so a shifted read cannot pass. */
    private static int texel(int x, int y) {
        return (x * 4 + 1) & 0xFF | ((y * 6 + 3) & 0xFF) << 8 | ((x ^ y) * 5 & 0xFF) << 16 | 0xFF << 24;
    }

    @Test
    void vulkanWritesGlReads() {
        int rx = 5, ry = 3, rw = 17, rh = 11;
        ByteBuffer rect = MemoryUtil.memAlloc(rw * rh * 4);
        ByteBuffer readBack = MemoryUtil.memAlloc(WIDTH * HEIGHT * 4);
        try {
            for (int y = 0; y < rh; y++) {
                for (int x = 0; x < rw; x++) {
                    rect.putInt((y * rw + x) * 4, texel(rx + x, ry + y)); // little-endian: byte 0 = R
                }
            }
            vulkan.writePatternAndReleaseToExternal(BACKGROUND, rx, ry, rw, rh, rect);
            try (GlImportedTexture texture = GlImportedTexture.importFrom(gl, info, vulkan)) {
                texture.readPixelsRgba8(0, 0, WIDTH, HEIGHT, readBack);
            }
            for (int y = 0; y < HEIGHT; y++) {
                for (int x = 0; x < WIDTH; x++) {
                    boolean inside = x >= rx && x < rx + rw && y >= ry && y < ry + rh;
                    int expected = inside ? texel(x, y) : rgba(BACKGROUND);
                    int actual = readBack.getInt((y * WIDTH + x) * 4);
                    if (expected != actual) {
                        fail(String.format("texel (%d,%d): expected %08x, GL read %08x (Vulkan y = GL y; no flip)", x, y, expected, actual));
                    }
                }
            }
            assertEquals(0, gl.debugErrorCount(), () -> "GL errors: " + gl.lastDebugMessage());
        } finally {
            MemoryUtil.memFree(rect);
            MemoryUtil.memFree(readBack);
        }
    }

    @Test
    void glWritesVulkanReads() {
        vulkan.clearAndReleaseToExternal(BACKGROUND);
        int[][] rects = {{3, 1, 13, 7}, {21, 17, 9, 15}, {59, 35, 2, 2}};
        float[][] colors = {{1f, 0f, 0f, 1f}, {0f, 0f, 1f, 1f}, {1f, 1f, 1f, 1f}};
        try (GlImportedTexture texture = GlImportedTexture.importFrom(gl, info, vulkan)) {
            texture.bindFramebuffer();
            glEnable(GL_SCISSOR_TEST);
            for (int i = 0; i < rects.length; i++) {
                glScissor(rects[i][0], rects[i][1], rects[i][2], rects[i][3]);
                glClearColor(colors[i][0], colors[i][1], colors[i][2], colors[i][3]);
                glClear(GL_COLOR_BUFFER_BIT);
            }
            glDisable(GL_SCISSOR_TEST);
            glFinish(); // host sync for the test: GL's writes are complete before Vulkan reads
            assertEquals(0, gl.debugErrorCount(), () -> "GL errors: " + gl.lastDebugMessage());
        }
        byte[] pixels = vulkan.acquireFromExternalAndRead();
        ByteBuffer view = ByteBuffer.wrap(pixels).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int expected = rgba(BACKGROUND);
                for (int i = 0; i < rects.length; i++) {
                    int[] r = rects[i];
                    if (x >= r[0] && x < r[0] + r[2] && y >= r[1] && y < r[1] + r[3]) {
                        expected = rgba(colors[i]);
                    }
                }
                int actual = view.getInt((y * WIDTH + x) * 4);
                if (expected != actual) {
                    fail(String.format("texel (%d,%d): expected %08x, Vulkan read %08x", x, y, expected, actual));
                }
            }
        }
    }

    @Test
    void refusesMemoryFromAnotherDevice() {
        ExportedImageMemory foreign = new ForeignMemory(vulkan);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GlImportedTexture.importFrom(gl, info, foreign));
        assertTrue(e.getMessage().contains("host-copy"), e.getMessage());
    }

    @Test
    void importsTheSameMemoryTwiceWithSeparateFds() {
        vulkan.clearAndReleaseToExternal(BACKGROUND);
        ByteBuffer one = MemoryUtil.memAlloc(4);
        try (GlImportedTexture first = GlImportedTexture.importFrom(gl, info, vulkan);
                GlImportedTexture second = GlImportedTexture.importFrom(gl, info, vulkan)) {
            second.bindFramebuffer();
            glClearColor(0f, 0f, 1f, 1f);
            glClear(GL_COLOR_BUFFER_BIT);
            glFinish();
            first.readPixelsRgba8(7, 7, 1, 1, one);
            assertEquals(rgba(new float[] {0f, 0f, 1f, 1f}), one.getInt(0), "both imports alias one allocation");
        } finally {
            MemoryUtil.memFree(one);
        }
    }

    @Test
    void bgraImportsAsRgba8WithASwizzleAndRawReadback() {
        vulkan.close();
        vulkan = new VulkanTestImage(WIDTH, HEIGHT, SurfaceFormat.BGRA8, info.driverUuid(), info.deviceUuid());
        byte[] red = {(byte) 255, 0, 0, (byte) 255}; // the clear colour is RGBA whatever the format
        vulkan.clearAndReleaseToExternal(red);
        ByteBuffer one = MemoryUtil.memAlloc(4);
        try (GlImportedTexture texture = GlImportedTexture.importFrom(gl, info, vulkan)) {
            assertTrue(texture.redBlueSwapped());
            texture.readPixelsRgba8(4, 4, 1, 1, one);
            // Memory holds B, G, R, A: readback shows the raw order, so red arrives in the third byte.
            assertEquals(rgba(new byte[] {0, 0, (byte) 255, (byte) 255}), one.getInt(0));
            glBindTexture(GL_TEXTURE_2D, texture.texture());
            assertEquals(GL_BLUE, glGetTexParameteri(GL_TEXTURE_2D, org.lwjgl.opengl.GL33C.GL_TEXTURE_SWIZZLE_R),
                    "sampling must swap R and B back");
            glBindTexture(GL_TEXTURE_2D, 0);
        } finally {
            MemoryUtil.memFree(one);
        }
    }

    private static int rgba(byte[] c) {
        return (c[0] & 0xFF) | (c[1] & 0xFF) << 8 | (c[2] & 0xFF) << 16 | (c[3] & 0xFF) << 24;
    }

    private static int rgba(float[] c) {
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Math.round(c[i] * 255f);
        }
        return rgba(b);
    }

    /** The lavapipe memory with one UUID byte changed: what SwiftShader memory would look like. */
    private static final class ForeignMemory implements ExportedImageMemory {
        private final ExportedImageMemory real;

        ForeignMemory(ExportedImageMemory real) {
            this.real = real;
        }

        @Override public int width() { return real.width(); }
        @Override public int height() { return real.height(); }
        @Override public int vkFormat() { return real.vkFormat(); }
        @Override public boolean linearTiling() { return real.linearTiling(); }
        @Override public int vkUsage() { return real.vkUsage(); }
        @Override public int vkCreateFlags() { return real.vkCreateFlags(); }
        @Override public int memoryTypeIndex() { return real.memoryTypeIndex(); }
        @Override public long allocationSizeBytes() { return real.allocationSizeBytes(); }
        @Override public byte[] driverUuid() { return real.driverUuid(); }

        @Override
        public byte[] deviceUuid() {
            byte[] uuid = real.deviceUuid();
            uuid[0] ^= 1;
            return uuid;
        }

        @Override
        public int dupFd() {
            throw new AssertionError("no fd may be taken when the UUIDs differ");
        }
    }
}
