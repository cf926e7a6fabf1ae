package dev.baton.render.vk;

import static org.lwjgl.system.MemoryUtil.NULL;

import org.lwjgl.system.linux.UNISTD;

/** File descriptors handed out by export calls: closed only when an import did not take them. */
final class Fds {
    private Fds() {}

    /** Closes {@code fd} if it is valid; used when an import failed and the fd is still ours. */
    static void close(int fd) {
        if (fd >= 0) {
            UNISTD.nclose(NULL, fd);
        }
    }
}
