package dev.baton.app.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/** Turns picocli's parse errors into Baton's one-line messages (without the {@code baton COMMAND: } prefix). */
final class Messages {
    private Messages() {}

    /** A refusal whose message is already Baton's one line. */
    static final class Refused extends ParameterException {
        private static final long serialVersionUID = 1L;

        Refused(CommandLine cl, String message) {
            super(cl, message);
        }
    }

    /** The message for {@code ex}; {@code args} are the command line it came from. */
    static String of(ParameterException ex, String[] args) {
        if (ex instanceof Refused) {
            return ex.getMessage();
        }
        CommandLine cl = ex.getCommandLine();
        String command = cl.getCommandName();
        boolean top = command.equals("baton");
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            if (arg.startsWith("-")) {
                String name = arg.startsWith("--") && arg.indexOf('=') > 0 ? arg.substring(0, arg.indexOf('=')) : arg;
                String hint = suggestion(u, name);
                return top
                        ? "unknown option " + name + hint + "; run ./baton --help for the list"
                        : "unknown option " + name + " for '" + command + "'" + hint + "; run ./baton " + command + " --help for the list";
            }
            return top
                    ? "unknown command '" + arg + "'" + suggestion(u, arg) + "; run ./baton --help for the list"
                    : "unexpected argument '" + arg + "' for '" + command + "'; run ./baton " + command + " --help";
        }
        ArgSpec arg = ex.getArgSpec();
        if (ex instanceof MissingParameterException m && m.getMissing() != null && m.getMissing().size() == 1) {
            arg = m.getMissing().get(0);
        }
        if (arg instanceof OptionSpec o) {
            String name = o.longestName();
            if (Cli.isSwitch(o)) {
                return name + " takes no value (got '" + ex.getValue() + "')";
            }
            if (ex instanceof MissingParameterException) {
                // picocli also lands here when the value is "--" (its end-of-options mark): name it.
                String next = valueAfter(o, args);
                return next == null ? name + " needs a value: " + Cli.accepts(o) : name + " expects " + Cli.accepts(o) + ", got '" + next + "'";
            }
            if (ex.getValue() != null) {
                return name + " expects " + Cli.accepts(o) + ", got '" + ex.getValue() + "'";
            }
        }
        // Anything else picocli refuses: its own message, kept to one line.
        String message = String.valueOf(ex.getMessage()).replaceAll("\\s*\\R\\s*", " ").trim();
        return message + "; run ./baton" + (top ? "" : " " + command) + " --help";
    }

    /** The argument after the option's name, or null when it is last. */
    private static String valueAfter(OptionSpec o, String[] args) {
        List<String> names = List.of(o.names());
        for (int i = 0; i + 1 < args.length; i++) {
            if (names.contains(args[i])) {
                return args[i + 1];
            }
        }
        return null;
    }

    /** " (did you mean --producers?)" when picocli finds close names. */
    private static String suggestion(UnmatchedArgumentException u, String name) {
        List<String> close = u.getSuggestions();
        close.removeIf(s -> s.equals(name));
        return close.isEmpty() ? "" : " (did you mean " + String.join(" or ", close.subList(0, Math.min(3, close.size()))) + "?)";
    }
}
