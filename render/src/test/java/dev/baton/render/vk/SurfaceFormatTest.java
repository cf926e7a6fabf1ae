package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.MemorySharing;
import dev.baton.render.SurfaceFormat;
import dev.baton.render.SyncTier;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.lwjgl.opengl.GL33;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkFormatProperties;

/**
 * Surface formats on real drivers: for every {@link SurfaceFormat}, bytes of that format cross
 * between two participants and back, checked byte by byte (every pixel differs per frame), on every
 * device that offers the format: two devices on one driver (shared device memory), two different
 * drivers (host memory or host copy), and Vulkan with GL (imported memory or host copy, GL reading and
 * writing with the matching pixel type). Refusals name the participant and what it lacks.
 */
class SurfaceFormatTest extends GpuTest {
    static final int W = 33; // odd: a bytes-per-pixel or row-pitch mistake shears the image
    static final int H = 21;

    @TestFactory
    Stream<DynamicTest> bytesCrossTwoDevicesOfOneDriverInEveryFormat() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SurfaceFormat format : SurfaceFormat.values()) {
            perDevice(format + " same driver", d -> whyNotSameDevice(d, SyncTier.HOST_BRIDGE), d -> {
                DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
                DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
                SharedSurface surface = createOrSkip(List.of(a, b), null, format, null);
                assertEquals(MemorySharing.DEVICE_MEMORY, surface.memorySharing(), surface.tierReason());
                pingPong(surface, format);
            }).map(t -> DynamicTest.dynamicTest(format + ": " + t.getDisplayName(), t.getExecutable())).forEach(tests::add);
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> bytesCrossDifferentDriversInEveryFormat() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SurfaceFormat format : SurfaceFormat.values()) {
            for (String tier : new String[] {null, SyncTier.HOST_COPY.id()}) {
                String what = format + " across drivers, " + (tier == null ? "chosen tier" : tier);
                perPair(what, (a, b) -> a.driverUuidHex().equals(b.driverUuidHex()) ? "same driver" : null, (pa, pb) -> {
                    DeviceContext a = device(pa, DeviceSelector.label(pa));
                    DeviceContext b = device(pb, DeviceSelector.label(pb));
                    SharedSurface surface = createOrSkip(List.of(a, b), null, format, tier);
                    System.out.println(what + ": " + surface.tier() + " (" + surface.tierReason() + ")");
                    pingPong(surface, format);
                }).map(t -> DynamicTest.dynamicTest(what + ": " + t.getDisplayName(), t.getExecutable())).forEach(tests::add);
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> bytesCrossVulkanAndGlInEveryGlFormat() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SurfaceFormat format : SurfaceFormat.values()) {
            if (!format.glImportable()) {
                continue; // refused: see bgraIsRefusedForGlParticipants
            }
            perDevice(format + " Vulkan <-> GL", this::rejection, d -> {
                EglContext gl = glContext();
                DeviceContext vk = device(d, DeviceSelector.label(d) + "#vk");
                SharedSurface surface = createOrSkip(List.of(vk), new SharedSurface.GlSide(gl, GlInfo.query(gl)), format, null);
                System.out.println(format + " with GL on " + name(d) + ": " + surface.tier());
                vulkanGlRoundTrip(surface, format);
                assertEquals(0, gl.debugErrorCount(), () -> "GL errors: " + gl.lastDebugMessage());
            }).map(t -> DynamicTest.dynamicTest(format + ": " + t.getDisplayName(), t.getExecutable())).forEach(tests::add);
        }
        return tests.stream();
    }

    /** EXT_external_objects issues 13 and 17: a GL-aliased image carries every supported usage and MUTABLE_FORMAT. */
    @TestFactory
    Stream<DynamicTest> glAliasedImagesCarryEverySupportedUsage() {
        return perDevice("GL-aliased create info", this::rejection, d -> {
            EglContext gl = glContext();
            DeviceContext vk = device(d, DeviceSelector.label(d) + "#vk");
            SharedSurface surface = own(SharedSurface.create("s", W, H, List.of(vk), new SharedSurface.GlSide(gl, GlInfo.query(gl)),
                    SharedSurface.Options.defaults()));
            Assumptions.assumeTrue(surface.memorySharing() == MemorySharing.DEVICE_MEMORY,
                    () -> name(d) + " does not share memory with GL (" + surface.tier() + "): no GL-aliased image");
            SurfaceImage image = surface.endpoint(0).image();
            int features;
            try (MemoryStack stack = MemoryStack.stackPush()) {
                VkFormatProperties props = VkFormatProperties.calloc(stack);
                vkGetPhysicalDeviceFormatProperties(vk.vkDevice().getPhysicalDevice(), VK_FORMAT_R8G8B8A8_UNORM, props);
                features = props.optimalTilingFeatures();
            }
            System.out.println(name(d) + ": GL-aliased RGBA8 usage " + ImageSpec.usageNames(image.vkUsage()) + ", flags 0x"
                    + Integer.toHexString(image.vkCreateFlags()));
            assertTrue((image.vkUsage() & SurfaceImage.USAGE) == SurfaceImage.USAGE, "the asked-for usage stays");
            if ((features & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT) != 0) {
                assertNotEquals(0, image.vkUsage() & VK_IMAGE_USAGE_STORAGE_BIT, "the driver supports STORAGE for RGBA8: GL may use it");
            }
            assertNotEquals(0, image.vkUsage() & VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT, "input attachment is supported with colour attachment");
            assertEquals(VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT, image.vkCreateFlags(), "GL 4.3 texture views need MUTABLE_FORMAT");
            // the importer side uses the identical create info: the GL round trip still works on it
            vulkanGlRoundTrip(surface, SurfaceFormat.RGBA8);
        });
    }

    @TestFactory
    Stream<DynamicTest> refusesAFormatOrUsageAParticipantLacks() {
        return perDevice("refusals", this::rejection, d -> {
            DeviceContext a = device(d, DeviceSelector.label(d) + "#a");
            DeviceContext b = device(d, DeviceSelector.label(d) + "#b");
            SharedSurface.Options depth = SharedSurface.Options.defaults().withUsage(VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SharedSurface.create("s", W, H, List.of(a, b), depth));
            assertTrue(e.getMessage().contains("participant " + a.name()) && e.getMessage().contains("DEPTH_STENCIL_ATTACHMENT"), e.getMessage());
            IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                    () -> SharedSurface.create("s", 1 << 20, 4, List.of(a, b), SharedSurface.Options.defaults()));
            assertTrue(huge.getMessage().contains("at most"), huge.getMessage());
            // nothing was allocated: a good surface still works on the same devices
            SharedSurface ok = own(SharedSurface.create("ok", W, H, List.of(a, b), SharedSurface.Options.defaults()));
            pingPong(ok, SurfaceFormat.RGBA8);
        });
    }

    @TestFactory
    Stream<DynamicTest> bgraIsRefusedForGlParticipants() {
        return perDevice("BGRA with GL", this::rejection, d -> {
            EglContext gl = glContext();
            DeviceContext vk = device(d, DeviceSelector.label(d) + "#vk");
            for (SurfaceFormat format : new SurfaceFormat[] {SurfaceFormat.BGRA8, SurfaceFormat.BGRA8_SRGB}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SharedSurface.create("s", W, H, List.of(vk),
                        new SharedSurface.GlSide(gl, GlInfo.query(gl)), SharedSurface.Options.defaults().withFormat(format)));
                assertTrue(e.getMessage().contains("GL participant") && e.getMessage().contains(format.toString()), e.getMessage());
            }
        });
    }

    /** Creates the surface, or skips naming what the driver lacks for this format. */
    private SharedSurface createOrSkip(List<DeviceContext> participants, SharedSurface.GlSide gl, SurfaceFormat format, String tier) {
        SharedSurface.Options options = SharedSurface.Options.defaults().withFormat(format).withTier(tier);
        try {
            return own(SharedSurface.create("s-" + format.name(), W, H, participants, gl, options));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().contains(": participant ")) {
                Assumptions.abort("the driver does not offer " + format + ": " + e.getMessage());
            }
            throw e;
        }
    }

    /** The bytes of frame {@code frame}: different for every byte of every pixel, and finite halves for RGBA16F. */
    static void fill(ByteBuffer to, SurfaceFormat format, int frame) {
        int bytes = W * H * format.bytesPerPixel();
        for (int i = 0; i < bytes; i++) {
            int v = (i * 7 + frame * 13 + (i >>> 8) * 3) & 0xFF;
            if (format == SurfaceFormat.RGBA16F && (i & 1) == 1) {
                v &= 0xBB; // high byte of a half: exponent never all ones (no NaN/Inf a conversion could alter)
            }
            to.put(i, (byte) v);
        }
    }

    static void expect(ByteBuffer actual, SurfaceFormat format, int frame, String where) {
        ByteBuffer expected = MemoryUtil.memAlloc(W * H * format.bytesPerPixel());
        try {
            fill(expected, format, frame);
            for (int i = 0; i < expected.capacity(); i++) {
                if (actual.get(i) != expected.get(i)) {
                    int pixel = i / format.bytesPerPixel();
                    fail(String.format("%s, %s frame %d: byte %d of pixel (%d,%d) is 0x%02x, expected 0x%02x", where, format, frame,
                            i % format.bytesPerPixel(), pixel % W, pixel / W, actual.get(i) & 0xFF, expected.get(i) & 0xFF));
                }
            }
        } finally {
            MemoryUtil.memFree(expected);
        }
    }

    /** Participant 0 writes frame 1, participant 1 checks it and writes frame 2, participant 0 checks that. */
    private void pingPong(SharedSurface surface, SurfaceFormat format) throws Exception {
        BytePattern p0 = own(new BytePattern(surface.endpoint(0).device(), format));
        BytePattern p1 = own(new BytePattern(surface.endpoint(1).device(), format));
        p0.turn(surface.endpoint(0), 0, 1, false, 1);
        p1.turn(surface.endpoint(1), 1, 0, true, 2);
        expect(p1.readback.mapped(), format, 1, "participant 1 read");
        p0.turn(surface.endpoint(0), 0, 1, true, 3);
        expect(p0.readback.mapped(), format, 2, "participant 0 read");
    }

    /** Vulkan writes frame 1, GL reads it and writes frame 2 with the format's pixel type, Vulkan reads that. */
    private void vulkanGlRoundTrip(SharedSurface surface, SurfaceFormat format) throws Exception {
        BytePattern vk = own(new BytePattern(surface.endpoint(0).device(), format));
        vk.turn(surface.endpoint(0), 0, 1, false, 1);
        GlEndpoint glEnd = surface.glEndpoint();
        GlEndpoint.GlLease lease = glEnd.acquire(1, 5 * SECOND_NANOS);
        assertEquals(AcquireStatus.ACQUIRED, lease.status());
        assertTrue(lease.awaitReady(5 * SECOND_NANOS), "Vulkan's frame never completed");
        int type = format == SurfaceFormat.RGBA16F ? GL33.GL_HALF_FLOAT
                : format == SurfaceFormat.RGB10A2 ? GL33.GL_UNSIGNED_INT_2_10_10_10_REV : GL33.GL_UNSIGNED_BYTE;
        ByteBuffer pixels = MemoryUtil.memAlloc(W * H * format.bytesPerPixel());
        try {
            GL33.glBindFramebuffer(GL33.GL_READ_FRAMEBUFFER, glEnd.framebuffer());
            GL33.glPixelStorei(GL33.GL_PACK_ALIGNMENT, 1);
            GL33.glReadPixels(0, 0, W, H, GL33.GL_RGBA, type, pixels);
            GL33.glBindFramebuffer(GL33.GL_READ_FRAMEBUFFER, 0);
            assertEquals(GL33.GL_NO_ERROR, GL33.glGetError(), "glReadPixels");
            expect(pixels, format, 1, "GL read");
            fill(pixels, format, 2);
            GL33.glBindTexture(GL33.GL_TEXTURE_2D, glEnd.texture());
            GL33.glPixelStorei(GL33.GL_UNPACK_ALIGNMENT, 1);
            GL33.glTexSubImage2D(GL33.GL_TEXTURE_2D, 0, 0, 0, W, H, GL33.GL_RGBA, type, pixels);
            GL33.glBindTexture(GL33.GL_TEXTURE_2D, 0);
            assertEquals(GL33.GL_NO_ERROR, GL33.glGetError(), "glTexSubImage2D");
        } finally {
            MemoryUtil.memFree(pixels);
        }
        lease.markWritten();
        lease.release(0, null);
        glEnd.poll();
        vk.turn(surface.endpoint(0), 0, 1, true, 3);
        expect(vk.readback.mapped(), format, 2, "Vulkan read GL's");
        // the pattern's command buffer may only be freed once its last submit completed
        SurfaceEndpoint producer = surface.endpoint(0);
        assertTrue(producer.timeline().awaitValue(producer.lastSubmittedValue(), 5 * SECOND_NANOS));
    }

    private EglContext glContext() {
        try {
            return own(EglContext.create(false));
        } catch (GlUnavailableException e) {
            requireOrSkip(false, "OpenGL via EGL surfaceless (" + e.getMessage() + ")", GlUnavailableException.PACKAGES);
            throw e;
        }
    }

    /** Writes a whole image of raw bytes (copies do not convert, so every format round-trips exactly) and reads it back. */
    private static final class BytePattern implements AutoCloseable {
        final DeviceContext device;
        final SurfaceFormat format;
        final HostBuffer source;
        final HostBuffer readback;
        final VkCommandBuffer cmd;

        BytePattern(DeviceContext device, SurfaceFormat format) {
            this.device = device;
            this.format = format;
            this.source = HostBuffer.create(device, W * H * format.bytesPerPixel());
            this.readback = HostBuffer.create(device, W * H * format.bytesPerPixel());
            this.cmd = device.allocateCommandBuffer();
        }

        /** Acquire {@code key}, optionally read back, write {@code frame}, release to {@code next}, wait for our submit. */
        void turn(SurfaceEndpoint endpoint, long key, long next, boolean readBack, int frame) throws InterruptedException {
            if (!endpoint.timeline().awaitValue(endpoint.lastSubmittedValue(), 5 * SECOND_NANOS)) {
                fail(endpoint + ": previous submit did not complete");
            }
            Lease lease = endpoint.acquire(key, 5 * SECOND_NANOS);
            assertEquals(AcquireStatus.ACQUIRED, lease.status(), () -> endpoint + " acquire(" + key + ")");
            fill(source.mapped(), format, frame);
            long image = lease.image();
            long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
            long copy = VK_PIPELINE_STAGE_2_COPY_BIT;
            long rw = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
            int general = VK_IMAGE_LAYOUT_GENERAL;
            int ignored = VK_QUEUE_FAMILY_IGNORED;
            vkResetCommandBuffer(cmd, 0);
            Commands.begin(cmd, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
            if (readBack) {
                Commands.imageBarrier(cmd, image, all, rw, copy, VK_ACCESS_2_TRANSFER_READ_BIT, general, general, ignored, ignored);
                Commands.copyImageToBuffer(cmd, image, readback.handle(), W, H);
                Commands.bufferBarrier(cmd, readback.handle(), copy, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                        VK_ACCESS_2_HOST_READ_BIT);
            }
            Commands.imageBarrier(cmd, image, all, rw, copy, VK_ACCESS_2_TRANSFER_WRITE_BIT, general, general, ignored, ignored);
            Commands.bufferBarrier(cmd, source.handle(), VK_PIPELINE_STAGE_2_HOST_BIT, VK_ACCESS_2_HOST_WRITE_BIT, copy,
                    VK_ACCESS_2_TRANSFER_READ_BIT);
            Commands.copyBufferToImage(cmd, source.handle(), image, 0, 0, W, H);
            Commands.end(cmd);
            long done = endpoint.device().submit(cmd, lease);
            lease.release(next, null);
            if (!endpoint.timeline().awaitValue(done, 10 * SECOND_NANOS)) {
                fail(endpoint + ": own submit " + done + " did not complete in 10 s");
            }
        }

        @Override
        public void close() {
            device.freeCommandBuffer(cmd);
            readback.close();
            source.close();
        }
    }
}
