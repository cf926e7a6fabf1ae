package dev.baton.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo under faults and load, on the real drivers: a producer whose device is lost while it
 * owns a surface is shown ABANDONED while the others keep running, and restarts; and a 30-second
 * soak of 8 producers under the validation layer keeps every frame intact, reports no validation
 * message, and leaves fds and resident memory flat.
 */
class DemoReliabilityTest {
    @Test
    @Timeout(240)
    void aKilledProducerIsShownAbandonedAndRestartsWhileTheOthersRun(@TempDir Path out) {
        Run run = demo("--headless", "--validate", "--producers", "3", "--size", "256x192", "--frames", "60", "--kill-at", "15",
                "--restart-at", "35", "--out", out.toString());
        assertEquals(0, run.exit, run.text);
        Matcher abandoned = Pattern.compile("ABANDONED ([0-9.]+) ms after the kill request").matcher(run.text);
        assertTrue(abandoned.find(), run.text);
        Matcher restarted = Pattern.compile("the restarted producer delivered (\\d+) frames").matcher(run.text);
        assertTrue(restarted.find(), run.text);
        assertTrue(Integer.parseInt(restarted.group(1)) > 0, run.text);
        assertTrue(run.text.contains("torn 0, stale 0, invalid 0, bad private data 0"), run.text);
        assertTrue(run.text.contains("Validation: 0 messages"), run.text);
        // the two producers that were not killed kept delivering while the victim was down
        Matcher during = Pattern.compile("the other producers delivered (\\d+) frames").matcher(run.text);
        assertTrue(during.find(), run.text);
        assertTrue(Integer.parseInt(during.group(1)) > 0, run.text);
    }

    /**
     * The loss as hardware reports it: the victim's frame is submitted and released to the compositor,
     * then the next wait on its device says it is lost. The compositor must see the surface ABANDONED
     * (not wait for a frame that will never be ready), the others keep running, and teardown frees
     * every device (nothing left waiting for a value nobody signals).
     */
    @Test
    @Timeout(240)
    void aProducerLostAfterItsReleaseIsShownAbandonedAndTeardownFreesEverything(@TempDir Path out) {
        Run run = demo("--headless", "--validate", "--producers", "3", "--size", "256x192", "--frames", "50", "--kill-at", "15",
                "--kill-mode", "after-release", "--restart-at", "30", "--out", out.toString());
        assertEquals(0, run.exit, run.text);
        assertTrue(run.text.contains("will be lost after its next frame's submit and release"), run.text);
        Matcher abandoned = Pattern.compile("ABANDONED ([0-9.]+) ms after the kill request").matcher(run.text);
        assertTrue(abandoned.find(), run.text);
        assertTrue(run.text.contains("Teardown: every producer's surfaces and device were freed"), run.text);
        assertTrue(run.text.contains("torn 0, stale 0, invalid 0, bad private data 0"), run.text);
        assertTrue(run.text.contains("Validation: 0 messages"), run.text);
        Matcher during = Pattern.compile("the other producers delivered (\\d+) frames").matcher(run.text);
        assertTrue(during.find(), run.text);
        assertTrue(Integer.parseInt(during.group(1)) > 0, run.text);
    }

    @Test
    void anUnknownKillModeIsABadUsageWithTheChoices() {
        Run run = demo("--headless", "--kill-at", "5", "--kill-mode", "sideways");
        assertEquals(2, run.exit, run.text);
        assertTrue(run.text.contains("--kill-mode expects one of submit, after-release, got 'sideways'"), run.text);
    }

    @Test
    @Timeout(240)
    void aThirtySecondSoakOfEightProducersStaysCleanAndFlat(@TempDir Path out) throws Exception {
        Run run = demo("--soak", "0.5", "--size", "256x192", "--out", out.toString());
        assertEquals(0, run.exit, run.text);
        assertTrue(run.text.contains("from 8 producers"), run.text);
        assertTrue(run.text.contains("Validation: 0 messages"), run.text);
        assertTrue(run.text.contains("torn 0, stale 0, invalid 0, bad private data 0"), run.text);
        assertTrue(run.text.contains("(flat)"), run.text);
        assertTrue(Files.exists(out.resolve("contact-sheet.png")), run.text);
    }

    private record Run(int exit, String text) {}

    private static Run demo(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int exit = DemoCommand.run(args, stream, stream);
        return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
    }
}
