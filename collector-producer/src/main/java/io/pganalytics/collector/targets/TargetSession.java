package io.pganalytics.collector.targets;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.catalog.RowMapper;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.CustomMetric;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.CatalogFamily;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.family.CustomFamily;
import io.pganalytics.collector.family.FamilyReader;
import io.pganalytics.collector.family.FamilyReaders;
import io.pganalytics.collector.family.FamilyUnavailable;
import io.pganalytics.collector.family.StatementsFamily;
import io.pganalytics.collector.schedule.JobSchedule;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target: its readers (one per scheduled family or custom metric), when each is due
 * ({@link JobSchedule}), its connection ({@link TargetConnection}) and its status.
 * {@link #collect(String)} reads one job now, the unit a cycle runs; {@link #collectTogether} sends
 * the due plain catalog families of a cycle in one round trip.
 *
 * <p>Failures are logged once when a family (or the connection) starts failing and once when it
 * recovers; a failing family is retried with exponential backoff, capped at five minutes or its
 * interval, whichever is longer. Messages never contain the password.
 */
public final class TargetSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSession.class);

    private final Target target;
    private volatile CollectorConfig config;
    private final Map<String, FamilyReader> readers = new LinkedHashMap<>();
    private final JobSchedule schedule = new JobSchedule();
    /** What {@link #status()} reports, published after every change so that it never waits for a slow read. */
    private final Map<String, TargetStatus.Family> published = new ConcurrentHashMap<>();
    /** The jobs in schedule order, replaced as a whole by {@link #reschedule} so that {@link #status()} needs no lock. */
    private volatile List<String> jobOrder = List.of();
    private final AtomicBoolean running = new AtomicBoolean();
    private final TargetConnection connection;
    private final TargetReadContext context;
    /** No longer monitored: closes as soon as no cycle runs, and never connects again. */
    private volatile boolean retired;
    private volatile long lastCycleMillis = -1;

    /** A target session reading what {@code config} schedules for {@code target}; it connects on first use. */
    public TargetSession(Target target, CollectorConfig config, Catalog catalog) {
        this.target = target;
        this.config = config;
        this.connection = new TargetConnection(target, () -> this.config);
        this.context = new TargetReadContext(target, () -> this.config, connection);
        config.schedule(target).forEach((family, interval) -> add(FamilyReaders.of(family, catalog), interval));
        for (CustomMetric metric : config.customMetrics()) {
            add(FamilyReaders.of(metric), config.customIntervalMillis(metric));
        }
        jobOrder = List.copyOf(readers.keySet());
    }

    private void add(FamilyReader reader, long intervalMillis) {
        readers.put(reader.job(), reader);
        schedule.add(reader.job(), intervalMillis);
        publish(reader.job());
    }

    /**
     * Reads what {@code next} schedules from now on: families turned off go, new ones are read at
     * the next cycle, the others keep their readers (and what those remember) at their new
     * interval, read no later than one new interval from now. Custom metrics stay as they are.
     */
    synchronized void reschedule(CollectorConfig next, Catalog catalog) {
        Map<String, Long> intervals = next.schedule(target);
        long now = System.currentTimeMillis();
        for (String job : List.copyOf(readers.keySet())) {
            if (!(readers.get(job) instanceof CustomFamily) && !intervals.containsKey(job)) {
                readers.remove(job);
                schedule.remove(job);
                published.remove(job);
            }
        }
        intervals.forEach((family, interval) -> {
            if (schedule.job(family) == null) {
                add(FamilyReaders.of(family, catalog), interval);
            } else {
                schedule.reschedule(family, interval, now);
                publish(family);
            }
        });
        config = next;
        jobOrder = List.copyOf(readers.keySet());
    }

    public Target target() {
        return target;
    }

    /** The scheduled jobs (families, then {@code custom:<metric>}) and their intervals in ms. */
    public synchronized Map<String, Long> schedule() {
        return Map.copyOf(schedule.intervals());
    }

    /** The metric families this target's jobs produce to. */
    public synchronized Set<String> families() {
        Set<String> families = new TreeSet<>();
        readers.values().forEach(reader -> families.add(reader.family()));
        return families;
    }

    /** Claims the session for one cycle; false while another cycle runs or once it is retired. */
    boolean tryBegin() {
        return !retired && running.compareAndSet(false, true);
    }

    /** Ends the cycle that {@link #tryBegin()} claimed, closing the session if it was retired meanwhile. */
    void end(long cycleMillis) {
        lastCycleMillis = cycleMillis;
        running.set(false);
        closeIfRetired();
    }

    /**
     * Takes the session out of service: closes its connection now if no cycle runs, otherwise as
     * soon as the running one ends. Never waits for a read.
     */
    void retire() {
        retired = true;
        closeIfRetired();
    }

    private void closeIfRetired() {
        // retire() writes retired before trying to claim, end() releases before reading retired: one
        // of the two always sees the other and closes, and the claim makes sure only one does.
        if (retired && running.compareAndSet(false, true)) {
            close();
        }
    }

    /** The jobs due at {@code nowMillis}; none while the connection is backing off. */
    synchronized List<String> due(long nowMillis) {
        if (nowMillis < connection.nextConnectAtMillis()) {
            return List.of();
        }
        // A cycle starts a little before or after its slot; without the slack a family read every
        // three cycles would, one time in two, be found a few ms short of due and wait a fourth.
        return schedule.due(nowMillis, config.intervalMillis() / 2);
    }

    /** Every job, in schedule order. */
    List<String> jobs() {
        return jobOrder;
    }

    /** Of {@code jobs}, those {@link #collectTogether} can send in one round trip, in order. */
    synchronized List<String> readableTogether(List<String> jobs) {
        return jobs.stream().filter(job -> readers.get(job) instanceof CatalogFamily family
                && family.readsOnTargetConnectionOnly()).toList();
    }

    /**
     * Reads plain catalog families (see {@link #readableTogether}) in one round trip: their SELECTs
     * go as one multi-statement string, which the driver sends as one batch of protocol messages
     * with a single Sync and reads back as one result set per statement.
     *
     * <p>On the server the statements of such a batch share an implicit transaction: the first that
     * fails (a statement_timeout, a permission) aborts the rest, and the driver then returns none of
     * the results. So on a failure of that kind nothing is recorded and an empty map comes back: the
     * caller reads the families one by one, so that only the failing one fails (at the price of
     * running it twice in that cycle; it then backs off and leaves the batch).
     *
     * @return each job's samples, in order; empty when the batch failed on the server's side
     * @throws SQLException the target cannot be connected to or dropped the connection; recorded
     *                      for every job, as one by one reads would
     */
    public synchronized Map<String, Collected> collectTogether(List<String> jobs) throws SQLException {
        long now = System.currentTimeMillis();
        try {
            connection.connectIfNeeded();
        } catch (SQLException e) {
            for (String job : jobs) {
                connectFailed(job, e);
                publish(job);
            }
            throw e;
        }
        StringBuilder batch = new StringBuilder();
        List<CatalogFamily> families = new ArrayList<>();
        try {
            for (String job : jobs) {
                CatalogFamily family = (CatalogFamily) readers.get(job);
                families.add(family);
                batch.append(batch.length() == 0 ? "" : ";\n").append("SELECT statement_timestamp() AS ")
                        .append(RowMapper.SAMPLED_AT_COLUMN).append(", q.* FROM (\n").append(family.query(context)).append("\n) q");
            }
        } catch (SQLException notOnThisVersion) {
            return Map.of(); // one by one, the family says why in its status
        }
        Map<String, Collected> read = new LinkedHashMap<>();
        try (Statement statement = connection.connection().createStatement()) {
            // The deadline is per round trip: the statements together are as cheap as any one of them alone.
            statement.setQueryTimeout(config.clientDeadlineSeconds());
            boolean rows = statement.execute(batch.toString());
            for (int i = 0; i < families.size(); i++) {
                CatalogFamily family = families.get(i);
                if (!rows) {
                    throw new SQLException(family.family() + ": the batch returned no rows for it");
                }
                try (ResultSet rs = statement.getResultSet()) {
                    read.put(family.job(), Collected.of(family.family(), new RowMapper(family.schema())
                            .map(rs, config.collectorId(), target.id(), connection.server().versionNum())));
                }
                rows = statement.getMoreResults();
            }
        } catch (SQLException | RuntimeException e) {
            boolean unreachable = e instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08");
            if (!unreachable && !connection.broken()) {
                LOG.debug("target {}: batch of {} failed, reading them one by one: {}", target.id(), jobs, connection.redact(e.getMessage()));
                return Map.of();
            }
            String reason = connection.redact(e.getMessage());
            for (String job : jobs) {
                failed(job, reason, now);
                publish(job);
            }
            connection.evict();
            throw new SQLException(reason, e instanceof SQLException sql ? sql.getSQLState() : null, e);
        }
        Instant at = Instant.now();
        for (String job : jobs) {
            succeeded(job, now, at);
            publish(job);
        }
        return read;
    }

    /**
     * Reads one job (a family name, or {@code custom:<metric>}) now, connecting first if needed,
     * and updates its status and next due time.
     *
     * @throws SQLException why it failed; the status says so too
     */
    public synchronized Collected collect(String job) throws SQLException {
        FamilyReader reader = readers.get(job);
        if (reader == null) {
            throw new IllegalArgumentException("target " + target.id() + " does not read " + job + "; it reads " + readers.keySet());
        }
        try {
            return read(job, reader);
        } finally {
            publish(job);
        }
    }

    private Collected read(String job, FamilyReader reader) throws SQLException {
        long now = System.currentTimeMillis();
        try {
            connection.connectIfNeeded();
        } catch (SQLException e) {
            connectFailed(job, e);
            throw e;
        }
        try {
            Collected collected;
            try {
                collected = reader.read(context);
            } catch (FamilyUnavailable e) {
                if (!e.notOnThisVersion()) {
                    throw e;
                }
                // Expected (pg_stat_io on 14): a note, not a failure; looked at again later in case
                // the server was upgraded.
                if (schedule.job(job).note() == null) {
                    LOG.info("target {}: {}", target.id(), e.getMessage());
                }
                schedule.notOnThisVersion(job, e.getMessage(), now);
                return Collected.of(reader.family(), List.of());
            }
            succeeded(job, now, Instant.now());
            return collected;
        } catch (SQLException | RuntimeException e) {
            String reason = connection.redact(e.getMessage());
            failed(job, reason, now);
            if (connection.connection() != null && !(e instanceof FamilyUnavailable) && connection.broken()) {
                connection.evict();
            }
            throw e instanceof SQLException sql ? sql : new SQLException(reason, null, e);
        }
    }

    private void connectFailed(String job, SQLException e) {
        // The whole target is down: every job waits for the connection's backoff.
        String reason = e.getMessage().startsWith("cannot connect: ") ? e.getMessage() : "cannot connect: " + e.getMessage();
        schedule.waitForConnection(job, reason, connection.nextConnectAtMillis());
    }

    private void failed(String job, String reason, long nowMillis) {
        String before = schedule.job(job).error();
        if (before == null || !before.equals(reason)) {
            LOG.warn("target {}: {} failed: {}", target.id(), job, reason);
        }
        schedule.failed(job, reason, nowMillis);
    }

    private void succeeded(String job, long startedMillis, Instant at) {
        if (schedule.job(job).error() != null) {
            LOG.info("target {}: {} recovered", target.id(), job);
        }
        schedule.succeeded(job, startedMillis, at);
    }

    /** Puts {@code jobs} off to their next interval without reading them, saying why in the status. */
    synchronized void defer(List<String> jobs, String reason) {
        long now = System.currentTimeMillis();
        for (String job : jobs) {
            schedule.defer(job, reason, now);
            publish(job);
        }
    }

    private void publish(String job) {
        JobSchedule.Job state = schedule.job(job);
        published.put(job, new TargetStatus.Family(state.lastSuccessAt(), state.error(), state.note(), state.failures(),
                Instant.ofEpochMilli(Math.max(state.nextDueMillis(), connection.nextConnectAtMillis()))));
    }

    /** The target's status, for heartbeats and operators; never waits for a read in progress. */
    public TargetStatus status() {
        Map<String, TargetStatus.Family> families = new LinkedHashMap<>();
        for (String job : jobOrder) {
            TargetStatus.Family family = published.get(job);
            if (family != null) {
                families.put(job, family);
            }
        }
        var server = connection.server();
        return new TargetStatus(target.id(), connection.connected(),
                server == null ? 0 : server.versionNum(), connection.error(), families, lastCycleMillis);
    }

    /** The statements reader, if this target reads statements. */
    StatementsFamily statements() {
        return readers.get("statements") instanceof StatementsFamily statements ? statements : null;
    }

    @Override
    public synchronized void close() {
        connection.close();
    }
}
