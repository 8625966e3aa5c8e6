package io.pganalytics.collector;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.catalog.MetricDefinition;
import io.pganalytics.collector.catalog.RowMapper;
import io.pganalytics.collector.catalog.ServerInfo;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.CustomMetric;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.CatalogFamily;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.family.CustomFamily;
import io.pganalytics.collector.family.FamilyReader;
import io.pganalytics.collector.family.FamilyUnavailable;
import io.pganalytics.collector.family.ReadContext;
import io.pganalytics.collector.family.SettingsFamily;
import io.pganalytics.collector.family.StatementsFamily;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
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
 * <p>One plain connection per target rather than a pool: a collector talks to many servers one
 * query at a time, and a pool per server would hold idle connections on every one of them. Every
 * query runs under the server's {@code statement_timeout} and a client-side deadline a little
 * longer, so neither a slow server nor a dead network holds a worker for long.
 *
 * <p>Failures are logged once when a family (or the connection) starts failing and once when it
 * recovers; a failing family is retried with exponential backoff, capped at five minutes or its
 * interval, whichever is longer. Messages never contain the password.
 */
public final class TargetSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSession.class);
    private static final long MAX_BACKOFF_MILLIS = 300_000;
    private static final long NOT_ON_VERSION_RETRY_MILLIS = 3_600_000;
    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]*/)([^?]*)(.*)$");

    private final Target target;
    private final CollectorConfig config;
    private final Map<String, FamilyReader> readers = new LinkedHashMap<>();
    private final Map<String, Long> intervals = new LinkedHashMap<>();
    private final Map<String, JobState> jobs = new LinkedHashMap<>();
    /** What {@link #status()} reports, published after every change so that it never waits for a slow read. */
    private final Map<String, TargetStatus.Family> published = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final Context context = new Context();
    private Connection connection;
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
        config.schedule(target).forEach((family, interval) -> {
            MetricDefinition definition = catalog.definition(family).orElseThrow(() ->
                    new IllegalStateException("family " + family + " has no catalog definition"));
            MetricFamily metricFamily = MetricFamilies.byName(family).orElseThrow();
            FamilyReader reader = switch (family) {
                case "statements" -> new StatementsFamily(definition, metricFamily);
                case "settings" -> new SettingsFamily(definition, metricFamily);
                default -> new CatalogFamily(definition, metricFamily);
            };
            add(reader, interval);
        });
        for (CustomMetric metric : config.customMetrics()) {
            add(new CustomFamily(metric), config.customIntervalMillis(metric));
        }
    }

    private void add(FamilyReader reader, long intervalMillis) {
        readers.put(reader.job(), reader);
        intervals.put(reader.job(), intervalMillis);
        JobState state = new JobState();
        jobs.put(reader.job(), state);
        publish(reader.job(), state);
    }

    public Target target() {
        return target;
    }

    /** The scheduled jobs (families, then {@code custom:<metric>}) and their intervals in ms. */
    public Map<String, Long> schedule() {
        return Map.copyOf(intervals);
    }

    /** The metric families this target's jobs produce to. */
    public java.util.Set<String> families() {
        var families = new java.util.TreeSet<String>();
        readers.values().forEach(reader -> families.add(reader.family()));
        return families;
    }

    /** Connected and reading, whatever individual families say. */
    boolean healthy() {
        return everConnected && connectionError == null;
    }

    boolean tryBegin() {
        return running.compareAndSet(false, true);
    }

    void end() {
        running.set(false);
    }

    /** The jobs due at {@code nowMillis}; none while the connection is backing off. */
    synchronized List<String> due(long nowMillis) {
        if (nowMillis < nextConnectAt) {
            return List.of();
        }
        List<String> due = new ArrayList<>();
        jobs.forEach((job, state) -> {
            if (state.nextDueMillis <= nowMillis) {
                due.add(job);
            }
        });
        return due;
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
            // The whole target is down: every job waits for the connection's backoff.
            state.error = e.getMessage().startsWith("cannot connect: ") ? e.getMessage() : "cannot connect: " + e.getMessage();
            state.failures++;
            state.nextDueMillis = nextConnectAt;
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
            state.note = null;
            if (state.error != null) {
                LOG.info("target {}: {} recovered", target.id(), job);
            }
            state.error = null;
            state.failures = 0;
            state.lastSuccessAt = Instant.now();
            state.nextDueMillis = now + intervals.get(job);
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
                closeQuietly();
            }
            throw e instanceof SQLException sql ? sql : new SQLException(reason, null, e);
        }
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
        intervals.keySet().forEach(job -> families.put(job, published.get(job)));
        return new TargetStatus(target.id(), connectionError == null && everConnected,
                server == null ? 0 : server.versionNum(), connectionError, families);
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
        if (connection != null && !connection.isClosed()) {
            return;
        }
        if (System.currentTimeMillis() < nextConnectAt) {
            // Backing off: the other jobs of this round fail at once instead of each waiting for a connect timeout.
            throw new SQLException(connectionError, "08001");
        }
        try {
            connection = open(target.jdbcUrl());
            server = ServerInfo.read(connection);
            if (connectionError != null || !everConnected) {
                LOG.info("target {}: connected, PostgreSQL {}", target.id(), server.versionNum());
            }
            connectionError = null;
            everConnected = true;
            connectFailures = 0;
            nextConnectAt = 0;
        } catch (SQLException e) {
            closeQuietly();
            String reason = redact(e.getMessage());
            if (connectionError == null || !connectionError.equals(reason)) {
                LOG.warn("target {}: cannot connect: {}", target.id(), reason);
            }
            connectionError = reason;
            connectFailures++;
            nextConnectAt = System.currentTimeMillis() + backoff(config.intervalMillis(), connectFailures);
            throw new SQLException(reason, e.getSQLState(), e);
        }
    }

    private Connection open(String url) throws SQLException {
        Properties props = new Properties();
        if (target.user() != null) {
            props.setProperty("user", target.user());
        }
        if (target.password() != null) {
            props.setProperty("password", target.password());
        }
        props.setProperty("ApplicationName", "pganalytics-collector");
        props.setProperty("connectTimeout", "5");
        props.setProperty("loginTimeout", "5"); // a server that accepts but never answers
        props.setProperty("socketTimeout", Integer.toString(config.clientDeadlineSeconds() + 5));
        // A monitoring query must never hold up the server it watches.
        props.setProperty("options", "-c statement_timeout=" + config.statementTimeoutMillis() + " -c lock_timeout=1000");
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

    private void closeQuietly() {
        if (connection != null) {
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
        closeQuietly();
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
