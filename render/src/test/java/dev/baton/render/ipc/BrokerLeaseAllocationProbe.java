package dev.baton.render.ipc;

import static dev.baton.render.ipc.Protocol.*;

import dev.baton.render.vk.BrokerSurfaces;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.Lease;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.SurfaceEndpoint;
import dev.baton.render.vk.SurfaceImage;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.sync.AcquireStatus;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.lwjgl.vulkan.VK10;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkCommandBufferBeginInfo;

/**
 * The child-JVM side of {@link BrokerLeaseAllocationTest}: a producer hands frames to a broker with
 * the Lease API ({@link BrokerSurfaces}: acquire, submit under the lease, release) on lavapipe, and a
 * second client plays the compositor (acquire, wait for FENCE_REACHED, release back); prints the
 * bytes every thread of the handoff allocated in the steady state: the producer's render thread, its
 * fence reporter, the compositor client's thread and the broker's loop.
 *
 * <p>Arguments: warm-up turns, measured turns (in rounds of 1,000). Prints
 * {@code RESULT handoffs=... minRoundBytes=... rounds=b1,b2,...}
 * or {@code SKIP reason} and exits 0. The JVM flags ({@code -XX:-DoEscapeAnalysis}) are the test's.
 */
final class BrokerLeaseAllocationProbe {
    private static final long SECOND = 1_000_000_000L;

    private BrokerLeaseAllocationProbe() {}

    public static void main(String[] args) throws Exception {
        int warmup = Integer.parseInt(args[0]);
        int measured = Integer.parseInt(args[1]);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Path dir = Files.createTempDirectory("baton-lease-probe");
        List<String> log = new CopyOnWriteArrayList<>();
        try (VulkanInstance vk = VulkanInstance.create(false);
             Broker broker = Broker.start(IpcTestSupport.socketPath(dir), IpcTestSupport.sharingConfig(log))) {
            DeviceContext dev;
            try {
                dev = DeviceContext.builder(vk).device("lavapipe").name("probe").build();
            } catch (IllegalArgumentException e) {
                System.out.println("SKIP no lavapipe device: " + e.getMessage());
                return;
            }
            try (BrokerClient compositor = BrokerClient.connect(broker.socketPath(), "compositor", 5 * SECOND);
                 BrokerClient producer = BrokerClient.connect(broker.socketPath(), "producer", 5 * SECOND)) {
                BrokerClient.Surface offered = producer.offer(64, 32, SurfaceImage.FORMAT, SurfaceImage.USAGE, MEMORY_HOST_MEMFD,
                        SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
                BrokerClient.Surface granted = compositor.awaitGrant(5 * SECOND);
                int rounds = (measured + ROUND - 1) / ROUND;
                int total = warmup + rounds * ROUND + ROUND; // a last, unmeasured round: every thread still runs when the last measured one ends
                Thread consumer = new Thread(() -> {
                    for (int i = 0; i < total; i++) {
                        if (compositor.acquire(granted, 1L, 10 * SECOND) != AcquireStatus.ACQUIRED) {
                            return;
                        }
                        long fence = compositor.fenceValue();
                        long deadline = System.nanoTime() + 10 * SECOND;
                        while (Long.compareUnsigned(granted.reachedFenceValue(), fence) < 0 && System.nanoTime() < deadline) {
                            compositor.socket().awaitReadable(10);
                            compositor.poll();
                        }
                        compositor.release(granted, 0L, fence, null);
                    }
                }, "probe-compositor");
                try (BrokerSurfaces links = BrokerSurfaces.over(producer, 10 * SECOND, 4, "probe")) {
                    SharedSurface surface = links.open(offered, dev);
                    VkCommandBuffer work = dev.allocateCommandBuffer();
                    try (org.lwjgl.system.MemoryStack stack = org.lwjgl.system.MemoryStack.stackPush()) {
                        VK10.vkBeginCommandBuffer(work, VkCommandBufferBeginInfo.calloc(stack).sType$Default()
                                .flags(VK10.VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT));
                        VK10.vkEndCommandBuffer(work);
                    }
                    consumer.start();
                    SurfaceEndpoint endpoint = surface.endpoint(0);
                    ByteBuffer data = ByteBuffer.allocateDirect(8);
                    Thread loop = find("baton-broker");
                    Thread reporter = find("baton-fence-reporter-probe");
                    long compositorId = consumer.getId();
                    long[] roundBytes = new long[rounds];
                    long mark = 0;
                    int handoffs = 0;
                    try {
                        for (int i = 0; i < total; i++) {
                            if (i >= warmup && (i - warmup) % ROUND == 0 && (i - warmup) / ROUND <= rounds) {
                                long now = allocated(threads, loop, reporter, compositorId);
                                if (i > warmup) {
                                    roundBytes[(i - warmup) / ROUND - 1] = now - mark;
                                }
                                mark = now;
                            }
                            Lease lease = endpoint.acquire(0L, 10 * SECOND);
                            if (!lease.acquired()) {
                                throw new IllegalStateException("turn " + i + ": " + lease.status() + " " + links.failure());
                            }
                            dev.submit(work, lease);
                            data.putLong(0, i);
                            lease.release(1L, data);
                            if (i >= warmup && i < warmup + rounds * ROUND) {
                                handoffs++;
                            }
                        }
                        if (!links.drain(10 * SECOND)) {
                            throw new IllegalStateException("the last frames were not reported: " + links.failure());
                        }
                        consumer.join(20_000);
                        StringBuilder all = new StringBuilder();
                        long min = Long.MAX_VALUE;
                        for (long b : roundBytes) {
                            all.append(all.length() == 0 ? "" : ",").append(b);
                            min = Math.min(min, b);
                        }
                        System.out.println("RESULT handoffs=" + handoffs + " minRoundBytes=" + min + " rounds=" + all
                                + " violations=" + broker.violations());
                    } finally {
                        VK10.vkDeviceWaitIdle(dev.vkDevice());
                        dev.freeCommandBuffer(work);
                        surface.close();
                    }
                }
            } finally {
                dev.close();
            }
        }
    }

    /** Handoffs per measured round. */
    private static final int ROUND = 1000;

    /** Bytes allocated so far by every thread of the handoff: this render thread, the reporter, the compositor client, the broker's loop. */
    private static long allocated(com.sun.management.ThreadMXBean threads, Thread loop, Thread reporter, long compositor) {
        return threads.getCurrentThreadAllocatedBytes() + threads.getThreadAllocatedBytes(reporter.getId())
                + threads.getThreadAllocatedBytes(loop.getId()) + threads.getThreadAllocatedBytes(compositor);
    }

    private static Thread find(String name) {
        List<Thread> all = new ArrayList<>(Thread.getAllStackTraces().keySet());
        for (Thread t : all) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        throw new IllegalStateException("no thread " + name);
    }
}
