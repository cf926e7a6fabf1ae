package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;

import dev.baton.render.SurfaceFormat;
import dev.baton.render.VkResults;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * The create info every participant of one surface makes its image with: format, usage, flags and
 * tiling. Importers of exported memory must create their image with exactly the exporter's
 * ({@code VkMemoryDedicatedAllocateInfo} binds the import to an image of identical parameters), so
 * one spec is chosen per surface, from what every participant's driver supports, before anything is
 * allocated.
 *
 * <p>With a GL participant, the spec of shared device memory also carries every usage bit all Vulkan
 * participants support for the format and {@code VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT} where supported:
 * {@code EXT_external_objects} (issue 13) requires images that alias a GL texture to be created with
 * all the usage GL might put them to, and (issue 17) the mutable-format bit, since GL 4.3 texture views
 * may reinterpret the format; otherwise a driver may choose a layout or compression GL does not expect.
 *
 * @param format the pixel format
 * @param usage {@code VkImageUsageFlags}
 * @param flags {@code VkImageCreateFlags}
 * @param linear {@code VK_IMAGE_TILING_LINEAR} rather than {@code OPTIMAL}
 */
record ImageSpec(SurfaceFormat format, int usage, int flags, boolean linear) {
    /** Usage Baton's own copies and tests need on every surface image, whatever the caller asks for. */
    static final int BATON_USAGE = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;

    /** Usage bits offered to a GL-aliased image when every participant supports them (issue 13). */
    private static final int[] OPTIONAL_USAGE = {
        VK_IMAGE_USAGE_TRANSFER_SRC_BIT, VK_IMAGE_USAGE_TRANSFER_DST_BIT, VK_IMAGE_USAGE_SAMPLED_BIT, VK_IMAGE_USAGE_STORAGE_BIT,
        VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT,
    };

    /** The historical surface: RGBA8, optimal, transfer/sampled/colour-attachment usage, no flags. */
    static final ImageSpec DEFAULT = new ImageSpec(SurfaceFormat.RGBA8, SurfaceImage.USAGE, 0, false);

    /** The same spec with linear tiling (host memory). */
    ImageSpec linearTiling() {
        return new ImageSpec(format, usage, flags, true);
    }

    /**
     * The spec for a surface whose memory is shared as OPAQUE_FD device memory: participant 0 exports,
     * the others import.
     *
     * @param surface for messages
     * @param participants the Vulkan participants, the exporter first
     * @param format the format asked for
     * @param requiredUsage the usage asked for (Baton adds {@link #BATON_USAGE})
     * @param glAliased a GL participant will import the memory: add every supported usage and MUTABLE_FORMAT
     * @throws IllegalArgumentException naming the participant and what it lacks
     */
    static ImageSpec forDeviceMemory(String surface, List<DeviceContext> participants, SurfaceFormat format, int requiredUsage,
                                     int width, int height, boolean glAliased) {
        int usage = requiredUsage | BATON_USAGE;
        for (int i = 0; i < participants.size(); i++) {
            DeviceContext d = participants.get(i);
            int needed = i == 0 ? VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT : VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT;
            String role = i == 0 ? "export" : "import";
            Support s = query(d, format, usage, 0, VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT);
            if (s == null) {
                throw lacks(surface, d, "cannot make a " + format + " image with usage " + usageNames(usage)
                        + " in OPAQUE_FD memory (vkGetPhysicalDeviceImageFormatProperties2: format not supported)");
            }
            if ((s.externalFeatures & needed) == 0) {
                throw lacks(surface, d, "cannot " + role + " the OPAQUE_FD memory of a " + format + " image with usage " + usageNames(usage));
            }
            if (width > s.maxWidth || height > s.maxHeight) {
                throw lacks(surface, d, "makes shareable " + format + " images of at most " + s.maxWidth + "x" + s.maxHeight
                        + ", not " + width + "x" + height);
            }
        }
        int flags = 0;
        if (glAliased) {
            for (int bit : OPTIONAL_USAGE) {
                if ((usage & bit) == 0 && everyoneSupports(participants, format, usage | bit, 0)) {
                    usage |= bit;
                }
            }
            if (everyoneSupports(participants, format, usage, VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT)) {
                flags = VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT;
            }
        }
        return new ImageSpec(format, usage, flags, false);
    }

    /**
     * The spec for a surface whose participants keep private images (host copy).
     *
     * @throws IllegalArgumentException naming the participant and what it lacks
     */
    static ImageSpec forPrivateImages(String surface, List<DeviceContext> participants, SurfaceFormat format, int requiredUsage,
                                      int width, int height) {
        int usage = requiredUsage | BATON_USAGE;
        for (DeviceContext d : participants) {
            Support s = query(d, format, usage, 0, 0);
            if (s == null) {
                throw lacks(surface, d, "cannot make a " + format + " image with usage " + usageNames(usage)
                        + " (vkGetPhysicalDeviceImageFormatProperties2: format not supported)");
            }
            if (width > s.maxWidth || height > s.maxHeight) {
                throw lacks(surface, d, "makes " + format + " images of at most " + s.maxWidth + "x" + s.maxHeight
                        + ", not " + width + "x" + height);
            }
        }
        return new ImageSpec(format, usage, 0, false);
    }

    private static boolean everyoneSupports(List<DeviceContext> participants, SurfaceFormat format, int usage, int flags) {
        for (DeviceContext d : participants) {
            Support s = query(d, format, usage, flags, VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT);
            if (s == null || !featuresAllow(d, format, usage)) {
                return false;
            }
        }
        return true;
    }

    /** The format's optimal-tiling features must back every usage bit (drivers may answer the image query loosely). */
    private static boolean featuresAllow(DeviceContext d, SurfaceFormat format, int usage) {
        try (MemoryStack stack = stackPush()) {
            VkFormatProperties props = VkFormatProperties.calloc(stack);
            vkGetPhysicalDeviceFormatProperties(d.vkDevice().getPhysicalDevice(), format.vkFormat(), props);
            int f = props.optimalTilingFeatures();
            return ((usage & VK_IMAGE_USAGE_SAMPLED_BIT) == 0 || (f & VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT) != 0)
                    && ((usage & VK_IMAGE_USAGE_STORAGE_BIT) == 0 || (f & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT) != 0)
                    && ((usage & (VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT)) == 0
                        || (f & VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT) != 0)
                    && ((usage & VK_IMAGE_USAGE_TRANSFER_SRC_BIT) == 0 || (f & VK_FORMAT_FEATURE_TRANSFER_SRC_BIT) != 0)
                    && ((usage & VK_IMAGE_USAGE_TRANSFER_DST_BIT) == 0 || (f & VK_FORMAT_FEATURE_TRANSFER_DST_BIT) != 0);
        }
    }

    private record Support(int externalFeatures, int maxWidth, int maxHeight) {}

    /** {@code vkGetPhysicalDeviceImageFormatProperties2} for an optimal 2D image; null if unsupported. handleType 0: not external. */
    private static Support query(DeviceContext d, SurfaceFormat format, int usage, int flags, int handleType) {
        try (MemoryStack stack = stackPush()) {
            VkPhysicalDeviceImageFormatInfo2 info = VkPhysicalDeviceImageFormatInfo2.calloc(stack).sType$Default()
                    .format(format.vkFormat()).type(VK_IMAGE_TYPE_2D).tiling(VK_IMAGE_TILING_OPTIMAL).usage(usage).flags(flags);
            VkExternalImageFormatProperties external = VkExternalImageFormatProperties.calloc(stack).sType$Default();
            VkImageFormatProperties2 props = VkImageFormatProperties2.calloc(stack).sType$Default();
            if (handleType != 0) {
                info.pNext(VkPhysicalDeviceExternalImageFormatInfo.calloc(stack).sType$Default().handleType(handleType).address());
                props.pNext(external.address());
            }
            int result = vkGetPhysicalDeviceImageFormatProperties2(d.vkDevice().getPhysicalDevice(), info, props);
            if (result == VK_ERROR_FORMAT_NOT_SUPPORTED) {
                return null;
            }
            VkResults.check(result, "vkGetPhysicalDeviceImageFormatProperties2(" + format + ") on " + d.name());
            if (!featuresAllow(d, format, usage)) {
                return null;
            }
            VkExtent3D max = props.imageFormatProperties().maxExtent();
            return new Support(handleType != 0 ? external.externalMemoryProperties().externalMemoryFeatures() : 0, max.width(), max.height());
        }
    }

    private static IllegalArgumentException lacks(String surface, DeviceContext d, String what) {
        return new IllegalArgumentException("surface " + surface + ": participant " + d.name() + " (" + d.info().name() + ") " + what
                + "; pick another format or usage for this surface, or leave this participant out");
    }

    /** {@return the usage bits by name, such as {@code TRANSFER_SRC|SAMPLED}} */
    static String usageNames(int usage) {
        String[] names = {"TRANSFER_SRC", "TRANSFER_DST", "SAMPLED", "STORAGE", "COLOR_ATTACHMENT", "DEPTH_STENCIL_ATTACHMENT",
            "TRANSIENT_ATTACHMENT", "INPUT_ATTACHMENT"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if ((usage & (1 << i)) != 0) {
                out.add(names[i]);
            }
        }
        int rest = usage & ~0xFF;
        if (rest != 0) {
            out.add("0x" + Integer.toHexString(rest));
        }
        return out.isEmpty() ? "none" : String.join("|", out);
    }
}
