package dev.baton.app.bench;

import dev.baton.render.ipc.BrokerClient;
import dev.baton.render.ipc.SeqPacketSocket;
import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.lwjgl.system.MemoryUtil;

/**
 * The other process of the bench's cross-process rows (started by {@link CrossProcessPingPong} with
 * this JVM's class path; not a user command). Modes: {@code echo SOCKET} echoes every message until
 * EOF (the raw round-trip floor); {@code handoff SOCKET} connects to the broker, waits for a granted
 * surface and then acquires key 1 and releases to key 0 until the broker goes away; {@code gpu ...}
 * is the GPU row's other side ({@link CrossProcessGpu#partner}), {@code copy ...} the copy row's
 * ({@link CrossProcessCopyGpu#partner}), {@code binary-gpu ...} the binary-semaphore row's
 * ({@link CrossProcessSemaphoreGpu#partner}), {@code timeline-gpu ...} the shared-timeline row's (the same).
 */
public final class CrossProcessPartner {
    private CrossProcessPartner() {}

    /**
     * Runs one mode; exits when the other side closes.
     *
     * @param args mode and socket path
     */
    public static void main(String[] args) {
        if (args[0].equals("gpu")) {
            System.exit(CrossProcessGpu.partner(args));
        }
        if (args[0].equals("binary-gpu")) {
            System.exit(CrossProcessSemaphoreGpu.partner(CrossProcessSemaphoreGpu.Kind.BINARY_SEMAPHORES, args));
        }
        if (args[0].equals("timeline-gpu")) {
            System.exit(CrossProcessSemaphoreGpu.partner(CrossProcessSemaphoreGpu.Kind.SHARED_TIMELINE, args));
        }
        if (args[0].equals("copy")) {
            System.exit(CrossProcessCopyGpu.partner(args));
        }
        String path = args[1];
        if (args[0].equals("echo")) {
            try (SeqPacketSocket s = SeqPacketSocket.connect(path, 64, 0)) {
                ByteBuffer reply = MemoryUtil.memAlloc(64);
                while (true) {
                    int r;
                    while ((r = s.receive()) == SeqPacketSocket.NOTHING) {
                        s.awaitReadable(10_000);
                    }
                    if (r == SeqPacketSocket.EOF) {
                        return;
                    }
                    reply.clear();
                    reply.put(0, s.receiveBuffer(), 0, r).limit(r);
                    s.send(reply, null, 0);
                }
            }
        }
        long timeout = TimeUnit.SECONDS.toNanos(20);
        try (BrokerClient c = BrokerClient.connect(path, "bench-partner", timeout)) {
            BrokerClient.Surface s = c.awaitGrant(timeout);
            if (s == null) {
                System.exit(3);
            }
            while (c.acquire(s, 1L, timeout) == AcquireStatus.ACQUIRED) {
                c.release(s, 0L, c.fenceValue() + 1, null);
            }
        }
    }
}
