package dev.baton.app.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Baton's help layout, the same for every command: the description as written (no re-flowing), then
 * one {@code  --name VALUE  what it does (default X)} row per option, the command's own options first
 * and {@code --help}/{@code --version} last. Installed as picocli help sections, so {@code usage()},
 * {@code --help} and {@code ./baton help COMMAND} all print it.
 */
final class Help {
    private Help() {}

    static void install(CommandLine cl) {
        Map<String, CommandLine.IHelpSectionRenderer> map = cl.getHelpSectionMap();
        // A command's header is its line in the parent's command list; only the top level prints its own.
        map.put(UsageMessageSpec.SECTION_KEY_HEADER, help -> help.commandSpec().subcommands().isEmpty() ? ""
                : lines(help.commandSpec().usageMessage().header(), ""));
        map.put(UsageMessageSpec.SECTION_KEY_SYNOPSIS, help -> synopsis(help.commandSpec()));
        map.put(UsageMessageSpec.SECTION_KEY_DESCRIPTION, help -> lines(help.commandSpec().usageMessage().description(), "\n"));
        map.put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, help -> commands(help.commandSpec()));
        map.put(UsageMessageSpec.SECTION_KEY_OPTION_LIST, help -> options(help.commandSpec()));
        map.put(UsageMessageSpec.SECTION_KEY_FOOTER, help -> lines(help.commandSpec().usageMessage().footer(), "\n"));
        cl.setHelpSectionKeys(List.of(UsageMessageSpec.SECTION_KEY_HEADER, UsageMessageSpec.SECTION_KEY_SYNOPSIS,
                UsageMessageSpec.SECTION_KEY_DESCRIPTION, UsageMessageSpec.SECTION_KEY_COMMAND_LIST,
                UsageMessageSpec.SECTION_KEY_OPTION_LIST, UsageMessageSpec.SECTION_KEY_FOOTER));
    }

    /** The launcher's spelling of a command: {@code ./baton demo}. */
    static String invocation(CommandSpec spec) {
        return spec.parent() == null && !spec.name().equals("baton") ? "./baton " + spec.name() : "./" + spec.qualifiedName(" ");
    }

    private static String synopsis(CommandSpec spec) {
        String[] custom = spec.usageMessage().customSynopsis();
        if (custom.length > 0) {
            return "Usage: " + String.join("\n", custom) + "\n";
        }
        return "Usage: " + invocation(spec) + (spec.options().size() > 2 ? " [options]" : "") + "\n";
    }

    /** Lines as written; a section after the synopsis starts with a blank line ({@code lead}). */
    private static String lines(String[] lines, String lead) {
        if (lines.length == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder(lead);
        for (String line : lines) {
            b.append(line).append('\n');
        }
        return lead.isEmpty() ? b.append('\n').toString() : b.toString();
    }

    private static String commands(CommandSpec spec) {
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (!e.getKey().equals(sub.name()) || sub.usageMessage().hidden()) {
                continue; // an alias
            }
            String[] header = sub.usageMessage().header();
            String[] description = sub.usageMessage().description();
            rows.add(new String[] {sub.name(), header.length > 0 ? header[0] : description.length > 0 ? description[0] : ""});
        }
        return rows.isEmpty() ? "" : "\nCommands:\n" + table(rows, spec.commandLine().getUsageHelpWidth());
    }

    private static String options(CommandSpec spec) {
        List<String[]> rows = new ArrayList<>();
        List<String[]> standard = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            if (o.usageHelp() || o.versionHelp()) {
                standard.add(new String[] {names(o), o.usageHelp() ? "print this help and exit" : "print the Baton version and git commit and exit"});
                continue;
            }
            String name = o.longestName() + (Cli.isSwitch(o) ? "" : " " + o.paramLabel());
            String text = String.join(" ", o.description());
            Object initial = o.initialValue();
            if (!Cli.isSwitch(o) && initial != null) {
                text += " (default " + (initial instanceof Double d ? Cli.number(d) : initial.toString()) + ")";
            }
            rows.add(new String[] {name, text});
        }
        rows.addAll(standard);
        return "\nOptions:\n" + table(rows, spec.commandLine().getUsageHelpWidth());
    }

    /** --help, -h: the long name first, so the row starts with it. */
    private static String names(OptionSpec o) {
        List<String> names = new ArrayList<>(List.of(o.names()));
        names.sort((a, b) -> b.length() - a.length());
        return String.join(", ", names);
    }

    /** Two columns; the second wraps at {@code width}, continuation lines under its start. */
    private static String table(List<String[]> rows, int width) {
        int first = 0;
        for (String[] r : rows) {
            first = Math.max(first, r[0].length());
        }
        int indent = 2 + first + 2;
        int room = Math.max(30, width - indent);
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            b.append("  ").append(r[0]).append(" ".repeat(first - r[0].length() + 2));
            String rest = r[1];
            boolean firstLine = true;
            while (!rest.isEmpty()) {
                String piece = rest;
                if (rest.length() > room) {
                    int cut = rest.lastIndexOf(' ', room);
                    piece = cut > 0 ? rest.substring(0, cut) : rest;
                }
                if (!firstLine) {
                    b.append(" ".repeat(indent));
                }
                b.append(piece).append('\n');
                rest = rest.substring(piece.length()).stripLeading();
                firstLine = false;
            }
            if (firstLine) {
                b.append('\n');
            }
        }
        return b.toString();
    }
}
