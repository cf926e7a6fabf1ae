package dev.baton.app;

import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTierSelector;
import dev.baton.render.VulkanUnavailableException;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.SharedSurface;
import dev.baton.render.vk.VulkanInstance;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code ./baton devices}: every Vulkan physical device and the GL renderer, their interop support,
 * whether a {@link DeviceContext} can be built on each device, and the sync tier
 * {@link SyncTierSelector} picks for each pair, from the same capabilities {@link SharedSurface}
 * uses. Runs on the calling thread (it creates and closes its own Vulkan instance and GL context).
 */
final class DevicesCommand {
    private DevicesCommand() {}

    /** What was learnt about Vulkan: the devices and, per device, why Baton cannot use it (null: it can). */
    private record VulkanFacts(List<PhysicalDeviceInfo> devices, List<String> rejections) {}

    /** Exit code: 0 when Vulkan and GL were both probed, 1 when either is unavailable, 2 on bad usage. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean json = false;
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                printHelp(out);
                return 0;
            }
            if (arg.equals("--json")) {
                json = true;
                continue;
            }
            if (arg.startsWith("--json=")) {
                err.println("baton devices: --json takes no value (got '" + arg.substring("--json=".length()) + "'); run ./baton devices --json");
                return 2;
            }
            // One line naming what was wrong and what the command accepts (it takes no options).
            err.println(arg.startsWith("-")
                    ? "baton devices: unknown option " + arg + "; devices takes only --json and --help: run ./baton devices"
                    : "baton devices: unexpected argument '" + arg + "'; devices takes no arguments: run ./baton devices");
            return 2;
        }
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

    private static String label(PhysicalDeviceInfo d) {
        return "vk" + d.index() + " " + d.driverLabel();
    }

    private static void printVulkanDevice(PrintStream out, PhysicalDeviceInfo d, String rejection) {
        out.println("  [" + label(d) + "] " + d.name() + " (" + d.deviceTypeString() + ")");
        out.println("      driver          " + (d.driverName().isEmpty() ? d.driverLabel() : d.driverName()
                + (d.driverInfo().isEmpty() ? "" : " " + d.driverInfo())));
        out.println("      Vulkan API      " + d.apiVersionString());
        out.println("      driver UUID     " + d.driverUuidHex());
        out.println("      device UUID     " + d.deviceUuidHex());
        out.println("      image memory    OPAQUE_FD " + support(d.memoryExport(), d.memoryImport(), d.memoryDedicatedOnly())
                + "; DMA_BUF " + support(d.dmaBufExport(), d.dmaBufImport(), d.dmaBufDedicatedOnly()));
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
        out.println("Sync tier per pair (best of shared-timeline > binary-semaphore > host-bridge > host-copy;");
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
        out.printf("      %s%n", choice.reason());
    }

    private static String yesNo(boolean value) {
        return value ? "yes" : "no";
    }

    static void printHelp(PrintStream out) {
        out.println("Usage: ./baton devices [--json]");
        out.println();
        out.println("Lists every Vulkan physical device (name, type, driver, API version, driver/device UUIDs, whether");
        out.println("an RGBA8 optimal image's memory can be exported/imported as OPAQUE_FD or DMA_BUF, whether binary");
        out.println("and timeline semaphores can be exported/imported as OPAQUE_FD, and whether Baton can open a device");
        out.println("on it), then the OpenGL renderer reached through EGL surfaceless (memory-object/semaphore");
        out.println("extensions, UUIDs), then the sync tier chosen for each pair and why. A pair is \"exporter ->");
        out.println("importer\" (the first allocates the surface's memory); GL only imports. Tiers, best first:");
        out.println("  shared-timeline   same UUIDs, memory shared, both export+import OPAQUE_FD timeline semaphores");
        out.println("  binary-semaphore  same UUIDs, memory shared, both export+import OPAQUE_FD binary semaphores");
        out.println("  host-bridge       same UUIDs, memory shared, no shared semaphores (always so with GL): the");
        out.println("                    host forwards each fence value");
        out.println("  host-copy         UUIDs differ (or memory not exportable/importable): pixels are copied");
        out.println("                    through host memory");
        out.println();
        out.println("Select drivers with VK_DRIVER_FILES / VK_ADD_DRIVER_FILES (the launcher adds SwiftShader when");
        out.println("installed; BATON_NO_SWIFTSHADER=1 turns that off). Exit code 1 if Vulkan or GL is unavailable.");
        out.println();
        out.println("  --json   print the same facts as JSON (every device field and extension, every ordered pair)");
    }
}
