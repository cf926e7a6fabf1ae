package dev.baton.render.ipc;

import static dev.baton.render.ipc.IpcTestSupport.SECOND;
import static dev.baton.render.ipc.Protocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.sync.AcquireStatus;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker's {@code SO_PEERCRED} check against a real process of another uid: run as root, the test
 * starts a small client (perl, which Debian always has: perl-base is Essential) under uid/gid 65534
 * with {@code setpriv}; it connects and reads what the broker answers. For that uid to reach the
 * socket at all, this test alone opens the permissions of its own temporary directory and socket
 * after the broker bound it (the production rules, a 0700 directory and a 0600 socket, are unchanged:
 * {@link SocketPaths}). Not root, or no setpriv/perl: skipped, saying which.
 */
class PeerUidRefusalTest {
    static final int OTHER_UID = 65534; // nobody

    /** Connects to ARGV[0], reads one message (10 s at most) and prints its type and REFUSE fields, or "eof". */
    static final String CLIENT = String.join("\n",
            "use strict; use Socket;",
            "$SIG{ALRM} = sub { print \"timeout\\n\"; exit 3 }; alarm 10;",
            "socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or die \"socket: $!\\n\";",
            "connect($s, pack_sockaddr_un($ARGV[0])) or die \"connect: $!\\n\";",
            "$| = 1; print \"pid $$ uid $< connected\\n\";",
            "my $n = sysread($s, my $buf, 65536);",
            "if (!defined $n) { print \"read error: $!\\n\"; exit 0 }",
            "if ($n == 0) { print \"eof\\n\"; exit 0 }",
            "my ($type, $reason, $len) = (unpack('v', substr($buf, 6, 2)), unpack('v', substr($buf, 20, 2)), unpack('v', substr($buf, 22, 2)));",
            "print \"type $type reason $reason text \", substr($buf, 24, $len), \"\\n\";",
            "$n = sysread($s, $buf, 65536); print defined $n && $n == 0 ? \"then eof\\n\" : \"then more\\n\";");

    @TempDir
    Path tmp;

    static Path onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void aClientOfAnotherUidIsRefusedAndLoggedWithItsPidWhileOneOfOursKeepsWorking() throws Exception {
        Assumptions.assumeTrue(LibC.getuid() == 0, "skipped: running a client under another uid needs root (this runs as uid "
                + Integer.toUnsignedString(LibC.getuid()) + ")");
        Path setpriv = onPath("setpriv");
        Path perl = onPath("perl");
        Assumptions.assumeTrue(setpriv != null, "skipped: no setpriv on PATH (util-linux) to run a client under another uid");
        Assumptions.assumeTrue(perl != null, "skipped: no perl on PATH (perl-base) for the other uid's client");

        List<String> log = new CopyOnWriteArrayList<>();
        Path socket = tmp.resolve("b").resolve("compositor.sock");
        try (Broker broker = Broker.start(socket, IpcTestSupport.sharingConfig(log));
             BrokerClient ours = BrokerClient.connect(broker.socketPath(), "ours", 5 * SECOND)) {
            BrokerClient.Surface s = ours.offer(64, 32, 37, 0, MEMORY_HOST_MEMFD, SYNC_HOST_BRIDGE, 0L, null, null, 5 * SECOND);
            // Test only: let uid 65534 reach the socket, so that the broker's own check is what refuses it.
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));

            Process other = new ProcessBuilder(setpriv.toString(), "--reuid=" + OTHER_UID, "--regid=" + OTHER_UID, "--clear-groups",
                    perl.toString(), "-e", CLIENT, broker.socketPath()).redirectErrorStream(true).start();
            assertTrue(other.waitFor(20, TimeUnit.SECONDS), "the other uid's client finished");
            String out = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            System.out.println("client of uid " + OTHER_UID + ": " + out.replace('\n', ' ').trim());
            Matcher m = Pattern.compile("pid (\\d+) uid (\\d+) connected").matcher(out);
            assertTrue(m.find(), "it connected (the socket was reachable for it), so the refusal below is the broker's: " + out);
            assertEquals(String.valueOf(OTHER_UID), m.group(2), "it ran under the other uid");
            String pid = m.group(1);
            assertEquals(String.valueOf(other.pid()), pid, "setpriv exec'ed the client: its pid is the process's");
            assertTrue(out.contains("type " + TYPE_REFUSE + " reason " + REFUSE_NOT_SAME_USER) || out.contains("eof"),
                    "the broker answered REFUSE reason " + REFUSE_NOT_SAME_USER + " (not the same user) or closed: " + out);
            if (out.contains("type " + TYPE_REFUSE)) {
                assertTrue(out.contains("then eof"), "and closed the connection after the REFUSE: " + out);
            }
            IpcTestSupport.awaitTrue(() -> broker.refusals() == 1, 5 * SECOND, "one refusal counted");
            String line = log.stream().filter(l -> l.contains("refused a connection")).findFirst().orElse("(none) in " + log);
            assertTrue(line.contains("from pid " + pid + " ") && line.contains("uid " + OTHER_UID),
                    "the refusal is logged with the peer's pid " + pid + " and uid: " + line);

            // Our own client was never disturbed and keeps handing off.
            for (long fence = 1; fence <= 3; fence++) {
                assertEquals(AcquireStatus.ACQUIRED, ours.acquire(s, 0L, SECOND));
                assertTrue(ours.release(s, 0L, fence, null));
            }
            assertEquals(AcquireStatus.ACQUIRED, ours.acquire(s, 0L, SECOND));
            assertEquals(3L, ours.fenceValue());
            assertEquals(1, broker.connectionCount(), "only our client is connected");
            assertEquals(0, broker.violations());
        }
    }
}
