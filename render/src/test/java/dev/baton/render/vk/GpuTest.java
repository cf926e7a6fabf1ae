package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of every GPU test: a validated instance (synchronization validation on), devices picked by
 * driver name, and teardown that closes everything in reverse and fails on any validation message.
 * A missing driver fails the test naming the package when {@code CI=true}, and skips it otherwise.
 */
abstract class GpuTest {
    static final String LAVAPIPE = "llvmpipe";
    static final String SWIFTSHADER = "SwiftShader";
    static final long SECOND_NANOS = 1_000_000_000L;

    protected VulkanInstance instance;
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();

    @BeforeEach
    void createInstance() {
        requireOrSkip(VulkanInstance.validationLayerAvailable(), "the Khronos validation layer",
                "vulkan-validationlayers (or chromium-common, via ./baton)");
        // -Dbaton.validation=false only for diagnosing layer crashes; the tests are meant to run validated.
        instance = VulkanInstance.create(!"false".equals(System.getProperty("baton.validation")));
    }

    /** A new device on the first physical device whose name contains {@code driver}. */
    protected DeviceContext device(String driver, String participantName) {
        boolean present = instance.physicalDevices().stream().anyMatch(d -> d.name().contains(driver) || d.driverName().contains(driver));
        requireOrSkip(present, driver, driver.equals(SWIFTSHADER)
                ? "chromium-common (SwiftShader's ICD is /usr/lib/chromium/vk_swiftshader_icd.json; run through ./baton test)"
                : "mesa-vulkan-drivers");
        return own(DeviceContext.builder(instance).deviceNameContains(driver).name(participantName).requireMemorySharing().build());
    }

    protected <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
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
