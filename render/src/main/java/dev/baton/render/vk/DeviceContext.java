package dev.baton.render.vk;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;
import static org.lwjgl.vulkan.VK13.*;

import dev.baton.render.DeviceLostException;
import dev.baton.render.VkResults;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * One participant's Vulkan device: its own {@code VkDevice}, one queue and a command pool.
 *
 * <p>Threading: a DeviceContext is owned by one thread (its render thread), which is the only one
 * that records into its command pool and submits to its queue. The exceptions, all safe from any
 * thread: {@link #injectDeviceLossOnNextSubmit()}, {@link #isLost()}, and timeline waits/host
 * signals on a {@link VulkanTimeline} (Vulkan does not externally synchronize semaphores for those),
 * which the host bridge uses. Several DeviceContexts may share one physical device.
 *
 * <p>Made by {@link #builder(VulkanInstance)}, which separates what is required (Vulkan 1.3,
 * {@code timelineSemaphore}, {@code synchronization2}, a graphics or compute queue) from what is
 * best effort (the fd extensions for sharing) and says why each physical device was rejected.
 *
 * <p><b>Adopting the application's device.</b> {@link #adopt(VkDevice, VkDeviceCreateInfo)} wraps a
 * {@code VkDevice} and one of its queues that the application created and keeps owning (see
 * {@link DeviceAdoption} for what it checks). An adopted context creates only its own command pool;
 * {@link #close()} destroys that pool and nothing else, and waits only for its queue, never for the
 * whole device.
 *
 * <p><b>Queue rule (adopted or not).</b> Vulkan requires host access to a {@code VkQueue} to be
 * externally synchronized. Baton touches the queue only inside calls made on this context's owning
 * thread: {@link #submit(VkCommandBuffer, Lease)}, {@link #submit(VkCommandBuffer, VulkanTimeline, long)},
 * {@link SharedSurface#create(String, int, int, List, SharedSurface.Options) SharedSurface.create} (its
 * setup submit waits for the queue), the bench helpers {@link GpuClock} and {@link TimedWork}, and
 * {@link #close()}. No thread Baton
 * starts ever uses a queue: the host bridge only waits on and signals timeline semaphores from the
 * host ({@code vkWaitSemaphores}, {@code vkSignalSemaphore}), which need no queue. So an application
 * that shares the queue with Baton either submits from that same thread between its Baton calls, or
 * holds one lock of its own around its submits and around every Baton call on this context. It must
 * not call {@code vkDeviceWaitIdle} (which needs every queue of the device) while a Baton call on
 * this context runs.
 */
public final class DeviceContext implements AutoCloseable {
    static final String EXTERNAL_MEMORY_FD = "VK_KHR_external_memory_fd";
    static final String EXTERNAL_SEMAPHORE_FD = "VK_KHR_external_semaphore_fd";
    /** Imports host memory (a mapped memfd) as device memory: what lets two different drivers share pages. */
    static final String EXTERNAL_MEMORY_HOST = "VK_EXT_external_memory_host";
    /** {@code VK_QUEUE_FAMILY_FOREIGN_EXT}: ownership transfers to and from queues of another driver. */
    static final String QUEUE_FAMILY_FOREIGN = "VK_EXT_queue_family_foreign";
    private static final int MAX_WAITS = 8;
    private static final int MAX_SIGNALS = 8;
    private static final int MAX_COMMAND_BUFFERS = 4;

    private final String name;
    private final PhysicalDeviceInfo info;
    private final VkDevice device;
    private final VkQueue queue;
    private final int queueFamilyIndex;
    private final int queueIndex;
    private final boolean adopted; // the application's VkDevice: never destroyed here
    private final long commandPool; // VkCommandPool
    private final Set<String> enabledExtensions;
    private final VkPhysicalDeviceMemoryProperties memoryProperties;
    private final List<Runnable> lossListeners = new CopyOnWriteArrayList<>();
    private volatile boolean injectLoss;
    private volatile boolean injectWaitLoss;
    private volatile boolean lost;
    private boolean closed;
    private long closeTimeoutNanos = 5_000_000_000L;
    private long drainFence; // VkFence of a close() that timed out, still pending; VK_NULL_HANDLE otherwise

    // Preallocated submit batch, reused by the owning thread (no allocation per frame).
    private final long[] waitSemaphores = new long[MAX_WAITS]; // VkSemaphore
    private final long[] waitValues = new long[MAX_WAITS];
    private final long[] waitStages = new long[MAX_WAITS]; // VkPipelineStageFlags2
    private int waitCount;
    private final long[] signalSemaphores = new long[MAX_SIGNALS]; // VkSemaphore
    private final long[] signalValues = new long[MAX_SIGNALS];
    private int signalCount;
    private final VkCommandBuffer[] commandBuffers = new VkCommandBuffer[MAX_COMMAND_BUFFERS];
    private int commandBufferCount;
    // The submit's native structs, allocated once per device (owning thread only) and written by
    // address in flushBatch: no LWJGL struct or buffer wrapper per submit, so a handoff allocates
    // nothing whether or not the JIT's escape analysis would have removed such wrappers. Layout:
    // MAX_WAITS VkSemaphoreSubmitInfo, MAX_SIGNALS VkSemaphoreSubmitInfo, MAX_COMMAND_BUFFERS
    // VkCommandBufferSubmitInfo, one VkSubmitInfo2; sType set once, pNext and unused fields stay 0.
    private final long submitStructs;
    private final long waitInfos;
    private final long signalInfos;
    private final long commandBufferInfos;
    private final long submitInfo;

    private DeviceContext(String name, PhysicalDeviceInfo info, VkPhysicalDevice physicalDevice, VkDevice device, int queueFamilyIndex,
                          int queueIndex, Set<String> enabledExtensions, boolean adopted) {
        this.name = name;
        this.info = info;
        this.device = device;
        this.queueFamilyIndex = queueFamilyIndex;
        this.queueIndex = queueIndex;
        this.adopted = adopted;
        this.enabledExtensions = Set.copyOf(enabledExtensions);
        try (MemoryStack stack = stackPush()) {
            PointerBuffer pQueue = stack.mallocPointer(1);
            vkGetDeviceQueue(device, queueFamilyIndex, queueIndex, pQueue);
            this.queue = new VkQueue(pQueue.get(0), device);
            VkCommandPoolCreateInfo poolInfo = VkCommandPoolCreateInfo.calloc(stack).sType$Default()
                    .flags(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT).queueFamilyIndex(queueFamilyIndex);
            LongBuffer pPool = stack.mallocLong(1);
            VkResults.check(vkCreateCommandPool(device, poolInfo, null, pPool), "vkCreateCommandPool");
            this.commandPool = pPool.get(0);
        }
        this.memoryProperties = VkPhysicalDeviceMemoryProperties.malloc();
        vkGetPhysicalDeviceMemoryProperties(physicalDevice, memoryProperties);
        int semaphoreInfoSize = VkSemaphoreSubmitInfo.SIZEOF;
        int commandBufferInfoSize = VkCommandBufferSubmitInfo.SIZEOF;
        long bytes = (long) (MAX_WAITS + MAX_SIGNALS) * semaphoreInfoSize
                + (long) MAX_COMMAND_BUFFERS * commandBufferInfoSize + VkSubmitInfo2.SIZEOF;
        // Every one of these structs has 8-byte alignment and a size that is a multiple of 8.
        this.submitStructs = MemoryUtil.nmemCallocChecked(1, bytes);
        this.waitInfos = submitStructs;
        this.signalInfos = waitInfos + (long) MAX_WAITS * semaphoreInfoSize;
        this.commandBufferInfos = signalInfos + (long) MAX_SIGNALS * semaphoreInfoSize;
        this.submitInfo = commandBufferInfos + (long) MAX_COMMAND_BUFFERS * commandBufferInfoSize;
        for (int i = 0; i < MAX_WAITS; i++) {
            VkSemaphoreSubmitInfo.nsType(waitInfos + (long) i * semaphoreInfoSize, VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO);
        }
        for (int i = 0; i < MAX_SIGNALS; i++) {
            long a = signalInfos + (long) i * semaphoreInfoSize;
            VkSemaphoreSubmitInfo.nsType(a, VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO);
            VkSemaphoreSubmitInfo.nstageMask(a, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        for (int i = 0; i < MAX_COMMAND_BUFFERS; i++) {
            VkCommandBufferSubmitInfo.nsType(commandBufferInfos + (long) i * commandBufferInfoSize,
                    VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO);
        }
        VkSubmitInfo2.nsType(submitInfo, VK_STRUCTURE_TYPE_SUBMIT_INFO_2);
    }

    /**
     * Starts adopting a device the application created and keeps owning. Reads, at once, the
     * extensions and features {@code createInfo} enabled (it is not kept: free it after this call),
     * then {@link DeviceAdoption#check()} says what is missing and {@link DeviceAdoption#build()}
     * makes the context.
     *
     * @param device     the application's device, as LWJGL made it ({@code new VkDevice(handle, physicalDevice, createInfo)})
     * @param createInfo the {@code VkDeviceCreateInfo} the application passed to {@code vkCreateDevice}
     * @return a description to complete with {@link DeviceAdoption#queue(int, int)}
     */
    public static DeviceAdoption adopt(VkDevice device, VkDeviceCreateInfo createInfo) {
        return new DeviceAdoption(device, createInfo);
    }

    /** The adopted context, once {@link DeviceAdoption#build()} has checked everything. */
    static DeviceContext adopted(String name, PhysicalDeviceInfo info, VkDevice device, int queueFamilyIndex, int queueIndex,
                                 Set<String> enabledExtensions) {
        return new DeviceContext(name, info, device.getPhysicalDevice(), device, queueFamilyIndex, queueIndex, enabledExtensions, true);
    }

    /**
     * Starts describing a device to create on {@code instance}.
     *
     * @param instance the instance whose physical devices are considered
     * @return a builder
     */
    public static Builder builder(VulkanInstance instance) {
        return new Builder(instance);
    }

    /** Chooses a physical device and creates a {@link DeviceContext} on it. */
    public static final class Builder {
        private final VulkanInstance instance;
        private String name;
        private String nameContains;
        private int index = -1;
        private final Set<String> requiredExtensions = new LinkedHashSet<>();
        private final Set<String> optionalExtensions = new LinkedHashSet<>(List.of(EXTERNAL_MEMORY_FD, EXTERNAL_SEMAPHORE_FD,
                EXTERNAL_MEMORY_HOST, QUEUE_FAMILY_FOREIGN));
        private final Set<String> excludedExtensions = new LinkedHashSet<>();

        private Builder(VulkanInstance instance) {
            this.instance = instance;
        }

        /**
         * A name for messages and mutex handles, such as {@code lavapipe#1}. Defaults to the device name.
         *
         * @param participantName the name
         * @return this
         */
        public Builder name(String participantName) {
            this.name = participantName;
            return this;
        }

        /**
         * Only physical devices whose name or driver name contains this (case-insensitive).
         *
         * @param text part of the device or driver name, such as {@code llvmpipe}
         * @return this
         */
        public Builder deviceNameContains(String text) {
            this.nameContains = text;
            return this;
        }

        /**
         * Only the physical device a user's {@code name} fits ({@link DeviceSelector#one}: an index, a
         * label {@code ./baton devices} prints, or an unambiguous part of its name).
         *
         * @param userName the user's device name, as {@code --device} takes it
         * @return this builder
         * @throws IllegalArgumentException when the name fits no device or several
         */
        public Builder device(String userName) {
            return physicalDeviceIndex(DeviceSelector.one(instance.physicalDevices(), userName).index());
        }

        /**
         * Only the physical device with this enumeration index.
         *
         * @param physicalDeviceIndex the index in {@code vkEnumeratePhysicalDevices} order
         * @return this builder
         */
        public Builder physicalDeviceIndex(int physicalDeviceIndex) {
            this.index = physicalDeviceIndex;
            return this;
        }

        /**
         * Rejects devices that lack this extension.
         *
         * @param extension a device extension name
         * @return this
         */
        public Builder requireExtension(String extension) {
            requiredExtensions.add(extension);
            return this;
        }

        /**
         * Tests: behave as if the driver lacked {@code extension} (it is neither enabled nor counted
         * as present), to exercise the paths of machines whose drivers have no external memory.
         */
        Builder withoutExtension(String extension) {
            excludedExtensions.add(extension);
            return this;
        }

        /**
         * Requires OPAQUE_FD memory sharing (import and export). A device whose driver lacks
         * {@code VK_KHR_external_memory_fd} is rejected with a reason naming the extension and the
         * package of a driver that has it.
         *
         * @return this
         */
        public Builder requireMemorySharing() {
            return requireExtension(EXTERNAL_MEMORY_FD);
        }

        /**
         * Enables the extension if present.
         *
         * @param extension a device extension name
         * @return this
         */
        public Builder preferExtension(String extension) {
            optionalExtensions.add(extension);
            return this;
        }

        /**
         * Why each physical device would be rejected (null entry: acceptable). Does not create anything.
         *
         * @return one entry per physical device, in enumeration order
         */
        public List<String> rejectionReasons() {
            List<String> reasons = new ArrayList<>();
            for (PhysicalDeviceInfo d : instance.physicalDevices()) {
                reasons.add(reject(d));
            }
            return reasons;
        }

        private String reject(PhysicalDeviceInfo d) {
            if (index >= 0 && d.index() != index) {
                return "not physical device index " + index;
            }
            if (nameContains != null) {
                String n = nameContains.toLowerCase(Locale.ROOT);
                if (!d.name().toLowerCase(Locale.ROOT).contains(n) && !d.driverName().toLowerCase(Locale.ROOT).contains(n)) {
                    return "name does not contain '" + nameContains + "'";
                }
            }
            if (Integer.compareUnsigned(d.apiVersion(), VK_API_VERSION_1_3) < 0) {
                return "Vulkan " + d.apiVersionString() + " < 1.3";
            }
            for (String e : requiredExtensions) {
                if (!d.extensions().contains(e) || excludedExtensions.contains(e)) {
                    return missingExtensionReason(e);
                }
            }
            if (requiredExtensions.contains(EXTERNAL_MEMORY_FD) && !(d.memoryExport() && d.memoryImport())) {
                return "has " + EXTERNAL_MEMORY_FD + " but cannot export and import OPAQUE_FD memory for RGBA8 optimal"
                        + " images; use a device that can (./baton devices shows each one's support)";
            }
            VkPhysicalDevice pd = instance.physicalDevice(d.index());
            if (queueFamily(pd) < 0) {
                return "no queue family with graphics or compute";
            }
            try (MemoryStack stack = stackPush()) {
                VkPhysicalDeviceVulkan12Features f12 = VkPhysicalDeviceVulkan12Features.calloc(stack).sType$Default();
                VkPhysicalDeviceVulkan13Features f13 = VkPhysicalDeviceVulkan13Features.calloc(stack).sType$Default();
                f12.pNext(f13.address());
                VkPhysicalDeviceFeatures2 features = VkPhysicalDeviceFeatures2.calloc(stack).sType$Default().pNext(f12.address());
                vkGetPhysicalDeviceFeatures2(pd, features);
                if (!f12.timelineSemaphore()) {
                    return "no timelineSemaphore feature";
                }
                if (!f13.synchronization2()) {
                    return "no synchronization2 feature";
                }
            }
            return null;
        }

        /**
         * Creates the device on the first acceptable physical device.
         *
         * @return the new context, owned by the caller
         * @throws IllegalStateException naming every physical device and why it was rejected
         */
        public DeviceContext build() {
            List<PhysicalDeviceInfo> all = instance.physicalDevices();
            StringBuilder why = new StringBuilder();
            for (PhysicalDeviceInfo d : all) {
                String reason = reject(d);
                if (reason == null) {
                    return create(d);
                }
                why.append("\n  #").append(d.index()).append(' ').append(d.name()).append(": ").append(reason);
            }
            throw new IllegalStateException("no Vulkan device fits" + (nameContains != null ? " '" + nameContains + "'" : "")
                    + (all.isEmpty() ? ": the loader found none (install mesa-vulkan-drivers, or chromium-common for SwiftShader)" : ":")
                    + why);
        }

        private DeviceContext create(PhysicalDeviceInfo d) {
            VkPhysicalDevice pd = instance.physicalDevice(d.index());
            int family = queueFamily(pd);
            Set<String> enabled = new LinkedHashSet<>(requiredExtensions);
            for (String e : optionalExtensions) {
                if (d.extensions().contains(e) && !excludedExtensions.contains(e)) {
                    enabled.add(e);
                }
            }
            VkDevice device;
            try (MemoryStack stack = stackPush()) {
                VkDeviceQueueCreateInfo.Buffer queues = VkDeviceQueueCreateInfo.calloc(1, stack);
                queues.get(0).sType$Default().queueFamilyIndex(family).pQueuePriorities(stack.floats(1f));
                PointerBuffer names = stack.mallocPointer(enabled.size());
                for (String e : enabled) {
                    names.put(stack.UTF8(e));
                }
                names.flip();
                VkPhysicalDeviceVulkan12Features f12 = VkPhysicalDeviceVulkan12Features.calloc(stack).sType$Default().timelineSemaphore(true);
                VkPhysicalDeviceVulkan13Features f13 = VkPhysicalDeviceVulkan13Features.calloc(stack).sType$Default().synchronization2(true);
                f12.pNext(f13.address());
                VkDeviceCreateInfo info = VkDeviceCreateInfo.calloc(stack).sType$Default().pNext(f12.address())
                        .pQueueCreateInfos(queues).ppEnabledExtensionNames(names);
                PointerBuffer pDevice = stack.mallocPointer(1);
                VkResults.check(vkCreateDevice(pd, info, null, pDevice), "vkCreateDevice(" + d.name() + ")");
                device = new VkDevice(pDevice.get(0), pd, info);
            }
            try {
                return new DeviceContext(name != null ? name : d.name(), d, pd, device, family, 0, enabled, false);
            } catch (RuntimeException e) {
                vkDestroyDevice(device, null);
                throw e;
            }
        }

        /** Why a device lacking a required {@code extension} is rejected, and what to do about it. */
        static String missingExtensionReason(String extension) {
            if (extension.equals(EXTERNAL_MEMORY_FD)) {
                return "lacks " + EXTERNAL_MEMORY_FD + ", which requireMemorySharing() needs to export and import surface"
                        + " memory; install a driver that has it (mesa-vulkan-drivers: lavapipe has it), or drop"
                        + " requireMemorySharing() and let surfaces copy through host memory (host-copy)";
            }
            if (extension.equals(EXTERNAL_SEMAPHORE_FD)) {
                return "lacks " + EXTERNAL_SEMAPHORE_FD + ", needed to share semaphores; use a driver that has it"
                        + " (SwiftShader from chromium-common, or a hardware driver), or do not require it: surfaces"
                        + " then sync through the host bridge";
            }
            return "lacks required extension " + extension + "; use a device whose driver has it (./baton devices lists"
                    + " each device), or do not require it";
        }

        private static int queueFamily(VkPhysicalDevice pd) {
            try (MemoryStack stack = stackPush()) {
                IntBuffer count = stack.mallocInt(1);
                vkGetPhysicalDeviceQueueFamilyProperties(pd, count, null);
                VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.malloc(count.get(0), stack);
                vkGetPhysicalDeviceQueueFamilyProperties(pd, count, families);
                for (int i = 0; i < families.capacity(); i++) {
                    if ((families.get(i).queueFlags() & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) != 0) {
                        return i;
                    }
                }
                return -1;
            }
        }
    }

    /** {@return the participant name, for messages and mutex handles} */
    public String name() {
        return name;
    }

    /** {@return the facts of the physical device} */
    public PhysicalDeviceInfo info() {
        return info;
    }

    /** {@return the {@code VkDevice}: Baton's own, or the application's when {@linkplain #isAdopted() adopted}} */
    public VkDevice vkDevice() {
        return device;
    }

    /** {@return the family of the queue Baton submits to} */
    public int queueFamilyIndex() {
        return queueFamilyIndex;
    }

    /** {@return the index of Baton's queue within {@link #queueFamilyIndex()} (0 unless adopted)} */
    public int queueIndex() {
        return queueIndex;
    }

    /** {@return true if the {@code VkDevice} is the application's ({@link #adopt}): {@link #close()} leaves it alive} */
    public boolean isAdopted() {
        return adopted;
    }

    /**
     * Whether the device was created with {@code extension} enabled.
     *
     * @param extension a device extension name
     * @return true if enabled
     */
    public boolean hasExtension(String extension) {
        return enabledExtensions.contains(extension);
    }

    /** {@return a primary command buffer from this device's pool; owning thread only} */
    public VkCommandBuffer allocateCommandBuffer() {
        try (MemoryStack stack = stackPush()) {
            VkCommandBufferAllocateInfo info = VkCommandBufferAllocateInfo.calloc(stack).sType$Default()
                    .commandPool(commandPool).level(VK_COMMAND_BUFFER_LEVEL_PRIMARY).commandBufferCount(1);
            PointerBuffer p = stack.mallocPointer(1);
            VkResults.check(vkAllocateCommandBuffers(device, info, p), "vkAllocateCommandBuffers");
            return new VkCommandBuffer(p.get(0), device);
        }
    }

    /**
     * Returns a command buffer to the pool; it must not be pending. Null is ignored.
     *
     * @param commandBuffer one from {@link #allocateCommandBuffer()}, or null
     */
    public void freeCommandBuffer(VkCommandBuffer commandBuffer) {
        if (commandBuffer != null && !closed) {
            vkFreeCommandBuffers(device, commandPool, commandBuffer);
        }
    }

    /**
     * Submits {@code commandBuffer} as the work of {@code lease}: waits for what the lease says the
     * surface is waiting on, wraps the work in the surface's acquire/release barriers, and signals
     * the fence value the lease will release with. No allocation, no CPU wait (except the host-copy
     * tier's staging, which happened in acquire). Owning thread only.
     *
     * @param commandBuffer recorded work on the lease's image (left in GENERAL)
     * @param lease the held lease of an endpoint of this device
     * @return the fence value the submission signals on the endpoint's timeline
     * @throws DeviceLostException after reporting the loss to every surface this device takes part in
     */
    public long submit(VkCommandBuffer commandBuffer, Lease lease) {
        return lease.submitOn(this, commandBuffer);
    }

    /**
     * Submits {@code commandBuffer} alone and signals {@code timeline} to {@code value}. For setup and tests.
     *
     * @param commandBuffer recorded work
     * @param timeline a timeline of this device
     * @param value the value to signal
     */
    public void submit(VkCommandBuffer commandBuffer, VulkanTimeline timeline, long value) {
        beginBatch();
        addCommandBuffer(commandBuffer);
        addSignal(timeline.handle(), value);
        flushBatch();
    }

    /**
     * Submits {@code commandBuffer} to run once {@code waitTimeline} reaches {@code waitValue} (all
     * commands wait), and signals {@code timeline} to {@code value}. The wait may be queued before anyone
     * signals it (wait-before-signal): e.g. on this device's own timeline for a value another process's
     * GPU reached, which the caller then signals from the host ({@link VulkanTimeline#signalFromHost})
     * when that process reports it, so the work starts without a submit on the critical path. No
     * allocation. Owning thread only.
     *
     * @param commandBuffer recorded work
     * @param waitTimeline a timeline of this device to wait on
     * @param waitValue the value to wait for (0: no wait)
     * @param timeline a timeline of this device to signal
     * @param value the value to signal
     */
    public void submit(VkCommandBuffer commandBuffer, VulkanTimeline waitTimeline, long waitValue, VulkanTimeline timeline, long value) {
        beginBatch();
        if (waitValue != 0) {
            addWait(waitTimeline.handle(), waitValue, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
        }
        addCommandBuffer(commandBuffer);
        addSignal(timeline.handle(), value);
        flushBatch();
    }

    /**
     * Submits {@code commandBuffer} and waits for the queue to drain: setup and teardown only (surface
     * creation), never in the handoff path.
     */
    void submitAndWaitIdle(VkCommandBuffer commandBuffer) {
        beginBatch();
        addCommandBuffer(commandBuffer);
        flushBatch();
        checkLoss(vkQueueWaitIdle(queue), "vkQueueWaitIdle", null);
    }

    // ---- The batch: package-private, owning thread only. ----

    void beginBatch() {
        waitCount = 0;
        signalCount = 0;
        commandBufferCount = 0;
    }

    void addWait(long semaphore, long value, long stageMask) {
        waitSemaphores[waitCount] = semaphore;
        waitValues[waitCount] = value;
        waitStages[waitCount] = stageMask;
        waitCount++;
    }

    void addSignal(long semaphore, long value) {
        signalSemaphores[signalCount] = semaphore;
        signalValues[signalCount] = value;
        signalCount++;
    }

    void addCommandBuffer(VkCommandBuffer commandBuffer) {
        commandBuffers[commandBufferCount++] = commandBuffer;
    }

    void flushBatch() {
        if (lost) {
            throw new DeviceLostException("vkQueueSubmit2 on " + name + " (device already lost)");
        }
        if (injectLoss) {
            injectLoss = false;
            markLost();
            throw new DeviceLostException("vkQueueSubmit2 on " + name + " (injected by test)");
        }
        // Only the fields that change are written; see submitStructs for the layout.
        int semaphoreInfoSize = VkSemaphoreSubmitInfo.SIZEOF;
        for (int i = 0; i < waitCount; i++) {
            long a = waitInfos + (long) i * semaphoreInfoSize;
            VkSemaphoreSubmitInfo.nsemaphore(a, waitSemaphores[i]);
            VkSemaphoreSubmitInfo.nvalue(a, waitValues[i]);
            VkSemaphoreSubmitInfo.nstageMask(a, waitStages[i]);
        }
        for (int i = 0; i < signalCount; i++) {
            long a = signalInfos + (long) i * semaphoreInfoSize;
            VkSemaphoreSubmitInfo.nsemaphore(a, signalSemaphores[i]);
            VkSemaphoreSubmitInfo.nvalue(a, signalValues[i]);
        }
        for (int i = 0; i < commandBufferCount; i++) {
            MemoryUtil.memPutAddress(commandBufferInfos + (long) i * VkCommandBufferSubmitInfo.SIZEOF
                    + VkCommandBufferSubmitInfo.COMMANDBUFFER, commandBuffers[i].address());
        }
        VkSubmitInfo2.nwaitSemaphoreInfoCount(submitInfo, waitCount);
        MemoryUtil.memPutAddress(submitInfo + VkSubmitInfo2.PWAITSEMAPHOREINFOS, waitCount == 0 ? MemoryUtil.NULL : waitInfos);
        VkSubmitInfo2.ncommandBufferInfoCount(submitInfo, commandBufferCount);
        MemoryUtil.memPutAddress(submitInfo + VkSubmitInfo2.PCOMMANDBUFFERINFOS,
                commandBufferCount == 0 ? MemoryUtil.NULL : commandBufferInfos);
        VkSubmitInfo2.nsignalSemaphoreInfoCount(submitInfo, signalCount);
        MemoryUtil.memPutAddress(submitInfo + VkSubmitInfo2.PSIGNALSEMAPHOREINFOS, signalCount == 0 ? MemoryUtil.NULL : signalInfos);
        checkLoss(nvkQueueSubmit2(queue, 1, submitInfo, VK_NULL_HANDLE), "vkQueueSubmit2", null);
    }

    /**
     * {@link VkResults#check} that also reports device loss to every listener. The message is only
     * built on failure ({@code subject} may be null), so the handoff path allocates nothing.
     */
    int checkLoss(int result, String call, Object subject) {
        if (result >= 0) {
            return result;
        }
        if (result == VK_ERROR_DEVICE_LOST) {
            markLost();
        }
        return VkResults.check(result, call + (subject == null ? "" : "(" + subject + ")") + " on " + name);
    }

    /** Registers a callback run (once) when the device is lost; surfaces use it to abandon their mutex. */
    void onLoss(Runnable listener) {
        lossListeners.add(listener);
    }

    void removeLossListener(Runnable listener) {
        lossListeners.remove(listener);
    }

    void markLost() {
        if (lost) {
            return;
        }
        lost = true;
        for (Runnable r : lossListeners) {
            r.run();
        }
    }

    /** Makes the next submit fail as {@code VK_ERROR_DEVICE_LOST}, for tests. Any thread. */
    public void injectDeviceLossOnNextSubmit() {
        injectLoss = true;
    }

    /**
     * Makes the next host wait, query or host signal on one of this device's timelines fail as
     * {@code VK_ERROR_DEVICE_LOST}, for tests and the demo's fault plan: a loss "after release", the
     * way hardware reports it (the submit went through and its fence value was released to the next
     * owner, then the GPU hung and the next {@code vkWaitSemaphores} or
     * {@code vkGetSemaphoreCounterValue} says the device is gone). Whichever thread waits next sees
     * it: the host bridge waiting for the released value, a GL compositor checking readiness, or
     * the device's own thread. Work already submitted keeps running on the CPU drivers here, so a test
     * that wants it never to finish holds it behind a gate ({@link Lease#alsoWaitFor}). Any thread.
     */
    public void injectDeviceLossOnNextWait() {
        injectWaitLoss = true;
    }

    /**
     * {@link #checkLoss} for host waits, queries and signals on this device's timelines: also reports
     * the loss {@link #injectDeviceLossOnNextWait()} asked for. Allocates nothing unless it throws.
     */
    int checkWaitLoss(int result, String call, Object subject) {
        if (injectWaitLoss) {
            injectWaitLoss = false;
            markLost();
            throw new DeviceLostException(call + "(" + subject + ") on " + name + " (injected by test: lost after release)");
        }
        return checkLoss(result, call, subject);
    }

    /** {@return true once a submit or wait reported {@code VK_ERROR_DEVICE_LOST} (real or injected). Any thread} */
    public boolean isLost() {
        return lost;
    }

    /** Index of a memory type allowed by {@code typeBits} with all {@code required} property flags, or -1. */
    int memoryType(int typeBits, int required) {
        return MemoryTypes.choose(memoryTypeFlags(), typeBits, required, 0);
    }

    private int[] memoryTypeFlags() {
        int[] flags = new int[memoryProperties.memoryTypeCount()];
        for (int i = 0; i < flags.length; i++) {
            flags[i] = memoryProperties.memoryTypes(i).propertyFlags();
        }
        return flags;
    }

    /** Like {@link #memoryType} but prefers {@code preferred} flags and fails with a clear message. */
    int memoryType(int typeBits, int required, int preferred) {
        int best = MemoryTypes.choose(memoryTypeFlags(), typeBits, required, preferred);
        if (best < 0) {
            throw new IllegalStateException(name + " has no memory type with flags 0x" + Integer.toHexString(required)
                    + " in type bits 0x" + Integer.toHexString(typeBits) + "; this driver cannot back the resource:"
                    + " use another device (./baton devices lists them)");
        }
        return best;
    }

    /**
     * Destroys the command pool and the device after waiting for the queue to drain (teardown only:
     * the handoff path never waits for idle). Close every surface endpoint and timeline of this
     * device first. Idempotent.
     *
     * <p>The wait is bounded ({@link #closeTimeout}, default 5 s): a fence submitted behind
     * everything else on the queue, never {@code vkDeviceWaitIdle}, so a queue stuck on a wait nobody
     * will signal cannot hang teardown. A lost device answers {@code VK_ERROR_DEVICE_LOST} at once and
     * is destroyed.
     *
     * <p>An adopted context ({@link #adopt}) destroys only its command pool, after the same bounded
     * wait on its queue (under the queue rule above); the application's device and queue stay alive
     * and usable, and the application destroys them after this.
     *
     * @throws IllegalStateException if the queue did not drain in time: nothing is destroyed (that
     *     would free objects the GPU still uses), the context stays open and {@code close()} may be
     *     called again once the stuck wait is resolved
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        // Also on a lost device: work submitted before the loss may still run (an injected loss, a late
        // report), and a really lost device answers at once with VK_ERROR_DEVICE_LOST; destroying is valid then.
        // Bounded, unlike vkDeviceWaitIdle/vkQueueWaitIdle: a queue stuck on a wait nobody will signal
        // must not hang teardown. Baton submits to this one queue only, so its drain is the device's.
        if (!drainQueue(closeTimeoutNanos)) {
            throw new IllegalStateException("closing " + name + ": its queue did not drain within " + closeTimeoutNanos / 1_000_000
                    + " ms (a submit waits for a value nobody signals); not destroying a device whose GPU still uses it"
                    + " (it stays open, close() may be retried): close every surface first, or find the stuck wait");
        }
        closed = true;
        if (adopted) {
            // vkDeviceWaitIdle would need every queue of the application's device to be ours to lock.
            vkDestroyCommandPool(device, commandPool, null);
            memoryProperties.free();
            MemoryUtil.nmemFree(submitStructs);
            return;
        }
        vkDestroyCommandPool(device, commandPool, null);
        vkDestroyDevice(device, null);
        memoryProperties.free();
        MemoryUtil.nmemFree(submitStructs);
    }

    /**
     * Teardown: waits at most {@code timeoutNanos} for everything submitted so far to this context's
     * queue to complete, before the caller destroys objects that work uses. A fence, as {@link #close()}
     * drains the queue, never {@code vkDeviceWaitIdle}, so a submit waiting for a value nobody will
     * signal cannot hang it. Not for the handoff path (which waits on fence values). Owning thread.
     *
     * @param timeoutNanos the most nanoseconds to wait
     * @return true once the queue drained (or the device was lost); false if the time ran out: the
     *     work is still pending, so what it uses must not be destroyed
     */
    public boolean awaitIdle(long timeoutNanos) {
        return closed || drainQueue(timeoutNanos);
    }

    /**
     * Teardown: waits at most {@code timeoutNanos} for everything submitted to this context's queue, by
     * submitting an empty batch that signals a fresh fence (a fence signal by {@code vkQueueSubmit2}
     * includes every earlier submission on the queue in its first synchronization scope) and waiting
     * for the fence. True if the queue drained or the device answered {@code VK_ERROR_DEVICE_LOST}
     * (its objects may then be destroyed); false on timeout. Owning thread.
     */
    private boolean drainQueue(long timeoutNanos) {
        try (MemoryStack stack = stackPush()) {
            LongBuffer pFence = stack.mallocLong(1);
            if (drainFence == VK_NULL_HANDLE) {
                int created = vkCreateFence(device, VkFenceCreateInfo.calloc(stack).sType$Default(), null, pFence);
                if (created == VK_ERROR_DEVICE_LOST) {
                    return true;
                }
                VkResults.check(created, "vkCreateFence(teardown) on " + name);
                long fence = pFence.get(0);
                // Straight to the driver, not flushBatch: an injected loss must not skip the drain.
                int submitted = vkQueueSubmit2(queue, VkSubmitInfo2.calloc(1, stack).sType$Default(), fence);
                if (submitted < 0) {
                    vkDestroyFence(device, fence, null); // never submitted: not in use
                    if (submitted == VK_ERROR_DEVICE_LOST) {
                        return true;
                    }
                    VkResults.check(submitted, "vkQueueSubmit2(teardown) on " + name);
                }
                drainFence = fence;
            }
            pFence.put(0, drainFence);
            int waited = vkWaitForFences(device, pFence, true, timeoutNanos);
            if (waited == VK_TIMEOUT) {
                return false; // the fence stays pending (and alive) for a retried close
            }
            vkDestroyFence(device, drainFence, null);
            drainFence = VK_NULL_HANDLE;
            if (waited != VK_ERROR_DEVICE_LOST) {
                VkResults.check(waited, "vkWaitForFences(teardown) on " + name);
            }
            return true;
        }
    }

    /**
     * How long {@link #close()} waits for this context's queue to drain (default 5 s). Owning thread.
     *
     * @param timeoutNanos a positive bound in nanoseconds
     * @return this
     */
    public DeviceContext closeTimeout(long timeoutNanos) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("close timeout must be positive, got " + timeoutNanos + " ns; e.g. 5 s");
        }
        this.closeTimeoutNanos = timeoutNanos;
        return this;
    }

    @Override
    public String toString() {
        return name + " (" + info.name() + ")";
    }
}
