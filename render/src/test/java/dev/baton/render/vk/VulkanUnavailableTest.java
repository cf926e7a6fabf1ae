package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.*;

import dev.baton.render.VulkanUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a user without Vulkan sees. A missing loader is simulated in a child JVM (LWJGL's
 * {@code org.lwjgl.vulkan.libname} pointed at a library that does not exist), because LWJGL's
 * {@code VK} class can only fail to initialize once per JVM and the other tests need it working.
 */
class VulkanUnavailableTest {
    /** Child JVM entry: prints what {@link VulkanInstance#create(boolean)} threw; exit 0 only for the typed exception. */
    public static void main(String[] args) {
        System.out.println("validationLayerAvailable=" + VulkanInstance.validationLayerAvailable());
        try (VulkanInstance instance = VulkanInstance.create(false)) {
            System.out.println("created an instance with " + instance.physicalDevices().size() + " device(s)");
            System.exit(3);
        } catch (VulkanUnavailableException e) {
            System.out.println(e.getMessage());
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.exit(4);
        }
    }

    /** Runs {@link #main} in a child JVM with {@code jvmOption} and, if non-null, {@code VK_DRIVER_FILES}; returns its output. */
    private static String runChild(String jvmOption, String driverFiles) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(List.of(java, jvmOption,
                "-cp", System.getProperty("java.class.path"), VulkanUnavailableTest.class.getName()))
                .redirectErrorStream(true);
        if (driverFiles != null) {
            builder.environment().remove("VK_ADD_DRIVER_FILES");
            builder.environment().remove("VK_ICD_FILENAMES");
            builder.environment().put("VK_DRIVER_FILES", driverFiles);
        }
        Process child = builder.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM hung");
        assertEquals(0, child.exitValue(), "expected VulkanUnavailableException, got:\n" + out);
        return out;
    }

    @Test
    void noDriverNamesThePackagesToInstall() throws IOException, InterruptedException {
        String out = runChild("-Dbaton.test=no-driver", "no-such-icd.json");
        // Loaders fail vkCreateInstance without an ICD (VK_ERROR_INCOMPATIBLE_DRIVER); some create it with no device.
        assertTrue(out.contains("no Vulkan driver (ICD) is installed or usable; install " + VulkanUnavailableException.PACKAGES)
                || out.contains("found no physical device; install " + VulkanUnavailableException.PACKAGES), out);
    }

    @Test
    void missingLoaderNamesThePackagesToInstall() throws IOException, InterruptedException {
        String out = runChild("-Dorg.lwjgl.vulkan.libname=libvulkan-that-does-not-exist.so.1", null);
        assertTrue(out.contains("validationLayerAvailable=false"), out);
        assertTrue(out.contains("cannot load the Vulkan loader libvulkan.so.1"), out);
        assertTrue(out.contains("libvulkan-that-does-not-exist.so.1"), "the root cause is kept:\n" + out);
        assertTrue(out.contains("install " + VulkanUnavailableException.PACKAGES), out);
    }

    @Test
    void loaderMessageUnwrapsLwjglsInitializerError() {
        VulkanUnavailableException e = VulkanUnavailableException.loaderMissing(
                new ExceptionInInitializerError(new UnsatisfiedLinkError("Failed to locate library: libvulkan.so.1")));
        assertEquals("cannot load the Vulkan loader libvulkan.so.1 (UnsatisfiedLinkError: Failed to locate library: libvulkan.so.1); "
                + "install libvulkan1 mesa-vulkan-drivers", e.getMessage());
    }

    @Test
    void noDriverAndNoDeviceSayWhatToInstall() {
        assertTrue(VulkanUnavailableException.noDriver(org.lwjgl.vulkan.VK10.VK_ERROR_INCOMPATIBLE_DRIVER).getMessage()
                .contains("VK_ERROR_INCOMPATIBLE_DRIVER: no Vulkan driver (ICD) is installed or usable; install libvulkan1 mesa-vulkan-drivers"));
        assertTrue(VulkanUnavailableException.noPhysicalDevice().getMessage().contains("install libvulkan1 mesa-vulkan-drivers"));
    }
}
