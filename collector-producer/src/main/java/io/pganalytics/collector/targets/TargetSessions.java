package io.pganalytics.collector.targets;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.StatementsFamily;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The targets one collector monitors, each with its current {@link TargetSession}: added, replaced,
 * removed, restarted and rescheduled while cycles run. A session taken out of service closes its
 * connection once its running cycle ends; nothing here waits for a read.
 */
public final class TargetSessions implements AutoCloseable {

    private final Catalog catalog;
    private final Map<String, Target> targets = new ConcurrentHashMap<>();
    private final Map<String, TargetSession> sessions = new ConcurrentHashMap<>();

    public TargetSessions(Catalog catalog) {
        this.catalog = catalog;
    }

    /** A new session of {@code target} under {@code config}, not monitored until {@link #put}. */
    public TargetSession open(Target target, CollectorConfig config) {
        return new TargetSession(target, config, catalog);
    }

    /**
     * Monitors the session's target with it from now on; the session of a target of the same id is
     * retired.
     *
     * @return whether it replaced a session
     */
    public boolean put(TargetSession session) {
        Target target = session.target();
        targets.put(target.id(), target);
        TargetSession replaced = sessions.put(target.id(), session);
        if (replaced != null) {
            replaced.retire();
        }
        return replaced != null;
    }

    /**
     * Stops monitoring a target; its session is retired.
     *
     * @return whether the target was monitored
     */
    public boolean remove(String targetId) {
        targets.remove(targetId);
        TargetSession session = sessions.remove(targetId);
        if (session != null) {
            session.retire();
        }
        return session != null;
    }

    /**
     * Replaces every target's session by a new one under {@code config}: connections close and
     * per-family state starts afresh. A running cycle finishes on its old session first.
     *
     * @return the number of targets restarted
     */
    public int restart(CollectorConfig config) {
        for (Target target : targets.values()) {
            TargetSession replaced = sessions.put(target.id(), open(target, config));
            if (replaced != null) {
                replaced.retire();
            }
        }
        return targets.size();
    }

    /**
     * Every session reads what {@code next} schedules from now on, keeping its connection and its
     * readers' state; {@code rescheduled} is given each session's families once it is rescheduled.
     */
    public void reschedule(CollectorConfig next, Consumer<Set<String>> rescheduled) {
        for (TargetSession session : sessions.values()) {
            session.reschedule(next, catalog);
            rescheduled.accept(session.families());
        }
    }

    /** Runs one cycle of {@code targetId}, handing what it reads to {@code sink}; nothing when it is not monitored or busy. */
    public void cycle(String targetId, boolean everyJob, CycleSink sink) {
        TargetSession session = sessions.get(targetId);
        if (session != null) {
            TargetCycle.run(session, everyJob, sink);
        }
    }

    /** The session of {@code targetId}, or null. */
    public TargetSession get(String targetId) {
        return sessions.get(targetId);
    }

    /** The current sessions. */
    public Collection<TargetSession> all() {
        return Collections.unmodifiableCollection(sessions.values());
    }

    /** The targets monitored, sorted. */
    public Set<String> targetIds() {
        return new TreeSet<>(sessions.keySet());
    }

    /** Every target's status, sorted by target id. */
    public List<TargetStatus> status() {
        return sessions.values().stream().map(TargetSession::status)
                .sorted(Comparator.comparing(TargetStatus::targetId)).toList();
    }

    /** A query text of {@code targetId} did not reach Kafka: its statements reader sends it again. */
    public void forgetText(String targetId, long queryid) {
        TargetSession session = sessions.get(targetId);
        StatementsFamily statements = session == null ? null : session.statements();
        if (statements != null) {
            statements.forgetText(queryid);
        }
    }

    /** Query texts went missing, which ones is not known: every target sends every text again. */
    public void forgetAllTexts() {
        for (TargetSession session : sessions.values()) {
            StatementsFamily statements = session.statements();
            if (statements != null) {
                statements.forgetAllTexts();
            }
        }
    }

    /** Closes every session's connection. */
    @Override
    public void close() {
        sessions.values().forEach(TargetSession::close);
    }
}
