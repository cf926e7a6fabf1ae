package dev.baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./baton completion}: picocli's bash script for every command, option and choice, and bash completes with it. */
class CompletionTest {
    @Test
    void theScriptCompletesCommandsOptionsAndChoices(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new String[] {"completion"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String script = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        assertTrue(script.contains("complete -F _complete_baton -o default ./baton"), "registered for ./baton too");
        Assumptions.assumeTrue(new File("/bin/bash").canExecute(), "bash is not installed: the script was generated but not run");
        Path file = dir.resolve("baton-completion.bash");
        Files.writeString(file, script);
        assertEquals(List.of("bench"), complete(file, "./baton be"));
        assertEquals(List.of("--tier"), complete(file, "./baton demo --ti"));
        assertEquals(List.of("shared-timeline", "binary-semaphore", "gl-semaphore", "host-bridge", "host-memory", "host-copy"),
                complete(file, "./baton demo --tier "));
        assertEquals(List.of("submit", "after-release"), complete(file, "./baton demo --kill-mode "));
        assertTrue(complete(file, "./baton bench --").containsAll(List.of("--seconds", "--json", "--help", "--version")));
    }

    /** What bash offers for {@code line} (its last word being completed), one word per entry. */
    private static List<String> complete(Path script, String line) throws Exception {
        String words = line.endsWith(" ") ? line + "''" : line;
        String program = "source '" + script + "' 2>/dev/null; COMP_WORDS=(" + words + "); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); "
                + "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; _complete_baton 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("/bin/bash", "-c", program).redirectErrorStream(false).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash did not finish");
        return text.lines().filter(s -> !s.isEmpty()).toList();
    }
}
