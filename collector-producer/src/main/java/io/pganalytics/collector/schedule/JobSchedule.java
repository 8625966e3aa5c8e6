package io.pganalytics.collector.schedule;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One target's jobs (its families and custom metrics, by job name): each one's interval, when it
 * is due next, and how its last reads went. A job that fails is retried after a {@link Backoff};
 * one that succeeds is due again one interval after its read started.
 *
 * <p>Not thread-safe: the target's session changes and reads it under its own lock.
 */
public final class JobSchedule {

    /**
     * A family the server's version does not have (pg_stat_io before 16) is looked at again after
     * an hour, in case the server was upgraded meanwhile.
     */
    public static final long NOT_ON_VERSION_RETRY_MILLIS = 3_600_000;

    private final Map<String, Job> jobs = new LinkedHashMap<>();

    /** One job's state; changed only through its {@link JobSchedule}. */
    public static final class Job {
        private long intervalMillis;
        private long nextDueMillis;
        private int failures;
        private Instant lastSuccessAt;
        private String error;
        private String note;

        private Job(long intervalMillis) {
            this.intervalMillis = intervalMillis;
        }

        public long intervalMillis() {
            return intervalMillis;
        }

        /** When it is due next, in ms since the epoch; 0 until its first read. */
        public long nextDueMillis() {
            return nextDueMillis;
        }

        /** Consecutive failures. */
        public int failures() {
            return failures;
        }

        /** When a read last succeeded, or null. */
        public Instant lastSuccessAt() {
            return lastSuccessAt;
        }

        /** Why the last read failed (or was not made), or null. */
        public String error() {
            return error;
        }

        /** Why the job yields nothing on this server although nothing failed, or null. */
        public String note() {
            return note;
        }
    }

    /** Schedules {@code job}, due at once. */
    public Job add(String job, long intervalMillis) {
        Job state = new Job(intervalMillis);
        jobs.put(job, state);
        return state;
    }

    public void remove(String job) {
        jobs.remove(job);
    }

    /** The state of {@code job}, or null when it is not scheduled. */
    public Job job(String job) {
        return jobs.get(job);
    }

    /** The scheduled jobs, in the order they were added. */
    public Set<String> jobs() {
        return jobs.keySet();
    }

    /** Every job's interval in ms. */
    public Map<String, Long> intervals() {
        Map<String, Long> intervals = new LinkedHashMap<>();
        jobs.forEach((job, state) -> intervals.put(job, state.intervalMillis));
        return intervals;
    }

    /** Reads {@code job} every {@code intervalMillis} from now on, next no later than one new interval from now. */
    public void reschedule(String job, long intervalMillis, long nowMillis) {
        Job state = jobs.get(job);
        state.intervalMillis = intervalMillis;
        state.nextDueMillis = Math.min(state.nextDueMillis, nowMillis + intervalMillis);
    }

    /**
     * The jobs due at {@code nowMillis}, in order: those whose time comes within {@code slackMillis}
     * count as due, so that a cycle starting a little early does not miss them.
     */
    public List<String> due(long nowMillis, long slackMillis) {
        List<String> due = new ArrayList<>();
        jobs.forEach((job, state) -> {
            if (state.nextDueMillis <= nowMillis + slackMillis) {
                due.add(job);
            }
        });
        return due;
    }

    /** A read that started at {@code startedMillis} succeeded at {@code at}: due again one interval after its start. */
    public void succeeded(String job, long startedMillis, Instant at) {
        Job state = jobs.get(job);
        state.note = null;
        state.error = null;
        state.failures = 0;
        state.lastSuccessAt = at;
        state.nextDueMillis = startedMillis + state.intervalMillis;
    }

    /** A read failed: tried again after the backoff its consecutive failures call for. */
    public void failed(String job, String reason, long nowMillis) {
        Job state = jobs.get(job);
        state.error = reason;
        state.failures++;
        state.nextDueMillis = nowMillis + Backoff.delayMillis(state.intervalMillis, state.failures);
    }

    /** The server's version does not have what the job reads: a note, not a failure, looked at again later. */
    public void notOnThisVersion(String job, String note, long nowMillis) {
        Job state = jobs.get(job);
        state.note = note;
        state.error = null;
        state.nextDueMillis = nowMillis + Math.max(state.intervalMillis, NOT_ON_VERSION_RETRY_MILLIS);
    }

    /** The target cannot be connected to: the job fails and waits for the connection's next attempt. */
    public void waitForConnection(String job, String reason, long nextConnectAtMillis) {
        Job state = jobs.get(job);
        state.error = reason;
        state.failures++;
        state.nextDueMillis = nextConnectAtMillis;
    }

    /** The job is put off to its next interval without being read, for {@code reason}; not counted as a failure. */
    public void defer(String job, String reason, long nowMillis) {
        Job state = jobs.get(job);
        state.error = reason;
        state.nextDueMillis = nowMillis + state.intervalMillis;
    }
}
