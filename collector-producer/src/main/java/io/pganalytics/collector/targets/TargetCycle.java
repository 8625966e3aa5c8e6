package io.pganalytics.collector.targets;

import io.pganalytics.collector.family.Collected;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One cycle of one target, on a worker: its due jobs (or all), the plain catalog families in one
 * round trip, the others one by one. A target that stops answering (a timeout, a lost connection)
 * has its remaining jobs put off to their next interval instead of each waiting for its own deadline.
 */
final class TargetCycle {

    private TargetCycle() {
    }

    /** Runs a cycle of {@code session} unless one is running or the session is retired. */
    static void run(TargetSession session, boolean everyJob, CycleSink sink) {
        // Busy: the old session of a target just replaced still finishes its cycle.
        if (!session.tryBegin()) {
            return;
        }
        long start = System.nanoTime();
        try {
            collect(session, everyJob ? session.jobs() : session.due(System.currentTimeMillis()), sink);
        } finally {
            session.end((System.nanoTime() - start) / 1_000_000);
        }
    }

    private static void collect(TargetSession session, List<String> due, CycleSink sink) {
        String targetId = session.target().id();
        List<String> rest = due;
        List<String> together = session.readableTogether(due);
        if (together.size() > 1) {
            Map<String, Collected> read;
            try {
                read = session.collectTogether(together);
            } catch (SQLException e) {
                sink.failed(together.size());
                List<String> others = new ArrayList<>(due);
                others.removeAll(together);
                session.defer(others, unresponsive(e, "the other families"));
                return;
            }
            if (!read.isEmpty()) {
                read.values().forEach(collected -> sink.accept(targetId, collected));
                rest = new ArrayList<>(due);
                rest.removeAll(together);
            }
        }
        for (int i = 0; i < rest.size(); i++) {
            String unresponsive = collectOne(session, rest.get(i), sink);
            if (unresponsive != null) {
                // A server that timed out or dropped the connection would make every other due
                // family wait for its own deadline too: put them off to their next interval.
                session.defer(rest.subList(i + 1, rest.size()), unresponsive);
                break;
            }
        }
    }

    /** Why the target is not worth another query this cycle, or null when the failure was the query's own. */
    private static String unresponsive(SQLException e, String job) {
        String state = e.getSQLState();
        if (state != null && state.startsWith("08")) {
            return "cannot connect: " + e.getMessage();
        }
        return "57014".equals(state) ? "not read: " + job + " timed out first" : "not read: " + e.getMessage();
    }

    /**
     * Reads one job of the target and hands over what it read; a failure is counted (and in the
     * status). Returns why the target is unresponsive (it did not answer in time or cannot be
     * connected to), or null.
     */
    private static String collectOne(TargetSession session, String job, CycleSink sink) {
        Collected collected;
        try {
            collected = session.collect(job);
        } catch (SQLException e) {
            sink.failed(1);
            // The session logged it once and put it in the target's status.
            String state = e.getSQLState();
            return state != null && (state.startsWith("08") || "57014".equals(state)) ? unresponsive(e, job) : null;
        } catch (RuntimeException e) {
            sink.failed(1);
            return null;
        }
        sink.accept(session.target().id(), collected);
        return null;
    }
}
