package dev.baton.render.ipc;

import dev.baton.sync.AcquireStatus;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.lwjgl.system.MemoryUtil;

/**
 * The child process of the cross-process tests and measurements (test code, not a product main).
 * Modes:
 * <ul>
 *   <li>{@code memfd SOCKET}: connect, receive a memfd, add 1 to the long at offset 0, answer "done".</li>
 *   <li>{@code echo SOCKET N}: connect and echo N messages (the raw round-trip floor).</li>
 *   <li>{@code owner SOCKET KEY}: HELLO, wait for a granted surface, acquire it with KEY, print OWNED, sleep.</li>
 *   <li>{@code handoff SOCKET N}: HELLO, wait for a granted surface, N times acquire key 1 and release to key 0.</li>
 * </ul>
 */
public final class IpcChild {
    private IpcChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String path = args[1];
        long timeout = TimeUnit.SECONDS.toNanos(20);
        switch (mode) {
            case "memfd": {
                try (SeqPacketSocket s = SeqPacketSocket.connect(path, 64, 4)) {
                    System.out.println("CONNECTED pid " + ProcessHandle.current().pid());
                    if (!s.awaitReadable(20_000) || s.receive() <= 0 || s.receivedFdCount() != 1) {
                        System.out.println("FAILED no memfd");
                        System.exit(3);
                    }
                    int fd = s.receivedFd(0);
                    try (MappedMemory m = MappedMemory.map(fd, 4096, true)) {
                        ByteBuffer b = m.buffer();
                        b.putLong(0, b.getLong(0) + 1);
                    }
                    LibC.close(fd);
                    ByteBuffer reply = MemoryUtil.memAlloc(4).putInt(0, 0x600d);
                    s.send(reply, null, 0);
                    System.out.println("DONE");
                }
                return;
            }
            case "echo": {
                int n = Integer.parseInt(args[2]);
                try (SeqPacketSocket s = SeqPacketSocket.connect(path, 64, 0)) {
                    System.out.println("CONNECTED");
                    ByteBuffer reply = MemoryUtil.memAlloc(64);
                    for (int i = 0; i < n; i++) {
                        int r;
                        while ((r = s.receive()) == SeqPacketSocket.NOTHING) {
                            s.awaitReadable(10_000);
                        }
                        if (r == SeqPacketSocket.EOF) {
                            break;
                        }
                        reply.clear();
                        reply.put(0, s.receiveBuffer(), 0, r).limit(r);
                        s.send(reply, null, 0);
                    }
                }
                System.out.println("DONE");
                return;
            }
            case "owner": {
                long key = Long.parseLong(args[2]);
                BrokerClient c = BrokerClient.connect(path, "owner-child", timeout);
                BrokerClient.Surface s = c.awaitGrant(timeout);
                if (s == null || c.acquire(s, key, timeout) != AcquireStatus.ACQUIRED) {
                    System.out.println("FAILED could not own the surface");
                    System.exit(3);
                }
                System.out.println("OWNED");
                Thread.sleep(60_000); // until SIGKILL
                System.exit(4);
                return;
            }
            case "handoff": {
                int n = Integer.parseInt(args[2]);
                try (BrokerClient c = BrokerClient.connect(path, "handoff-child", timeout)) {
                    BrokerClient.Surface s = c.awaitGrant(timeout);
                    System.out.println("GRANTED " + (s == null ? -1 : s.surfaceId));
                    ByteBuffer data = ByteBuffer.allocateDirect(8);
                    long fence = 0;
                    for (int i = 0; i < n; i++) {
                        AcquireStatus st = c.acquire(s, 1L, timeout);
                        if (st != AcquireStatus.ACQUIRED) {
                            System.out.println("FAILED " + st + " at " + i + ": " + c.brokerGoneReason());
                            System.exit(3);
                        }
                        fence = c.fenceValue() + 1;
                        data.putLong(0, c.privateData().getLong(0));
                        c.release(s, 0L, fence, data);
                    }
                    System.out.println("DONE " + fence);
                }
                return;
            }
            default:
                System.out.println("FAILED unknown mode " + mode);
                System.exit(2);
        }
    }
}
