package dev.baton.app.demo;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The demo's fault plan (headless and window): kill one producer's device after {@code killAt} composites (window:
 * frames), either while it owns a surface (its next submit fails) or after its next submit and release (the next wait on
 * its device reports the loss, so the compositor holds a frame whose fence value will never be reached), measure how long until the compositor sees the surface ABANDONED, and restart the
 * producer after {@code restartAt} composites. Compositor thread only.
 */
final class Faults {
    private final DemoOptions options;
    private ProducerFeed victim;
    private long killNanos;
    private long abandonedAfterNanos = -1;
    private boolean restarted;
    private boolean killed;
    private long framesAfterRestart = -1;
    private DemoSession.Setup restart;   // the victim's replacement, being built or running
    private boolean dirty;   // the victim's tile changed (abandoned or restarted): composite once more
    private long othersAtKill = -1;
    private long othersDuringFault = -1;

    Faults(DemoOptions options) {
        this.options = options;
    }

    void apply(DemoSession session, int composited, PrintStream out) {
        if (!killed && options.killAt() >= 0 && composited >= options.killAt()) {
            killed = true;
            victim = session.feeds().get(options.faultProducer());
            killNanos = System.nanoTime();
            victim.producer.requestKill(options.killAfterRelease());
            othersAtKill = othersHandoffs(session);
            out.println(options.killAfterRelease()
                    ? "Fault: " + victim.producer.name + "'s device will be lost after its next frame's submit and release"
                            + " (reported by the next wait on it, as a GPU hang is)"
                    : "Fault: " + victim.producer.name + "'s device will be lost at its next frame, while it owns a surface");
        }
        if (killed && abandonedAfterNanos < 0 && victim.abandoned()) {
            abandonedAfterNanos = System.nanoTime() - killNanos;
            dirty = true;
        }
        if (killed && !restarted && options.restartAt() >= 0 && composited >= options.restartAt() && abandonedAfterNanos >= 0) {
            restarted = true;
            othersDuringFault = othersHandoffs(session) - othersAtKill;
            restart = session.restart(victim, options.tier());
            dirty = true;
            out.println("Fault: restarting " + restart.name + " on a new device");
        }
        if (restart != null && restart.feed() != null) {
            framesAfterRestart = restart.feed().handoffs();
        }
    }

    /**
     * True while the restart was requested but the new producer has not delivered a frame yet (it is
     * built off the compositor's thread, so a run keeps going until it shows, or its setup failed).
     */
    boolean awaitingRestart() {
        return restart != null && framesAfterRestart <= 0 && restart.failure() == null;
    }

    private long othersHandoffs(DemoSession session) {
        long sum = 0;
        for (ProducerFeed f : session.feeds()) {
            sum += f == victim ? 0 : f.handoffs();
        }
        return sum;
    }

    /** True right after the victim turned ABANDONED, so the placeholder gets composited. */
    boolean changed(DemoSession session) {
        boolean was = dirty;
        dirty = false;
        return was;
    }

    private boolean session0Only() {
        return options.producers() == 1;
    }

    boolean ok() {
        return !killed || (abandonedAfterNanos >= 0 && (!restarted || framesAfterRestart > 0)
                && (options.restartAt() < 0 || restarted) && (othersDuringFault != 0 || session0Only()));
    }

    void report(PrintStream out) {
        if (!killed) {
            return;
        }
        out.println(abandonedAfterNanos >= 0
                ? String.format(Locale.ROOT, "Fault: %s's surface was ABANDONED %.1f ms after the kill request (the loss happens %s)",
                        victim.producer.name, abandonedAfterNanos / 1e6,
                        options.killAfterRelease() ? "after its next frame's release, at the next wait on its device" : "at its next frame")
                : "Fault: " + victim.producer.name + "'s surface was never seen ABANDONED  <-- FAILED");
        if (othersDuringFault >= 0) {
            out.println("Fault: while " + victim.producer.name + " was down, the other producers delivered " + othersDuringFault + " frames"
                    + (othersDuringFault > 0 || session0Only() ? "" : "  <-- FAILED"));
        }
        if (options.restartAt() >= 0) {
            if (restart != null && restart.failure() != null) {
                out.println("Fault: the restart failed: " + restart.failure() + "  <-- FAILED");
                return;
            }
            out.println(restarted
                    ? "Fault: the restarted producer delivered " + framesAfterRestart + " frames" + (framesAfterRestart > 0 ? "" : "  <-- FAILED")
                    : abandonedAfterNanos < 0 ? "Fault: the producer was not restarted (it was never seen abandoned)  <-- FAILED"
                    : "Fault: the run ended before --restart-at " + options.restartAt() + " (a slow machine draws fewer frames)  <-- FAILED");
        }
    }
}
