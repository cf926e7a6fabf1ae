package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK12.VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES;
import static org.lwjgl.vulkan.VK12.VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
import static org.lwjgl.vulkan.VK13.VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SYNCHRONIZATION_2_FEATURES;
import static org.lwjgl.vulkan.VK13.VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES;

import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import dev.baton.render.VkResults;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.VkBaseInStructure;
import org.lwjgl.vulkan.VkDevice;
import org.lwjgl.vulkan.VkDeviceCreateInfo;
import org.lwjgl.vulkan.VkDeviceQueueCreateInfo;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkPhysicalDeviceSynchronization2Features;
import org.lwjgl.vulkan.VkPhysicalDeviceTimelineSemaphoreFeatures;
import org.lwjgl.vulkan.VkPhysicalDeviceVulkan12Features;
import org.lwjgl.vulkan.VkPhysicalDeviceVulkan13Features;
import org.lwjgl.vulkan.VkQueueFamilyProperties;

/**
 * A {@link DeviceContext} in the making around a {@code VkDevice} the application created and keeps
 * owning; made by {@link DeviceContext#adopt(VkDevice, VkDeviceCreateInfo)}.
 *
 * <p>Vulkan has no query for what a device was created with, so the adoption reads the application's
 * own {@code VkDeviceCreateInfo}: its enabled extensions, its queue create infos and the feature
 * structures on its {@code pNext} chain ({@code VkPhysicalDeviceVulkan12Features} or
 * {@code VkPhysicalDeviceTimelineSemaphoreFeatures}; {@code VkPhysicalDeviceVulkan13Features} or
 * {@code VkPhysicalDeviceSynchronization2Features}).
 *
 * <p>What Baton needs, and what it can do without:
 * <ul>
 *   <li>required: Vulkan 1.3 for both the instance ({@code VkApplicationInfo.apiVersion}) and the
 *       device (Baton calls {@code vkQueueSubmit2} and {@code vkCmdPipelineBarrier2} as core 1.3), the
 *       {@code timelineSemaphore} and {@code synchronization2} features, and a queue that was created
 *       with the device, in a family with graphics or compute;</li>
 *   <li>{@value DeviceContext#EXTERNAL_MEMORY_FD}: without it surface memory cannot be shared and
 *       every surface this device joins uses {@link SyncTier#HOST_COPY} (required after
 *       {@link #requireMemorySharing()});</li>
 *   <li>{@value DeviceContext#EXTERNAL_SEMAPHORE_FD}: without it no semaphore is shared and the best
 *       tier is {@link SyncTier#HOST_BRIDGE} (a host thread forwards fence values).</li>
 * </ul>
 * {@link #check()} reports all of this without creating anything; {@link #build()} fails with the
 * same words when something required is missing.
 *
 * <p>Ownership: the context creates one command pool on the device and, through surfaces, the images,
 * memory and semaphores of those surfaces; it destroys exactly those. The {@code VkInstance},
 * {@code VkPhysicalDevice}, {@code VkDevice} and queue stay the application's: destroy the device only
 * after {@link DeviceContext#close()} (and after closing every surface and timeline made on it). For
 * who may submit to the queue when, see the queue rule in {@link DeviceContext}.
 *
 * <p>Not thread-safe: describe, check and build on one thread, the one that will own the context.
 */
public final class DeviceAdoption {
    private final VkDevice device;
    private final Set<String> enabledExtensions;
    private final boolean timelineSemaphore;
    private final boolean synchronization2;
    private final List<int[]> createdQueues = new ArrayList<>(); // {family, count}
    private String name;
    private int queueFamilyIndex = -1;
    private int queueIndex;
    private boolean requireMemorySharing;

    DeviceAdoption(VkDevice device, VkDeviceCreateInfo createInfo) {
        if (device == null || createInfo == null) {
            throw new IllegalArgumentException("adopt(device, createInfo): pass the application's VkDevice and the"
                    + " VkDeviceCreateInfo it was created with (neither may be null)");
        }
        this.device = device;
        Set<String> extensions = new LinkedHashSet<>();
        PointerBuffer names = createInfo.ppEnabledExtensionNames();
        if (names != null) {
            for (int i = 0; i < names.remaining(); i++) {
                extensions.add(MemoryUtil.memUTF8(names.get(names.position() + i)));
            }
        }
        this.enabledExtensions = Set.copyOf(extensions);
        VkDeviceQueueCreateInfo.Buffer queues = createInfo.pQueueCreateInfos();
        if (queues != null) {
            for (VkDeviceQueueCreateInfo q : queues) {
                // A protected queue (flags != 0) is only reachable with vkGetDeviceQueue2; Baton does not use those.
                if (q.flags() == 0) {
                    createdQueues.add(new int[] {q.queueFamilyIndex(), q.queueCount()});
                }
            }
        }
        boolean timeline = false;
        boolean sync2 = false;
        for (long p = createInfo.pNext(); p != MemoryUtil.NULL; p = MemoryUtil.memGetAddress(p + VkBaseInStructure.PNEXT)) {
            switch (MemoryUtil.memGetInt(p + VkBaseInStructure.STYPE)) {
                case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES:
                    timeline |= VkPhysicalDeviceVulkan12Features.create(p).timelineSemaphore();
                    break;
                case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES:
                    timeline |= VkPhysicalDeviceTimelineSemaphoreFeatures.create(p).timelineSemaphore();
                    break;
                case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES:
                    sync2 |= VkPhysicalDeviceVulkan13Features.create(p).synchronization2();
                    break;
                case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SYNCHRONIZATION_2_FEATURES:
                    sync2 |= VkPhysicalDeviceSynchronization2Features.create(p).synchronization2();
                    break;
                default:
                    break;
            }
        }
        this.timelineSemaphore = timeline;
        this.synchronization2 = sync2;
    }

    /**
     * The queue Baton submits to: one the device was created with (a {@code VkDeviceQueueCreateInfo}
     * of that family with {@code queueCount > queueIndex}). It may be a queue the application also
     * uses, under the queue rule in {@link DeviceContext}.
     *
     * @param familyIndex the queue family index
     * @param index       the queue's index within the family
     * @return this
     */
    public DeviceAdoption queue(int familyIndex, int index) {
        this.queueFamilyIndex = familyIndex;
        this.queueIndex = index;
        return this;
    }

    /**
     * A name for messages and mutex handles, such as {@code app#producer}. Defaults to the device name.
     *
     * @param participantName the name
     * @return this
     */
    public DeviceAdoption name(String participantName) {
        this.name = participantName;
        return this;
    }

    /**
     * Makes {@value DeviceContext#EXTERNAL_MEMORY_FD} required rather than a tier limit.
     *
     * @return this
     */
    public DeviceAdoption requireMemorySharing() {
        this.requireMemorySharing = true;
        return this;
    }

    /**
     * What the adoption found, without creating anything.
     *
     * @param missing   what is required and missing, one sentence each saying what to enable (empty: adoptable)
     * @param limits    optional extensions not enabled and what that costs, one sentence each
     * @param bestTier  the best tier a surface between two devices like this one can use
     * @param tierReason why, in the words of {@link SyncTierSelector}
     */
    public record Report(List<String> missing, List<String> limits, SyncTier bestTier, String tierReason) {
        /**
         * Copies the lists.
         *
         * @param missing    as above
         * @param limits     as above
         * @param bestTier   as above
         * @param tierReason as above
         */
        public Report {
            missing = List.copyOf(missing);
            limits = List.copyOf(limits);
        }

        /**
         * True when nothing required is missing.
         *
         * @return whether {@link #missing()} is empty
         */
        public boolean adoptable() {
            return missing.isEmpty();
        }
    }

    /**
     * Checks the device against what Baton needs (see the class comment).
     *
     * @return what is missing and what tier is possible
     */
    public Report check() {
        PhysicalDeviceInfo info = physicalDeviceInfo();
        List<String> missing = new ArrayList<>();
        List<String> limits = new ArrayList<>();
        if (!device.getCapabilities().Vulkan13) {
            missing.add("Vulkan 1.3: the instance or the device is below 1.3 (device " + info.apiVersionString()
                    + "); create the VkInstance with VkApplicationInfo.apiVersion = VK_API_VERSION_1_3 on a 1.3 driver");
        }
        if (!timelineSemaphore) {
            missing.add("the timelineSemaphore feature: chain VkPhysicalDeviceVulkan12Features with timelineSemaphore = true"
                    + " (or VkPhysicalDeviceTimelineSemaphoreFeatures) into VkDeviceCreateInfo.pNext");
        }
        if (!synchronization2) {
            missing.add("the synchronization2 feature: chain VkPhysicalDeviceVulkan13Features with synchronization2 = true"
                    + " (or VkPhysicalDeviceSynchronization2Features) into VkDeviceCreateInfo.pNext");
        }
        String queueProblem = queueProblem();
        if (queueProblem != null) {
            missing.add(queueProblem);
        }
        boolean memory = enabledExtensions.contains(DeviceContext.EXTERNAL_MEMORY_FD);
        boolean semaphores = enabledExtensions.contains(DeviceContext.EXTERNAL_SEMAPHORE_FD);
        if (!memory) {
            String sentence = DeviceContext.EXTERNAL_MEMORY_FD + " is not enabled: surface memory cannot be shared, so every"
                    + " surface this device joins copies pixels through host memory (host-copy)" + offered(info, DeviceContext.EXTERNAL_MEMORY_FD);
            (requireMemorySharing ? missing : limits).add(sentence);
        }
        if (!semaphores) {
            limits.add(DeviceContext.EXTERNAL_SEMAPHORE_FD + " is not enabled: no semaphore is shared, so the best tier is"
                    + " host-bridge (a host thread forwards each fence value)" + offered(info, DeviceContext.EXTERNAL_SEMAPHORE_FD));
        }
        InteropCapabilities caps = new InteropCapabilities(name(info), info.driverUuidHex(), info.deviceUuidHex(),
                memory && info.memoryExport(), memory && info.memoryImport(),
                semaphores && info.binarySemaphoreExport(), semaphores && info.binarySemaphoreImport(),
                semaphores && info.timelineSemaphoreExport(), semaphores && info.timelineSemaphoreImport());
        SyncTierSelector.Choice choice = SyncTierSelector.choose(caps, caps);
        return new Report(missing, limits, choice.tier(), choice.reason());
    }

    /**
     * Checks, then wraps the device. Creates one command pool on it and nothing else.
     *
     * @return the adopted context; its {@link DeviceContext#close()} leaves the device alive
     * @throws IllegalArgumentException naming everything required that is missing ({@link Report#missing()})
     */
    public DeviceContext build() {
        Report report = check();
        if (!report.adoptable()) {
            throw new IllegalArgumentException("cannot adopt VkDevice 0x" + Long.toHexString(device.address()) + " ("
                    + physicalDeviceInfo().name() + "): it lacks\n  " + String.join("\n  ", report.missing()));
        }
        PhysicalDeviceInfo info = physicalDeviceInfo();
        return DeviceContext.adopted(name(info), info, device, queueFamilyIndex, queueIndex, enabledExtensions);
    }

    private String name(PhysicalDeviceInfo info) {
        return name != null ? name : info.name();
    }

    private static String offered(PhysicalDeviceInfo info, String extension) {
        return info.extensions().contains(extension)
                ? "; the driver offers it: add it to VkDeviceCreateInfo.ppEnabledExtensionNames"
                : "; the driver does not offer it";
    }

    private String queueProblem() {
        if (queueFamilyIndex < 0) {
            return "a queue: say which one Baton submits to with queue(familyIndex, index)";
        }
        boolean created = false;
        for (int[] q : createdQueues) {
            created |= q[0] == queueFamilyIndex && queueIndex >= 0 && queueIndex < q[1];
        }
        if (!created) {
            return "queue " + queueIndex + " of family " + queueFamilyIndex + ": the device was not created with it"
                    + " (no VkDeviceQueueCreateInfo of that family with queueCount > " + queueIndex + " and flags 0)";
        }
        try (MemoryStack stack = stackPush()) {
            VkPhysicalDevice pd = device.getPhysicalDevice();
            IntBuffer count = stack.mallocInt(1);
            vkGetPhysicalDeviceQueueFamilyProperties(pd, count, null);
            VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.malloc(count.get(0), stack);
            vkGetPhysicalDeviceQueueFamilyProperties(pd, count, families);
            if (queueFamilyIndex >= families.capacity()
                    || (families.get(queueFamilyIndex).queueFlags() & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) == 0) {
                return "a graphics or compute queue: family " + queueFamilyIndex + " has neither";
            }
        }
        return null;
    }

    private PhysicalDeviceInfo physicalDeviceInfo() {
        VkPhysicalDevice pd = device.getPhysicalDevice();
        int index = -1;
        try (MemoryStack stack = stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            VkResults.check(vkEnumeratePhysicalDevices(pd.getInstance(), count, null), "vkEnumeratePhysicalDevices");
            PointerBuffer handles = stack.mallocPointer(count.get(0));
            VkResults.check(vkEnumeratePhysicalDevices(pd.getInstance(), count, handles), "vkEnumeratePhysicalDevices");
            for (int i = 0; i < count.get(0); i++) {
                if (handles.get(i) == pd.address()) {
                    index = i;
                }
            }
        }
        return VulkanInstance.describe(index, pd);
    }
}
