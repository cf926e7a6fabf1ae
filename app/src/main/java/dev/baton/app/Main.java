package dev.baton.app;

import java.io.PrintStream;
import java.util.Arrays;

/** The one entry point of Baton. The launcher ({@code ./baton}) builds and then calls this. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command and returns the process exit code (0 ok, 1 failure, 2 bad usage). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printHelp(out);
            return 0;
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "devices":
                return DevicesCommand.run(rest, out, err);
            case "demo":
                return dev.baton.app.demo.DemoCommand.run(rest, out, err);
            case "bench":
                return dev.baton.app.bench.BenchCommand.run(rest, out, err);
            case "gpu-check":
                return GpuCheckCommand.run(rest, out, err);
            default:
                err.println("baton: unknown command '" + command + "'; run ./baton --help for the list");
                return 2;
        }
    }

    static void printHelp(PrintStream out) {
        out.println("Baton: hand GPU surfaces between Vulkan devices and OpenGL with a keyed mutex.");
        out.println();
        out.println("Usage: ./baton COMMAND [options]    (./baton COMMAND --help for a command's options)");
        out.println();
        out.println("Commands:");
        out.println("  demo      producers on their own devices, composited in a window (or --headless to PNGs)");
        out.println("  bench     GPU handoff latency per sync tier, beside its floors and the naive way");
        out.println("  devices   list Vulkan devices and the GL renderer, their interop support and chosen tiers");
        out.println("  gpu-check devices, the hardware tier check and bench --quick into one report folder (--bundle DIR:");
        out.println("            a self-contained copy with its own Java runtime, run as DIR/run)");
        out.println("  test      build and run every test (installs missing drivers first)");
        out.println("  jmh       JMH microbenchmarks of the keyed mutex (arguments go to JMH)");
        out.println("  help      this text");
    }
}
