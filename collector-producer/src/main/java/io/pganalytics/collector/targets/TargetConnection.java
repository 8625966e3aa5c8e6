package io.pganalytics.collector.targets;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pganalytics.collector.catalog.ServerInfo;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.schedule.Backoff;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A target's connection: one long-lived connection from a HikariCP pool of one, connected on first
 * use, replaced when it breaks, and, while the target cannot be reached, tried again only after a
 * {@link Backoff}. Also opens the short-lived connections to the target's other databases.
 *
 * <p>The connection stays checked out between cycles, because Hikari validates a connection on
 * every checkout with a round trip of its own, which would double the round trips of a cycle; a
 * connection that breaks is evicted and the next cycle checks out a new one. Every pool shares one
 * housekeeping thread, and Hikari's per-pool helper threads (connection adder and closer) exist
 * only for the seconds around opening or closing a connection, so thousands of targets do not mean
 * thousands of threads. Every query runs under the server's {@code statement_timeout} and a
 * client-side deadline a little longer. Messages never contain the password.
 *
 * <p>Not thread-safe: the target's session calls it under its own lock; what {@code status()}
 * reads without that lock is volatile.
 */
final class TargetConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TargetConnection.class);
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
    private final Supplier<CollectorConfig> config;
    private HikariDataSource pool;
    private Connection connection;
    private volatile boolean closed;
    private volatile ServerInfo server;
    private volatile String error;
    private volatile boolean everConnected;
    private int failures;
    private volatile long nextConnectAt;

    TargetConnection(Target target, Supplier<CollectorConfig> config) {
        this.target = target;
        this.config = config;
    }

    /** The open connection to the target's configured database, or null. */
    Connection connection() {
        return connection;
    }

    /** The server behind the connection, as of the last connect; null before the first. */
    ServerInfo server() {
        return server;
    }

    /** Why the target cannot be connected to, or null. */
    String error() {
        return error;
    }

    /** Whether the last connection attempt succeeded. */
    boolean connected() {
        return error == null && everConnected;
    }

    /** When the next connection attempt may be made (ms since the epoch); 0 when connected. */
    long nextConnectAtMillis() {
        return nextConnectAt;
    }

    /**
     * Connects, unless the connection is open.
     *
     * @throws SQLException SQL state {@code 08…}: the target cannot be connected to (now, or while
     *                      backing off), or is no longer monitored here
     */
    void connectIfNeeded() throws SQLException {
        if (closed) {
            throw new SQLException("target " + target.id() + " is no longer monitored here", "08003");
        }
        if (connection != null && !connection.isClosed()) {
            return;
        }
        if (System.currentTimeMillis() < nextConnectAt) {
            // Backing off: the other jobs of this round fail at once instead of each waiting for a connect timeout.
            throw new SQLException(error, "08001");
        }
        try {
            if (pool == null) {
                pool = new HikariDataSource(poolConfig());
            }
            connection = pool.getConnection();
            server = ServerInfo.read(connection);
            if (error != null || !everConnected) {
                LOG.info("target {}: connected, PostgreSQL {}", target.id(), server.versionNum());
            }
            error = null;
            everConnected = true;
            failures = 0;
            nextConnectAt = 0;
        } catch (SQLException e) {
            evict();
            // Hikari reports its own timeout and carries the driver's reason (refused, timed out) as the cause.
            SQLException driver = e.getCause() instanceof SQLException cause ? cause : e;
            String reason = redact(driver instanceof java.sql.SQLTransientConnectionException
                    ? "no connection within " + (pool == null ? WORKER_CONNECT_WAIT_MILLIS : pool.getConnectionTimeout()) + " ms" : driver.getMessage());
            if (error == null || !error.equals(reason)) {
                LOG.warn("target {}: cannot connect: {}", target.id(), reason);
            }
            error = reason;
            failures++;
            nextConnectAt = System.currentTimeMillis() + Backoff.delayMillis(config.get().intervalMillis(), failures);
            throw new SQLException(reason, driver.getSQLState() == null ? "08001" : driver.getSQLState(), e);
        }
    }

    /** Whether the open connection no longer works (closed, or fails a validity check). */
    boolean broken() {
        try {
            return connection.isClosed() || !connection.isValid(2);
        } catch (SQLException e) {
            return true;
        }
    }

    /** Throws the connection away: Hikari closes it, and the next read checks out a new one. */
    void evict() {
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

    /** A new connection to another database of the target, with the same settings; the caller closes it. */
    Connection openDatabase(String database) throws SQLException {
        Matcher m = URL.matcher(target.jdbcUrl());
        if (!m.matches()) {
            throw new SQLException("collector.targets: cannot derive a URL for database " + database);
        }
        return open(m.group(1) + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8) + m.group(3));
    }

    /** The message with the password removed, should a driver or server ever echo it. */
    String redact(String message) {
        if (message == null) {
            return "unknown error";
        }
        String password = target.password();
        return password == null || password.isEmpty() ? message : message.replace(password, "***");
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
        long timeout = Math.max(250, Math.min(config.get().operations().connectTimeoutMillis(), WORKER_CONNECT_WAIT_MILLIS));
        pool.setConnectionTimeout(timeout);
        pool.setValidationTimeout(timeout);
        pool.setScheduledExecutor(HOUSEKEEPING);
        pool.setThreadFactory(CONNECTION_THREADS);
        return pool;
    }

    private Properties driverProperties() {
        CollectorConfig config = this.config.get();
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

    /** Closes the connection and its pool; it never connects again. */
    @Override
    public void close() {
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
}
