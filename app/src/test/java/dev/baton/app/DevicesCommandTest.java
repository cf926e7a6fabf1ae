package dev.baton.app;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DevicesCommandTest {
    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void listsLavapipeAndLlvmpipeWithTheirTiers() {
        Run run = run("devices");
        if (run.exit() != 0) {
            String message = "devices could not probe Vulkan and GL: " + run.err()
                    + " (install libvulkan1 mesa-vulkan-drivers libegl1 libegl-mesa0 libgl1-mesa-dri)";
            if (CI) {
                fail(message);
            }
            assumeTrue(false, message);
        }
        assertTrue(run.out().contains("lavapipe"), run.out());
        assertTrue(run.out().contains("llvmpipe"), run.out());
        assertTrue(run.out().contains("GL_EXT_memory_object_fd yes"), run.out());
        assertTrue(run.out().matches("(?s).*lavapipe -> GL llvmpipe\\s+host-bridge.*"), "lavapipe and llvmpipe share UUIDs but no semaphores:\n" + run.out());
        assertTrue(run.out().matches("(?s).*lavapipe <-> vk\\d+ lavapipe \\(two VkDevices\\)\\s+host-bridge.*"), run.out());
        assertTrue(run.out().contains("neither shares semaphores"), "the selector's reason is printed:\n" + run.out());
        assertTrue(run.out().matches("(?s).*\\[vk\\d+ lavapipe\\] llvmpipe.*\\(CPU\\).*"), "device type:\n" + run.out());
        assertTrue(run.out().contains("OPAQUE_FD export+import; DMA_BUF "), run.out());
        assertTrue(run.out().matches("(?s).*\\[vk\\d+ lavapipe\\][^\\[]*Baton device    usable.*"),
                "lavapipe is Vulkan 1.3 with timelines and synchronization2:\n" + run.out());
    }

    @Test
    void jsonHasWhatTheTextShows() throws Exception {
        Run text = run("devices");
        Run json = run("devices", "--json");
        assumeTrue(text.exit() == 0 || CI, "devices could not probe Vulkan and GL: " + text.err());
        assertEquals(text.exit(), json.exit(), json.err());
        java.util.Map<String, Object> root = com.fasterxml.jackson.jr.ob.JSON.std.mapFrom(json.out());
        assertEquals(1, ((Number) root.get("schema_version")).intValue());
        java.util.List<?> devices = (java.util.List<?>) ((java.util.Map<?, ?>) root.get("vulkan")).get("devices");
        assertFalse(devices.isEmpty());
        for (Object o : devices) {
            java.util.Map<?, ?> d = (java.util.Map<?, ?>) o;
            assertTrue(text.out().contains("[" + d.get("label") + "] " + d.get("name") + " (" + d.get("type") + ")"), d.toString());
            assertTrue(text.out().contains((String) d.get("device_uuid")), "device UUID in both: " + d.get("device_uuid"));
            assertTrue(text.out().contains("Vulkan API      " + d.get("api_version")), d.toString());
            java.util.Map<?, ?> memory = (java.util.Map<?, ?>) ((java.util.Map<?, ?>) d.get("image_memory")).get("opaque_fd");
            assertTrue(memory.containsKey("export") && memory.containsKey("import") && memory.containsKey("dedicated_only"), memory.toString());
            assertEquals(d.get("unusable_reason") == null, d.get("usable"));
        }
        java.util.Map<?, ?> gl = (java.util.Map<?, ?>) root.get("gl");
        assertEquals(Boolean.TRUE, gl.get("available"));
        assertTrue(text.out().contains("[GL] " + gl.get("renderer")), gl.toString());
        assertEquals(Boolean.TRUE, ((java.util.Map<?, ?>) gl.get("extensions")).get("GL_EXT_memory_object_fd"));
        boolean lavapipeToGl = false;
        for (Object o : (java.util.List<?>) root.get("pairs")) {
            java.util.Map<?, ?> p = (java.util.Map<?, ?>) o;
            String a = (String) p.get("exporter");
            String b = (String) p.get("importer");
            String tier = (String) p.get("tier");
            // the text folds a pair whose tier is the same either way into one "a <-> b" line
            boolean shown = text.out().lines().anyMatch(l -> l.trim().endsWith(" " + tier) && (l.contains(a + " -> " + b)
                    || l.contains(a + " <-> " + b) || l.contains(b + " <-> " + a)));
            assertTrue(shown, "every pair's tier is one the text prints: " + p + "\n" + text.out());
            lavapipeToGl |= ((String) p.get("exporter")).endsWith("lavapipe") && "GL llvmpipe".equals(p.get("importer"))
                    && "host-bridge".equals(p.get("tier"));
        }
        assertTrue(lavapipeToGl, json.out());
        assertEquals(devices.size() * devices.size() + devices.size(), ((java.util.List<?>) root.get("pairs")).size(),
                "every ordered Vulkan pair, then each Vulkan device with GL");
    }

    @Test
    void helpDescribesTheTiers() {
        Run run = run("devices", "--help");
        assertEquals(0, run.exit());
        assertTrue(run.out().contains("host-bridge"), run.out());
    }

    @Test
    void unknownOptionIsBadUsage() {
        Run run = run("devices", "--frobnicate");
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("--frobnicate"), run.err());
    }
}
