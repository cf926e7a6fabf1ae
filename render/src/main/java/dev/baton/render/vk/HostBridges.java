package dev.baton.render.vk;

import dev.baton.sync.HostBridge;
import dev.baton.sync.Timeline;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link HostBridge} per source of fence values (a {@link DeviceContext}, a GL context), shared by
 * every host-bridged surface that source signals on: the bridge thread of a device waits for that
 * device's timelines, in the order their releases were queued, and signals the next owner's timeline
 * from the host. Sixteen producer devices feeding one compositor make seventeen bridge threads, not
 * one per surface.
 *
 * <p>Waiting in release order is exact for one device: its submits run in queue order and each release
 * is queued after its submit, so a request never waits behind one whose value depends on it (a value
 * that depends on another forward was released after that forward was queued). Requests of different
 * devices never share a bridge. A device whose GPU stalls holds up only its own forwards.
 *
 * <p>A bridge is created by the first surface that needs it ({@link #share}) and stopped when the last
 * one lets it go ({@link Ref#release}). Forwards that fail are routed to the surface whose timeline
 * they were to signal ({@link #route}). Any thread.
 */
final class HostBridges {
    /** Forwards one bridge holds at once: a handful per surface in flight (a ring of three per producer, 16 producers). */
    static final int CAPACITY = 256;
    /** A forward whose source did not reach its value in this long is reported and dropped. */
    static final long REQUEST_TIMEOUT_NANOS = 30_000_000_000L;
    /** How long a forward may block on a full ring before it throws. */
    static final long ENQUEUE_TIMEOUT_NANOS = 5_000_000_000L;

    /** Who is told when a forward to a timeline fails. */
    interface Route {
        void forwardFailed(Timeline from, long value, Timeline to, long waitedNanos, Throwable cause);
    }

    private static final Map<Object, Ref> BY_SOURCE = new IdentityHashMap<>(); // guarded by HostBridges.class
    private static final ConcurrentHashMap<Timeline, Route> ROUTES = new ConcurrentHashMap<>();

    private HostBridges() {}

    /** A counted reference to a source's bridge. */
    static final class Ref {
        private final Object source;
        final HostBridge bridge;
        private int refs; // guarded by HostBridges.class

        private Ref(Object source, HostBridge bridge) {
            this.source = source;
            this.bridge = bridge;
        }

        /** Lets the bridge go; the last reference stops its thread (pending requests are reported). Idempotent per holder only. */
        void release() {
            boolean last;
            synchronized (HostBridges.class) {
                last = --refs == 0;
                if (last) {
                    BY_SOURCE.remove(source);
                }
            }
            if (last) {
                bridge.close(); // outside the lock: it joins the bridge thread
            }
        }
    }

    /**
     * The bridge of {@code source}, started if none runs; the caller must {@link Ref#release} it.
     *
     * @param source the object whose timelines the bridge waits for (identity)
     * @param name for the thread's name: {@code baton-host-bridge-<name>}
     */
    static Ref share(Object source, String name) {
        synchronized (HostBridges.class) {
            Ref ref = BY_SOURCE.get(source);
            if (ref == null) {
                ref = new Ref(source, new HostBridge(HostBridge.THREAD_NAME + "-" + name, CAPACITY, REQUEST_TIMEOUT_NANOS,
                        ENQUEUE_TIMEOUT_NANOS, HostBridges::failed));
                BY_SOURCE.put(source, ref);
            }
            ref.refs++;
            return ref;
        }
    }

    /** Failures of forwards to {@code to} go to {@code route} (until {@link #unroute}). */
    static void route(Timeline to, Route route) {
        ROUTES.put(to, route);
    }

    /** Forgets {@code to}'s route (its surface is closing). */
    static void unroute(Timeline to) {
        ROUTES.remove(to);
    }

    /** {@return how many bridge threads run now (diagnostics and tests)} */
    static int running() {
        synchronized (HostBridges.class) {
            return BY_SOURCE.size();
        }
    }

    private static void failed(Timeline from, long value, Timeline to, long waitedNanos, Throwable cause) {
        Route route = ROUTES.get(to);
        if (route != null) {
            route.forwardFailed(from, value, to, waitedNanos, cause);
        }
    }
}
