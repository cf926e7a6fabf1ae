package dev.baton.render.vk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an allocation probe (a main class of the tests) in a child JVM with escape analysis off
 * ({@code -XX:-DoEscapeAnalysis}, so no temporary the code creates can be optimised away) and the
 * tests' class path, and returns its one {@code RESULT ...} or {@code SKIP ...} line. Shared by
 * {@link HandoffAllocationTest} and {@code BrokerLeaseAllocationTest}; the calling test's
 * {@code @Timeout} bounds the run.
 */
public final class AllocationProbes {
    private AllocationProbes() {}

    /**
     * Runs {@code probe} with {@code args} and returns its RESULT or SKIP line; fails the test if it exits non-zero or prints neither.
     *
     * @param probe the probe's main class
     * @param args its arguments
     * @return the line, trimmed
     * @throws Exception if the child cannot be started or read
     */
    public static String run(Class<?> probe, String... args) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new ArrayList<>(List.of(java, "-XX:-DoEscapeAnalysis", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), probe.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start(); // inherits the Vulkan env
        byte[] output;
        try {
            output = process.getInputStream().readAllBytes(); // until the probe exits (the class @Timeout bounds it)
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                fail("the probe closed its output but did not exit in 10 s");
            }
        } finally {
            process.destroyForcibly();
        }
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> "the probe failed:\n" + text);
        for (String line : text.split("\n")) {
            if (line.startsWith("RESULT ") || line.startsWith("SKIP ")) {
                return line.trim();
            }
        }
        throw new AssertionError("no RESULT line from the probe:\n" + text);
    }

    /**
     * The number after {@code name=} in a RESULT line.
     *
     * @param result the line
     * @param name the field
     * @return its value
     */
    public static long field(String result, String name) {
        for (String part : result.split(" ")) {
            if (part.startsWith(name + "=")) {
                return Long.parseLong(part.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no " + name + " in '" + result + "'");
    }
}
