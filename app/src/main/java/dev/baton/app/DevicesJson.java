package dev.baton.app;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.baton.render.InteropCapabilities;
import dev.baton.render.SyncTierSelector;
import dev.baton.render.gl.GlInfo;
import dev.baton.render.vk.PhysicalDeviceInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code ./baton devices --json}: what the text lists, as JSON (jackson-jr), built from the same
 * probed objects ({@link PhysicalDeviceInfo}, {@link GlInfo}, {@link SyncTierSelector.Choice}), never
 * from the text. Pairs are every ordered exporter -> importer pair (each device with itself too),
 * then each Vulkan device -> GL. Main thread only; pure formatting.
 */
final class DevicesJson {
    /** Version of this layout. */
    static final int SCHEMA_VERSION = 1;

    private DevicesJson() {}

    /**
     * @param rejections per device, why Baton cannot open a device on it (null: it can)
     * @param gl         null when GL was unavailable ({@code glError} says why)
     */
    static String render(List<PhysicalDeviceInfo> devices, List<String> rejections, String vulkanError, GlInfo gl,
                         InteropCapabilities glCaps, String glError) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", "baton-devices");
        root.put("schema_version", SCHEMA_VERSION);
        Map<String, Object> baton = new LinkedHashMap<>();
        baton.put("version", BuildInfo.current().version());
        baton.put("commit", BuildInfo.current().commit());
        root.put("baton", baton);
        Map<String, Object> vulkan = new LinkedHashMap<>();
        vulkan.put("available", vulkanError == null);
        vulkan.put("error", vulkanError);
        vulkan.put("image", "RGBA8 2D optimal");
        vulkan.put("handle_type", "OPAQUE_FD unless named");
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            list.add(device(devices.get(i), rejections.get(i)));
        }
        vulkan.put("devices", list);
        root.put("vulkan", vulkan);
        root.put("gl", gl(gl, glError));
        root.put("pairs", pairs(devices, glCaps));
        return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT, JSON.Feature.WRITE_NULL_PROPERTIES).asString(root);
    }

    /** "vk0 lavapipe": the label the text prints in brackets (and --device accepts). */
    static String label(PhysicalDeviceInfo d) {
        return "vk" + d.index() + " " + d.driverLabel();
    }

    private static Map<String, Object> device(PhysicalDeviceInfo d, String rejection) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", d.index());
        m.put("label", label(d));
        m.put("name", d.name());
        m.put("type", d.deviceTypeString());
        m.put("driver_label", d.driverLabel());
        m.put("driver_name", d.driverName());
        m.put("driver_info", d.driverInfo());
        m.put("driver_id", d.driverId());
        m.put("api_version", d.apiVersionString());
        m.put("driver_uuid", d.driverUuidHex());
        m.put("device_uuid", d.deviceUuidHex());
        m.put("image_memory", Map.of(
                "opaque_fd", support(d.memoryExport(), d.memoryImport(), d.memoryDedicatedOnly()),
                "dma_buf", support(d.dmaBufExport(), d.dmaBufImport(), d.dmaBufDedicatedOnly())));
        m.put("semaphores", Map.of(
                "binary", support(d.binarySemaphoreExport(), d.binarySemaphoreImport(), false),
                "timeline", support(d.timelineSemaphoreExport(), d.timelineSemaphoreImport(), false)));
        m.put("usable", rejection == null);
        m.put("unusable_reason", rejection);
        m.put("extensions", new ArrayList<>(new TreeSet<>(d.extensions())));
        return m;
    }

    private static Map<String, Object> support(boolean exportable, boolean importable, boolean dedicatedOnly) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("export", exportable);
        m.put("import", importable);
        m.put("dedicated_only", dedicatedOnly);
        return m;
    }

    private static Map<String, Object> gl(GlInfo gl, String error) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", gl != null);
        m.put("error", error);
        if (gl == null) {
            return m;
        }
        m.put("api", "EGL surfaceless");
        m.put("context_version", gl.contextMajor() + "." + gl.contextMinor());
        m.put("renderer", gl.renderer());
        m.put("vendor", gl.vendor());
        m.put("version", gl.version());
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("GL_EXT_memory_object", gl.memoryObject());
        ext.put("GL_EXT_memory_object_fd", gl.memoryObjectFd());
        ext.put("GL_EXT_semaphore", gl.semaphore());
        ext.put("GL_EXT_semaphore_fd", gl.semaphoreFd());
        ext.put("GL_KHR_debug", gl.khrDebug());
        m.put("extensions", ext);
        m.put("driver_uuid", GlInfo.hex(gl.driverUuid()));
        m.put("device_uuid", GlInfo.hex(gl.deviceUuid()));
        return m;
    }

    private static List<Object> pairs(List<PhysicalDeviceInfo> devices, InteropCapabilities gl) {
        List<Object> out = new ArrayList<>();
        for (PhysicalDeviceInfo exporter : devices) {
            for (PhysicalDeviceInfo importer : devices) {
                InteropCapabilities a = exporter.capabilities(label(exporter));
                InteropCapabilities b = importer.capabilities(label(importer));
                out.add(pair(a.name(), b.name(), exporter == importer, SyncTierSelector.choose(a, b)));
            }
        }
        if (gl != null) {
            for (PhysicalDeviceInfo d : devices) {
                InteropCapabilities a = d.capabilities(label(d));
                out.add(pair(a.name(), gl.name(), false, SyncTierSelector.choose(a, gl)));
            }
        }
        return out;
    }

    private static Map<String, Object> pair(String exporter, String importer, boolean sameDevice, SyncTierSelector.Choice choice) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exporter", exporter);
        m.put("importer", importer);
        m.put("two_devices_on_one", sameDevice);
        m.put("tier", choice.tier().toString());
        m.put("reason", choice.reason());
        return m;
    }
}
