package dev.baton.app.serve;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code ./baton produce} child process: a separate JVM started with this JVM's class path, its
 * output in a log file. {@link #kill} sends SIGKILL ({@link Process#destroyForcibly} on Linux).
 */
public final class ProducerProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private ProducerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code java -cp CLASSPATH dev.baton.app.Main produce ARGS}, stdout and stderr to {@code log}.
     *
     * @param classPath the class path (this JVM's when null)
     */
    public static ProducerProcess start(String classPath, List<String> produceArgs, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xshare:auto");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-XX:+UseSerialGC");
        command.add("-Xmx128m"); // a small address space is torn down faster when the process is killed
        command.add("-cp");
        command.add(classPath != null ? classPath : System.getProperty("java.class.path"));
        command.add("dev.baton.app.Main");
        command.add("produce");
        command.addAll(produceArgs);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return new ProducerProcess(pb.start(), log);
    }

    /** {@return its process id} */
    public long pid() {
        return process.pid();
    }

    /** {@return the log file its output goes to} */
    public Path log() {
        return log;
    }

    /** {@return whether it still runs} */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM: the producer stops after its current frame and prints its summary. */
    public void stop() {
        process.destroy();
    }

    /** Sends SIGKILL. */
    public void kill() {
        process.destroyForcibly();
    }

    /** Waits at most {@code millis} for it to exit; {@return its exit code, or null if it still runs} */
    public Integer awaitExit(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** Kills it if it still runs and reaps it. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
