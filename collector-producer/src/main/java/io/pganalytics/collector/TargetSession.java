package io.pganalytics.collector;

import io.pganalytics.collector.config.Target;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target's connection and health: connects lazily, reconnects after a failure, and logs a
 * failure once when it starts and once when it ends rather than on every interval.
 *
 * <p>One plain connection per target rather than a pool: a collector talks to hundreds of servers
 * one query at a time, and a pool per server would hold idle connections on every one of them.
 */
final class TargetSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSession.class);

    /** A read against an open connection of a known server version. */
    interface Read<T> {
        T apply(Connection connection, int serverVersionNum) throws SQLException;
    }

    private final Target target;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean healthy = true;
    private volatile boolean everSucceeded;
    private Connection connection;
    private int serverVersionNum;

    TargetSession(Target target) {
        this.target = target;
    }

    Target target() {
        return target;
    }

    boolean healthy() {
        return healthy && everSucceeded;
    }

    boolean tryBegin() {
        return running.compareAndSet(false, true);
    }

    void end() {
        running.set(false);
    }

    synchronized <T> T read(Read<T> read) throws SQLException {
        try {
            if (connection == null || connection.isClosed()) {
                connect();
            }
            T result = read.apply(connection, serverVersionNum);
            if (!healthy) {
                LOG.info("target {}: sampling recovered", target.id());
            }
            healthy = true;
            everSucceeded = true;
            return result;
        } catch (SQLException e) {
            if (healthy) {
                LOG.warn("target {}: sampling failed: {}", target.id(), e.getMessage());
            }
            healthy = false;
            closeQuietly();
            throw e;
        }
    }

    private void connect() throws SQLException {
        Properties props = new Properties();
        if (target.user() != null) {
            props.setProperty("user", target.user());
        }
        if (target.password() != null) {
            props.setProperty("password", target.password());
        }
        props.setProperty("ApplicationName", "pganalytics-collector");
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "30");
        connection = DriverManager.getConnection(target.jdbcUrl(), props);
        connection.setAutoCommit(true);
        try (Statement statement = connection.createStatement()) {
            // A monitoring query must never hold up the server it watches.
            statement.execute("SET statement_timeout = '5s'; SET lock_timeout = '1s'");
            var rs = statement.executeQuery("SELECT current_setting('server_version_num')::int");
            rs.next();
            serverVersionNum = rs.getInt(1);
        }
        LOG.info("target {}: connected, PostgreSQL {}", target.id(), serverVersionNum);
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
}
