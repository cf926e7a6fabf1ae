package dev.baton.app;

import dev.baton.app.cli.Cli;
import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTierSelector;
import dev.baton.render.VulkanUnavailableException;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.DeviceSelector;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.VulkanInstance;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton devices}: every Vulkan physical device and the GL renderer, their interop support,
 * whether a {@link DeviceContext} can be built on each device, and the tier {@link SyncTierSelector}
 * picks for each pair (its two choices: how memory is shared, how the next owner waits), from the same
 * capabilities {@link SharedSurface} uses. Runs on the calling thread (it creates and closes its own Vulkan instance and GL context).
 */
@Command(name = "devices", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        header = "list Vulkan devices and the GL renderer, their interop support and chosen tiers",
        description = {
            "Lists every Vulkan physical device (name, type, driver, API version, driver/device UUIDs, whether",
            "an RGBA8 optimal image's memory can be exported/imported as OPAQUE_FD or DMA_BUF, whether binary",
            "and timeline semaphores can be exported/imported as OPAQUE_FD, and whether Baton can open a device",
            "on it), then the OpenGL renderer reached through EGL surfaceless (memory-object/semaphore",
            "extensions, UUIDs), then the tier chosen for each pair, its two choices and why. A pair is",
            "\"exporter -> importer\" (the first allocates the surface's memory); GL only imports. A tier is a",
            "memory choice (import device memory | import host memory | copy through host memory) and a sync",
            "choice (shared-timeline | binary-semaphore | host-bridge | host-wait). Tiers, best first:",
            "  shared-timeline   same UUIDs, memory shared, both export+import OPAQUE_FD timeline semaphores",
            "  binary-semaphore  same UUIDs, memory shared, both export+import OPAQUE_FD binary semaphores",
            "  host-bridge       same UUIDs, memory shared, no shared semaphores (always so with GL): the",
            "                    host forwards each fence value",
            "  host-memory       UUIDs differ (or no OPAQUE_FD memory), both import host memory for a linear",
            "                    image (VK_EXT_external_memory_host): one sealed memfd, nothing copied; host bridge",
            "  host-copy         UUIDs differ (or memory not exportable/importable): pixels are copied through",
            "                    host memory, and the acquirer's CPU waits for the writer (host-wait)"},
        footer = {
            "Select drivers with VK_DRIVER_FILES / VK_ADD_DRIVER_FILES (the launcher adds SwiftShader when",
            "installed; BATON_NO_SWIFTSHADER=1 turns that off). Exit code 1 if Vulkan or GL is unavailable."})
final class DevicesCommand implements Cli.Body {

    /** What was learnt about Vulkan: the devices and, per device, why Baton cannot use it (null: it can). */
    private record VulkanFacts(List<PhysicalDeviceInfo> devices, List<String> rejections) {}

    @Option(names = "--json", description = "print the same facts as JSON (every device field and extension, every ordered pair)")
    boolean json;

    /** Exit code: 0 when Vulkan and GL were both probed, 1 when either is unavailable (bad usage: 2, from {@link Cli}). */
    @Override
    public int run(PrintStream out, PrintStream err) {
        int exit = 0;
        VulkanFacts vulkan = new VulkanFacts(List.of(), List.of());
        String vulkanError = null;
        try (VulkanInstance instance = VulkanInstance.create(false)) {
            vulkan = new VulkanFacts(instance.physicalDevices(), DeviceContext.builder(instance).rejectionReasons());
        } catch (VulkanUnavailableException e) {
            err.println("baton devices: Vulkan unavailable: " + e.getMessage());
            vulkanError = e.getMessage();
            exit = 1;
        }
        if (!json && !vulkan.devices().isEmpty()) {
            out.println("Vulkan physical devices (image: RGBA8 2D optimal; handles: OPAQUE_FD unless named):");
            for (int i = 0; i < vulkan.devices().size(); i++) {
                printVulkanDevice(out, vulkan.devices().get(i), vulkan.rejections().get(i));
            }
            out.println();
        }

        GlInfo gl = null;
        InteropCapabilities glCaps = null;
        String glError = null;
        try (EglContext context = EglContext.create(false)) {
            gl = GlInfo.query(context);
            glCaps = new SharedSurface.GlSide(context, gl).capabilities();
        } catch (GlUnavailableException e) {
            err.println("baton devices: OpenGL unavailable: " + e.getMessage());
            glError = e.getMessage();
            exit = 1;
        }
        if (json) {
            try {
                out.println(DevicesJson.render(vulkan.devices(), vulkan.rejections(), vulkanError, gl, glCaps, glError));
            } catch (java.io.IOException e) {
                err.println("baton devices: could not write JSON: " + e.getMessage());
                return 1;
            }
            return exit;
        }
        if (gl != null) {
            printGl(out, gl);
            out.println();
        }

        if (!vulkan.devices().isEmpty()) {
            printPairs(out, vulkan.devices(), glCaps);
        }
        return exit;
    }

    /** The label {@code --device} accepts, from the one matcher demo and bench use. */
    private static String label(PhysicalDeviceInfo d) {
        return DeviceSelector.label(d);
    }

    private static void printVulkanDevice(PrintStream out, PhysicalDeviceInfo d, String rejection) {
        out.println("  [" + label(d) + "] " + d.name() + " (" + d.deviceTypeString() + ")");
        out.println("      driver          " + DeviceSelector.driverVersion(d));
        out.println("      Vulkan API      " + d.apiVersionString());
        out.println("      driver UUID     " + d.driverUuidHex());
        out.println("      device UUID     " + d.deviceUuidHex());
        out.println("      image memory    OPAQUE_FD " + support(d.memoryExport(), d.memoryImport(), d.memoryDedicatedOnly())
                + "; DMA_BUF " + support(d.dmaBufExport(), d.dmaBufImport(), d.dmaBufDedicatedOnly()));
        out.println("      host memory     " + (d.hostMemoryImport() ? "import (VK_EXT_external_memory_host, RGBA8 linear)"
                : d.extensions().contains("VK_EXT_external_memory_host") ? "none (has VK_EXT_external_memory_host, but no import for an RGBA8 linear image)"
                : "none"));
        out.println("      semaphores      binary " + support(d.binarySemaphoreExport(), d.binarySemaphoreImport(), false)
                + "; timeline " + support(d.timelineSemaphoreExport(), d.timelineSemaphoreImport(), false));
        out.println("      Baton device    " + (rejection == null ? "usable (a DeviceContext can be built on it)" : "unusable: " + rejection));
    }

    private static String support(boolean exportable, boolean importable, boolean dedicatedOnly) {
        if (!exportable && !importable) {
            return "none";
        }
        return (exportable && importable ? "export+import" : exportable ? "export only" : "import only")
                + (dedicatedOnly ? " (dedicated only)" : "");
    }

    private static void printGl(PrintStream out, GlInfo gl) {
        out.println("OpenGL (EGL surfaceless, core " + gl.contextMajor() + "." + gl.contextMinor() + " context):");
        out.println("  [GL] " + gl.renderer());
        out.println("      vendor/version  " + gl.vendor() + " / " + gl.version());
        out.println("      extensions      GL_EXT_memory_object " + yesNo(gl.memoryObject()) + ", GL_EXT_memory_object_fd "
                + yesNo(gl.memoryObjectFd()) + ", GL_EXT_semaphore " + yesNo(gl.semaphore()) + ", GL_EXT_semaphore_fd " + yesNo(gl.semaphoreFd()));
        out.println("      driver UUID     " + GlInfo.hex(gl.driverUuid()));
        out.println("      device UUID     " + GlInfo.hex(gl.deviceUuid()));
    }

    /**
     * Every Vulkan pair (each device with itself too: two VkDevices on one physical device), then each
     * Vulkan device with GL. The tier rule is directional (the first allocates and exports the memory,
     * the second imports), so a Vulkan pair whose tier depends on who allocates prints both directions;
     * GL only imports, so GL pairs are always Vulkan -> GL.
     */
    private static void printPairs(PrintStream out, List<PhysicalDeviceInfo> devices, InteropCapabilities gl) {
        out.println("Tier per pair (best of shared-timeline > binary-semaphore > gl-semaphore > host-bridge > host-memory > host-copy), its two");
        out.println("choices (how memory is shared, how the next owner waits) and why;");
        out.println("\"a -> b\": a allocates and exports the surface, b imports; \"a <-> b\": the same either way):");
        for (int i = 0; i < devices.size(); i++) {
            for (int j = i; j < devices.size(); j++) {
                InteropCapabilities a = devices.get(i).capabilities(label(devices.get(i)));
                InteropCapabilities b = devices.get(j).capabilities(label(devices.get(j)));
                SyncTierSelector.Choice forward = SyncTierSelector.choose(a, b);
                SyncTierSelector.Choice backward = SyncTierSelector.choose(b, a);
                if (i == j) {
                    printPair(out, a.name() + " <-> " + b.name() + " (two VkDevices)", forward);
                } else if (forward.tier() == backward.tier()) {
                    printPair(out, a.name() + " <-> " + b.name(), forward);
                } else {
                    printPair(out, a.name() + " -> " + b.name(), forward);
                    printPair(out, b.name() + " -> " + a.name(), backward);
                }
            }
        }
        if (gl != null) {
            for (PhysicalDeviceInfo d : devices) {
                InteropCapabilities a = d.capabilities(label(d));
                printPair(out, a.name() + " -> " + gl.name(), SyncTierSelector.choose(a, gl));
            }
        }
    }

    private static void printPair(PrintStream out, String pair, SyncTierSelector.Choice choice) {
        out.printf("  %-47s %s%n", pair, choice.tier());
        out.printf("      %s%n", choice.tier().choices());
        out.printf("      %s%n", choice.reason());
    }

    private static String yesNo(boolean value) {
        return value ? "yes" : "no";
    }
}
