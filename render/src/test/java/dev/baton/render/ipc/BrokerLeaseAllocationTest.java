package dev.baton.render.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A producer process's handoff through the broker with the Lease API ({@code BrokerSurfaces}) allocates
 * nothing in the steady state, proven with escape analysis off ({@code -XX:-DoEscapeAnalysis}, so no
 * temporary the code creates can be optimised away): the render thread (acquire, submit under the
 * lease, release), its fence reporter, the compositor client and the broker's loop, in a child JVM
 * ({@link BrokerLeaseAllocationProbe}), in rounds of 1,000 handoffs after a warm-up. As in
 * {@code SteadyStateAllocationTest}, it passes when a round allocated 0 bytes in all four threads: an
 * allocation per handoff, or even one per 1,000, shows in every round, while the JVM's own sporadic
 * allocations (a recompilation's deoptimisation, measured here at a few hundred bytes in some rounds)
 * do not recur in each one.
 */
@Timeout(value = 150, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BrokerLeaseAllocationTest {
    static final int WARMUP_TURNS = Integer.getInteger("baton.leaseProbe.warmup", 6_000);
    static final int MEASURED_TURNS = Integer.getInteger("baton.leaseProbe.measured", 8_000);

    @Test
    void aProducerProcesssLeaseHandoffsAllocateNothing() throws Exception {
        String result = runProbe();
        Assumptions.assumeFalse(result.startsWith("SKIP "), result);
        System.out.println("broker lease allocation, -XX:-DoEscapeAnalysis, bytes per round of 1,000 handoffs: " + result);
        assertEquals(MEASURED_TURNS, field(result, "handoffs"), result);
        assertEquals(0, field(result, "violations"), result);
        assertEquals(0, field(result, "minRoundBytes"), "no round of 1,000 steady-state handoffs went without allocating: " + result);
    }

    private static long field(String result, String name) {
        for (String part : result.split(" ")) {
            if (part.startsWith(name + "=")) {
                return Long.parseLong(part.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no " + name + " in '" + result + "'");
    }

    private static String runProbe() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new ArrayList<>(List.of(java, "-XX:-DoEscapeAnalysis", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), BrokerLeaseAllocationProbe.class.getName(),
                Integer.toString(WARMUP_TURNS), Integer.toString(MEASURED_TURNS)));
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
}
