package dev.baton.app.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with right-aligned numeric columns, for terminal reports. */
public final class Table {
    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = headers.clone();
    }

    public Table row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + headers.length + " columns");
        }
        String[] text = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            text[i] = format(cells[i]);
        }
        rows.add(text);
        return this;
    }

    static String format(Object cell) {
        if (cell instanceof Double || cell instanceof Float) {
            double v = ((Number) cell).doubleValue();
            if (Double.isNaN(v)) {
                return "-";
            }
            return Math.abs(v) >= 100 ? String.format("%.0f", v) : Math.abs(v) >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
        }
        return String.valueOf(cell);
    }

    /** A number, optionally with a unit ("61.2 us", "1.27 ms", "0.96x"): right-aligned. */
    private static final java.util.regex.Pattern NUMERIC = java.util.regex.Pattern.compile("-?[0-9][0-9.,eE+-]*( ?(us|ms|s|B|x|%))?");

    /** Prints every column at full width. */
    public void print(PrintStream out) {
        print(out, Integer.MAX_VALUE);
    }

    /**
     * Prints the table in at most {@code maxWidth} columns: when wider, the widest text column is
     * shortened (its long cells end in "..") until it fits or every text column is down to its header.
     */
    public void print(PrintStream out, int maxWidth) {
        int[] widths = new int[headers.length];
        boolean[] numeric = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            widths[i] = headers[i].length();
            numeric[i] = !rows.isEmpty();
            for (String[] r : rows) {
                widths[i] = Math.max(widths[i], r[i].length());
                numeric[i] &= r[i].equals("-") || NUMERIC.matcher(r[i]).matches();
            }
        }
        while (width(widths) > maxWidth) {
            int widest = -1;
            for (int i = 0; i < widths.length; i++) {
                if (!numeric[i] && widths[i] > Math.max(4, headers[i].length()) && (widest < 0 || widths[i] > widths[widest])) {
                    widest = i;
                }
            }
            if (widest < 0) {
                break;
            }
            widths[widest]--;
        }
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < headers.length; i++) {
            line.append(i == 0 ? "" : "  ").append(pad(headers[i], widths[i], numeric[i]));
        }
        out.println(line.toString().stripTrailing());
        line.setLength(0);
        for (int i = 0; i < headers.length; i++) {
            line.append(i == 0 ? "" : "  ").append("-".repeat(widths[i]));
        }
        out.println(line);
        for (String[] r : rows) {
            line.setLength(0);
            for (int i = 0; i < r.length; i++) {
                line.append(i == 0 ? "" : "  ").append(pad(r[i], widths[i], numeric[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** The same table as Markdown, for README. */
    public String markdown() {
        StringBuilder b = new StringBuilder("| ").append(String.join(" | ", headers)).append(" |\n|");
        for (int i = 0; i < headers.length; i++) {
            b.append(i == 0 ? "---|" : "---:|");
        }
        b.append('\n');
        for (String[] r : rows) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return b.toString();
    }

    /** Width of a printed line: the columns and the two spaces between each. */
    private static int width(int[] widths) {
        int total = 2 * (widths.length - 1);
        for (int w : widths) {
            total += w;
        }
        return total;
    }

    private static String pad(String s, int width, boolean right) {
        if (s.length() > width) {
            s = s.substring(0, width - 2) + "..";
        }
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
