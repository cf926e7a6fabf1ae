package dev.baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Baton's picocli rules on a small command of every option kind, parsed in-process. */
class CliTest {
    /** A command with one option of each kind Baton supports; records what it was run with. */
    @Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Runs the demo.")
    static final class Sample implements Cli.Body {
        @Spec
        CommandSpec spec;

        @Option(names = "--producers", paramLabel = "N", description = "producer threads")
        @Range(min = 1, max = 16)
        int producers = 4;

        @Option(names = "--size", paramLabel = "WxH", description = "surface size")
        @Range(min = 64, max = 4096)
        Size size = new Size(512, 384);

        @Option(names = "--fps", paramLabel = "FPS", description = "frames per second")
        @Range(min = 1, max = 1000)
        double fps = 60;

        @Option(names = "--tier", paramLabel = "NAME", completionCandidates = Tiers.class, description = "sync tier")
        String tier;

        @Option(names = "--device", paramLabel = "NAME", description = "device name")
        String device;

        @Option(names = "--out", paramLabel = "DIR", description = "output folder")
        Path out = Path.of("out");

        @Option(names = "--headless", description = "no window")
        boolean headless;

        boolean ran;

        @Override
        public int run(PrintStream out, PrintStream err) {
            ran = true;
            return 0;
        }
    }

    static final class Tiers implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("host-bridge", "host-copy").iterator();
        }
    }

    record Result(int exit, String out, String err) {}

    private static Result run(Object command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Cli.run(command, args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void defaultsHoldWithoutArguments() {
        Sample s = new Sample();
        assertEquals(0, run(s).exit());
        assertTrue(s.ran);
        assertEquals(4, s.producers);
        assertEquals(new Size(512, 384), s.size);
        assertEquals(60.0, s.fps);
        assertNull(s.tier);
        assertFalse(s.headless);
        assertFalse(Cli.given(s.spec, "--producers"), "a default is not 'given'");
    }

    @Test
    void parsesSpacedAndInlineValues() {
        Sample s = new Sample();
        Result r = run(s, "--producers", "8", "--size=640x480", "--fps", "29.97", "--tier", "host-copy", "--headless",
                "--device", "--looks-like-a-flag", "--out=a b");
        assertEquals(0, r.exit(), r.err());
        assertEquals(8, s.producers);
        assertEquals(new Size(640, 480), s.size);
        assertEquals(29.97, s.fps);
        assertEquals("host-copy", s.tier);
        assertTrue(s.headless);
        assertEquals("--looks-like-a-flag", s.device, "a text option takes the next word, as before picocli");
        assertEquals(Path.of("a b"), s.out);
        assertTrue(Cli.given(s.spec, "--producers"));
    }

    @Test
    void aRepeatedOptionKeepsItsLastValueButEveryValueIsChecked() {
        Sample s = new Sample();
        assertEquals(0, run(s, "--producers", "2", "--producers", "3").exit());
        assertEquals(3, s.producers);
        assertMessage("baton demo: --producers expects a whole number from 1 to 16, got '0'", "--producers", "0", "--producers", "3");
    }

    @Test
    void everyBadValueNamesTheFlagAndWhatItAccepts() {
        assertMessage("baton demo: --producers expects a whole number from 1 to 16, got 'many'", "--producers", "many");
        assertMessage("baton demo: --producers expects a whole number from 1 to 16, got '0'", "--producers", "0");
        assertMessage("baton demo: --producers expects a whole number from 1 to 16, got '0x10'", "--producers", "0x10");
        assertMessage("baton demo: --producers expects a whole number from 1 to 16, got '--'", "--producers", "--");
        assertMessage("baton demo: --size expects WIDTHxHEIGHT with each side from 64 to 4096, such as 512x384, got '512'", "--size", "512");
        assertMessage("baton demo: --size expects WIDTHxHEIGHT with each side from 64 to 4096, such as 512x384, got '63x100'", "--size=63x100");
        assertMessage("baton demo: --fps expects a number from 1 to 1000, got 'NaN'", "--fps", "NaN");
        assertMessage("baton demo: --fps expects a number from 1 to 1000, got 'Infinity'", "--fps", "Infinity");
        assertMessage("baton demo: --tier expects one of host-bridge, host-copy, got 'fast'", "--tier", "fast");
        assertMessage("baton demo: --device expects a non-empty value, got ' '", "--device", " ");
        assertMessage("baton demo: --out expects a file or folder path, got ''", "--out=");
        assertMessage("baton demo: --producers needs a value: a whole number from 1 to 16", "--producers");
        assertMessage("baton demo: --headless takes no value (got 'yes')", "--headless=yes");
        assertMessage("baton demo: --version takes no value (got 'yes')", "--version=yes");
        assertMessage("baton demo: unknown option --frobnicate for 'demo'; run ./baton demo --help for the list", "--frobnicate", "1");
        assertMessage("baton demo: unknown option --producer for 'demo' (did you mean --producers?); run ./baton demo --help for the list",
                "--producer=3");
        assertMessage("baton demo: unexpected argument 'extra' for 'demo'; run ./baton demo --help", "extra");
        assertMessage("baton demo: unexpected argument '@args.txt' for 'demo'; run ./baton demo --help", "@args.txt");
    }

    @Test
    void helpListsEveryFlagWithItsDefaultAndWinsOverBadValues() {
        Sample s = new Sample();
        Result r = run(s, "--producers", "many", "--help");
        assertEquals(0, r.exit());
        assertEquals("", r.err());
        assertFalse(s.ran);
        for (String row : List.of("  --producers N  ", "  --size WxH  ", "  --fps FPS  ", "  --tier NAME  ", "  --headless  ", "  --help, -h  ",
                "  --version, -V  ", "Usage: ./baton demo [options]", "Runs the demo.")) {
            assertTrue(r.out().contains(row), () -> "help lacks '" + row + "':\n" + r.out());
        }
        assertTrue(r.out().contains("producer threads (default 4)"), r.out());
        assertTrue(r.out().contains("surface size (default 512x384)"), r.out());
        assertTrue(r.out().contains("frames per second (default 60)"), r.out());
        assertFalse(r.out().contains("no window (default"), "a switch shows no default:\n" + r.out());
    }

    @Command(name = "baton", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class)
    static final class Root {}

    @Test
    void asASubcommandTheSameRulesHoldAndGivenSeesItsOwnOptions() {
        Sample s = new Sample();
        picocli.CommandLine root = new picocli.CommandLine(new Root());
        root.addSubcommand(s);
        Cli.configure(root);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(0, Cli.execute(root, new String[] {"demo", "--producers", "5"}, o, e), err.toString(StandardCharsets.UTF_8));
        assertTrue(s.ran);
        assertEquals(5, s.producers);
        assertTrue(Cli.given(s.spec, "--producers"));
        assertFalse(Cli.given(s.spec, "--fps"));
        assertEquals(2, Cli.execute(root, new String[] {"demo", "--fps", "0"}, o, e));
        assertEquals("baton demo: --fps expects a number from 1 to 1000, got '0'" + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionNamesTheBuild() {
        Result r = run(new Sample(), "--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().matches("baton \\S+ \\(commit \\S+\\)\\R"), r.out());
    }

    @Command(name = "broken")
    static final class NoRange {
        @Option(names = "--count", paramLabel = "N")
        int count = 1;
    }

    @Command(name = "broken")
    static final class NoLabel {
        @Option(names = "--name")
        String name;
    }

    @Test
    void aDeclarationThatEscapesTheRulesFailsWhenBuilt() {
        IllegalStateException noRange = assertThrows(IllegalStateException.class, () -> Cli.commandLine(new NoRange()));
        assertTrue(noRange.getMessage().contains("@Range"), noRange.getMessage());
        IllegalStateException noLabel = assertThrows(IllegalStateException.class, () -> Cli.commandLine(new NoLabel()));
        assertTrue(noLabel.getMessage().contains("paramLabel"), noLabel.getMessage());
    }

    private static void assertMessage(String expected, String... args) {
        Sample s = new Sample();
        Result r = run(s, args);
        assertEquals(2, r.exit(), () -> String.join(" ", args) + ": " + r.err());
        assertEquals("", r.out());
        assertEquals(expected + System.lineSeparator(), r.err());
        assertFalse(s.ran, "a refused command line runs nothing");
    }
}
