package dev.baton.render.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.render.vk.AllocationProbes;
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
        String result = AllocationProbes.run(BrokerLeaseAllocationProbe.class, Integer.toString(WARMUP_TURNS),
                Integer.toString(MEASURED_TURNS));
        Assumptions.assumeFalse(result.startsWith("SKIP "), result);
        System.out.println("broker lease allocation, -XX:-DoEscapeAnalysis, bytes per round of 1,000 handoffs: " + result);
        assertEquals(MEASURED_TURNS, AllocationProbes.field(result, "handoffs"), result);
        assertEquals(0, AllocationProbes.field(result, "violations"), result);
        assertEquals(0, AllocationProbes.field(result, "minRoundBytes"), "no round of 1,000 steady-state handoffs went without allocating: " + result);
    }
}
