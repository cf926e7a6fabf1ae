package dev.baton.app.bench;

import dev.baton.render.ipc.Broker;
import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.SocketPaths;
import dev.baton.render.vk.DeviceContext;
import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.PhysicalDeviceInfo;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanInstance;
import dev.baton.render.vk.VulkanTimeline;
import dev.baton.sync.AcquireStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What every cross-process GPU bench row shares, on both sides; each row keeps only its tier: how
 * the surface is offered and imported, and its turns.
 *
 * <p>The bench side ({@link #run}): a {@link Broker} in this process on a socket in a folder of the
 * per-user runtime folder, a child JVM ({@link CrossProcessPartner} in the row's mode) on the same
 * physical device (index and deviceUUID), this process's {@link BrokerClient}, the child's setup
 * release, warm-up turns, measured turns (this process's client thread and the broker's loop thread
 * charged), the row's checks of the child's last private data, and the teardown ({@link #tearDown}).
 * The child side ({@link #partner}): the same device found by index and deviceUUID, its connection,
 * its clock and its grant, then the row's turns, then a bounded teardown.
 */
final class CrossProcessHarness {
    /** The exit code of a child that cannot take part (its last output line says why). */
    static final int CANNOT = 3;
    /** Timed-work slots per side, as the in-process ping-pong's. */
    static final int SLOTS = 3;
    /** The clear colour TimedWork writes, as RGBA8 UNORM bytes (0.25, 0.5, 0.75, 1.0), give or take 1 for rounding. */
    static final int[] CLEAR_BYTES = {64, 128, 191, 255};
    /** The private-data long every row's child puts its turn in ({@code -1}: its setup turn). */
    static final int SEQ = 0;

    /** Thrown by a row's {@link Row#connect} when this side cannot take part: {@link #run} returns its message as the skip reason. */
    static final class Skip extends RuntimeException {
        Skip(String reason) {
            super(reason, null, false, false);
        }
    }

    /** One row's bench side: what it does between the shared steps. */
    interface Row {
        /** After the broker started and this side's clock was calibrated, before the child starts (objects it offers). */
        default void prepare(CrossProcessHarness h) {
        }

        /**
         * Connected, with the child: offers and imports the surface and takes the child's setup release
         * ({@link #awaitSetupTurn}); throws {@link Skip} when this side cannot take part.
         *
         * @return this side's turns, or null when the child went away ({@link #run} then asks why)
         */
        Turns connect(CrossProcessHarness h) throws InterruptedException;
    }

    /** One row's turns on the bench side, and what it checks once they are measured. */
    interface Turns {
        /** Turns until {@code end}, measured when the series are given; the first acquire is already held. */
        long turns(long end, Series cpu, Series gpu, Series e2e) throws InterruptedException;

        /** Between the warm-up and the measured turns. */
        default void warmedUp() {
        }

        /** {@return bytes both processes copied so far (0 where the memory is shared)} */
        default long copiedSoFar() {
            return 0;
        }

        /** After the turns, whether or not they failed: null once this side's GPU is done with them, else why not (a stall). */
        default String drain() throws InterruptedException {
            return null;
        }

        /** Checks the child's last private data once measured; throws if the pixels or the validation layer say otherwise. */
        void check(ByteBuffer pd);
    }

    /** What every row's turns on the bench side hold: the connection, the surface, its work and its own timeline. */
    abstract static class Side implements Turns {
        final CrossProcessHarness h;
        final BrokerClient a;
        final BrokerClient.Surface s;
        final GpuClock clock;
        final TimedWork work;
        final VulkanTimeline timeline;
        final long stallNanos;
        /** Turns taken so far. */
        long turn;

        Side(CrossProcessHarness h, BrokerClient.Surface s, TimedWork work, VulkanTimeline timeline) {
            this.h = h;
            this.a = h.client;
            this.s = s;
            this.clock = h.clock;
            this.work = work;
            this.timeline = timeline;
            this.stallNanos = h.stallNanos;
        }

        @Override
        public final long turns(long end, Series cpu, Series gpu, Series e2e) throws InterruptedException {
            long n = 0;
            while (true) {
                turn(turn, cpu, gpu, e2e);
                turn++;
                n++;
                if (System.nanoTime() >= end) {
                    return n;
                }
            }
        }

        /** Turn {@code k}: acquires (but the first), submits, releases; records its samples when the series are given. */
        abstract void turn(long k, Series cpu, Series gpu, Series e2e) throws InterruptedException;
    }

    /** The row's name: its stalls, its failures' messages. */
    final String row;
    final DeviceContext dev;
    final PhysicalDeviceInfo info;
    final int width;
    final int height;
    final long stallNanos;
    /** The broker's configuration: a row may change it before {@link #run} (its client-memory policy). */
    final Broker.Config config;
    /** The row's GPU objects, in creation order (closed newest first by the teardown). */
    final List<AutoCloseable> owned = new ArrayList<>();
    private final String tag;
    private final String mode;
    private final boolean validate;
    private final int[] partnerId = {0};
    private boolean keepLog;
    Path log;
    Process child;
    GpuClock clock;
    BrokerClient client;

    /**
     * @param row the row's name ("cross-process host-bridge")
     * @param tag names the socket folder, the log and both clients ({@code bench-TAG}, {@code bench-partner-TAG})
     * @param mode the child's {@link CrossProcessPartner} mode
     * @param dev this side's device, on {@code info}; closed by the teardown unless a stall left work on it
     */
    CrossProcessHarness(String row, String tag, String mode, DeviceContext dev, PhysicalDeviceInfo info, int width, int height,
                        boolean validate, long stallNanos) {
        this.row = row;
        this.tag = tag;
        this.mode = mode;
        this.dev = dev;
        this.info = info;
        this.width = width;
        this.height = height;
        this.validate = validate;
        this.stallNanos = stallNanos;
        this.config = CrossProcessPingPong.grantingTo(partnerName(tag), partnerId);
    }

    /** {@return the child's client name for {@code tag}} */
    static String partnerName(String tag) {
        return "bench-partner-" + tag;
    }

    /**
     * Opens {@code info}'s device with a calibrated-timestamps preference (and host-memory import if asked).
     *
     * @return the device; throws with the driver's message when it cannot be opened so
     */
    static DeviceContext open(VulkanInstance vk, PhysicalDeviceInfo info, String name, boolean hostMemory) {
        DeviceContext.Builder b = DeviceContext.builder(vk).physicalDeviceIndex(info.index()).name(name);
        if (hostMemory) {
            b.requireExtension("VK_EXT_external_memory_host");
        }
        return b.preferExtension(GpuClock.EXTENSION).build();
    }

    /** {@return what could not be opened, for a skip line: "NAME" or "NAME with host-memory import"} */
    static String openWhat(PhysicalDeviceInfo info, boolean hostMemory) {
        return info.name() + (hostMemory ? " with host-memory import" : "");
    }

    /**
     * Runs the row: warm-up, reset, then {@code measureNanos} of turns, each series' totals set from the
     * two sides' turns, the elapsed time and the costs of this process's client and broker threads.
     *
     * @return null once measured; the reason when either side cannot take part (no samples then)
     */
    String run(Row r, Series cpu, Series gpu, Series e2e, long warmupNanos, long measureNanos) throws InterruptedException {
        Path dir;
        String pid = Long.toString(ProcessHandle.current().pid());
        try {
            dir = SocketPaths.defaultSocketPath().getParent().resolve("bench-" + tag + "-" + pid);
            Files.createDirectories(dir.getParent());
        } catch (IOException | RuntimeException e) {
            dev.close();
            throw new IllegalStateException(row + " row: cannot make its socket folder: " + e.getMessage(), e);
        }
        Path sock = dir.resolve("broker.sock");
        log = dir.getParent().resolve("bench-" + tag + "-" + pid + ".log");
        boolean stalled = false;
        try (Broker broker = Broker.start(sock, config)) {
            clock = GpuClock.calibrate(dev, stallNanos);
            r.prepare(this);
            child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC", "-Xmx128m", "-cp", System.getProperty("java.class.path"), CrossProcessPartner.class.getName(), mode,
                    broker.socketPath(), Integer.toString(info.index()), info.deviceUuidHex(), Integer.toString(width), Integer.toString(height),
                    Boolean.toString(validate), Long.toString(stallNanos)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partnerId[0] == 0) {
                if (!child.isAlive()) {
                    return childGone();
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(row + " row: the partner process did not connect to the broker within 30 s");
                }
                Thread.sleep(5);
            }
            try (BrokerClient a = BrokerClient.connect(broker.socketPath(), "bench-" + tag, TimeUnit.SECONDS.toNanos(5))) {
                client = a;
                Turns side = r.connect(this);
                if (side == null) {
                    return childGone();
                }
                String undrained;
                try {
                    side.turns(System.nanoTime() + warmupNanos, null, null, null);
                    side.warmedUp();
                    cpu.reset();
                    gpu.reset();
                    e2e.reset();
                    long copiedBefore = side.copiedSoFar();
                    ThreadCosts costs = new ThreadCosts(Thread.currentThread(), brokerThread());
                    costs.start();
                    long start = System.nanoTime();
                    long turns = side.turns(start + measureNanos, cpu, gpu, e2e);
                    long elapsed = System.nanoTime() - start;
                    costs.stop();
                    long copied = side.copiedSoFar() - copiedBefore;
                    for (Series x : List.of(cpu, gpu, e2e)) {
                        x.totals(2 * turns, elapsed, costs.cpuNanos(), copied, costs.allocatedBytes());
                    }
                } finally {
                    undrained = side.drain();
                    stalled = undrained != null;
                }
                if (stalled) {
                    throw new StallException(row, undrained);
                }
                side.check(a.privateData());
            }
            return null;
        } catch (Skip e) {
            return e.getMessage();
        } catch (StallException e) {
            stalled = true;
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException(row + " row: cannot start the partner process: " + e.getMessage(), e);
        } finally {
            tearDown(child, stalled, stallNanos, dev, owned, sock, dir, log, keepLog);
        }
    }

    /** {@return {@code x}, added to the row's GPU objects (closed newest first by the teardown)} */
    <T extends AutoCloseable> T own(T x) {
        owned.add(x);
        return x;
    }

    /**
     * Acquires the child's setup release and checks that it is one.
     *
     * @return false when the child went away instead
     */
    boolean awaitSetupTurn(BrokerClient.Surface s) {
        if (!acquire(s)) {
            return false;
        }
        if (client.privateData().getLong(SEQ * 8) != -1) {
            throw new IllegalStateException(row + " row: the partner's first release is not its setup turn");
        }
        return true;
    }

    /** Acquires key 0 in slices of 100 ms up to the stall bound, giving up early if the child died; true once acquired. */
    boolean acquire(BrokerClient.Surface s) {
        long deadline = System.nanoTime() + stallNanos;
        while (true) {
            AcquireStatus st = client.acquire(s, 0L, Math.min(TimeUnit.MILLISECONDS.toNanos(100), Math.max(1, deadline - System.nanoTime())));
            if (st == AcquireStatus.ACQUIRED) {
                return true;
            }
            if (st == AcquireStatus.ABANDONED || !child.isAlive()) {
                return false;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new StallException(row, "the partner process did not release within " + stallNanos / 1_000_000 + " ms");
            }
        }
    }

    /** Acquires the key of a turn after the first: the partner's release for {@code turn - 1}, or a failure. */
    void acquireTurn(BrokerClient.Surface s, long turn) {
        if (!acquire(s)) {
            throw new IllegalStateException(row + " row: the partner stopped handing off: " + lastLine(log));
        }
        long seq = client.privateData().getLong(SEQ * 8);
        if (seq != turn - 1) {
            throw new IllegalStateException(row + " row: the partner's release " + seq + " came for turn " + turn);
        }
    }

    /** Releases to the child at submit time with {@code value}; a failure if the broker is gone. */
    void release(BrokerClient.Surface s, long value) {
        if (!client.release(s, 1L, value, null)) {
            throw new IllegalStateException(row + " row: the broker is gone: " + client.brokerGoneReason());
        }
    }

    /** Fails if the child's validation layer reported anything (keeping its log, which lists them). */
    void requireNoValidationMessages(long count) {
        if (count != 0) {
            keepLog = true;
            throw new IllegalStateException(row + " row: the partner's validation layer reported " + count + " message(s), listed in " + log);
        }
    }

    /** A stall of {@code timelineName} not reaching {@code value}: a GPU submit never completed. */
    StallException gpuStall(String timelineName, long value) {
        return new StallException(row, timelineName + " did not reach " + value + " within " + stallNanos / 1_000_000
                + " ms (a GPU submit never completed)");
    }

    /** The child exited or is exiting: the skip reason if it could not take part, else a failure. */
    private String childGone() throws InterruptedException {
        child.waitFor(5, TimeUnit.SECONDS);
        String why = lastLine(log);
        if (!child.isAlive() && child.exitValue() == CANNOT) {
            return "the partner process cannot take part: " + why;
        }
        throw new IllegalStateException(row + " row: the partner process failed"
                + (child.isAlive() ? "" : " (exit " + child.exitValue() + ")") + ": " + why);
    }

    /**
     * The teardown every cross-process GPU row's bench side ends with: stops the child, then unless a
     * stall left work on this side's GPU (or its queue does not drain within {@code boundNanos}, a
     * fence: {@link DeviceContext#awaitIdle}) closes {@code owned} newest first and the device; work
     * still pending makes it leak them rather than free them in use. Failures to close are dropped so
     * that they do not hide the row's own failure. Then removes the socket, its folder and (unless kept)
     * the child's log.
     *
     * @param owned the row's GPU objects in creation order; null entries (never made) are skipped
     */
    static void tearDown(Process child, boolean stalled, long boundNanos, DeviceContext dev, List<? extends AutoCloseable> owned,
                         Path sock, Path dir, Path log, boolean keepLog) throws InterruptedException {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(5, TimeUnit.SECONDS);
        }
        if (!stalled && dev.awaitIdle(boundNanos)) {
            closeNewestFirst(owned);
            dev.close();
        }
        try {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
            if (!keepLog) {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            // a leftover file in the per-user runtime folder; nothing to report
        }
    }

    private static void closeNewestFirst(List<? extends AutoCloseable> owned) {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                if (owned.get(i) != null) {
                    owned.get(i).close();
                }
            } catch (Exception e) {
                // tearing down anyway
            }
        }
    }

    /** Waits (bounded) until a FENCE_REACHED for at least {@code value} arrived on {@code s}; false on timeout or when the broker is gone. */
    static boolean awaitReached(BrokerClient c, BrokerClient.Surface s, long value, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (Long.compareUnsigned(s.reachedFenceValue(), value) < 0) {
            c.poll();
            if (Long.compareUnsigned(s.reachedFenceValue(), value) >= 0) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (c.brokerGoneReason() != null || left <= 0) {
                return false;
            }
            c.socket().awaitReadable((int) Math.max(1, Math.min(100, left / 1_000_000)));
        }
        return true;
    }

    /** {@return whether the 4x4 corner a READ {@link TimedWork} copied into its host buffer is the clear colour} */
    static boolean cornerIsClear(TimedWork work) {
        ByteBuffer corner = work.hostBuffer().mapped();
        for (int p = 0; p < TimedWork.READ_SIDE_PIXELS * TimedWork.READ_SIDE_PIXELS * 4; p++) {
            if (Math.abs(Byte.toUnsignedInt(corner.get(p)) - CLEAR_BYTES[p % 4]) > 1) {
                return false;
            }
        }
        return true;
    }

    static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** The broker's loop thread (its CPU time and allocations are charged to the row). */
    static Thread brokerThread() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("baton-broker")) {
                return t;
            }
        }
        throw new IllegalStateException("the broker's loop thread is not running");
    }

    /** One row's child side, once granted: imports, the setup turn, then turns until the broker goes. */
    interface PartnerTurns {
        /** {@return the exit code: {@link #CANNOT}, 1 on a failure, 0 when the bench ended the run} */
        int run(Partner p) throws InterruptedException;
    }

    /** The child's side of one run: its arguments and what {@link #partner} opened for the row. */
    static final class Partner {
        final int width;
        final int height;
        final long stall;
        final VulkanInstance vk;
        final PhysicalDeviceInfo info;
        final DeviceContext dev;
        final List<AutoCloseable> owned = new ArrayList<>();
        BrokerClient c;
        GpuClock clock;
        BrokerClient.Surface s;
        /** False once a row knows work of this device may never complete: then nothing is closed. */
        boolean idle = true;
        /** When the last {@link #acquire} returned (host clock). */
        long acquiredAt;
        private int printed;

        private Partner(int width, int height, long stall, VulkanInstance vk, PhysicalDeviceInfo info, DeviceContext dev) {
            this.width = width;
            this.height = height;
            this.stall = stall;
            this.vk = vk;
            this.info = info;
            this.dev = dev;
        }

        /** {@return {@code x}, added to what is closed at exit (newest first)} */
        <T extends AutoCloseable> T own(T x) {
            owned.add(x);
            return x;
        }

        /** The setup acquire (key 1, bounded); false, with the line printed, when it failed. */
        boolean setupAcquire() {
            if (c.acquire(s, 1L, TimeUnit.SECONDS.toNanos(30)) != AcquireStatus.ACQUIRED) {
                System.out.println("the setup acquire failed (" + c.brokerGoneReason() + ")");
                return false;
            }
            return true;
        }

        /**
         * Acquires key 1 for turn {@code k} (bounded), noting when it returned ({@link #acquiredAt}); false, with
         * the line printed, once the bench closed its broker.
         */
        boolean acquire(long k) {
            AcquireStatus st = c.acquire(s, 1L, TimeUnit.SECONDS.toNanos(30));
            acquiredAt = System.nanoTime();
            if (st != AcquireStatus.ACQUIRED) {
                System.out.println("stopped after " + k + " turns: " + st + " (" + c.brokerGoneReason() + ")");
                return false;
            }
            return true;
        }

        /** Releases to the bench with {@code value} and {@code data}; false, with the line printed, when the broker is gone. */
        boolean release(long value, ByteBuffer data) {
            if (!c.release(s, 0L, value, data)) {
                System.out.println("the broker is gone: " + c.brokerGoneReason());
                return false;
            }
            return true;
        }

        /** Prints the validation messages not printed yet (only when there are: listing them allocates; the first 200 are kept). */
        void printValidationMessages() {
            if (printed < 200 && vk.validationMessageCount() > printed) {
                for (List<String> m = vk.validationMessages(); printed < m.size(); printed++) {
                    System.out.println("validation: " + m.get(printed));
                }
            }
        }
    }

    /**
     * The child's side ({@code CrossProcessPartner MODE SOCKET INDEX UUID W H VALIDATE STALL_NANOS}):
     * opens the physical device at INDEX if its deviceUUID is UUID and the row takes it
     * ({@code refuses} answers null), with host-memory import if {@code hostMemory}, connects as
     * {@code bench-partner-TAG}, waits for its grant and runs the row's turns. Prints one line and
     * returns {@link #CANNOT} if it cannot take part, 1 on a failure, 0 when the bench ended the run.
     */
    static int partner(String[] args, String tag, String deviceName, boolean hostMemory, Function<PhysicalDeviceInfo, String> refuses,
                       PartnerTurns row) {
        String socket = args[1];
        int index = Integer.parseInt(args[2]);
        String uuid = args[3];
        long stall = Long.parseLong(args[7]);
        VulkanInstance vk;
        try {
            vk = VulkanInstance.create(Boolean.parseBoolean(args[6]));
        } catch (RuntimeException e) {
            System.out.println("cannot start Vulkan: " + e.getMessage());
            return CANNOT;
        }
        PhysicalDeviceInfo info = null;
        for (PhysicalDeviceInfo d : vk.physicalDevices()) {
            if (d.index() == index && d.deviceUuidHex().equals(uuid)) {
                info = d;
            }
        }
        String refusal = info == null ? "no Vulkan device #" + index + " with deviceUUID " + uuid + " in this process" : refuses.apply(info);
        if (refusal != null) {
            System.out.println(refusal);
            vk.close();
            return CANNOT;
        }
        DeviceContext dev;
        try {
            dev = open(vk, info, deviceName, hostMemory);
        } catch (RuntimeException e) {
            System.out.println("cannot open " + openWhat(info, hostMemory) + ": " + e.getMessage());
            vk.close();
            return CANNOT;
        }
        Partner p = new Partner(Integer.parseInt(args[4]), Integer.parseInt(args[5]), stall, vk, info, dev);
        try (BrokerClient c = BrokerClient.connect(socket, partnerName(tag), TimeUnit.SECONDS.toNanos(20))) {
            p.c = c;
            p.clock = GpuClock.calibrate(dev, stall);
            p.s = c.awaitGrant(TimeUnit.SECONDS.toNanos(20));
            if (p.s == null) {
                System.out.println("no surface granted within 20 s (" + c.brokerGoneReason() + ")");
                return 1;
            }
            return row.run(p);
        } catch (RuntimeException | InterruptedException e) {
            System.out.println("failed: " + e);
            return 1;
        } finally {
            if (p.idle && dev.awaitIdle(stall)) { // else the process exits (System.exit) without anything waiting on this device
                closeNewestFirst(p.owned);
                dev.close();
                vk.close();
            }
        }
    }
}
