package dev.baton.render.ipc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.render.ipc.ProtocolViolation.Rule;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Shared helpers of the ipc tests: a broker that shares every surface, raw reads, child JVMs. */
final class IpcTestSupport {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private IpcTestSupport() {
    }

    /** A broker config whose listener grants every new surface to every other connected client. */
    static Broker.Config sharingConfig(List<String> log) {
        Broker.Config config = new Broker.Config();
        List<Integer> clients = new CopyOnWriteArrayList<>();
        config.log = log::add;
        config.helloTimeoutNanos = SECOND;
        config.listener = new Broker.Listener() {
            @Override
            public void clientConnected(Broker broker, int clientId, String name, int pid) {
                clients.add(clientId);
            }

            @Override
            public void clientGone(Broker broker, int clientId, String reason) {
                clients.remove((Integer) clientId);
            }

            @Override
            public void surfaceCreated(Broker broker, BrokerSurface surface) {
                for (int id : clients) {
                    if (id != surface.creatorClientId()) {
                        broker.grant(surface, id);
                    }
                }
            }
        };
        return config;
    }

    static Path socketPath(Path tmp) {
        return tmp.resolve("b").resolve("compositor.sock");
    }

    static int openFdCount() {
        String[] names = new File("/proc/self/fd").list();
        return names == null ? -1 : names.length;
    }

    /**
     * This process's open fds, each as {@code "number -> target"} ({@code readlink} of {@code /proc/self/fd/N}).
     * Compared with {@link #fdsOpenedSince}, a leak check that another thread closing an fd of its own
     * (a finished test's streams, the JVM) cannot upset, as a bare count can.
     */
    static java.util.Set<String> openFds() {
        java.util.Set<String> fds = new java.util.HashSet<>();
        String[] names = new File("/proc/self/fd").list();
        if (names != null) {
            for (String n : names) {
                try {
                    fds.add(n + " -> " + java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd", n)));
                } catch (java.io.IOException e) {
                    // closed meanwhile (the listing's own fd, or another thread's)
                }
            }
        }
        return fds;
    }

    /** {@return the fds open now that were not in {@code before} (a reused number with another target counts as new)} */
    static java.util.Set<String> fdsOpenedSince(java.util.Set<String> before) {
        java.util.Set<String> now = openFds();
        now.removeAll(before);
        return now;
    }

    static void awaitTrue(BooleanSupplier condition, long timeoutNanos, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Reads messages from {@code s} until an ERROR arrives (returns its rule) or the connection ends
     * (returns null); fails after {@code timeoutNanos}.
     */
    static Rule awaitErrorRule(SeqPacketSocket s, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() - deadline < 0) {
            int r = s.receive();
            if (r == SeqPacketSocket.EOF) {
                return null;
            }
            if (r > 0) {
                s.closeReceivedFds();
                ByteBuffer m = s.receiveBuffer();
                if (r >= Protocol.ERROR_FIXED_BYTES && Short.toUnsignedInt(m.getShort(Protocol.H_TYPE)) == Protocol.TYPE_ERROR) {
                    return Rule.values()[m.getShort(Protocol.ERROR_RULE)];
                }
                continue;
            }
            s.awaitReadable(20);
        }
        throw new AssertionError("neither ERROR nor EOF within the timeout");
    }

    /** True once {@code s} reads EOF (draining anything before it) within the timeout. */
    static boolean awaitEof(SeqPacketSocket s, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() - deadline < 0) {
            int r = s.receive();
            if (r == SeqPacketSocket.EOF) {
                return true;
            }
            if (r > 0) {
                s.closeReceivedFds();
                continue;
            }
            s.awaitReadable(20);
        }
        return false;
    }

    /** A child JVM running {@code mainClass} with the test classpath; stdout is read line by line. */
    static final class Child implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final List<String> lines = new ArrayList<>();

        Child(Class<?> mainClass, String... args) throws IOException {
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xshare:auto");
            command.add("-XX:TieredStopAtLevel=1");
            command.add("-cp");
            command.add(cp);
            command.add(mainClass.getName());
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.redirectErrorStream(true);
            process = pb.start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Reads lines until one starts with {@code prefix}; returns it. Fails if the child exits first. */
        String awaitLine(String prefix) throws IOException {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            throw new AssertionError("child exited (" + exitCode() + ") before printing '" + prefix + "'; it printed " + lines);
        }

        private String exitCode() {
            try {
                return process.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "?";
            }
        }

        int awaitExit(long timeoutSeconds) throws InterruptedException, IOException {
            assertTrue(process.waitFor(timeoutSeconds, TimeUnit.SECONDS), "child did not exit within " + timeoutSeconds + " s");
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
            }
            return process.exitValue();
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.close();
        }
    }
}
