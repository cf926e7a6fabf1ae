package dev.baton.app.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A command's flags: declare each one (which also writes its {@code --help} line), then
 * {@link #parse}. Every malformed or out-of-range value becomes a {@link UsageException} whose
 * one-line message names the flag and what it accepts. Flags take {@code --name value} or
 * {@code --name=value}. Not thread-safe; used once, on the main thread.
 */
public final class Flags {
    private final String command;
    private final String summary;
    private final Map<String, Flag<?>> flags = new LinkedHashMap<>();

    public Flags(String command, String summary) {
        this.command = command;
        this.summary = summary;
    }

    /** One declared flag; {@link #get()} is valid after {@link Flags#parse}. */
    public static final class Flag<T> {
        final String name;
        final String valueName;          // null for a switch
        final String help;
        final String accepts;
        final Function<String, T> parser; // returns null when the text is not acceptable
        T value;
        boolean given;

        Flag(String name, String valueName, String help, String accepts, T defaultValue, Function<String, T> parser) {
            this.name = name;
            this.valueName = valueName;
            this.help = help;
            this.accepts = accepts;
            this.parser = parser;
            this.value = defaultValue;
        }

        public T get() {
            return value;
        }

        /** True if the command line set this flag (false: {@link #get()} is the default). */
        public boolean given() {
            return given;
        }
    }

    /** A frame size such as {@code 512x384}. */
    public record Size(int width, int height) {
        @Override
        public String toString() {
            return width + "x" + height;
        }
    }

    private <T> Flag<T> add(Flag<T> flag) {
        if (flags.putIfAbsent(flag.name, flag) != null) {
            throw new IllegalArgumentException("flag declared twice: " + flag.name);
        }
        return flag;
    }

    public Flag<Boolean> toggle(String name, String help) {
        return add(new Flag<>(name, null, help, "no value", false, text -> null));
    }

    public Flag<Integer> integer(String name, String valueName, int defaultValue, int min, int max, String help) {
        return add(new Flag<>(name, valueName, help + " (default " + defaultValue + ")",
                "a whole number from " + min + " to " + max, defaultValue, text -> {
                    try {
                        int v = Integer.parseInt(text.trim());
                        return v >= min && v <= max ? v : null;
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }));
    }

    public Flag<Double> decimal(String name, String valueName, double defaultValue, double min, double max, String help) {
        return add(new Flag<>(name, valueName, help + " (default " + trim(defaultValue) + ")",
                "a number from " + trim(min) + " to " + trim(max), defaultValue, text -> {
                    try {
                        double v = Double.parseDouble(text.trim());
                        return Double.isFinite(v) && v >= min && v <= max ? v : null;
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }));
    }

    public Flag<Size> size(String name, int defaultWidth, int defaultHeight, int min, int max, String help) {
        return add(new Flag<>(name, "WxH", help + " (default " + defaultWidth + "x" + defaultHeight + ")",
                "WIDTHxHEIGHT with each side from " + min + " to " + max + ", such as 512x384",
                new Size(defaultWidth, defaultHeight), text -> {
                    String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x", -1);
                    if (parts.length != 2) {
                        return null;
                    }
                    try {
                        int w = Integer.parseInt(parts[0]);
                        int h = Integer.parseInt(parts[1]);
                        return w >= min && w <= max && h >= min && h <= max ? new Size(w, h) : null;
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }));
    }

    /** One of a fixed set of words; the default may be null (meaning "choose automatically"). */
    public Flag<String> choice(String name, String valueName, String defaultValue, List<String> allowed, String help) {
        return add(new Flag<>(name, valueName, help + (defaultValue == null ? "" : " (default " + defaultValue + ")"),
                "one of " + String.join(", ", allowed), defaultValue,
                text -> allowed.contains(text.trim()) ? text.trim() : null));
    }

    /** Free text, such as a device name filter; empty text is refused. */
    public Flag<String> text(String name, String valueName, String defaultValue, String help) {
        return add(new Flag<>(name, valueName, help + (defaultValue == null ? "" : " (default " + defaultValue + ")"),
                "a non-empty value", defaultValue, text -> text.isBlank() ? null : text));
    }

    public Flag<Path> path(String name, String valueName, Path defaultValue, String help) {
        return add(new Flag<>(name, valueName, help + (defaultValue == null ? "" : " (default " + defaultValue + ")"),
                "a file or folder path", defaultValue, text -> {
                    if (text.isBlank() || text.indexOf('\0') >= 0) {
                        return null;
                    }
                    try {
                        return Path.of(text);
                    } catch (RuntimeException e) {
                        return null;
                    }
                }));
    }

    /**
     * Parses {@code args}. Returns false when {@code --help} was given (the help is then printed to
     * {@code out} and the command should exit 0).
     *
     * @throws UsageException for an unknown flag, a missing value or an unacceptable one
     */
    public boolean parse(String[] args, PrintStream out) throws UsageException {
        List<String> list = List.of(args);
        for (String arg : list) {
            if (arg.equals("--help") || arg.equals("-h")) {
                printHelp(out);
                return false;
            }
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            Flag<?> flag = flags.get(name);
            if (flag == null) {
                throw new UsageException(arg.startsWith("-")
                        ? "unknown option " + name + " for '" + command + "'; run ./baton " + command + " --help for the list"
                        : "unexpected argument '" + arg + "' for '" + command + "'; run ./baton " + command + " --help");
            }
            if (flag.valueName == null) {
                if (inline != null) {
                    throw new UsageException(name + " takes no value (got '" + inline + "')");
                }
                setSwitch(flag);
                continue;
            }
            String text = inline;
            if (text == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException(name + " needs a value: " + flag.accepts);
                }
                text = args[++i];
            }
            set(flag, text);
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private static void setSwitch(Flag<?> flag) {
        flag.given = true;
        ((Flag<Boolean>) flag).value = Boolean.TRUE;
    }

    private static <T> void set(Flag<T> flag, String text) throws UsageException {
        T value = flag.parser.apply(text);
        if (value == null) {
            throw new UsageException(flag.name + " expects " + flag.accepts + ", got '" + text + "'");
        }
        flag.value = value;
        flag.given = true;
    }

    public void printHelp(PrintStream out) {
        out.println("Usage: ./baton " + command + " [options]");
        out.println();
        out.println(summary);
        out.println();
        out.println("Options:");
        List<String[]> rows = new ArrayList<>();
        for (Flag<?> f : flags.values()) {
            rows.add(new String[] {f.name + (f.valueName == null ? "" : " " + f.valueName), f.help});
        }
        rows.add(new String[] {"--help", "this text"});
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        for (String[] r : rows) {
            out.printf("  %-" + width + "s  %s%n", r[0], r[1]);
        }
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
