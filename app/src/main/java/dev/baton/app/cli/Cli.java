package dev.baton.app.cli;

import dev.baton.app.BuildInfo;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.AnnotatedElement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;

/**
 * Baton's command line on picocli: every command is a picocli {@code @Command} whose options are
 * annotated fields, and this class gives them one behaviour everywhere.
 *
 * <p>How a command declares an option (the value's type chooses the parser; numbers and sizes carry a
 * {@link Range}; a {@code String} with {@code completionCandidates} is a choice of those words; the
 * field's initial value is the default, which the help prints):
 * <pre>{@code
 * @Option(names = "--producers", paramLabel = "N", description = "producer render threads")
 * @Range(min = 1, max = 16)
 * int producers = 4;
 * @Option(names = "--headless", description = "composite on EGL surfaceless and write PNGs")
 * boolean headless;
 * }</pre>
 * Types: {@code boolean} (a switch), {@code int}, {@code double}, {@link Size}, {@link Path},
 * {@code String} (non-empty text, or one of its {@code completionCandidates}). {@link #check} refuses
 * anything else when the command is built, so a new option cannot skip the rules below.
 *
 * <p>Rules, the same for every command: {@code --name value} and {@code --name=value}; a repeated
 * option keeps its last value; {@code --help}/{@code -h} anywhere prints the command's help and
 * exits 0, {@code --version}/{@code -V} prints {@link BuildInfo#versionLine()}; every bad input
 * (unknown option, stray argument, missing, malformed or out-of-range value, a value given to a
 * switch) is one line on stderr, {@code baton COMMAND: --flag expects WHAT, got 'TEXT'}, nothing on
 * stdout, exit code 2. Used on the main thread, once per process (or per test call).
 */
public final class Cli {
    /** Exit code for bad usage. */
    public static final int USAGE = 2;

    private static final int HELP_WIDTH = 100;

    private Cli() {}

    /** What a command does once its options are parsed and checked. */
    public interface Body {
        /**
         * Runs the command; returns its exit code (0 ok, 1 failure, 2 bad usage).
         *
         * @throws UsageException for input the parser cannot judge alone (options that conflict);
         *     printed as one line, exit code 2
         */
        int run(PrintStream out, PrintStream err) throws UsageException;
    }

    /** Supplies {@code --version} for every command. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.current().versionLine()};
        }
    }

    /** Parses {@code args} for one command (no subcommands) and runs it: the tests' and Main's entry. */
    public static int run(Object command, String[] args, PrintStream out, PrintStream err) {
        return execute(commandLine(command), args, out, err);
    }

    /** A picocli command line for {@code command} (and the subcommands added to it later) with Baton's rules. */
    public static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        configure(cl);
        return cl;
    }

    /** Applies Baton's rules to {@code cl} and every subcommand it has now (call again after adding some). */
    public static void configure(CommandLine cl) {
        cl.setOverwrittenOptionsAllowed(true);      // --x 1 --x 2: the last wins, as before picocli
        cl.setAllowOptionsAsOptionParameters(true); // --device --tier: "--tier" is the value, refused by its own rules
        cl.setExpandAtFiles(false);                 // "@file" is an argument like any other, not a file of arguments
        cl.setUsageHelpWidth(HELP_WIDTH);
        cl.registerConverter(Integer.class, Cli::parseInt);
        cl.registerConverter(Integer.TYPE, Cli::parseInt);
        cl.registerConverter(Double.class, Cli::parseDouble);
        cl.registerConverter(Double.TYPE, Cli::parseDouble);
        cl.registerConverter(Size.class, Cli::parseSize);
        cl.registerConverter(Path.class, Cli::parsePath);
        cl.registerConverter(String.class, Cli::parseText);
        for (CommandLine c : all(cl)) {
            check(c.getCommandSpec());
            Help.install(c);
        }
    }

    /** Parses and runs; returns the exit code. Writes help and version to {@code out}, errors to {@code err}. */
    public static int execute(CommandLine cl, String[] args, PrintStream out, PrintStream err) {
        PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        cl.setOut(outWriter);
        cl.setErr(errWriter);
        cl.setParameterExceptionHandler((ex, given) -> {
            outWriter.flush();
            CommandLine at = ex.getCommandLine();
            // --help anywhere wins over a bad value, as it did before picocli (not for an unknown command).
            if ((at.getParent() != null || at.getSubcommands().isEmpty()) && helpRequested(given, at)) {
                at.usage(outWriter);
                outWriter.flush();
                return 0;
            }
            err.println(prefix(at) + ": " + Messages.of(ex, given));
            return USAGE;
        });
        cl.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) {
                outWriter.flush();
                return help;
            }
            List<ParseResult> chain = new ArrayList<>();
            for (ParseResult p = parsed; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
                chain.add(p);
            }
            for (ParseResult p : chain) {
                checkValues(p);
            }
            ParseResult leaf = chain.get(chain.size() - 1);
            Object user = leaf.commandSpec().userObject();
            if (!(user instanceof Body body)) {
                leaf.commandSpec().commandLine().usage(outWriter);
                outWriter.flush();
                return 0;
            }
            try {
                return body.run(out, err);
            } catch (UsageException e) {
                err.println(prefix(leaf.commandSpec().commandLine()) + ": " + e.getMessage());
                return USAGE;
            }
        });
        try {
            return cl.execute(args);
        } finally {
            outWriter.flush();
            errWriter.flush();
        }
    }

    /** True if the command line set {@code option} (false: the field holds its default). */
    public static boolean given(CommandSpec spec, String option) {
        ParseResult result = spec.commandLine().getParseResult();
        return result != null && result.hasMatchedOption(option);
    }

    /** What an option accepts, as its errors say it: {@code a whole number from 1 to 16}. */
    public static String accepts(ArgSpec arg) {
        Class<?> type = arg.type();
        Range range = range(arg);
        if (type == Integer.TYPE || type == Integer.class) {
            return "a whole number from " + number(range.min()) + " to " + number(range.max());
        }
        if (type == Double.TYPE || type == Double.class) {
            return "a number from " + number(range.min()) + " to " + number(range.max());
        }
        if (type == Size.class) {
            return "WIDTHxHEIGHT with each side from " + number(range.min()) + " to " + number(range.max()) + ", such as 512x384";
        }
        if (type == Path.class) {
            return "a file or folder path";
        }
        List<String> words = choices(arg);
        return words == null ? "a non-empty value" : "one of " + String.join(", ", words);
    }

    /** The words a choice option accepts, or null when it takes any text. */
    static List<String> choices(ArgSpec arg) {
        Iterable<String> candidates = arg.completionCandidates();
        if (candidates == null || arg.type() != String.class) {
            return null;
        }
        List<String> words = new ArrayList<>();
        candidates.forEach(words::add);
        return words;
    }

    static Range range(ArgSpec arg) {
        return arg.userObject() instanceof AnnotatedElement e ? e.getAnnotation(Range.class) : null;
    }

    static boolean isSwitch(ArgSpec arg) {
        return arg.type() == Boolean.TYPE || arg.type() == Boolean.class;
    }

    /** Formats a bound or default: {@code 60} rather than {@code 60.0}. */
    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** {@code baton} for the top level, {@code baton demo} for a command. */
    static String prefix(CommandLine cl) {
        String name = cl.getCommandName();
        return name.equals("baton") ? "baton" : "baton " + name;
    }

    /** Fails fast on a declaration that would escape the rules (a developer error, not user input). */
    static void check(CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            String where = spec.name() + " " + o.longestName();
            if (!o.longestName().startsWith("--")) {
                throw new IllegalStateException(where + ": every option needs a --long-name");
            }
            Class<?> t = o.type();
            boolean numeric = t == Integer.TYPE || t == Integer.class || t == Double.TYPE || t == Double.class || t == Size.class;
            if (numeric && range(o) == null) {
                throw new IllegalStateException(where + ": a number or size option needs @Range");
            }
            if (!numeric && !isSwitch(o) && t != Path.class && t != String.class) {
                throw new IllegalStateException(where + ": type " + t.getName() + " has no Baton converter; use int, double, Size, Path or String");
            }
            if (!isSwitch(o) && (o.paramLabel() == null || o.paramLabel().startsWith("<"))) {
                throw new IllegalStateException(where + ": set paramLabel (the value's name in --help, such as N or FILE)");
            }
        }
    }

    /** Ranges and choices, checked for every value given (a repeated option's earlier values too). */
    private static void checkValues(ParseResult parsed) {
        CommandLine cl = parsed.commandSpec().commandLine();
        for (OptionSpec o : parsed.matchedOptions()) {
            Range range = range(o);
            List<String> words = choices(o);
            for (String text : o.originalStringValues()) {
                if (range != null && !inRange(o.type(), convert(o.type(), text), range)) {
                    throw new Messages.Refused(cl, o.longestName() + " expects " + accepts(o) + ", got '" + text + "'");
                }
                if (words != null && !words.contains(text.trim())) {
                    throw new Messages.Refused(cl, o.longestName() + " expects " + accepts(o) + ", got '" + text + "'");
                }
            }
            if (words != null) {
                o.setValue(((String) o.getValue()).trim());
            }
        }
    }

    private static Object convert(Class<?> type, String text) {
        if (type == Integer.TYPE || type == Integer.class) {
            return parseInt(text);
        }
        if (type == Double.TYPE || type == Double.class) {
            return parseDouble(text);
        }
        return parseSize(text);
    }

    private static boolean inRange(Class<?> type, Object value, Range r) {
        if (value instanceof Size s) {
            return s.width() >= r.min() && s.width() <= r.max() && s.height() >= r.min() && s.height() <= r.max();
        }
        double v = ((Number) value).doubleValue();
        return v >= r.min() && v <= r.max();
    }

    private static boolean helpRequested(String[] args, CommandLine at) {
        // Everything after the command's own name (the top level: everything) up to "--".
        List<String> list = Arrays.asList(args);
        int from = at.getParent() == null ? 0 : list.indexOf(at.getCommandName()) + 1;
        for (String a : list.subList(Math.max(0, from), list.size())) {
            if (a.equals("--")) {
                break;
            }
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    static Integer parseInt(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("not a whole number");
        }
    }

    static Double parseDouble(String text) {
        try {
            double v = Double.parseDouble(text.trim());
            if (!Double.isFinite(v)) {
                throw new TypeConversionException("not a finite number");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("not a number");
        }
    }

    static Size parseSize(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x", -1);
        if (parts.length != 2) {
            throw new TypeConversionException("not WIDTHxHEIGHT");
        }
        try {
            return new Size(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("not WIDTHxHEIGHT");
        }
    }

    static Path parsePath(String text) {
        if (text.isBlank() || text.indexOf('\0') >= 0) {
            throw new TypeConversionException("not a path");
        }
        try {
            return Path.of(text);
        } catch (RuntimeException e) {
            throw new TypeConversionException("not a path");
        }
    }

    static String parseText(String text) {
        if (text.isBlank()) {
            throw new TypeConversionException("empty");
        }
        return text;
    }

    static List<CommandLine> all(CommandLine cl) {
        List<CommandLine> list = new ArrayList<>();
        list.add(cl);
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals(e.getValue().getCommandName())) { // skip aliases
                list.addAll(all(e.getValue()));
            }
        }
        return list;
    }
}
