package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;

import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lwjgl.opengl.GL43C;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkClearColorValue;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkImageSubresourceRange;

/**
 * With the validation switch on, Baton's Vulkan objects carry {@code VK_EXT_debug_utils} names, so a
 * validation message about a surface's image names the surface and participant; GL objects of a
 * debug context carry labels. Off, nothing is named. Not a {@link GpuTest}: it provokes one
 * validation message on purpose, on an instance of its own.
 */
class DebugNamesTest {
    @Test
    void aValidationMessageAboutASurfaceImageNamesTheSurfaceAndParticipant() throws Exception {
        GpuTest.requireOrSkip(VulkanInstance.validationLayerAvailable(), "the Khronos validation layer",
                "vulkan-validationlayers (or chromium-common, via ./baton)");
        try (VulkanInstance instance = VulkanInstance.create(true)) {
            PhysicalDeviceInfo physical = GpuTest.memorySharingDeviceOf(instance);
            GpuTest.requireOrSkip(physical != null, "a Vulkan device that shares memory", GpuTest.DRIVER_PACKAGES);
            try (DeviceContext device = DeviceContext.builder(instance).physicalDeviceIndex(physical.index()).name("device#named").build();
                 SharedSurface surface = SharedSurface.create("named", 16, 16, List.of(device), SharedSurface.Options.defaults())) {
                assertTrue(DebugNames.enabled(device));
                Lease lease = surface.endpoint(0).acquire(0, GpuTest.SECOND_NANOS);
                VkCommandBuffer cmd = device.allocateCommandBuffer();
                Commands.begin(cmd, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
                try (MemoryStack stack = stackPush()) {
                    // Wrong on purpose: a clear must name GENERAL or TRANSFER_DST_OPTIMAL; the layer reports it at record time.
                    vkCmdClearColorImage(cmd, lease.image(), VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, VkClearColorValue.calloc(stack),
                            VkImageSubresourceRange.calloc(stack).aspectMask(VK_IMAGE_ASPECT_COLOR_BIT).levelCount(1).layerCount(1));
                }
                Commands.end(cmd);
                device.freeCommandBuffer(cmd); // never submitted
                lease.release(0, null);
            }
            List<String> messages = instance.validationMessages();
            assertTrue(messages.stream().anyMatch(m -> m.contains("baton named@device#named image")),
                    () -> "no message names the surface image: " + messages);
        }
    }

    @Test
    void withoutValidationNothingIsNamed() {
        try (VulkanInstance instance = VulkanInstance.create(false)) {
            PhysicalDeviceInfo physical = GpuTest.memorySharingDeviceOf(instance);
            GpuTest.requireOrSkip(physical != null, "a Vulkan device that shares memory", GpuTest.DRIVER_PACKAGES);
            try (DeviceContext device = DeviceContext.builder(instance).physicalDeviceIndex(physical.index()).build()) {
                assertFalse(DebugNames.enabled(device), "VK_EXT_debug_utils is only enabled with validation");
            }
        }
    }

    @Test
    void aDebugGlContextLabelsTheImportedTexture() {
        EglContext gl;
        try {
            gl = EglContext.create(true);
        } catch (GlUnavailableException e) {
            GpuTest.requireOrSkip(false, "OpenGL via EGL surfaceless (" + e.getMessage() + ")", GlUnavailableException.PACKAGES);
            throw e;
        }
        try (VulkanInstance instance = VulkanInstance.create(false)) {
            PhysicalDeviceInfo physical = GpuTest.memorySharingDeviceOf(instance);
            GpuTest.requireOrSkip(physical != null, "a Vulkan device that shares memory", GpuTest.DRIVER_PACKAGES);
            try (DeviceContext device = DeviceContext.builder(instance).physicalDeviceIndex(physical.index()).requireMemorySharing().build();
                 SharedSurface surface = SharedSurface.create("labelled", 16, 16, List.of(device),
                         new SharedSurface.GlSide(gl, GlInfo.query(gl)), SharedSurface.Options.defaults())) {
                assertTrue(gl.debugLabels());
                assertEquals("baton labelled@GL texture", GL43C.glGetObjectLabel(GL43C.GL_TEXTURE, surface.glEndpoint().texture()));
                assertEquals("baton labelled@GL framebuffer", GL43C.glGetObjectLabel(GL43C.GL_FRAMEBUFFER, surface.glEndpoint().framebuffer()));
            }
        } finally {
            gl.close();
        }
        assertEquals(0, gl.debugErrorCount(), () -> "GL debug errors: " + gl.lastDebugMessage());
    }
}
