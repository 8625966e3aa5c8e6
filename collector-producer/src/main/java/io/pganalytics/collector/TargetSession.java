package io.pganalytics.collector;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.catalog.RowMapper;
import io.pganalytics.collector.catalog.ServerInfo;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.CustomMetric;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.CatalogFamily;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.family.CustomFamily;
import io.pganalytics.collector.family.FamilyReader;
import io.pganalytics.collector.family.FamilyReaders;
import io.pganalytics.collector.family.FamilyUnavailable;
import io.pganalytics.collector.family.ReadContext;
import io.pganalytics.collector.family.StatementsFamily;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target: its connection, its readers (one per scheduled family or custom metric), when each is
 * due, and its status. {@link #collect(String)} reads one family now, the unit a scheduler runs.
 *
 * <p>One long-lived connection per target, from a HikariCP pool of one: a collector talks to many
 * servers one query at a time. The session keeps the connection checked out between cycles,
 * because Hikari validates a connection on every checkout with a round trip of its own, which would
 * double the round trips of a cycle; a connection that breaks is evicted and the next cycle checks
 * out a new one. Every pool shares one housekeeping thread, and Hikari's per-pool helper threads
 * (connection adder and closer) exist only for the seconds around opening or closing a
 * connection, so thousands of targets do not mean thousands of threads. Per-database connections
 * (tables, indexes, read every few minutes) stay short-lived: a pool per database would hold a
 * connection to each of them for the minutes in between. Every query runs under the server's
 * {@code statement_timeout} and a client-side deadline a little longer, so neither a slow server
 * nor a dead network holds a worker for long.
 *
 * <p>{@link #collectTogether} sends the due plain catalog families of a cycle in one round trip.
 *
 * <p>Failures are logged once when a family (or the connection) starts failing and once when it
 * recovers; a failing family is retried with exponential backoff, capped at five minutes or its
 * interval, whichever is longer. Messages never contain the password.
 */
public final class TargetSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSession.class);
    private static final long MAX_BACKOFF_MILLIS = 300_000;
    private static final long NOT_ON_VERSION_RETRY_MILLIS = 3_600_000;
    private static final long WORKER_CONNECT_WAIT_MILLIS = 2000;
    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]*/)([^?]*)(.*)$");
    private static final ThreadFactory CONNECTION_THREADS = runnable -> {
        Thread thread = new Thread(runnable, "pga-connection");
        thread.setDaemon(true);
        return thread;
    };
    /** One housekeeping thread for every target's pool in this JVM (Hikari would start one per pool). */
    private static final ScheduledExecutorService HOUSEKEEPING = housekeeping();

    private final Target target;
    private volatile CollectorConfig config;
    private final Map<String, FamilyReader> readers = new LinkedHashMap<>();
    private final Map<String, Long> intervals = new LinkedHashMap<>();
    private final Map<String, JobState> jobs = new LinkedHashMap<>();
    /** What {@link #status()} reports, published after every change so that it never waits for a slow read. */
    private final Map<String, TargetStatus.Family> published = new java.util.concurrent.ConcurrentHashMap<>();
    /** The jobs in schedule order, replaced as a whole by {@link #reschedule} so that {@link #status()} needs no lock. */
    private volatile List<String> jobOrder = List.of();
    private final AtomicBoolean running = new AtomicBoolean();
    private final Context context = new Context();
    private HikariDataSource pool;
    private Connection connection;
    /** No longer monitored: closes as soon as no cycle runs, and never connects again. */
    private volatile boolean retired;
    private volatile boolean closed;
    private volatile long lastCycleMillis = -1;
    private volatile ServerInfo server;
    private volatile String connectionError;
    private volatile boolean everConnected;
    private int connectFailures;
    private volatile long nextConnectAt;

    private static final class JobState {
        long nextDueMillis;
        int failures;
        Instant lastSuccessAt;
        String error;
        String note;
    }

    /** A target session reading what {@code config} schedules for {@code target}; it connects on first use. */
    public TargetSession(Target target, CollectorConfig config, Catalog catalog) {
        this.target = target;
        this.config = config;
        config.schedule(target).forEach((family, interval) -> add(FamilyReaders.of(family, catalog), interval));
        for (CustomMetric metric : config.customMetrics()) {
            add(FamilyReaders.of(metric), config.customIntervalMillis(metric));
        }
        jobOrder = List.copyOf(readers.keySet());
    }

    private void add(FamilyReader reader, long intervalMillis) {
        readers.put(reader.job(), reader);
        intervals.put(reader.job(), intervalMillis);
        JobState state = new JobState();
        jobs.put(reader.job(), state);
        publish(reader.job(), state);
    }

    /**
     * Reads what {@code next} schedules from now on: families turned off go, new ones are read at
     * the next cycle, the others keep their readers (and what those remember) at their new
     * interval, read no later than one new interval from now. Custom metrics stay as they are.
     */
    synchronized void reschedule(CollectorConfig next, Catalog catalog) {
        Map<String, Long> schedule = next.schedule(target);
        long now = System.currentTimeMillis();
        for (String job : List.copyOf(readers.keySet())) {
            if (!(readers.get(job) instanceof CustomFamily) && !schedule.containsKey(job)) {
                readers.remove(job);
                intervals.remove(job);
                jobs.remove(job);
                published.remove(job);
            }
        }
        schedule.forEach((family, interval) -> {
            JobState state = jobs.get(family);
            if (state == null) {
                add(FamilyReaders.of(family, catalog), interval);
            } else {
                intervals.put(family, interval);
                state.nextDueMillis = Math.min(state.nextDueMillis, now + interval);
                publish(family, state);
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
        return Map.copyOf(intervals);
    }

    /** The metric families this target's jobs produce to. */
    public synchronized java.util.Set<String> families() {
        var families = new java.util.TreeSet<String>();
        readers.values().forEach(reader -> families.add(reader.family()));
        return families;
    }

    /** Connected and reading, whatever individual families say. */
    boolean healthy() {
        return everConnected && connectionError == null;
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
        if (nowMillis < nextConnectAt) {
            return List.of();
        }
        // A cycle starts a little before or after its slot; without the slack a family read every
        // three cycles would, one time in two, be found a few ms short of due and wait a fourth.
        long slack = config.intervalMillis() / 2;
        List<String> due = new ArrayList<>();
        jobs.forEach((job, state) -> {
            if (state.nextDueMillis <= nowMillis + slack) {
                due.add(job);
            }
        });
        return due;
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
            connectIfNeeded();
        } catch (SQLException e) {
            for (String job : jobs) {
                JobState state = this.jobs.get(job);
                connectFailed(state, e);
                publish(job, state);
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
        try (Statement statement = connection.createStatement()) {
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
                            .map(rs, config.collectorId(), target.id(), server.versionNum())));
                }
                rows = statement.getMoreResults();
            }
        } catch (SQLException | RuntimeException e) {
            boolean unreachable = e instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08");
            if (!unreachable && !connectionBroken()) {
                LOG.debug("target {}: batch of {} failed, reading them one by one: {}", target.id(), jobs, redact(e.getMessage()));
                return Map.of();
            }
            String reason = redact(e.getMessage());
            for (String job : jobs) {
                JobState state = this.jobs.get(job);
                if (state.error == null || !state.error.equals(reason)) {
                    LOG.warn("target {}: {} failed: {}", target.id(), job, reason);
                }
                state.error = reason;
                state.failures++;
                state.nextDueMillis = now + backoff(intervals.get(job), state.failures);
                publish(job, state);
            }
            evictQuietly();
            throw new SQLException(reason, e instanceof SQLException sql ? sql.getSQLState() : null, e);
        }
        Instant at = Instant.now();
        for (String job : jobs) {
            JobState state = this.jobs.get(job);
            succeeded(job, state, now, at);
            publish(job, state);
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
        JobState state = jobs.get(job);
        try {
            return read(job, reader, state);
        } finally {
            publish(job, state);
        }
    }

    private Collected read(String job, FamilyReader reader, JobState state) throws SQLException {
        long now = System.currentTimeMillis();
        try {
            connectIfNeeded();
        } catch (SQLException e) {
            connectFailed(state, e);
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
                // Expected (pg_stat_io on 14): a note, not a failure; looked at again after an hour
                // in case the server was upgraded.
                if (state.note == null) {
                    LOG.info("target {}: {}", target.id(), e.getMessage());
                }
                state.note = e.getMessage();
                state.error = null;
                state.nextDueMillis = now + Math.max(intervals.get(job), NOT_ON_VERSION_RETRY_MILLIS);
                return Collected.of(reader.family(), List.of());
            }
            succeeded(job, state, now, Instant.now());
            return collected;
        } catch (SQLException | RuntimeException e) {
            String reason = redact(e.getMessage());
            if (state.error == null || !state.error.equals(reason)) {
                LOG.warn("target {}: {} failed: {}", target.id(), job, reason);
            }
            state.error = reason;
            state.failures++;
            state.nextDueMillis = now + backoff(intervals.get(job), state.failures);
            if (connection != null && !(e instanceof FamilyUnavailable) && connectionBroken()) {
                evictQuietly();
            }
            throw e instanceof SQLException sql ? sql : new SQLException(reason, null, e);
        }
    }

    private void connectFailed(JobState state, SQLException e) {
        // The whole target is down: every job waits for the connection's backoff.
        state.error = e.getMessage().startsWith("cannot connect: ") ? e.getMessage() : "cannot connect: " + e.getMessage();
        state.failures++;
        state.nextDueMillis = nextConnectAt;
    }

    private void succeeded(String job, JobState state, long startedMillis, Instant at) {
        state.note = null;
        if (state.error != null) {
            LOG.info("target {}: {} recovered", target.id(), job);
        }
        state.error = null;
        state.failures = 0;
        state.lastSuccessAt = at;
        state.nextDueMillis = startedMillis + intervals.get(job);
    }

    /** Puts {@code jobs} off to their next interval without reading them, saying why in the status. */
    synchronized void defer(List<String> jobs, String reason) {
        long now = System.currentTimeMillis();
        for (String job : jobs) {
            JobState state = this.jobs.get(job);
            state.error = reason;
            state.nextDueMillis = now + intervals.get(job);
            publish(job, state);
        }
    }

    private void publish(String job, JobState state) {
        published.put(job, new TargetStatus.Family(state.lastSuccessAt, state.error, state.note, state.failures,
                Instant.ofEpochMilli(Math.max(state.nextDueMillis, nextConnectAt))));
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
        return new TargetStatus(target.id(), connectionError == null && everConnected,
                server == null ? 0 : server.versionNum(), connectionError, families, lastCycleMillis);
    }

    /** The statements reader, if this target reads statements. */
    StatementsFamily statements() {
        return readers.get("statements") instanceof StatementsFamily statements ? statements : null;
    }

    private static long backoff(long intervalMillis, int failures) {
        long cap = Math.max(MAX_BACKOFF_MILLIS, intervalMillis);
        long delay = intervalMillis << Math.min(failures - 1, 16);
        return Math.min(Math.max(delay, intervalMillis), cap);
    }

    private boolean connectionBroken() {
        try {
            return connection.isClosed() || !connection.isValid(2);
        } catch (SQLException e) {
            return true;
        }
    }

    private void connectIfNeeded() throws SQLException {
        if (closed) {
            throw new SQLException("target " + target.id() + " is no longer monitored here", "08003");
        }
        if (connection != null && !connection.isClosed()) {
            return;
        }
        if (System.currentTimeMillis() < nextConnectAt) {
            // Backing off: the other jobs of this round fail at once instead of each waiting for a connect timeout.
            throw new SQLException(connectionError, "08001");
        }
        try {
            if (pool == null) {
                pool = new HikariDataSource(poolConfig());
            }
            connection = pool.getConnection();
            server = ServerInfo.read(connection);
            if (connectionError != null || !everConnected) {
                LOG.info("target {}: connected, PostgreSQL {}", target.id(), server.versionNum());
            }
            connectionError = null;
            everConnected = true;
            connectFailures = 0;
            nextConnectAt = 0;
        } catch (SQLException e) {
            evictQuietly();
            // Hikari reports its own timeout and carries the driver's reason (refused, timed out) as the cause.
            SQLException driver = e.getCause() instanceof SQLException cause ? cause : e;
            String reason = redact(driver instanceof java.sql.SQLTransientConnectionException
                    ? "no connection within " + (pool == null ? WORKER_CONNECT_WAIT_MILLIS : pool.getConnectionTimeout()) + " ms" : driver.getMessage());
            if (connectionError == null || !connectionError.equals(reason)) {
                LOG.warn("target {}: cannot connect: {}", target.id(), reason);
            }
            connectionError = reason;
            connectFailures++;
            nextConnectAt = System.currentTimeMillis() + backoff(config.intervalMillis(), connectFailures);
            throw new SQLException(reason, driver.getSQLState() == null ? "08001" : driver.getSQLState(), e);
        }
    }

    private HikariConfig poolConfig() {
        HikariConfig pool = new HikariConfig();
        pool.setPoolName("pga-" + target.id());
        pool.setJdbcUrl(target.jdbcUrl());
        pool.setUsername(target.user());
        pool.setPassword(target.password());
        pool.setDataSourceProperties(driverProperties());
        pool.setAutoCommit(true);
        pool.setMaximumPoolSize(1);
        pool.setMinimumIdle(0); // no background refill: a dead target costs nothing between its cycles
        pool.setMaxLifetime(0); // the connection stays checked out; it is replaced when it breaks
        pool.setInitializationFailTimeout(-1); // connect on first use, in a cycle, not in the constructor
        // Hikari connects on a thread of its own and retries until this timeout: a worker waits at
        // most 2 s for a connection, not the driver's whole connect and login timeout (nor Hikari's
        // retries against a refused port). A connection that takes longer still arrives, in the
        // background, and the next cycle uses it.
        long timeout = Math.max(250, Math.min(config.operations().connectTimeoutMillis(), WORKER_CONNECT_WAIT_MILLIS));
        pool.setConnectionTimeout(timeout);
        pool.setValidationTimeout(timeout);
        pool.setScheduledExecutor(HOUSEKEEPING);
        pool.setThreadFactory(CONNECTION_THREADS);
        return pool;
    }

    private Properties driverProperties() {
        Properties props = new Properties();
        props.setProperty("ApplicationName", "pganalytics-collector");
        int connectSeconds = (int) Math.max(1, (config.operations().connectTimeoutMillis() + 999) / 1000);
        props.setProperty("connectTimeout", Integer.toString(connectSeconds));
        props.setProperty("loginTimeout", Integer.toString(connectSeconds)); // a server that accepts but never answers
        props.setProperty("socketTimeout", Integer.toString(config.clientDeadlineSeconds() + 5));
        // A monitoring query must never hold up the server it watches.
        props.setProperty("options", "-c statement_timeout=" + config.statementTimeoutMillis() + " -c lock_timeout=1000");
        return props;
    }

    private Connection open(String url) throws SQLException {
        Properties props = driverProperties();
        if (target.user() != null) {
            props.setProperty("user", target.user());
        }
        if (target.password() != null) {
            props.setProperty("password", target.password());
        }
        Connection opened = DriverManager.getConnection(url, props);
        opened.setAutoCommit(true);
        return opened;
    }

    /** The message with the password removed, should a driver or server ever echo it. */
    String redact(String message) {
        if (message == null) {
            return "unknown error";
        }
        String password = target.password();
        return password == null || password.isEmpty() ? message : message.replace(password, "***");
    }

    /** Throws the connection away: Hikari closes it, and the next read checks out a new one. */
    private void evictQuietly() {
        if (connection != null) {
            if (pool != null) {
                pool.evictConnection(connection);
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // The connection is already broken; nothing to release.
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Broken: the pool's close below closes it anyway.
            }
            connection = null;
        }
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }

    private static ScheduledExecutorService housekeeping() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "pga-connection-housekeeping");
            thread.setDaemon(true);
            return thread;
        });
        // A closed pool cancels its housekeeping task; drop it from the queue rather than keep it until it was due.
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** What readers see of this session. */
    private final class Context implements ReadContext {

        @Override
        public String collectorId() {
            return config.collectorId();
        }

        @Override
        public String targetId() {
            return target.id();
        }

        @Override
        public CollectorConfig config() {
            return config;
        }

        @Override
        public ServerInfo server() {
            return server;
        }

        @Override
        public Connection connection() {
            return connection;
        }

        @Override
        public List<String> databases() throws SQLException {
            if (!target.databases().isEmpty()) {
                return target.databases();
            }
            List<String> databases = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement("""
                    SELECT datname FROM pg_database
                     WHERE datallowconn AND NOT datistemplate AND has_database_privilege(oid, 'CONNECT')
                     ORDER BY pg_database_size(oid) DESC, datname LIMIT ?""")) {
                statement.setInt(1, config.databasesMax());
                statement.setQueryTimeout(config.clientDeadlineSeconds());
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        databases.add(rs.getString(1));
                    }
                }
            }
            return databases;
        }

        @Override
        public Connection connect(String database) throws SQLException {
            Matcher m = URL.matcher(target.jdbcUrl());
            if (!m.matches()) {
                throw new SQLException("collector.targets: cannot derive a URL for database " + database);
            }
            return open(m.group(1) + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8) + m.group(3));
        }

        @Override
        public List<GenericRecord> query(Connection on, String sql, Schema schema) throws SQLException {
            try (Statement statement = on.createStatement()) {
                statement.setQueryTimeout(config.clientDeadlineSeconds());
                try (ResultSet rs = statement.executeQuery("SELECT statement_timestamp() AS " + RowMapper.SAMPLED_AT_COLUMN
                        + ", q.* FROM (\n" + sql + "\n) q")) {
                    return new RowMapper(schema).map(rs, config.collectorId(), target.id(), server.versionNum());
                }
            }
        }
    }
}
