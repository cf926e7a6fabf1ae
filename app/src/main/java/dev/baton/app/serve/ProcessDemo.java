package dev.baton.app.serve;

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

/**
 * {@code ./baton demo --processes N --headless}: its own broker ({@link ServeCompositor}) and N
 * {@code ./baton produce} child JVMs on its socket, composited headless. {@code --kill-at K} sends
 * SIGKILL to one child after K composites (the summary shows its surfaces ABANDONED and the time the
 * compositor's waiter took to wake); {@code --restart-at R} starts a new child in its place.
 * {@code --device a,b} gives the processes those devices in turn.
 */
public final class ProcessDemo {
    /** What the demo command passes on. */
    public record Options(int processes, int width, int height, double fps, int frames, Path out, String device, boolean validate,
                          int ring, long acquireTimeoutNanos, int killAt, int restartAt, int faultProducer) {}

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
        Path socket = SocketPaths.defaultSocketPath().getParent().resolve("demo-" + ProcessHandle.current().pid() + ".sock");
        try {
            Files.createDirectories(o.out());
        } catch (IOException e) {
            err.println("baton demo: cannot create " + o.out() + ": " + e.getMessage());
            return 1;
        }
        ServeCompositor compositor;
        try {
            compositor = ServeCompositor.start(socket, o.acquireTimeoutNanos(), line -> {
                synchronized (out) {
                    out.println(line);
                }
            });
        } catch (RuntimeException e) {
            err.println("baton demo: cannot start the broker at " + socket + ": " + e.getMessage());
            return 1;
        }
        List<ProducerProcess> children = new ArrayList<>();
        ProducerProcess[] killed = new ProducerProcess[1];
        try {
            for (int i = 0; i < o.processes(); i++) {
                children.add(spawn(o, compositor, i));
            }
            out.println("demo: broker on " + compositor.broker().socketPath() + ", " + o.processes() + " produce process"
                    + (o.processes() == 1 ? "" : "es") + " starting (logs in " + o.out() + ")");
            out.flush();
            int result = ServeCommand.composite(compositor, o.frames(), o.fps(), o.out(), 60, made -> {
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
            }, out, err);
            return result;
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
            compositor.close();
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
