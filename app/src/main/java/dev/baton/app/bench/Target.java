package dev.baton.app.bench;

import java.util.List;
import java.util.Locale;

/**
 * One target of the bench judged on this run: what was measured, against what baseline (a floor
 * measured in the same run) and goal, and whether it was met. Immutable; built after the run.
 *
 * @param name        what the target is about, short ("host-bridge GPU handoff p50 vs its raw floor")
 * @param subject     label of the series it judges ({@link Series#label()}), or null when it spans several
 * @param unit        unit of {@code measured} and {@code baseline} ("us", "B/handoff", "handoffs/s")
 * @param measured    the figure judged, NaN when not measured
 * @param baselineName label of the baseline series, or null when the goal is absolute
 * @param baseline    the baseline's figure, NaN without one
 * @param ratio       measured / baseline, NaN without a baseline
 * @param comparison  "<=", "<" or ">=": how {@code goalOn} must compare to {@code goal}
 * @param goal        the bound
 * @param goalOnRatio true when the goal bounds {@code ratio}, false when it bounds {@code measured}
 * @param met         null when not measured
 * @param roundRatios the ratio per interleaved round (empty with one round or no baseline)
 * @param detail      the long explanation (how it was measured; for a miss, why and what would close it)
 */
public record Target(String name, String subject, String unit, double measured, String baselineName, double baseline, double ratio,
                     String comparison, double goal, boolean goalOnRatio, Boolean met, List<Double> roundRatios, String detail) {

    /** A target that could not be judged (its series did not run). */
    static Target notMeasured(String name, String subject, String unit, String comparison, double goal, boolean goalOnRatio, String why) {
        return new Target(name, subject, unit, Double.NaN, null, Double.NaN, Double.NaN, comparison, goal, goalOnRatio, null, List.of(), why);
    }

    /** Whether {@code value} satisfies {@code comparison goal}. */
    static boolean satisfies(double value, String comparison, double goal) {
        switch (comparison) {
            case "<=": return value <= goal;
            case "<": return value < goal;
            case ">=": return value >= goal;
            default: throw new IllegalArgumentException("unknown comparison " + comparison);
        }
    }

    /** "<= 1.25x" or "< 1 B/handoff": the goal as a reader says it. */
    public String goalText() {
        String g = new java.text.DecimalFormat("0.##", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)).format(goal);
        return comparison + " " + (goalOnRatio ? g + "x" : g + " " + unit);
    }

    /** "met", "MISSED" (with " (informational)" unless strict) or "not measured". */
    public String status(boolean strict) {
        if (met == null) {
            return "not measured";
        }
        return met ? "met" : strict ? "MISSED" : "MISSED (informational)";
    }

    /** One short line for the terminal (the status goes before it): name, figure, goal. */
    public String shortLine() {
        if (met == null) {
            return name + ", goal " + goalText() + ": " + detail;
        }
        String figure = goalOnRatio ? fmt(ratio) + "x (" + fmt(measured) + " vs " + fmt(baseline) + " " + unit + ")"
                : fmt(measured) + " " + unit;
        return name + ": " + figure + ", goal " + goalText();
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        double a = Math.abs(v);
        return a >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : a >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : a >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
