package dev.baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlagsTest {
    private final Flags flags = new Flags("demo", "Runs the demo.");
    private final Flags.Flag<Integer> producers = flags.integer("--producers", "N", 4, 1, 16, "producer threads");
    private final Flags.Flag<Flags.Size> size = flags.size("--size", 512, 384, 64, 4096, "surface size");
    private final Flags.Flag<Double> fps = flags.decimal("--fps", "FPS", 60, 1, 1000, "frames per second");
    private final Flags.Flag<String> tier = flags.choice("--tier", "NAME", null, List.of("host-bridge", "host-copy"), "sync tier");
    private final Flags.Flag<Boolean> headless = flags.toggle("--headless", "no window");

    private static final PrintStream DISCARD = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @Test
    void defaultsHoldWithoutArguments() throws UsageException {
        assertTrue(flags.parse(new String[0], DISCARD));
        assertEquals(4, producers.get());
        assertEquals(new Flags.Size(512, 384), size.get());
        assertEquals(60.0, fps.get());
        assertEquals(null, tier.get());
        assertFalse(headless.get());
    }

    @Test
    void parsesSpacedAndInlineValues() throws UsageException {
        flags.parse(new String[] {"--producers", "8", "--size=640x480", "--fps", "29.97", "--tier", "host-copy", "--headless"}, DISCARD);
        assertEquals(8, producers.get());
        assertEquals(new Flags.Size(640, 480), size.get());
        assertEquals(29.97, fps.get());
        assertEquals("host-copy", tier.get());
        assertTrue(headless.get());
    }

    @Test
    void everyBadValueNamesTheFlagAndWhatItAccepts() {
        assertMessage("--producers expects a whole number from 1 to 16, got 'many'", "--producers", "many");
        assertMessage("--producers expects a whole number from 1 to 16, got '0'", "--producers", "0");
        assertMessage("--size expects WIDTHxHEIGHT with each side from 64 to 4096, such as 512x384, got '512'", "--size", "512");
        assertMessage("--fps expects a number from 1 to 1000, got 'NaN'", "--fps", "NaN");
        assertMessage("--tier expects one of host-bridge, host-copy, got 'fast'", "--tier", "fast");
        assertMessage("--producers needs a value: a whole number from 1 to 16", "--producers");
        assertMessage("--headless takes no value (got 'yes')", "--headless=yes");
        assertMessage("unknown option --frobnicate for 'demo'; run ./baton demo --help for the list", "--frobnicate");
        assertMessage("unexpected argument 'extra' for 'demo'; run ./baton demo --help", "extra");
    }

    @Test
    void helpListsEveryFlag() throws UsageException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertFalse(flags.parse(new String[] {"--producers", "3", "--help"}, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        String help = bytes.toString(StandardCharsets.UTF_8);
        for (String name : List.of("--producers N", "--size WxH", "--fps FPS", "--tier NAME", "--headless", "--help")) {
            assertTrue(help.contains(name), () -> "help lacks " + name + ":\n" + help);
        }
    }

    private void assertMessage(String expected, String... args) {
        UsageException e = assertThrows(UsageException.class, () -> flags.parse(args, DISCARD));
        assertEquals(expected, e.getMessage());
    }
}
