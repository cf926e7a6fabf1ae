package dev.baton.app.report;

import java.io.PrintStream;

/**
 * A one-line progress bar for long runs, redrawn in place on a terminal and printed as occasional
 * plain lines when output is not a terminal (CI logs). Call from one thread.
 */
public final class Progress {
    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean terminal;
    private long lastPrintNanos;
    private int lastPercent = -1;

    public Progress(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
        this.terminal = System.console() != null;
    }

    /** Shows {@code done} of the total with a short status text; cheap when nothing changed. */
    public void update(long done, String status) {
        int percent = (int) Math.min(100, done * 100 / total);
        long now = System.nanoTime();
        if (terminal) {
            if (percent == lastPercent && now - lastPrintNanos < 200_000_000L) {
                return;
            }
            int filled = percent * 30 / 100;
            out.print("\r" + label + " [" + "#".repeat(filled) + ".".repeat(30 - filled) + "] " + percent + "% " + status + "   ");
            out.flush();
        } else {
            // plain logs: a line every 10% or every 5 s, whichever comes first
            if (percent / 10 == lastPercent / 10 && now - lastPrintNanos < 5_000_000_000L) {
                return;
            }
            out.println(label + ": " + percent + "% " + status);
        }
        lastPercent = percent;
        lastPrintNanos = now;
    }

    /** Ends the bar's line without claiming completion (a run cut short). */
    public void stop(String status) {
        if (terminal) {
            out.print("\n");
        }
        out.println(label + ": stopped at " + Math.max(0, lastPercent) + "%: " + status);
        out.flush();
    }

    /** Ends the bar's line. */
    public void done(String status) {
        if (terminal) {
            out.print("\r" + label + " [" + "#".repeat(30) + "] 100% " + status + "   \n");
        } else {
            out.println(label + ": 100% " + status);
        }
        out.flush();
    }
}
