package dev.baton.app.bench;

import dev.baton.render.vk.GpuClock;
import dev.baton.render.vk.TimedWork;
import dev.baton.render.vk.VulkanTimeline;

/**
 * One device's measurements in a GPU scenario, in preallocated arrays: for each measured submit
 * (a "record") its two raw GPU timestamps, where the surface came from (another recorder's record)
 * and, for the last participant of a chain, when the chain's first submit happened. CPU handoff
 * samples go into their own array. Nothing here allocates after construction.
 *
 * <p>Threading: written by one thread (the one that submits on {@link #clock}'s device); read by the
 * coordinator only after that thread was joined.
 */
final class Recorder {
    final int id;
    final String name;
    final GpuClock clock;
    final int capacity;
    final long[] startTicks;
    final long[] endTicks;
    final boolean[] harvested;
    /** Recorder id and record index of the submit whose surface this record received, or -1. */
    final int[] fromRecorder;
    final int[] fromRecord;
    /** Host time of the chain's first (producer) submit, for end-to-end; 0 if this record ends no chain. */
    final long[] originNanos;
    int count;
    final long[] cpuHandoffNanos;
    int cpuCount;
    /** Handoffs received while measuring (each successful acquire of a surface another participant released). */
    long handoffs;
    /** Bytes copied while measuring to move pixels between devices. */
    long copiedBytes;

    Recorder(int id, String name, GpuClock clock, int capacity) {
        this.id = id;
        this.name = name;
        this.clock = clock;
        this.capacity = capacity;
        startTicks = new long[capacity];
        endTicks = new long[capacity];
        harvested = new boolean[capacity];
        fromRecorder = new int[capacity];
        fromRecord = new int[capacity];
        originNanos = new long[capacity];
        cpuHandoffNanos = new long[capacity];
    }

    /** A new record index, or -1 when full (the handoff still counts, its timestamps are not kept). */
    int newRecord() {
        if (count >= capacity) {
            return -1;
        }
        int r = count++;
        fromRecord[r] = -1;
        fromRecorder[r] = -1;
        originNanos[r] = 0;
        return r;
    }

    void cpuHandoff(long nanos) {
        if (cpuCount < capacity) {
            cpuHandoffNanos[cpuCount++] = nanos;
        }
    }

    /**
     * A ring of a {@link TimedWork}'s slots on one timeline: before a slot is reused its previous
     * submit must have completed (normally it has: this is a query), and its timestamps are then read
     * into the record it belonged to.
     */
    static final class Slots {
        final TimedWork work;
        final VulkanTimeline timeline;
        private final long[] value;
        private final int[] record;
        private int next;

        Slots(TimedWork work, VulkanTimeline timeline) {
            this.work = work;
            this.timeline = timeline;
            this.value = new long[work.slots()];
            this.record = new int[work.slots()];
        }

        /** The next slot, once free; harvests its previous timestamps into {@code into}. */
        int claim(Recorder into, long stallNanos, String scenario) throws InterruptedException {
            int s = next;
            next = (next + 1) % value.length;
            harvest(s, into, stallNanos, scenario);
            return s;
        }

        void submitted(int slot, long timelineValue, int recordIndex) {
            value[slot] = timelineValue;
            record[slot] = recordIndex;
        }

        /** Waits for every outstanding slot and harvests it (after the loop). */
        void drain(Recorder into, long stallNanos, String scenario) throws InterruptedException {
            for (int s = 0; s < value.length; s++) {
                harvest(s, into, stallNanos, scenario);
            }
        }

        private void harvest(int s, Recorder into, long stallNanos, String scenario) throws InterruptedException {
            if (value[s] == 0) {
                return;
            }
            if (!timeline.awaitValue(value[s], stallNanos)) {
                throw new StallException(scenario, timeline.name() + " did not reach " + value[s] + " within "
                        + stallNanos / 1_000_000 + " ms (a GPU submit never completed)");
            }
            int r = record[s];
            if (r >= 0) {
                into.startTicks[r] = work.startTicks(s);
                into.endTicks[r] = work.endTicks(s);
                into.harvested[r] = true;
            }
            value[s] = 0;
        }
    }

    /**
     * After the run: merges every recorder's samples into the three series. GPU handoff: the
     * receiver's first timestamp minus the sender's last, both on the host clock; end-to-end: the
     * chain's first submit to the last participant's last timestamp.
     */
    static void collect(Recorder[] recorders, Series cpu, Series gpu, Series endToEnd) {
        for (Recorder r : recorders) {
            if (cpu != null) {
                for (int i = 0; i < r.cpuCount; i++) {
                    cpu.record(r.cpuHandoffNanos[i]);
                }
            }
            for (int k = 0; k < r.count; k++) {
                if (!r.harvested[k]) {
                    continue;
                }
                int from = r.fromRecorder[k];
                int fromRecord = r.fromRecord[k];
                if (gpu != null && from >= 0 && fromRecord >= 0 && recorders[from].harvested[fromRecord]) {
                    Recorder sender = recorders[from];
                    gpu.record(r.clock.hostNanos(r.startTicks[k]) - sender.clock.hostNanos(sender.endTicks[fromRecord]));
                }
                if (endToEnd != null && r.originNanos[k] != 0) {
                    endToEnd.record(r.clock.hostNanos(r.endTicks[k]) - r.originNanos[k]);
                }
            }
        }
    }

    static long handoffs(Recorder[] recorders) {
        long n = 0;
        for (Recorder r : recorders) {
            n += r.handoffs;
        }
        return n;
    }

    static long copiedBytes(Recorder[] recorders) {
        long n = 0;
        for (Recorder r : recorders) {
            n += r.copiedBytes;
        }
        return n;
    }
}
