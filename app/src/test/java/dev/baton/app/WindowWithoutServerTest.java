package dev.baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code DISPLAY} naming no X server: the demo must say so in its one-line hint (exit code 1, as any
 * run that cannot start), without GLFW's stack trace before it. Runs Main in a child JVM, whose
 * environment the test sets.
 */
class WindowWithoutServerTest {
    @Test
    void aDisplayWithNoServerGivesOnlyTheHint() throws Exception {
        assertOnlyTheHint("demo", "--producers", "1");
    }

    /** The broker's window opens before the broker or any producer process starts: nothing else is printed. */
    @Test
    void serveAndTheProcessDemoGiveTheSameHint() throws Exception {
        assertOnlyTheHint("serve");
        assertOnlyTheHint("demo", "--processes", "1");
    }

    private static void assertOnlyTheHint(String... args) throws Exception {
        int n = 57;
        while (n < 99 && (new File("/tmp/.X11-unix/X" + n).exists() || new File("/tmp/.X" + n + "-lock").exists())) {
            n++;
        }
        Assumptions.assumeTrue(n < 99, "every display from :57 to :98 has a server; none to test against");
        BadInputTest.Result r = BadInputTest.child(Map.of("DISPLAY", ":" + n), args);
        String context = String.join(" ", args) + "\nstdout: " + r.out() + "\nstderr: " + r.err();
        assertEquals(1, r.exit(), context);
        assertFalse(r.err().contains("Stacktrace") || r.err().contains("\tat ") || r.err().contains("[LWJGL]"), "no stack trace; " + context);
        assertEquals(1, r.err().lines().count(), "exactly one line; " + context);
        assertTrue(r.err().contains("cannot open a window") && r.err().contains("DISPLAY=':" + n + "'") && r.err().contains("--headless")
                && r.err().contains("Xvfb"), "the hint names the display and what to do; " + context);
    }
}
