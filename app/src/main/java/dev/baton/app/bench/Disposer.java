package dev.baton.app.bench;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Closes what a scenario made in the reverse order of making it (teardown mirrors setup). A scenario
 * that stalled is not disposed: its GPU objects may still be in use, so they are leaked on purpose.
 */
final class Disposer implements AutoCloseable {
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();

    <T extends AutoCloseable> T add(T resource) {
        owned.push(resource);
        return resource;
    }

    /** Closes everything, in reverse; the first failure is rethrown after trying the rest. */
    @Override
    public void close() {
        RuntimeException first = null;
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
