package dev.baton.render.vk;

import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK13.*;

import java.nio.ByteBuffer;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * Draws a frame-numbered test pattern into a surface image with transfer commands only, and reads
 * images back, for tests and the headless demo. Frame {@code f}: the whole image is cleared to a
 * background colour, then a 5x3 rectangle whose colour encodes {@code f} is copied to the odd offset
 * ({@link #rectX}, {@link #rectY}), which also depends on {@code f}. A flat colour cannot pass the check.
 *
 * <p>One per endpoint; owned by that endpoint's thread. Its single command buffer is reused: call
 * {@link #record} only after the previous submit that used it completed.
 */
public final class TestPattern implements AutoCloseable {
    /** Width in pixels of the rectangle that marks the frame. */
    public static final int RECT_WIDTH = 5;
    /** Height in pixels of the rectangle that marks the frame. */
    public static final int RECT_HEIGHT = 3;

    private final DeviceContext device;
    private final int width;
    private final int height;
    private final HostBuffer source;
    private final HostBuffer readback;
    private final VkCommandBuffer cmd;
    private boolean closed;

    /**
     * A pattern for a {@code width x height} surface on {@code device}, with its own command buffer and read-back buffer.
     *
     * @param device the device that records and submits it
     * @param width width in pixels
     * @param height height in pixels
     */
    public TestPattern(DeviceContext device, int width, int height) {
        if (width < 2 * 13 + RECT_WIDTH + 1 || height < 2 * 7 + RECT_HEIGHT + 3) {
            throw new IllegalArgumentException("test pattern needs at least 32x20 pixels");
        }
        this.device = device;
        this.width = width;
        this.height = height;
        HostBuffer s = HostBuffer.create(device, RECT_WIDTH * RECT_HEIGHT * 4);
        HostBuffer r;
        try {
            r = HostBuffer.create(device, width * height * 4);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        this.source = s;
        this.readback = r;
        this.cmd = device.allocateCommandBuffer();
    }

    /**
     * The rectangle's left column for {@code frame}.
     *
     * @param frame the frame number
     * @return the column
     */
    public static int rectX(int frame) {
        return 1 + 2 * Math.floorMod(frame, 13);
    }

    /**
     * The rectangle's top row for {@code frame}.
     *
     * @param frame the frame number
     * @return the row
     */
    public static int rectY(int frame) {
        return 3 + 2 * Math.floorMod(frame, 7);
    }

    /**
     * RGBA bytes packed little-endian (R in the low byte), as vkCmdFillBuffer and the readback see them.
     *
     * @param frame the frame number
     * @return the rectangle's colour
     */
    public static int rectColor(int frame) {
        return (frame & 0xFF) | ((frame >>> 8) & 0xFF) << 8 | 0xA5 << 16 | 0xFF << 24;
    }

    /**
     * The background colour of {@code frame}, packed like {@link #rectColor}.
     *
     * @param frame the frame number
     * @return the colour
     */
    public static int backgroundColor(int frame) {
        return 0x10 | (0x20 + (frame & 0x3F)) << 8 | 0x30 << 16 | 0xFF << 24;
    }

    /**
     * Records into this pattern's command buffer: optionally read the image's current pixels back
     * ({@code readBack}), then optionally draw frame {@code drawFrame} ({@code draw}). The image must be
     * in GENERAL (it is, under a {@link Lease}).
     *
     * @param lease the held lease whose image is recorded on
     * @param readBack read the current pixels back first
     * @param draw draw frame {@code drawFrame} after
     * @param drawFrame the frame to draw
     * @return the command buffer, to submit under {@code lease}
     * @throws InterruptedException if interrupted while waiting for the previous use of the command buffer
     */
    public VkCommandBuffer record(Lease lease, boolean readBack, boolean draw, int drawFrame) throws InterruptedException {
        return record(lease, readBack, draw, drawFrame, false);
    }

    /**
     * As {@link #record(Lease, boolean, boolean, int)}; with {@code ownBarriers} the command buffer also
     * begins with the lease's acquire commands and ends with its release commands
     * ({@link Lease#recordAcquireBarriers}, {@link Lease#recordReleaseBarriers}), so the submit carries
     * this one command buffer.
     *
     * @param lease the held lease whose image is recorded on
     * @param readBack read the current pixels back first
     * @param draw draw frame {@code drawFrame} after
     * @param drawFrame the frame to draw
     * @param ownBarriers record the lease's acquire and release commands into this command buffer
     * @return the command buffer, to submit under {@code lease}
     * @throws InterruptedException if interrupted while waiting for the previous use of the command buffer
     */
    public VkCommandBuffer record(Lease lease, boolean readBack, boolean draw, int drawFrame, boolean ownBarriers)
            throws InterruptedException {
        // The one command buffer was used by this endpoint's previous submit: make sure it completed
        // (normally it has, so this is a query; it also tells the validation layer it is no longer pending).
        SurfaceEndpoint endpoint = lease.endpoint();
        if (!endpoint.timeline().awaitValue(endpoint.lastSubmittedValue(), 5_000_000_000L)) {
            throw new IllegalStateException(endpoint + ": previous test-pattern submit did not complete in 5 s");
        }
        long image = lease.image();
        VkCommandBuffer c = cmd;
        vkResetCommandBuffer(c, 0);
        Commands.begin(c, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        if (ownBarriers) {
            lease.recordAcquireBarriers(c);
        }
        long all = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
        long copy = VK_PIPELINE_STAGE_2_COPY_BIT;
        long clear = VK_PIPELINE_STAGE_2_CLEAR_BIT;
        long transfer = copy | clear;
        long rw = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
        int general = VK_IMAGE_LAYOUT_GENERAL;
        int ignored = VK_QUEUE_FAMILY_IGNORED;
        if (readBack) {
            Commands.imageBarrier(c, image, all, rw, copy, VK_ACCESS_2_TRANSFER_READ_BIT, general, general, ignored, ignored);
            Commands.bufferBarrier(c, readback.handle(), all | VK_PIPELINE_STAGE_2_HOST_BIT, rw | VK_ACCESS_2_HOST_READ_BIT,
                    copy, VK_ACCESS_2_TRANSFER_WRITE_BIT);
            Commands.copyImageToBuffer(c, image, readback.handle(), width, height);
            Commands.bufferBarrier(c, readback.handle(), copy, VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_HOST_BIT,
                    VK_ACCESS_2_HOST_READ_BIT);
        }
        if (draw) {
            Commands.imageBarrier(c, image, all, rw, transfer, VK_ACCESS_2_TRANSFER_WRITE_BIT, general, general, ignored, ignored);
            Commands.bufferBarrier(c, source.handle(), all, rw, clear | copy, VK_ACCESS_2_TRANSFER_WRITE_BIT);
            try (org.lwjgl.system.MemoryStack stack = org.lwjgl.system.MemoryStack.stackPush()) {
                int bg = backgroundColor(drawFrame);
                org.lwjgl.vulkan.VkClearColorValue color = org.lwjgl.vulkan.VkClearColorValue.calloc(stack);
                // UNORM: clear values are floats; use exact n/255 so the bytes round-trip.
                color.float32(0, (bg & 0xFF) / 255f).float32(1, ((bg >>> 8) & 0xFF) / 255f)
                        .float32(2, ((bg >>> 16) & 0xFF) / 255f).float32(3, (bg >>> 24) / 255f);
                org.lwjgl.vulkan.VkImageSubresourceRange range = org.lwjgl.vulkan.VkImageSubresourceRange.calloc(stack)
                        .aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1);
                vkCmdClearColorImage(c, image, general, color, range);
            }
            // The rectangle's pixels come from a buffer filled on the GPU with the frame's colour.
            vkCmdFillBuffer(c, source.handle(), 0, RECT_WIDTH * RECT_HEIGHT * 4, rectColor(drawFrame));
            Commands.bufferBarrier(c, source.handle(), clear, VK_ACCESS_2_TRANSFER_WRITE_BIT, copy, VK_ACCESS_2_TRANSFER_READ_BIT);
            Commands.imageBarrier(c, image, clear, VK_ACCESS_2_TRANSFER_WRITE_BIT, copy, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                    general, general, ignored, ignored);
            Commands.copyBufferToImage(c, source.handle(), image, rectX(drawFrame), rectY(drawFrame), RECT_WIDTH, RECT_HEIGHT);
        }
        if (ownBarriers) {
            lease.recordReleaseBarriers(c);
        }
        Commands.end(c);
        return c;
    }

    /** {@return the read-back pixels; valid after the submit that recorded the read-back completed} */
    public ByteBuffer pixels() {
        return readback.mapped();
    }

    /**
     * Checks read-back pixels against frame {@code frame}.
     *
     * @param pixels tightly packed RGBA8
     * @param width width in pixels
     * @param height height in pixels
     * @param frame the frame expected
     * @return null if every pixel matches, else a description of the first mismatch
     */
    public static String check(ByteBuffer pixels, int width, int height, int frame) {
        int rx = rectX(frame);
        int ry = rectY(frame);
        ByteBuffer le = pixels.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean inRect = x >= rx && x < rx + RECT_WIDTH && y >= ry && y < ry + RECT_HEIGHT;
                int expected = inRect ? rectColor(frame) : backgroundColor(frame);
                int actual = le.getInt((y * width + x) * 4);
                if (actual != expected) {
                    return String.format("frame %d: pixel (%d,%d) is 0x%08x, expected 0x%08x (%s at (%d,%d))", frame, x, y,
                            actual, expected, inRect ? "inside the rectangle" : "background; rectangle", rx, ry);
                }
            }
        }
        return null;
    }

    /**
     * Checks this pattern's read-back pixels against {@code frame}.
     *
     * @param frame the frame expected
     * @return null if every pixel matches, else a description of the first mismatch
     */
    public String check(int frame) {
        return check(pixels(), width, height, frame);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.freeCommandBuffer(cmd);
        readback.close();
        source.close();
    }
}
