package dev.baton.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.app.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serve and produce commands' refusals: each one line, with what to do. No child process. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    record Result(int exit, String out, String err) {}

    static Result run(Object command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Cli.run(command, args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void serveWithoutADisplaySaysToAddHeadlessOrStartOne() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.baton.app.Main", "serve", "--socket", tmp.resolve("s").resolve("c.sock").toString());
        pb.environment().remove("DISPLAY");
        pb.environment().remove("WAYLAND_DISPLAY");
        Path errFile = tmp.resolve("serve.err");
        Process p = pb.redirectError(errFile.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve without a display did not exit");
        Result r = new Result(p.exitValue(), "", java.nio.file.Files.readString(errFile));
        assertEquals(Cli.USAGE, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("no display") && r.err().contains("--headless") && r.err().contains("Xvfb"), r.err());
    }

    @Test
    void aFlagOfTheOtherModeIsRefusedSayingWhichModeItIsFor() {
        Result r = run(new ServeCommand(), "--frames", "3");
        assertEquals(Cli.USAGE, r.exit());
        assertTrue(r.err().contains("--frames is for headless runs") && r.err().contains("add --headless"), r.err());
        r = run(new ServeCommand(), "--headless", "--screenshot", "shot.png");
        assertEquals(Cli.USAGE, r.exit());
        assertTrue(r.err().contains("--screenshot is for the window"), r.err());
    }

    @Test
    void aSecondServeOnALiveSocketIsRefusedNamingThePath() {
        Path socket = tmp.resolve("b").resolve("compositor.sock");
        try (ServeCompositor live = ServeCompositor.start(socket, TimeUnit.SECONDS.toNanos(1), line -> { })) {
            Result r = run(new ServeCommand(), "--headless", "--socket", socket.toString(), "--frames", "1");
            assertEquals(1, r.exit());
            assertTrue(r.err().contains("already serving " + socket), r.err());
        }
    }

    @Test
    void produceRefusesAWidthThatIsNotAMultipleOf16() {
        Result r = run(new ProduceCommand(), "--size", "100x96");
        assertEquals(Cli.USAGE, r.exit());
        assertTrue(r.err().contains("multiple of 16"), r.err());
    }
}
