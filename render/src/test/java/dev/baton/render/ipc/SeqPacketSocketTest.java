package dev.baton.render.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.linux.IOVec;
import org.lwjgl.system.linux.Msghdr;

/** The libc layer: struct layouts, errno, fd passing, credentials, memfds, socket path rules. */
class SeqPacketSocketTest {

    @Nested
    class Layout {
        @Test
        void msghdrAndIovecMatchLwjglWhoseLayoutsAreRight() {
            assertEquals(Msghdr.SIZEOF, LibC.MSGHDR_SIZEOF);
            assertEquals(Msghdr.MSG_NAME, LibC.MSGHDR_NAME);
            assertEquals(Msghdr.MSG_NAMELEN, LibC.MSGHDR_NAMELEN);
            assertEquals(Msghdr.MSG_IOV, LibC.MSGHDR_IOV);
            assertEquals(Msghdr.MSG_IOVLEN, LibC.MSGHDR_IOVLEN);
            assertEquals(Msghdr.MSG_CONTROL, LibC.MSGHDR_CONTROL);
            assertEquals(Msghdr.MSG_CONTROLLEN, LibC.MSGHDR_CONTROLLEN);
            assertEquals(Msghdr.MSG_FLAGS, LibC.MSGHDR_FLAGS);
            assertEquals(IOVec.SIZEOF, LibC.IOVEC_SIZEOF);
            assertEquals(IOVec.IOV_LEN, LibC.IOVEC_LEN);
        }

        @Test
        void cmsgIsGlibcX8664NotLwjglsCMsghdr() {
            // glibc x86-64: size_t cmsg_len; int level; int type; data at CMSG_ALIGN(sizeof(cmsghdr)) = 16.
            assertEquals(16, LibC.CMSGHDR_SIZEOF);
            assertEquals(8, LibC.CMSGHDR_LEVEL);
            assertEquals(12, LibC.CMSGHDR_TYPE);
            assertEquals(24, LibC.cmsgSpace(4));  // CMSG_SPACE(sizeof(int))
            assertEquals(20, LibC.cmsgLen(4));    // CMSG_LEN(sizeof(int))
            assertEquals(32, LibC.cmsgSpace(12)); // three fds
        }

        @Test
        void fstatLayoutReadsSizeModeAndOwner() {
            int fd = Fds.memfdCreate("layout", 12345);
            try {
                Fds.FileStatus st = new Fds.FileStatus();
                assertEquals(0, Fds.fstat(fd, st));
                assertEquals(12345, st.sizeBytes());
                assertEquals(LibC.S_IFREG, st.type());
                assertEquals(LibC.getuid(), st.uid());
            } finally {
                LibC.close(fd);
            }
        }
    }

    @Test
    void errnoIsRightOnItsVeryFirstReadAndAfterwards() {
        assertEquals(-1, LibC.close(-1));
        assertEquals(LibC.EBADF, LibC.errno());
        NativeException e = assertThrows(NativeException.class,
                () -> SeqPacketSocket.connect("/nonexistent-baton-dir/x.sock", 64, 0));
        assertEquals(LibC.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void messagesKeepBoundariesAndAMemfdCrossesWithItsContent() {
        SeqPacketSocket[] pair = SeqPacketSocket.pair(256, 4);
        try (SeqPacketSocket a = pair[0]; SeqPacketSocket b = pair[1]) {
            int memfd = Fds.memfdCreate("passed", 4096);
            try (MappedMemory m = MappedMemory.map(memfd, 4096, true)) {
                m.buffer().putLong(0, 0x0123456789abcdefL);
            }
            Fds.addSeals(memfd, Fds.SEALS_FIXED_SIZE);
            ByteBuffer msg = MemoryUtil.memAlloc(5);
            try {
                msg.put(new byte[] {1, 2, 3, 4, 5}).flip();
                assertEquals(SeqPacketSocket.SENT, a.send(msg, new int[] {memfd}, 1));
                msg.limit(2);
                assertEquals(SeqPacketSocket.SENT, a.send(msg, null, 0));
            } finally {
                MemoryUtil.memFree(msg);
                LibC.close(memfd);
            }
            assertTrue(b.awaitReadable(1000));
            assertEquals(5, b.receive());
            assertEquals(1, b.receivedFdCount());
            int got = b.receivedFd(0);
            try {
                assertTrue(Fds.isCloseOnExec(got), "received with MSG_CMSG_CLOEXEC");
                assertEquals(Fds.SEALS_FIXED_SIZE, Fds.seals(got));
                assertNotEquals(0, Fds.truncate(got, 1), "a sealed memfd cannot shrink");
                try (MappedMemory m = MappedMemory.map(got, 4096, false)) {
                    assertEquals(0x0123456789abcdefL, m.buffer().getLong(0));
                }
            } finally {
                LibC.close(got);
            }
            assertEquals(2, b.receive());
            assertEquals(0, b.receivedFdCount());
            assertEquals(SeqPacketSocket.NOTHING, b.receive());
            assertFalse(b.awaitReadable(10), "a bounded wait returns false when nothing comes");
            a.close();
            assertEquals(SeqPacketSocket.EOF, b.receive());
        }
    }

    @Test
    void tooManyFdsAreDetectedAndEveryOneThatArrivedIsClosed() {
        SeqPacketSocket[] pair = SeqPacketSocket.pair(64, 2);
        try (SeqPacketSocket a = pair[0]; SeqPacketSocket b = pair[1]) {
            int[] fds = new int[8];
            for (int i = 0; i < fds.length; i++) {
                fds[i] = Fds.memfdCreate("many", 16);
            }
            int before = openFdCount();
            ByteBuffer msg = MemoryUtil.memAlloc(1).put(0, (byte) 7);
            try {
                assertEquals(SeqPacketSocket.SENT, a.send(msg, fds, fds.length));
            } finally {
                MemoryUtil.memFree(msg);
            }
            assertEquals(1, b.receive());
            assertTrue(b.controlTruncated());
            assertEquals(0, b.receivedFdCount());
            assertEquals(before, openFdCount(), "the fds that arrived before the truncation were closed");
            for (int fd : fds) {
                LibC.close(fd);
            }
        }
    }

    @Test
    void oversizedMessageIsFlagged() {
        SeqPacketSocket[] pair = SeqPacketSocket.pair(16, 0);
        try (SeqPacketSocket a = pair[0]; SeqPacketSocket b = pair[1]) {
            ByteBuffer msg = MemoryUtil.memCalloc(100);
            try {
                assertEquals(SeqPacketSocket.SENT, a.send(msg, null, 0));
            } finally {
                MemoryUtil.memFree(msg);
            }
            assertTrue(b.receive() > 16);
            assertTrue(b.messageTruncated());
        }
    }

    @Test
    void peerCredentialsAreOurs() {
        SeqPacketSocket[] pair = SeqPacketSocket.pair(16, 0);
        try (SeqPacketSocket a = pair[0]; SeqPacketSocket b = pair[1]) {
            assertEquals(ProcessHandle.current().pid(), b.peerPid());
            assertEquals(LibC.getuid(), b.peerUid());
        }
    }

    @Test
    void aFullSocketSaysWouldBlockInsteadOfBlocking() {
        SeqPacketSocket[] pair = SeqPacketSocket.pair(4096, 0);
        try (SeqPacketSocket a = pair[0]; SeqPacketSocket b = pair[1]) {
            a.setSendBufferBytes(4096);
            ByteBuffer msg = MemoryUtil.memCalloc(1024);
            try {
                int sent = 0;
                while (a.send(msg, null, 0) == SeqPacketSocket.SENT) {
                    sent++;
                    assertTrue(sent < 100_000, "the socket never filled up");
                }
                assertFalse(a.awaitWritable(10));
                assertTrue(b.receive() > 0);
            } finally {
                MemoryUtil.memFree(msg);
            }
        }
    }

    @Nested
    class Paths {
        @Test
        void defaultPathUsesXdgRuntimeDirElseAPerUserTmpDir() {
            assertEquals(Path.of("/run/user/1000/baton/compositor.sock"),
                    SocketPaths.defaultSocketPath(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000));
            assertEquals(Path.of("/tmp/baton-1000/compositor.sock"), SocketPaths.defaultSocketPath(Map.of(), 1000));
        }

        @Test
        void directoryIsCreatedPrivateAndAnOpenOneIsRefused(@TempDir Path tmp) throws Exception {
            Path dir = tmp.resolve("baton");
            SocketPaths.ensurePrivateDirectory(dir);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SocketPaths.ensurePrivateDirectory(dir));
            assertTrue(e.getMessage().contains("chmod 700"), e.getMessage());
            Path file = tmp.resolve("file");
            Files.writeString(file, "x");
            assertThrows(IllegalStateException.class, () -> SocketPaths.ensurePrivateDirectory(file));
        }

        @Test
        void aStaleSocketIsReplacedAndALiveOneRefused(@TempDir Path tmp) {
            Path sock = tmp.resolve("run").resolve("compositor.sock");
            SeqPacketListener first = SocketPaths.bindServer(sock, 4);
            try {
                assertEquals(SocketPaths.Probe.LIVE, SocketPaths.probe(sock.toString()));
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> SocketPaths.bindServer(sock, 4));
                assertTrue(e.getMessage().contains("already serving"), e.getMessage());
            } finally {
                // Simulate a dead server: close the fd but leave the socket file behind.
                LibC.close(first.fd());
            }
            assertTrue(Files.exists(sock));
            assertEquals(SocketPaths.Probe.STALE, SocketPaths.probe(sock.toString()));
            try (SeqPacketListener second = SocketPaths.bindServer(sock, 4)) {
                assertEquals(SocketPaths.Probe.LIVE, SocketPaths.probe(sock.toString()));
                try (SeqPacketSocket c = SeqPacketSocket.connect(sock.toString(), 64, 0)) {
                    int accepted = second.accept();
                    assertTrue(accepted >= 0);
                    LibC.close(accepted);
                }
            }
            assertFalse(Files.exists(sock), "close removes the socket file");
        }
    }

    static int openFdCount() {
        String[] names = new java.io.File("/proc/self/fd").list();
        return names == null ? -1 : names.length;
    }
}
