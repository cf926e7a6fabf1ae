package dev.baton.app;

import dev.baton.render.DeviceProbe;
import dev.baton.render.DeviceProbe.PhysicalDeviceCaps;
import dev.baton.render.DeviceProbe.VulkanUnavailableException;
import dev.baton.render.TierChoice;
import dev.baton.render.gl.EglContext;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.gl.GlUnavailableException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./baton devices}: every Vulkan physical device and the GL renderer, their interop support,
 * and the sync tier {@link TierChoice} picks for each pair. Runs on the calling thread (it creates
 * and closes its own Vulkan instance and GL context).
 */
final class DevicesCommand {
    private DevicesCommand() {}

    /** Exit code: 0 when Vulkan and GL were both probed, 1 when either is unavailable, 2 on bad usage. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                printHelp(out);
                return 0;
            }
            err.println("baton devices: unknown option '" + arg + "'; see ./baton devices --help");
            return 2;
        }
        int exit = 0;
        List<PhysicalDeviceCaps> devices = List.of();
        try {
            devices = DeviceProbe.probe();
        } catch (VulkanUnavailableException e) {
            err.println("baton devices: Vulkan unavailable: " + e.getMessage());
            exit = 1;
        }
        if (!devices.isEmpty()) {
            out.println("Vulkan physical devices (image: RGBA8 2D optimal; handles: OPAQUE_FD unless named):");
            for (PhysicalDeviceCaps d : devices) {
                printVulkanDevice(out, d);
            }
            out.println();
        }

        GlInfo gl = null;
        try (EglContext context = EglContext.create(false)) {
            gl = GlInfo.query(context);
        } catch (GlUnavailableException e) {
            err.println("baton devices: OpenGL unavailable: " + e.getMessage());
            exit = 1;
        }
        if (gl != null) {
            printGl(out, gl);
            out.println();
        }

        List<TierChoice.Caps> participants = new ArrayList<>();
        for (PhysicalDeviceCaps d : devices) {
            participants.add(d.toTierCaps(label(d)));
        }
        if (gl != null) {
            participants.add(TierChoice.Caps.openGl("GL " + gl.renderer().split(" \\(")[0], gl.driverUuid(), gl.deviceUuid(),
                    gl.memoryObjectFd(), gl.semaphore() && gl.semaphoreFd()));
        }
        if (!participants.isEmpty()) {
            out.println("Sync tier per pair (best of shared-timeline > binary-semaphore > host-bridge > host-copy):");
            for (int i = 0; i < participants.size(); i++) {
                for (int j = i; j < participants.size(); j++) {
                    boolean same = i == j;
                    if (same && i >= devices.size()) {
                        continue; // one GL context per process: no GL-GL pair
                    }
                    TierChoice.Caps a = participants.get(i);
                    TierChoice.Caps b = participants.get(j);
                    TierChoice.Choice choice = TierChoice.choose(a, b);
                    String pair = same ? a.name() + " <-> " + a.name() + " (two VkDevices)" : a.name() + " <-> " + b.name();
                    out.printf("  %-47s %s%n", pair, choice.tier().label());
                    out.printf("      %s%n", choice.reason());
                }
            }
        }
        return exit;
    }

    private static String label(PhysicalDeviceCaps d) {
        return "vk" + d.index() + " " + d.driverLabel();
    }

    private static void printVulkanDevice(PrintStream out, PhysicalDeviceCaps d) {
        out.println("  [" + label(d) + "] " + d.name() + " (" + d.deviceTypeString() + ")");
        out.println("      driver          " + (d.driverName().isEmpty() ? d.driverLabel() : d.driverName()
                + (d.driverInfo().isEmpty() ? "" : " " + d.driverInfo())));
        out.println("      Vulkan API      " + d.apiVersionString());
        out.println("      driver UUID     " + PhysicalDeviceCaps.hex(d.driverUuid()));
        out.println("      device UUID     " + PhysicalDeviceCaps.hex(d.deviceUuid()));
        out.println("      image memory    OPAQUE_FD " + d.imageOpaqueFd() + "; DMA_BUF " + d.imageDmaBuf());
        out.println("      semaphores      binary " + d.binarySemaphoreOpaqueFd() + "; timeline " + d.timelineSemaphoreOpaqueFd());
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

    private static String yesNo(boolean value) {
        return value ? "yes" : "no";
    }

    static void printHelp(PrintStream out) {
        out.println("Usage: ./baton devices");
        out.println();
        out.println("Lists every Vulkan physical device (name, driver, API version, driver/device UUIDs, whether an");
        out.println("RGBA8 optimal image's memory can be exported/imported as OPAQUE_FD or DMA_BUF, and whether binary");
        out.println("and timeline semaphores can be exported/imported as OPAQUE_FD), then the OpenGL renderer reached");
        out.println("through EGL surfaceless (memory-object/semaphore extensions, UUIDs), then the sync tier chosen for");
        out.println("each pair and why:");
        out.println("  shared-timeline   both share one timeline semaphore (same UUIDs, exportable+importable)");
        out.println("  binary-semaphore  binary OPAQUE_FD semaphores (GL: GL_EXT_semaphore_fd), same UUIDs");
        out.println("  host-bridge       same UUIDs, memory shared, no usable external semaphores: the host relays");
        out.println("  host-copy         UUIDs differ (or memory not shareable): pixels are copied through the host");
        out.println();
        out.println("Select drivers with VK_DRIVER_FILES / VK_ADD_DRIVER_FILES (the launcher adds SwiftShader when");
        out.println("installed; BATON_NO_SWIFTSHADER=1 turns that off). Exit code 1 if Vulkan or GL is unavailable.");
    }
}
