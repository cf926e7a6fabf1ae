package dev.baton.app.demo;

import dev.baton.app.report.Table;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The per-producer part of the summary both demos print at the end (headless and window). After the run, never in a frame. */
final class DemoSummary {
    private DemoSummary() {}

    /** One row per running producer, handoff latency per tier, and the handoff/drop/stall totals. */
    static void producers(DemoSession session, double seconds, PrintStream out) {
        Table table = new Table("producer", "scene", "device", "tier", "target fps", "frames", "frames/s", "handoffs", "handoffs/s",
                "p50 ms", "p99 ms", "skipped", "producer stalls", "state");
        Map<String, List<ProducerFeed>> byTier = new LinkedHashMap<>();
        long handoffs = 0;
        long skipped = 0;
        long stalls = 0;
        for (ProducerFeed f : session.feeds()) {
            // a producer added or restarted during the run ran for less than the whole run
            double ran = Math.min(seconds, f.secondsRunning());
            table.row(f.producer.name, f.producer.scene.label(), f.producer.device().info().name().split(" \\(")[0],
                    f.ring.get(0).tier().id(), f.producer.fps(), f.producer.framesSubmitted(), f.producer.framesSubmitted() / ran,
                    f.handoffs(), f.handoffs() / ran, (double) f.latency.quantileMillis(0.5), (double) f.latency.quantileMillis(0.99),
                    f.skippedFrames(), f.producer.acquireTimeouts(), f.producer.state());
            byTier.computeIfAbsent(f.ring.get(0).tier().id(), k -> new ArrayList<>()).add(f);
            handoffs += f.handoffs();
            skipped += f.skippedFrames();
            stalls += f.producer.acquireTimeouts();
        }
        table.print(out);
        out.println();
        for (Map.Entry<String, List<ProducerFeed>> e : byTier.entrySet()) {
            LatencyWindow merged = new LatencyWindow(512 * e.getValue().size());
            for (ProducerFeed f : e.getValue()) {
                f.latency.copyInto(merged);
            }
            out.printf(Locale.ROOT, "Handoff latency, %s (release -> compositor sees the frame ready): p50 %.2f ms, p99 %.2f ms over the last %d handoffs%n",
                    e.getKey(), merged.quantileMillis(0.5), merged.quantileMillis(0.99), merged.size());
        }
        out.printf("Handoffs %d, dropped frames %d, producer stalls (acquire timeouts) %d%n", handoffs, skipped, stalls);
    }
}
