package io.pganalytics.collector.schedule;

import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one cycle per target every base interval, at a phase of its own, on a bounded pool of
 * workers: the pool bounds the queries in flight, not the number of targets.
 *
 * <p>One ticker wakes up a few times a second and hands every target whose slot has come to the
 * workers, so 10,000 targets cost neither 10,000 threads nor 10,000 timer wakeups a second. A
 * target's slots are {@code phase + k * interval} on the wall clock, the phase a hash of its id:
 * cycles spread evenly over the interval, and a target keeps its phase when it moves to another
 * collector. A target has at most one cycle queued or running, so the queue is bounded by the
 * number of targets; a slot that comes while the previous cycle still runs is skipped and counted
 * (busy), and so is a cycle that a worker picks up so late that the next slot has already come
 * (overdue): late work is dropped, never piled up.
 */
public final class CycleScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(CycleScheduler.class);

    /** What a cycle does: reads one target's due jobs, or every job when {@code everyJob}. */
    @FunctionalInterface
    public interface Cycle {
        void run(String targetId, boolean everyJob);
    }

    private final long intervalMillis;
    private final Executor workers;
    private final LongSupplier clockMillis;
    private final Cycle cycle;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    /** Slots by next due time; guarded by itself. */
    private final PriorityQueue<Slot> queue = new PriorityQueue<>((a, b) -> Long.compare(a.nextAtMillis, b.nextAtMillis));
    private volatile boolean paused;
    private final AtomicLong cyclesRun = new AtomicLong();
    private final AtomicLong skippedBusy = new AtomicLong();
    private final AtomicLong skippedOverdue = new AtomicLong();

    /** One target's place in the schedule. */
    private static final class Slot {
        final String targetId;
        long nextAtMillis;
        /** A cycle is queued or running; the only way a cycle gets to the workers is by setting this. */
        boolean busy;
        volatile boolean removed;
        /** A {@link #collectNow()} came while busy: run an every-job cycle when the current one ends. */
        boolean everyJobPending;
        volatile long lastCycleMillis = -1;

        Slot(String targetId) {
            this.targetId = targetId;
        }
    }

    /**
     * A scheduler whose cycles run on {@code workers}; nothing happens until something calls
     * {@link #tick()} (a timer in production, the test itself in tests).
     */
    public CycleScheduler(long intervalMillis, Executor workers, LongSupplier clockMillis, Cycle cycle) {
        if (intervalMillis < 1) {
            throw new IllegalArgumentException("intervalMillis: must be positive, got " + intervalMillis);
        }
        this.intervalMillis = intervalMillis;
        this.workers = workers;
        this.clockMillis = clockMillis;
        this.cycle = cycle;
    }

    /**
     * Where in every interval {@code targetId}'s cycles fall, in ms after each multiple of the
     * interval since the epoch: stable across restarts and collectors, spread evenly over targets.
     */
    public static long phaseMillis(String targetId, long intervalMillis) {
        // String.hashCode is specified, so the phase is the same on every JVM; the mix spreads ids
        // that differ in one character ("db-1", "db-2") over the whole interval.
        long h = targetId.hashCode() * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return Math.floorMod(h, intervalMillis);
    }

    /** The first slot of {@code targetId} strictly after {@code afterMillis}. */
    long nextSlotAfter(String targetId, long afterMillis) {
        long phase = phaseMillis(targetId, intervalMillis);
        long k = Math.floorDiv(afterMillis - phase, intervalMillis) + 1;
        return phase + k * intervalMillis;
    }

    /** Schedules {@code targetId} from its next slot on; a target already scheduled keeps its slot. */
    public void add(String targetId) {
        synchronized (queue) {
            Slot existing = slots.get(targetId);
            if (existing != null && !existing.removed) {
                return;
            }
            Slot slot = new Slot(targetId);
            slot.nextAtMillis = nextSlotAfter(targetId, clockMillis.getAsLong());
            slots.put(targetId, slot);
            queue.add(slot);
        }
    }

    /** Stops scheduling {@code targetId}; a cycle already running finishes. */
    public void remove(String targetId) {
        synchronized (queue) {
            Slot slot = slots.remove(targetId);
            if (slot != null) {
                slot.removed = true;
                queue.remove(slot);
            }
        }
    }

    /** The targets scheduled. */
    public Set<String> targetIds() {
        return new TreeSet<>(slots.keySet());
    }

    /** No cycle starts until {@link #resume()}; slots pass without being counted as skipped. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
    }

    public boolean paused() {
        return paused;
    }

    /**
     * Hands every target an every-job cycle now, regardless of its slot and of {@link #paused()}: an
     * operator's explicit request. A target whose cycle is running gets it right after.
     *
     * @return the number of targets it was handed to
     */
    public int collectNow() {
        int count = 0;
        synchronized (queue) {
            for (Slot slot : slots.values()) {
                count++;
                if (slot.busy) {
                    slot.everyJobPending = true;
                } else {
                    slot.busy = true;
                    dispatch(slot, true, clockMillis.getAsLong());
                }
            }
        }
        return count;
    }

    /**
     * Starts the cycles whose slot has come. Called by one timer a few times a second; cheap when
     * nothing is due (a look at the head of a queue).
     */
    public void tick() {
        long now = clockMillis.getAsLong();
        synchronized (queue) {
            Slot slot;
            while ((slot = queue.peek()) != null && slot.nextAtMillis <= now) {
                queue.poll();
                long slotAt = slot.nextAtMillis;
                // The slots the ticker itself missed (a GC pause, a suspended laptop) are overdue too.
                long next = nextSlotAfter(slot.targetId, Math.max(slotAt, now));
                long missed = (next - slotAt) / intervalMillis - 1;
                if (missed > 0 && !paused) {
                    skippedOverdue.addAndGet(missed);
                }
                slot.nextAtMillis = next;
                queue.add(slot);
                if (paused) {
                    continue;
                }
                if (slot.busy) {
                    skippedBusy.incrementAndGet();
                    continue;
                }
                slot.busy = true;
                dispatch(slot, false, next - intervalMillis);
            }
        }
    }

    /** Called with the queue's lock held and {@code slot.busy} set. */
    private void dispatch(Slot slot, boolean everyJob, long slotAtMillis) {
        try {
            workers.execute(() -> run(slot, everyJob, slotAtMillis));
        } catch (RejectedExecutionException e) {
            slot.busy = false; // shutting down
        }
    }

    private void run(Slot slot, boolean everyJob, long slotAtMillis) {
        long start = clockMillis.getAsLong();
        try {
            if (slot.removed) {
                return;
            }
            if (!everyJob && (paused || start - slotAtMillis >= intervalMillis)) {
                // Waited for a worker until its next slot came: running it now would only push every
                // later cycle further back. Paused meanwhile: sample nothing.
                if (!paused) {
                    skippedOverdue.incrementAndGet();
                }
                return;
            }
            try {
                cycle.run(slot.targetId, everyJob);
            } catch (RuntimeException e) {
                LOG.warn("target {}: cycle failed: {}", slot.targetId, e.toString());
            }
            cyclesRun.incrementAndGet();
            slot.lastCycleMillis = clockMillis.getAsLong() - start;
        } finally {
            synchronized (queue) {
                if (slot.everyJobPending && !slot.removed) {
                    slot.everyJobPending = false;
                    dispatch(slot, true, clockMillis.getAsLong());
                } else {
                    slot.busy = false;
                }
            }
        }
    }

    /** Cycles that ran to the end, successful or not. */
    public long cyclesRun() {
        return cyclesRun.get();
    }

    /** Cycles not run: the target's previous cycle still ran, or no worker was free before the next slot. */
    public long cyclesSkipped() {
        return skippedBusy.get() + skippedOverdue.get();
    }

    /** Cycles skipped because they would have started after their next slot. */
    public long cyclesOverdue() {
        return skippedOverdue.get();
    }

    /** Cycles skipped because the target's previous cycle was still running. */
    public long cyclesBusy() {
        return skippedBusy.get();
    }

    /** How long the target's last cycle took, in ms; -1 before its first. */
    public long lastCycleMillis(String targetId) {
        Slot slot = slots.get(targetId);
        return slot == null ? -1 : slot.lastCycleMillis;
    }
}
