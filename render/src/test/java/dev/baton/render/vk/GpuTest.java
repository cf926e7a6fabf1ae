package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTier;
import dev.baton.render.SyncTierSelector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;

/**
 * Base of every GPU test: a validated instance (synchronization validation on), devices picked by
 * what they offer (never by driver name), and teardown that closes everything in reverse and fails on
 * any validation message. Pixel tests run once per device that can take part ({@link #perDevice},
 * {@link #perPair}: dynamic tests named by device, the others skipped with the reason); a test that
 * needs one device of a kind takes the first that offers it ({@link #deviceWhoseBestTierIs}). When no
 * device fits, the test fails naming the packages when {@code CI=true}, and is skipped otherwise.
 */
abstract class GpuTest {
    static final long SECOND_NANOS = 1_000_000_000L;
    /** Same-device tiers, best first (host copy is never chosen between two devices of one driver). */
    static final List<SyncTier> SAME_DEVICE_TIERS = List.of(SyncTier.SHARED_TIMELINE, SyncTier.BINARY_SEMAPHORE, SyncTier.HOST_BRIDGE);
    static final String DRIVER_PACKAGES = "mesa-vulkan-drivers, and chromium-common for SwiftShader (run through ./baton test)";

    protected VulkanInstance instance;
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();

    @BeforeEach
    void createInstance() {
        requireOrSkip(VulkanInstance.validationLayerAvailable(), "the Khronos validation layer",
                "vulkan-validationlayers (or chromium-common, via ./baton)");
        // -Dbaton.validation=false only for diagnosing layer crashes; the tests are meant to run validated.
        instance = VulkanInstance.create(!"false".equals(System.getProperty("baton.validation")));
    }

    /** A new device (memory sharing required) on {@code physical}, closed after the test. */
    protected DeviceContext device(PhysicalDeviceInfo physical, String participantName) {
        return own(DeviceContext.builder(instance).physicalDeviceIndex(physical.index()).name(participantName).requireMemorySharing().build());
    }

    /** Every physical device, hardware first (as the bench orders them). */
    protected List<PhysicalDeviceInfo> devices() {
        return DeviceSelector.hardwareFirst(instance.physicalDevices());
    }

    /** Why a memory-sharing device cannot be built on {@code d}, or null when it can. */
    protected String rejection(PhysicalDeviceInfo d) {
        return DeviceContext.builder(instance).requireMemorySharing().rejectionReasons().get(instance.physicalDevices().indexOf(d));
    }

    /** The first device (hardware first) on which a memory-sharing device can be built, or null. */
    static PhysicalDeviceInfo memorySharingDeviceOf(VulkanInstance instance) {
        List<String> rejections = DeviceContext.builder(instance).requireMemorySharing().rejectionReasons();
        for (PhysicalDeviceInfo d : DeviceSelector.hardwareFirst(instance.physicalDevices())) {
            if (rejections.get(instance.physicalDevices().indexOf(d)) == null) {
                return d;
            }
        }
        return null;
    }

    /** The first device (hardware first) whose best same-device tier is {@code tier}, or null. */
    static PhysicalDeviceInfo deviceWhoseBestTierIsOf(VulkanInstance instance, SyncTier tier) {
        List<String> rejections = DeviceContext.builder(instance).requireMemorySharing().rejectionReasons();
        for (PhysicalDeviceInfo d : DeviceSelector.hardwareFirst(instance.physicalDevices())) {
            List<SyncTier> tiers = sameDeviceTiers(d);
            if (rejections.get(instance.physicalDevices().indexOf(d)) == null && !tiers.isEmpty() && tiers.get(0) == tier) {
                return d;
            }
        }
        return null;
    }

    /** The device whose driver and device UUIDs are GL's (memory imports into that GL), or null. */
    static PhysicalDeviceInfo glTwinOf(VulkanInstance instance, dev.baton.render.gl.GlInfo gl) {
        for (PhysicalDeviceInfo d : DeviceSelector.hardwareFirst(instance.physicalDevices())) {
            if (dev.baton.render.gl.GlInfo.hex(gl.driverUuid()).equals(d.driverUuidHex())
                    && dev.baton.render.gl.GlInfo.hex(gl.deviceUuid()).equals(d.deviceUuidHex())) {
                return d;
            }
        }
        return null;
    }

    /** The tiers two VkDevices on {@code d} can use, best first, as the selector judges a requested tier. */
    static List<SyncTier> sameDeviceTiers(PhysicalDeviceInfo d) {
        List<SyncTier> offered = new ArrayList<>();
        for (SyncTier tier : SAME_DEVICE_TIERS) {
            if (whyNotTier(d.capabilities("a"), d.capabilities("b"), tier) == null) {
                offered.add(tier);
            }
        }
        return offered;
    }

    /** Why a surface between a and b cannot use {@code tier}, or null when it can. */
    static String whyNotTier(InteropCapabilities a, InteropCapabilities b, SyncTier tier) {
        try {
            SyncTierSelector.choose(List.of(a, b), tier.id());
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Why two VkDevices on {@code d} cannot run a surface on {@code tier}, or null when they can. */
    protected String whyNotSameDevice(PhysicalDeviceInfo d, SyncTier tier) {
        String rejected = rejection(d);
        if (rejected != null) {
            return rejected;
        }
        return sameDeviceTiers(d).contains(tier) ? null : "two devices on it cannot use " + tier + " (it offers " + sameDeviceTiers(d) + ")";
    }

    /**
     * A new device on the first physical device (hardware first) whose same-device pairs' best tier is
     * {@code tier}, for tests written for that tier; skipped (failed under CI) when none is.
     */
    protected DeviceContext deviceWhoseBestTierIs(SyncTier tier, String participantName) {
        for (PhysicalDeviceInfo d : devices()) {
            if (rejection(d) == null && !sameDeviceTiers(d).isEmpty() && sameDeviceTiers(d).get(0) == tier) {
                return device(d, participantName);
            }
        }
        requireOrSkip(false, "a Vulkan device whose best same-device tier is " + tier, tier == SyncTier.BINARY_SEMAPHORE
                ? "chromium-common (SwiftShader exports binary semaphores; run through ./baton test)" : "mesa-vulkan-drivers (lavapipe)");
        throw new AssertionError("unreachable");
    }

    /** One test body per physical device. */
    @FunctionalInterface
    interface DeviceBody {
        void run(PhysicalDeviceInfo device) throws Exception;
    }

    /** One test body per pair of different physical devices ({@code a} allocates). */
    @FunctionalInterface
    interface PairBody {
        void run(PhysicalDeviceInfo a, PhysicalDeviceInfo b) throws Exception;
    }

    /** The name of a dynamic test on {@code d}: its {@code ./baton devices} label and device name. */
    static String name(PhysicalDeviceInfo d) {
        return DeviceSelector.label(d) + " (" + d.name() + ")";
    }

    /**
     * One dynamic test per physical device, named by it: {@code body} runs where {@code whyNot} says
     * null, the others are skipped with its reason; whatever a run owned is closed after it. With no
     * device able to take part, one more test is skipped (failed under CI) saying so.
     */
    protected Stream<DynamicTest> perDevice(String what, Function<PhysicalDeviceInfo, String> whyNot, DeviceBody body) {
        List<DynamicTest> tests = new ArrayList<>();
        boolean any = false;
        for (PhysicalDeviceInfo d : devices()) {
            String why = whyNot.apply(d);
            any |= why == null;
            tests.add(DynamicTest.dynamicTest(name(d), () -> {
                log(what, name(d), why);
                Assumptions.assumeTrue(why == null, () -> name(d) + " cannot take part: " + why);
                try {
                    body.run(d);
                } finally {
                    closeOwned();
                }
            }));
        }
        if (!any) {
            tests.add(DynamicTest.dynamicTest("no device can take part", () -> noneCanTakePart(what)));
        }
        return tests.stream();
    }

    /** Like {@link #perDevice} over every ordered pair of different physical devices ({@code a -> b}). */
    protected Stream<DynamicTest> perPair(String what, java.util.function.BiFunction<PhysicalDeviceInfo, PhysicalDeviceInfo, String> whyNot,
                                          PairBody body) {
        List<DynamicTest> tests = new ArrayList<>();
        boolean any = false;
        List<PhysicalDeviceInfo> all = devices();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                PhysicalDeviceInfo a = all.get(i);
                PhysicalDeviceInfo b = all.get(j);
                String ra = rejection(a);
                String rb = rejection(b);
                String why = ra != null ? name(a) + ": " + ra : rb != null ? name(b) + ": " + rb : whyNot.apply(a, b);
                any |= why == null;
                String title = name(a) + " -> " + name(b);
                tests.add(DynamicTest.dynamicTest(title, () -> {
                    log(what, title, why);
                    Assumptions.assumeTrue(why == null, () -> title + " cannot take part: " + why);
                    try {
                        body.run(a, b);
                    } finally {
                        closeOwned();
                    }
                }));
            }
        }
        if (!any) {
            tests.add(DynamicTest.dynamicTest("no pair of devices can take part", () -> {
                requireOrSkip(instance.physicalDevices().size() >= 2, "two different Vulkan devices", DRIVER_PACKAGES);
                Assumptions.assumeTrue(false, "no pair of the Vulkan devices here can take part in " + what);
            }));
        }
        return tests.stream();
    }

    /** One line per device and test in the test's output: what ran, what was skipped and why. */
    private static void log(String what, String device, String whyNot) {
        System.out.println("[" + what + "] " + device + ": " + (whyNot == null ? "runs" : "skipped: " + whyNot));
    }

    protected <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    /**
     * No device can take part in {@code what}: without any Vulkan device a driver is missing (failed
     * under CI, which installs them); with devices that lack the capability (a hardware-only tier on
     * CPU drivers) the test is skipped with that reason, on CI too.
     */
    private void noneCanTakePart(String what) {
        requireOrSkip(!instance.physicalDevices().isEmpty(), "a Vulkan device", DRIVER_PACKAGES);
        Assumptions.assumeTrue(false, "no Vulkan device here can take part in " + what + " (devices: "
                + instance.physicalDevices().stream().map(GpuTest::name).toList() + ")");
    }

    static void requireOrSkip(boolean present, String what, String pkg) {
        if (present) {
            return;
        }
        String message = what + " is not available; install " + pkg;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message);
        }
        Assumptions.assumeTrue(false, message);
    }

    /**
     * One turn of a participant: acquire {@code key}, read back what the previous owner drew and draw
     * {@code frame}, release to {@code nextKey} with the frame number as private data, then (test only)
     * wait for our own submit and check the read-back against the frame number the previous owner sent.
     *
     * @return the previous frame number seen (or -1 if there was none)
     */
    static int turn(SurfaceEndpoint endpoint, TestPattern pattern, long key, long nextKey, int frame) throws InterruptedException {
        Lease lease = endpoint.acquire(key, 5 * SECOND_NANOS);
        assertEquals(dev.baton.sync.AcquireStatus.ACQUIRED, lease.status(), () -> endpoint + " acquire(" + key + ")");
        java.nio.ByteBuffer data = lease.privateData();
        int previous = data != null && data.remaining() >= 4 ? data.getInt(data.position()) : -1;
        long done = endpoint.device().submit(pattern.record(lease, previous >= 0, true, frame), lease);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(4).putInt(0, frame);
        lease.release(nextKey, out);
        if (previous >= 0) {
            if (!endpoint.timeline().awaitValue(done, 10 * SECOND_NANOS)) {
                fail(endpoint + ": own submit " + done + " did not complete in 10 s");
            }
            String mismatch = pattern.check(previous);
            if (mismatch != null) {
                fail(endpoint + " received " + mismatch);
            }
        }
        return previous;
    }

    /**
     * Closes everything owned so far, newest first, and rethrows the first failure after trying all.
     * Tests call it to check what teardown leaves behind (fds) while the instance is still open; the
     * validation layer reports leaked Vulkan objects when each device is destroyed.
     */
    protected void closeOwned() throws Exception {
        Exception first = null;
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @AfterEach
    void closeAndCheckValidation() throws Exception {
        Exception first = null;
        try {
            closeOwned();
        } catch (Exception e) {
            first = e;
        }
        if (instance != null) {
            instance.close();
            if (first != null) {
                throw first;
            }
            assertEquals(0, instance.validationMessageCount(), () -> "validation messages:\n" + String.join("\n", instance.validationMessages()));
        }
    }
}
