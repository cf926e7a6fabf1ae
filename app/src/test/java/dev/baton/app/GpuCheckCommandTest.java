package dev.baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.vk.VulkanInstance;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code ./baton gpu-check}: its usage errors, and the tier check it shares with HardwareTierTest. */
class GpuCheckCommandTest {
    @Test
    void badUsageIsOneLineAndExitCode2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, GpuCheckCommand.run(new String[] {"--frobnicate"}, o, e));
        assertEquals(2, GpuCheckCommand.run(new String[] {"--turns", "1"}, o, e));
        assertEquals(2, GpuCheckCommand.run(new String[] {"--out", "/proc/no-such-folder/report"}, o, e));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(3, text.lines().count(), "one line per usage error:\n" + text);
        assertEquals(0, GpuCheckCommand.run(new String[] {"--help"}, o, e));
    }

    @Test
    void theTierCheckRunsOnTheCpuDriversWhenAskedAndSkipsThemOtherwise() throws Exception {
        Assumptions.assumeTrue(VulkanInstance.validationLayerAvailable(), "the validation layer is not installed (run through ./baton test)");
        List<String> lines = new ArrayList<>();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        boolean ok = GpuCheckCommand.tierCheck(20, true, lines, quiet);
        String text = String.join("\n", lines);
        assertTrue(ok, text);
        assertTrue(text.contains("host-bridge x20: ok, every frame's pixels checked"), text);
        assertTrue(text.contains("validation messages: 0"), text);
        List<String> hardwareOnly = new ArrayList<>();
        GpuCheckCommand.tierCheck(20, false, hardwareOnly, quiet);
        String only = String.join("\n", hardwareOnly);
        // With only CPU drivers there is nothing to check; with a GPU every line is an outcome.
        assertTrue(only.contains("skipped: no hardware Vulkan driver") || only.contains(" x20: "), only);
    }
}
