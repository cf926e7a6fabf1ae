package dev.baton.render.scene;

import static dev.baton.render.VkResults.check;
import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;

import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import org.joml.Matrix4f;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * Draws one {@link Scene} plus the frame stamp into colour images of one format and extent on one
 * {@code VkDevice}. Owns its render pass, pipeline layout and pipelines, and one framebuffer per
 * target image view.
 *
 * <p>Thread contract: the device's render thread only. {@link #record} allocates nothing (its
 * structs live on the thread's {@link MemoryStack}, its push constants in a buffer made once), so
 * it may sit in a frame loop.
 *
 * <p>The render pass starts from {@code VK_IMAGE_LAYOUT_UNDEFINED} (every pixel is redrawn each
 * frame, so old contents may be discarded) and ends in the layout given at construction, which is
 * the layout the surface is handed over in.
 */
public final class SceneRenderer implements AutoCloseable {
    private static final int PUSH_BYTES = 96;   // mat4 + vec4 + 2 uints, padded to 16

    private final VkDevice device;
    private final Scene scene;
    private final int width;
    private final int height;
    private final long renderPass;        // VkRenderPass
    private final long pipelineLayout;    // VkPipelineLayout
    private final long[] pipelines;       // VkPipeline, one per pass, the stamp pass last
    private final int[] vertexCounts;
    private final Map<Long, Long> framebuffers = new HashMap<>(); // VkImageView -> VkFramebuffer
    private final ByteBuffer push = MemoryUtil.memCalloc(PUSH_BYTES);
    private final Matrix4f mvp = new Matrix4f();
    private boolean closed;

    /**
     * @param vkFormat colour format of the target images, such as {@code VK_FORMAT_R8G8B8A8_UNORM}
     * @param finalLayout layout the images are left in after {@link #record}
     * @throws dev.baton.render.VulkanException if an object cannot be created (what was made is destroyed)
     */
    public SceneRenderer(VkDevice device, Scene scene, int vkFormat, int width, int height, int finalLayout) {
        this(device, scene, vkFormat, width, height, finalLayout, true);
    }

    /**
     * Like {@link #SceneRenderer(VkDevice, Scene, int, int, int, int)}; without {@code stamp} the
     * frame-stamp pass is left out (a clean picture, but {@link FrameStamp#decode} finds nothing).
     */
    public SceneRenderer(VkDevice device, Scene scene, int vkFormat, int width, int height, int finalLayout, boolean stamp) {
        this.device = device;
        this.scene = scene;
        this.width = width;
        this.height = height;
        int passCount = scene.passes().size() + (stamp ? 1 : 0);
        this.pipelines = new long[passCount];
        this.vertexCounts = new int[passCount];
        long pass = VK_NULL_HANDLE;
        long layout = VK_NULL_HANDLE;
        try {
            pass = createRenderPass(vkFormat, finalLayout);
            layout = createPipelineLayout();
            for (int i = 0; i < passCount; i++) {
                Scene.Pass p = i < scene.passes().size() ? scene.passes().get(i) : Scene.STAMP;
                pipelines[i] = createPipeline(pass, layout, p);
                vertexCounts[i] = p.vertexCount();
            }
        } catch (RuntimeException e) {
            for (long pipeline : pipelines) {
                if (pipeline != VK_NULL_HANDLE) {
                    vkDestroyPipeline(device, pipeline, null);
                }
            }
            if (layout != VK_NULL_HANDLE) {
                vkDestroyPipelineLayout(device, layout, null);
            }
            if (pass != VK_NULL_HANDLE) {
                vkDestroyRenderPass(device, pass, null);
            }
            MemoryUtil.memFree(push);
            throw e;
        }
        this.renderPass = pass;
        this.pipelineLayout = layout;
    }

    public Scene scene() {
        return scene;
    }

    /**
     * Records the scene into {@code cmd} for the image behind {@code imageView}: render pass, every
     * pass's draw, then (unless made without it) the stamp of {@code frame}.
     *
     * @param timeSeconds animation time
     * @param producer producer index (hue)
     */
    public void record(VkCommandBuffer cmd, long imageView, long frame, float timeSeconds, int producer) {
        long framebuffer = framebuffer(imageView);
        try (MemoryStack stack = stackPush()) {
            VkClearValue.Buffer clear = VkClearValue.calloc(1, stack);
            clear.color().float32(0, 0f).float32(1, 0f).float32(2, 0f).float32(3, 1f);
            VkRenderPassBeginInfo begin = VkRenderPassBeginInfo.calloc(stack)
                    .sType$Default()
                    .renderPass(renderPass)
                    .framebuffer(framebuffer)
                    .pClearValues(clear);
            begin.renderArea().extent().set(width, height);
            vkCmdBeginRenderPass(cmd, begin, VK_SUBPASS_CONTENTS_INLINE);
            VkViewport.Buffer viewport = VkViewport.calloc(1, stack).width(width).height(height).maxDepth(1f);
            vkCmdSetViewport(cmd, 0, viewport);
            VkRect2D.Buffer scissor = VkRect2D.calloc(1, stack);
            scissor.extent().set(width, height);
            vkCmdSetScissor(cmd, 0, scissor);

            float aspect = (float) width / height;
            mvp.setPerspective((float) Math.toRadians(45), aspect, 0.1f, 10f, true)
                    .scale(1f, -1f, 1f)   // Vulkan's clip space has y down; keep the picture upright
                    .lookAt(0f, 0.9f, 2.6f, 0f, 0f, 0f, 0f, 1f, 0f)
                    .rotateY(timeSeconds * 0.9f)
                    .rotateX(timeSeconds * 0.4f);
            mvp.get(0, push);
            push.putFloat(64, timeSeconds).putFloat(68, aspect).putFloat(72, width).putFloat(76, height);
            push.putInt(80, (int) frame).putInt(84, producer);
            for (int i = 0; i < pipelines.length; i++) {
                vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipelines[i]);
                vkCmdPushConstants(cmd, pipelineLayout, VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0, push);
                vkCmdDraw(cmd, vertexCounts[i], 1, 0, 0);
            }
            vkCmdEndRenderPass(cmd);
        }
    }

    /** Forgets the framebuffer of a view that is about to be destroyed. */
    public void forget(long imageView) {
        Long fb = framebuffers.remove(imageView);
        if (fb != null) {
            vkDestroyFramebuffer(device, fb, null);
        }
    }

    private long framebuffer(long imageView) {
        Long cached = framebuffers.get(imageView);
        if (cached != null) {
            return cached;
        }
        try (MemoryStack stack = stackPush()) {
            VkFramebufferCreateInfo info = VkFramebufferCreateInfo.calloc(stack)
                    .sType$Default()
                    .renderPass(renderPass)
                    .pAttachments(stack.longs(imageView))
                    .width(width)
                    .height(height)
                    .layers(1);
            LongBuffer out = stack.mallocLong(1);
            check(vkCreateFramebuffer(device, info, null, out), "vkCreateFramebuffer");
            framebuffers.put(imageView, out.get(0));
            return out.get(0);
        }
    }

    private long createRenderPass(int vkFormat, int finalLayout) {
        try (MemoryStack stack = stackPush()) {
            VkAttachmentDescription.Buffer attachment = VkAttachmentDescription.calloc(1, stack)
                    .format(vkFormat)
                    .samples(VK_SAMPLE_COUNT_1_BIT)
                    .loadOp(VK_ATTACHMENT_LOAD_OP_CLEAR)
                    .storeOp(VK_ATTACHMENT_STORE_OP_STORE)
                    .stencilLoadOp(VK_ATTACHMENT_LOAD_OP_DONT_CARE)
                    .stencilStoreOp(VK_ATTACHMENT_STORE_OP_DONT_CARE)
                    .initialLayout(VK_IMAGE_LAYOUT_UNDEFINED)
                    .finalLayout(finalLayout);
            VkAttachmentReference.Buffer ref = VkAttachmentReference.calloc(1, stack)
                    .attachment(0)
                    .layout(VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL);
            VkSubpassDescription.Buffer subpass = VkSubpassDescription.calloc(1, stack)
                    .pipelineBindPoint(VK_PIPELINE_BIND_POINT_GRAPHICS)
                    .colorAttachmentCount(1)
                    .pColorAttachments(ref);
            // External dependencies: wait for earlier use of the image (the previous owner's reads,
            // made visible by the lease's barrier) before writing; make the writes available to
            // whatever follows in this submission (the lease's release barrier or a copy).
            VkSubpassDependency.Buffer deps = VkSubpassDependency.calloc(2, stack);
            deps.get(0)
                    .srcSubpass(VK_SUBPASS_EXTERNAL).dstSubpass(0)
                    .srcStageMask(VK_PIPELINE_STAGE_ALL_COMMANDS_BIT)
                    .dstStageMask(VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT)
                    .srcAccessMask(0)
                    .dstAccessMask(VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_COLOR_ATTACHMENT_READ_BIT);
            deps.get(1)
                    .srcSubpass(0).dstSubpass(VK_SUBPASS_EXTERNAL)
                    .srcStageMask(VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT)
                    .dstStageMask(VK_PIPELINE_STAGE_ALL_COMMANDS_BIT)
                    .srcAccessMask(VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT)
                    .dstAccessMask(VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT);
            VkRenderPassCreateInfo info = VkRenderPassCreateInfo.calloc(stack)
                    .sType$Default()
                    .pAttachments(attachment)
                    .pSubpasses(subpass)
                    .pDependencies(deps);
            LongBuffer out = stack.mallocLong(1);
            check(vkCreateRenderPass(device, info, null, out), "vkCreateRenderPass");
            return out.get(0);
        }
    }

    private long createPipelineLayout() {
        try (MemoryStack stack = stackPush()) {
            VkPushConstantRange.Buffer range = VkPushConstantRange.calloc(1, stack)
                    .stageFlags(VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT)
                    .offset(0)
                    .size(PUSH_BYTES);
            VkPipelineLayoutCreateInfo info = VkPipelineLayoutCreateInfo.calloc(stack)
                    .sType$Default()
                    .pPushConstantRanges(range);
            LongBuffer out = stack.mallocLong(1);
            check(vkCreatePipelineLayout(device, info, null, out), "vkCreatePipelineLayout");
            return out.get(0);
        }
    }

    private long shaderModule(String name) {
        ByteBuffer code = ShaderLibrary.nativeCopy(ShaderLibrary.spirv(name));
        try (MemoryStack stack = stackPush()) {
            VkShaderModuleCreateInfo info = VkShaderModuleCreateInfo.calloc(stack).sType$Default().pCode(code);
            LongBuffer out = stack.mallocLong(1);
            check(vkCreateShaderModule(device, info, null, out), "vkCreateShaderModule(" + name + ")");
            return out.get(0);
        } finally {
            MemoryUtil.memFree(code);
        }
    }

    private long createPipeline(long pass, long layout, Scene.Pass p) {
        long vert = shaderModule(p.vertexShader());
        long frag = VK_NULL_HANDLE;
        try (MemoryStack stack = stackPush()) {
            frag = shaderModule(p.fragmentShader());
            VkPipelineShaderStageCreateInfo.Buffer stages = VkPipelineShaderStageCreateInfo.calloc(2, stack);
            stages.get(0).sType$Default().stage(VK_SHADER_STAGE_VERTEX_BIT).module(vert).pName(stack.UTF8("main"));
            stages.get(1).sType$Default().stage(VK_SHADER_STAGE_FRAGMENT_BIT).module(frag).pName(stack.UTF8("main"));
            VkPipelineVertexInputStateCreateInfo vertexInput = VkPipelineVertexInputStateCreateInfo.calloc(stack).sType$Default();
            VkPipelineInputAssemblyStateCreateInfo assembly = VkPipelineInputAssemblyStateCreateInfo.calloc(stack)
                    .sType$Default().topology(VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST);
            VkPipelineViewportStateCreateInfo viewport = VkPipelineViewportStateCreateInfo.calloc(stack)
                    .sType$Default().viewportCount(1).scissorCount(1);
            boolean mesh = p.vertexShader().equals("mesh.vert");
            VkPipelineRasterizationStateCreateInfo raster = VkPipelineRasterizationStateCreateInfo.calloc(stack)
                    .sType$Default()
                    .polygonMode(VK_POLYGON_MODE_FILL)
                    // the cube is convex: culling its back faces is all the hidden-surface removal it needs
                    .cullMode(mesh ? VK_CULL_MODE_BACK_BIT : VK_CULL_MODE_NONE)
                    .frontFace(VK_FRONT_FACE_COUNTER_CLOCKWISE)
                    .lineWidth(1f);
            VkPipelineMultisampleStateCreateInfo multisample = VkPipelineMultisampleStateCreateInfo.calloc(stack)
                    .sType$Default().rasterizationSamples(VK_SAMPLE_COUNT_1_BIT);
            VkPipelineColorBlendAttachmentState.Buffer blendAttachment = VkPipelineColorBlendAttachmentState.calloc(1, stack)
                    .colorWriteMask(0xF);
            if (p.blend() == Scene.Pass.Blend.ADDITIVE) {
                blendAttachment.blendEnable(true)
                        .srcColorBlendFactor(VK_BLEND_FACTOR_ONE).dstColorBlendFactor(VK_BLEND_FACTOR_ONE).colorBlendOp(VK_BLEND_OP_ADD)
                        .srcAlphaBlendFactor(VK_BLEND_FACTOR_ZERO).dstAlphaBlendFactor(VK_BLEND_FACTOR_ONE).alphaBlendOp(VK_BLEND_OP_ADD);
            }
            VkPipelineColorBlendStateCreateInfo blend = VkPipelineColorBlendStateCreateInfo.calloc(stack)
                    .sType$Default().pAttachments(blendAttachment);
            VkPipelineDynamicStateCreateInfo dynamic = VkPipelineDynamicStateCreateInfo.calloc(stack)
                    .sType$Default().pDynamicStates(stack.ints(VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR));
            VkGraphicsPipelineCreateInfo.Buffer info = VkGraphicsPipelineCreateInfo.calloc(1, stack)
                    .sType$Default()
                    .pStages(stages)
                    .pVertexInputState(vertexInput)
                    .pInputAssemblyState(assembly)
                    .pViewportState(viewport)
                    .pRasterizationState(raster)
                    .pMultisampleState(multisample)
                    .pColorBlendState(blend)
                    .pDynamicState(dynamic)
                    .layout(layout)
                    .renderPass(pass)
                    .subpass(0);
            LongBuffer out = stack.mallocLong(1);
            check(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, info, null, out), "vkCreateGraphicsPipelines(" + p.fragmentShader() + ")");
            return out.get(0);
        } finally {
            vkDestroyShaderModule(device, vert, null);
            if (frag != VK_NULL_HANDLE) {
                vkDestroyShaderModule(device, frag, null);
            }
        }
    }

    /** Destroys framebuffers, pipelines, layout and render pass. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (long fb : framebuffers.values()) {
            vkDestroyFramebuffer(device, fb, null);
        }
        framebuffers.clear();
        for (long pipeline : pipelines) {
            vkDestroyPipeline(device, pipeline, null);
        }
        vkDestroyPipelineLayout(device, pipelineLayout, null);
        vkDestroyRenderPass(device, renderPass, null);
        MemoryUtil.memFree(push);
    }
}
