package dev.baton.app.demo;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps two headless runs from writing frames into the same folder at once: an exclusive OS file
 * lock on {@value #NAME} in the folder, held for the whole run. The operating system drops the lock
 * when the process dies, so a crashed run never leaves the folder locked; the (empty) file stays.
 */
final class OutputLock implements AutoCloseable {
    static final String NAME = ".baton-demo.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private OutputLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the folder's lock without waiting.
     *
     * @return the lock, or null if another run (in this or another process) holds it
     * @throws IOException if the lock file cannot be created
     */
    static OutputLock acquire(Path folder) throws IOException {
        FileChannel channel = FileChannel.open(folder.resolve(NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException sameProcess) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            return null;
        }
        return new OutputLock(channel, lock);
    }

    /** Releases the lock. Idempotent. */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException ignored) {
            // closing the channel drops the lock in any case
        }
    }
}
