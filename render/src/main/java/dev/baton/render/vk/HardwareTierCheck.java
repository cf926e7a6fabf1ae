package dev.baton.render.vk;

import static org.lwjgl.opengl.GL33C.*;

import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.system.MemoryUtil;

/**
 * The check for a real GPU (issue 9, section 4), shared by {@code HardwareTierTest} and
 * {@code ./baton gpu-check}: on every Vulkan device whose driver is not a CPU driver, two VkDevices
 * ping-pong {@link #TURNS} turns per tier the driver offers, every received frame's pixels checked;
 * and one surface goes into a GL context on the same GPU with the frame read back on both sides.
 * Runs on the calling thread; the caller owns the instance (validated, to count messages).
 */
public final class HardwareTierCheck {
    /** Handoff turns {@link #pingPong} makes per tier in the full check. */
    public static final int TURNS = 2_000;
    static final int W = 61;   // odd sizes: rows are not a multiple of anything convenient
    static final int H = 37;
    static final long TIMEOUT_NANOS = 10_000_000_000L;
    private static final long PRODUCER = 0;
    private static final long GL_KEY = 1;

    /** Same-device tiers, best first. */
    public static final List<SyncTier> TIERS = List.of(SyncTier.SHARED_TIMELINE, SyncTier.BINARY_SEMAPHORE, SyncTier.HOST_BRIDGE);

    private HardwareTierCheck() {}

    /** A check that found the pixels or fence wrong (not a missing capability: that is a skip). */
    public static final class CheckFailure extends RuntimeException {
        CheckFailure(String message) {
            super(message);
        }
    }

    /**
     * The devices the check runs on: every one whose driver is not a CPU driver, hardware order.
     *
     * @param all every device the instance enumerates
     * @return the hardware devices, in enumeration order
     */
    public static List<PhysicalDeviceInfo> hardwareDevices(List<PhysicalDeviceInfo> all) {
        List<PhysicalDeviceInfo> hardware = new ArrayList<>();
        for (PhysicalDeviceInfo d : DeviceSelector.hardwareFirst(all)) {
            if (!DeviceSelector.isCpuDriver(d)) {
                hardware.add(d);
            }
        }
        return hardware;
    }

    /**
     * Why the check has nothing to run here (the CPU drivers it left out), for the skip line.
     *
     * @param all every device the instance enumerates
     * @return one line naming each device left out, or saying the loader found none
     */
    public static String noHardwareReason(List<PhysicalDeviceInfo> all) {
        List<String> left = new ArrayList<>();
        for (PhysicalDeviceInfo d : all) {
            left.add(DeviceSelector.label(d) + " (" + d.deviceTypeString() + ", CPU driver)");
        }
        return "no hardware Vulkan driver" + (left.isEmpty() ? " (the loader found no device)" : "; found only " + String.join(", ", left));
    }

    /**
     * The tiers two VkDevices on {@code d} can use, best first, as the selector judges a requested tier.
     *
     * @param d the device
     * @return the tiers of {@link #TIERS} {@link SyncTierSelector} accepts for two devices like {@code d}
     */
    public static List<SyncTier> tiersOffered(PhysicalDeviceInfo d) {
        List<SyncTier> offered = new ArrayList<>();
        for (SyncTier tier : TIERS) {
            try {
                SyncTierSelector.choose(List.of(d.capabilities("a"), d.capabilities("b")), tier.id());
                offered.add(tier);
            } catch (IllegalArgumentException e) {
                // the driver does not offer it
            }
        }
        return offered;
    }

    /**
     * Two VkDevices on {@code d} hand one surface on {@code tier} back and forth {@code turns} times;
     * every turn checks the pixels and frame number the other device sent.
     *
     * @param instance the Vulkan instance {@code d} belongs to
     * @param d the device both VkDevices are made on
     * @param tier the tier to hand off on
     * @param turns how many handoffs, e.g. {@link #TURNS}
     * @throws InterruptedException if the calling thread is interrupted while waiting for a handoff
     * @throws CheckFailure naming the turn that saw wrong pixels, a wrong frame number or a timeout
     */
    public static void pingPong(VulkanInstance instance, PhysicalDeviceInfo d, SyncTier tier, int turns) throws InterruptedException {
        try (DeviceContext a = device(instance, d, "a");
             DeviceContext b = device(instance, d, "b");
             SharedSurface surface = SharedSurface.create("hw-" + tier, W, H, List.of(a, b), SharedSurface.Options.defaults().withTier(tier.id()));
             TestPattern pa = new TestPattern(a, W, H);
             TestPattern pb = new TestPattern(b, W, H)) {
            if (surface.tier() != tier) {
                throw new CheckFailure("asked for " + tier + " but got " + surface.tier() + " (" + surface.tierReason() + ")");
            }
            try {
                expect(-1, turn(surface.endpoint(0), pa, 0, 1, 1), "first turn");
                for (int frame = 2; frame <= turns; frame += 2) {
                    expect(frame - 1, turn(surface.endpoint(1), pb, 1, 0, frame), "turn " + frame);
                    expect(frame, turn(surface.endpoint(0), pa, 0, 1, frame + 1), "turn " + (frame + 1));
                }
            } finally {
                // The patterns' command buffers may be freed only once their submits completed.
                drain(surface.endpoint(0));
                drain(surface.endpoint(1));
            }
        }
    }

    /**
     * One surface from {@code d} into a GL context on the same GPU, {@code rounds} round trips with the
     * frame checked on both sides.
     *
     * @param instance the Vulkan instance {@code d} belongs to
     * @param d the device that produces the surface
     * @param rounds how many Vulkan-to-GL-and-back round trips
     * @return null when it ran, else why it could not (no GL, or GL on another GPU)
     * @throws CheckFailure when a frame arrived wrong
     * @throws InterruptedException if the calling thread is interrupted while waiting for a handoff
     */
    public static String glRoundTrips(VulkanInstance instance, PhysicalDeviceInfo d, int rounds) throws InterruptedException {
        EglContext gl;
        try {
            gl = EglContext.create(false);
        } catch (GlUnavailableException e) {
            return "OpenGL unavailable (" + e.getMessage() + ")";
        }
        try (gl) {
            GlInfo info = GlInfo.query(gl);
            SharedSurface.GlSide side = new SharedSurface.GlSide(gl, info);
            InteropCapabilities glCaps = side.capabilities();
            if (!d.driverUuidHex().equals(glCaps.driverUuid()) || !d.deviceUuidHex().equals(glCaps.deviceUuid())) {
                // Issue 9 defect 3: choosing the EGL device by UUID (EGL_EXT_platform_device) is not implemented yet.
                return "the GL renderer EGL surfaceless gives (" + info.renderer() + ") is not on this GPU (UUIDs differ), and picking the "
                        + "EGL device by UUID (EGL_EXT_platform_device) is not implemented yet";
            }
            try (DeviceContext vk = device(instance, d, "gl-producer");
                 SharedSurface surface = SharedSurface.create("hw-gl", W, H, List.of(vk), side, SharedSurface.Options.defaults());
                 TestPattern pattern = new TestPattern(vk, W, H)) {
                ByteBuffer pixels = MemoryUtil.memAlloc(W * H * 4);
                try {
                    GlEndpoint glEnd = surface.glEndpoint();
                    expect(-1, turn(surface.endpoint(0), pattern, PRODUCER, GL_KEY, 1), "first Vulkan turn");
                    for (int frame = 2; frame <= 2 * rounds; frame += 2) {
                        GlEndpoint.GlLease lease = glEnd.acquire(GL_KEY, TIMEOUT_NANOS);
                        if (lease.status() != AcquireStatus.ACQUIRED) {
                            throw new CheckFailure("GL acquire " + frame + ": " + lease.status());
                        }
                        int sent = lease.privateData().getInt(lease.privateData().position());
                        expect(frame - 1, sent, "GL received frame number");
                        if (!lease.awaitReady(TIMEOUT_NANOS)) {
                            throw new CheckFailure("GL: the producer's frame " + sent + " never completed");
                        }
                        readFramebuffer(glEnd.framebuffer(), pixels);
                        String mismatch = TestPattern.check(pixels, W, H, sent);
                        if (mismatch != null) {
                            throw new CheckFailure("Vulkan -> GL frame " + sent + ": " + mismatch);
                        }
                        drawPattern(glEnd.framebuffer(), frame);
                        lease.markWritten();
                        lease.release(PRODUCER, ByteBuffer.allocate(4).putInt(0, frame));
                        glEnd.poll();
                        expect(frame, turn(surface.endpoint(0), pattern, PRODUCER, GL_KEY, frame + 1), "GL -> Vulkan frame");
                    }
                    drain(surface.endpoint(0));
                } finally {
                    MemoryUtil.memFree(pixels);
                }
            }
        }
        return null;
    }

    private static DeviceContext device(VulkanInstance instance, PhysicalDeviceInfo d, String role) {
        return DeviceContext.builder(instance).physicalDeviceIndex(d.index()).name(DeviceSelector.label(d) + "#" + role)
                .requireMemorySharing().build();
    }

    private static void expect(int expected, int actual, String what) {
        if (expected != actual) {
            throw new CheckFailure(what + ": expected frame " + expected + " but the private data said " + actual);
        }
    }

    private static void drain(SurfaceEndpoint endpoint) throws InterruptedException {
        if (endpoint.lastSubmittedValue() != 0 && !endpoint.timeline().awaitValue(endpoint.lastSubmittedValue(), TIMEOUT_NANOS)) {
            throw new CheckFailure(endpoint + ": its last submit did not complete in " + TIMEOUT_NANOS / 1_000_000_000L + " s");
        }
    }

    /** As the GPU tests' turn: acquire, read back the previous frame and draw ours, release, then check. */
    private static int turn(SurfaceEndpoint endpoint, TestPattern pattern, long key, long nextKey, int frame) throws InterruptedException {
        Lease lease = endpoint.acquire(key, TIMEOUT_NANOS);
        if (lease.status() != AcquireStatus.ACQUIRED) {
            throw new CheckFailure(endpoint + " acquire(" + key + ") for frame " + frame + ": " + lease.status());
        }
        ByteBuffer data = lease.privateData();
        int previous = data != null && data.remaining() >= 4 ? data.getInt(data.position()) : -1;
        long done = endpoint.device().submit(pattern.record(lease, previous >= 0, true, frame), lease);
        lease.release(nextKey, ByteBuffer.allocate(4).putInt(0, frame));
        if (previous >= 0) {
            if (!endpoint.timeline().awaitValue(done, TIMEOUT_NANOS)) {
                throw new CheckFailure(endpoint + ": own submit " + done + " did not complete in 10 s");
            }
            String mismatch = pattern.check(previous);
            if (mismatch != null) {
                throw new CheckFailure(endpoint + " received " + mismatch);
            }
        }
        return previous;
    }

    private static void readFramebuffer(int framebuffer, ByteBuffer pixels) {
        glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, W, H, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
        int error = glGetError();
        if (error != GL_NO_ERROR) {
            throw new CheckFailure("glReadPixels failed: GL error 0x" + Integer.toHexString(error));
        }
    }

    /** The pattern TestPattern draws, with GL clears: background, then the frame's rectangle. */
    private static void drawPattern(int framebuffer, int frame) {
        glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
        clear(TestPattern.backgroundColor(frame));
        glEnable(GL_SCISSOR_TEST);
        glScissor(TestPattern.rectX(frame), TestPattern.rectY(frame), TestPattern.RECT_WIDTH, TestPattern.RECT_HEIGHT);
        clear(TestPattern.rectColor(frame));
        glDisable(GL_SCISSOR_TEST);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
    }

    private static void clear(int rgba) {
        glClearColor((rgba & 0xFF) / 255f, ((rgba >>> 8) & 0xFF) / 255f, ((rgba >>> 16) & 0xFF) / 255f, (rgba >>> 24) / 255f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
}
