package dev.baton.app.serve;

import dev.baton.app.ShutdownSignal;
import dev.baton.app.demo.ImGuiWindow;
import dev.baton.render.ipc.SocketPaths;
import dev.baton.render.scene.Scene;
import dev.baton.render.vk.DeviceSelector;
import dev.baton.render.vk.VulkanInstance;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * {@code ./baton demo --processes N}: its own broker ({@link ServeCompositor}) and N
 * {@code ./baton produce} child JVMs on its socket, composited in a window ({@link ServeWindow}, whose
 * panel offers Kill: SIGKILL to that child, and Restart: a new child in its place) or headless.
 * {@code --kill-at K} sends SIGKILL to one child after K composites (window: frames; the summary shows
 * its surfaces ABANDONED and the time the compositor's waiter took to wake); {@code --restart-at R}
 * starts a new child in its place. {@code --device a,b} gives the processes those devices in turn.
 * Closing the window (or Ctrl-C) stops every child (SIGTERM, then SIGKILL after 5 s) and then the broker.
 */
public final class ProcessDemo {
    /** What the demo command passes on. */
    public record Options(int processes, int width, int height, double fps, int frames, Path out, String device, boolean validate,
                          int ring, long acquireTimeoutNanos, int killAt, int restartAt, int faultProducer, boolean window,
                          double exitAfterSeconds, Path screenshot) {}

    private ProcessDemo() {}

    /** Runs the demo; {@return 0 if every frame passed its checks, 1 otherwise} */
    public static int run(Options o, PrintStream out, PrintStream err) {
        if (o.device() != null) {
            String bad = checkDevices(o.device());
            if (bad != null) {
                err.println("baton demo: --device " + bad);
                return 2;
            }
        }
        ServeWindow.Options windowOptions = new ServeWindow.Options("Baton: producer processes on a broker", "baton demo",
                o.processes(), o.exitAfterSeconds(), o.screenshot());
        ImGuiWindow window = null;
        if (o.window()) {
            window = ServeWindow.open(windowOptions, err);   // first: a display that fails costs nothing
            if (window == null) {
                return 1;
            }
        }
        Path socket = SocketPaths.defaultSocketPath().getParent().resolve("demo-" + ProcessHandle.current().pid() + ".sock");
        try {
            Files.createDirectories(o.out());
        } catch (IOException e) {
            err.println("baton demo: cannot create " + o.out() + ": " + e.getMessage());
            if (window != null) {
                window.close();
            }
            return 1;
        }
        java.util.function.Consumer<String> log = line -> {
            synchronized (out) {
                out.println(line);
            }
        };
        // Capability: where the window's GL shares a driver with producers, they draw into memory it samples in place.
        WindowMemory memory = window != null ? WindowMemory.open(window.window(), log) : null;
        ServeCompositor compositor;
        try {
            compositor = ServeCompositor.start(socket, o.acquireTimeoutNanos(), log, memory == null ? null : memory.allocator());
        } catch (RuntimeException e) {
            err.println("baton demo: cannot start the broker at " + socket + ": " + e.getMessage());
            if (memory != null) {
                memory.close();
            }
            if (window != null) {
                window.close();
            }
            return 1;
        }
        List<ProducerProcess> children = new ArrayList<>();
        List<ProducerProcess> retired = new ArrayList<>();   // killed or replaced: reaped at the end
        ProducerProcess[] killed = new ProducerProcess[1];
        ShutdownSignal signal = new ShutdownSignal(30_000); // Ctrl-C: the loop ends with the summary, children stopped in order
        try {
            for (int i = 0; i < o.processes(); i++) {
                children.add(spawn(o, compositor, i));
            }
            out.println("demo: broker on " + compositor.broker().socketPath() + ", " + o.processes() + " produce process"
                    + (o.processes() == 1 ? "" : "es") + " starting (logs in " + o.out() + ")");
            out.flush();
            IntConsumer faults = made -> {
                try {
                    if (made == o.killAt() && o.faultProducer() < children.size()) {
                        ProducerProcess victim = children.get(o.faultProducer());
                        compositor.noteKill(victim.pid());
                        boolean owned = compositor.ownedBy(victim.pid());
                        victim.kill();
                        killed[0] = victim;
                        out.println("demo: SIGKILL to producer " + o.faultProducer() + " (pid " + victim.pid() + ") after " + made
                                + " composites" + (owned ? ", while it owned a surface" : ""));
                    }
                    if (made == o.restartAt() && killed[0] != null) {
                        ProducerProcess fresh = spawn(o, compositor, o.faultProducer());
                        children.set(o.faultProducer(), fresh);
                        out.println("demo: restarted producer " + o.faultProducer() + " as pid " + fresh.pid());
                    }
                } catch (IOException e) {
                    err.println("baton demo: cannot start a producer process: " + e.getMessage());
                }
            };
            if (window != null) {
                return ServeWindow.run(compositor, window, windowOptions, new Controls(o, compositor, children, retired, out), faults,
                        signal, out, err);
            }
            return ServeCommand.composite(compositor, o.frames(), o.fps(), o.out(), 60, faults, signal::requested, out, err);
        } catch (IOException e) {
            err.println("baton demo: cannot start a producer process: " + e.getMessage());
            return 1;
        } finally {
            for (ProducerProcess p : children) {
                p.stop(); // SIGTERM: each finishes its frame, prints its summary and exits 0
            }
            for (ProducerProcess p : children) {
                try {
                    p.awaitExit(TimeUnit.SECONDS.toMillis(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                p.close();
            }
            if (killed[0] != null) {
                killed[0].close();
            }
            for (ProducerProcess p : retired) {
                p.close();
            }
            compositor.close();
            if (memory != null) {
                memory.close();
            }
            if (signal != null) {
                signal.close();
            }
        }
    }

    /** The window's Kill and Restart: SIGKILL to a child, a new child in a slot. Window thread only. */
    private static final class Controls implements ServeWindow.Children {
        private final Options o;
        private final ServeCompositor compositor;
        private final List<ProducerProcess> children;
        private final List<ProducerProcess> retired;
        private final PrintStream out;

        Controls(Options o, ServeCompositor compositor, List<ProducerProcess> children, List<ProducerProcess> retired, PrintStream out) {
            this.o = o;
            this.compositor = compositor;
            this.children = children;
            this.retired = retired;
            this.out = out;
        }

        private ProducerProcess process(ServeCompositor.Feed feed) {
            for (ProducerProcess p : children) {
                if (p.pid() == feed.pid) {
                    return p;
                }
            }
            return null;
        }

        @Override
        public boolean owns(ServeCompositor.Feed feed) {
            return process(feed) != null;
        }

        @Override
        public boolean alive(ServeCompositor.Feed feed) {
            ProducerProcess p = process(feed);
            return p != null && p.isAlive();
        }

        @Override
        public void kill(ServeCompositor.Feed feed) {
            ProducerProcess p = process(feed);
            if (p == null || !p.isAlive()) {
                return;
            }
            compositor.noteKill(p.pid());
            boolean owned = compositor.ownedBy(p.pid());
            p.kill();   // SIGKILL; returns at once, the window does not wait for the process to go
            out.println("demo: SIGKILL to " + feed.name + " (pid " + p.pid() + ") from the window" + (owned ? ", while it owned a surface" : ""));
        }

        @Override
        public void restart(ServeCompositor.Feed feed) {
            ProducerProcess p = process(feed);
            if (p == null) {
                return;
            }
            int slot = children.indexOf(p);
            if (p.isAlive()) {
                p.stop();   // SIGTERM: it finishes its frame and says BYE; reaped at the end
            }
            retired.add(p);
            try {
                ProducerProcess fresh = spawn(o, compositor, slot);
                children.set(slot, fresh);
                out.println("demo: restarted producer " + slot + " as pid " + fresh.pid());
            } catch (IOException e) {
                throw new IllegalStateException("cannot start a producer process: " + e.getMessage(), e);
            }
        }

        @Override
        public List<String> starting() {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < children.size(); i++) {
                ProducerProcess p = children.get(i);
                if (compositor.feedOfPid(p.pid()) == null) {
                    lines.add(p.isAlive() ? "starting producer " + i + " (pid " + p.pid() + ", log " + p.log().getFileName() + ")..."
                            : "producer " + i + " (pid " + p.pid() + ") exited before connecting: see " + p.log());
                }
            }
            return lines;
        }
    }

    /**
     * The device of producer {@code index}: {@code --device} may list several, comma-separated, which
     * the processes take in turn (e.g. {@code lavapipe,swiftshader}: a device that imports the broker's
     * memory beside one that host-copies into it).
     */
    static String deviceOf(String devices, int index) {
        String[] list = devices.split(",");
        return list[index % list.length].trim();
    }

    /** {@return null if every comma-separated name fits one device here, else what is wrong with the first that does not} */
    private static String checkDevices(String devices) {
        try (VulkanInstance vk = VulkanInstance.create(false)) {
            for (String name : devices.split(",")) {
                try {
                    DeviceSelector.one(vk.physicalDevices(), name.trim());
                } catch (IllegalArgumentException e) {
                    return name.trim() + ": " + e.getMessage();
                }
            }
            return null;
        } catch (RuntimeException e) {
            return devices + ": cannot start Vulkan to check it (" + e.getMessage() + ")";
        }
    }

    private static ProducerProcess spawn(Options o, ServeCompositor compositor, int index) throws IOException {
        List<String> args = new ArrayList<>(List.of("--connect", compositor.broker().socketPath(),
                "--scene", Scene.forProducer(index).label(), "--hue", String.valueOf(index),
                "--size", o.width() + "x" + o.height(), "--fps", String.format(Locale.ROOT, "%s", o.fps()),
                "--ring", String.valueOf(o.ring()), "--frames", "0"));
        if (o.device() != null) {
            args.add("--device");
            args.add(deviceOf(o.device(), index));
        }
        if (o.validate()) {
            args.add("--validate");
        }
        return ProducerProcess.start(null, args, o.out().resolve("producer-" + index + "-" + System.nanoTime() % 100000 + ".log"));
    }
}
