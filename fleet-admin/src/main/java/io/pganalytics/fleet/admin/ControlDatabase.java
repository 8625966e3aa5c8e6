package io.pganalytics.fleet.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.Flyway;

/**
 * The control-plane database: a HikariCP pool, its Flyway migrations, and transactions bound to the calling
 * thread, so that an operation called inside another's transaction (an idempotent request's) joins it.
 */
final class ControlDatabase implements AutoCloseable {

    /** SQLSTATE of a unique violation. */
    static final String UNIQUE_VIOLATION = "23505";

    /** Work on a connection inside a transaction. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Maps the current row. */
    interface Row<T> {
        T map(ResultSet row) throws SQLException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HikariDataSource pool;
    private final ThreadLocal<Connection> bound = new ThreadLocal<>();
    private final ThreadLocal<Actor> attributed = new ThreadLocal<>();

    ControlDatabase(ControlPlaneConfig config, String poolName) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(config.databaseUrl());
        hikari.setUsername(config.databaseUser());
        hikari.setPassword(config.databasePassword());
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setMinimumIdle(Math.min(2, config.poolSize()));
        hikari.setPoolName(poolName);
        // Every statement planned for its parameters: how selective a filter of the collector list is depends on its
        // value (one group holds a third of the fleet, a search for a host matches three rows), and the generic plan
        // PostgreSQL adopts for a prepared statement after five runs walks all 10,000 collectors for a search (15 ms
        // instead of 0.3 ms, bench/run-api). The control plane's statements are small: planning them costs little.
        hikari.setConnectionInitSql("SET plan_cache_mode = force_custom_plan");
        hikari.setConnectionTimeout(5_000);
        // Start even when the database is down: /ready says so, and requests fail with 503 until it is back.
        hikari.setInitializationFailTimeout(-1);
        this.pool = new HikariDataSource(hikari);
    }

    /** Applies the control plane's migrations; returns how many ran. */
    static int migrate(ControlPlaneConfig config) {
        return Flyway.configure().dataSource(config.databaseUrl(), config.databaseUser(), config.databasePassword())
                .locations("classpath:db/control").load().migrate().migrationsExecuted;
    }

    /** Runs {@code work} in a transaction: the thread's own when one is open (it joins), else a new one. */
    <T> T inTransaction(Work<T> work) {
        return inTransaction(null, null, work);
    }

    /**
     * Runs {@code work} in a transaction whose changes the audit trail attributes to {@code actor} doing {@code action}
     * (V9: the triggers read {@code pga.audit.actor}). A null actor is the one {@link #attributed} to this thread, else
     * {@link Actor#SYSTEM}; a null action lets each change be named by its table and operation. A joined transaction
     * keeps what its opener declared unless this call names its own.
     */
    <T> T inTransaction(Actor actor, String action, Work<T> work) {
        Connection open = bound.get();
        try {
            if (open != null) {
                if (actor != null || action != null) {
                    declare(open, actor, action);
                }
                return work.run(open);
            }
            try (Connection connection = pool.getConnection()) {
                connection.setAutoCommit(false);
                bound.set(connection);
                try {
                    declare(connection, actor, action);
                    T result = work.run(connection);
                    connection.commit();
                    return result;
                } catch (RuntimeException | SQLException | Error e) {
                    connection.rollback();
                    throw e;
                } finally {
                    bound.remove();
                    connection.setAutoCommit(true);
                }
            }
        } catch (SQLException e) {
            throw new ControlPlane.Unavailable("control-plane database: " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} with the changes of every transaction it opens without an actor attributed to {@code actor}. */
    <T> T attributed(Actor actor, java.util.function.Supplier<T> work) {
        Actor before = attributed.get();
        attributed.set(actor);
        try {
            return work.get();
        } finally {
            if (before == null) {
                attributed.remove();
            } else {
                attributed.set(before);
            }
        }
    }

    private void declare(Connection c, Actor actor, String action) throws SQLException {
        Actor who = actor != null ? actor : attributed.get() != null ? attributed.get() : Actor.SYSTEM;
        ObjectNode declared = JSON.createObjectNode();
        declared.put("actor", who.name());
        declared.put("role", who.role());
        declared.put("authMethod", who.method());
        declared.put("clientIp", who.from());
        declared.put("userAgent", who.userAgent());
        declared.put("requestId", who.requestId());
        if (action != null) {
            declared.put("action", action);
        }
        one(c, "SELECT set_config('pga.audit.actor', ?, true)", rs -> 1, declared.toString());
    }

    /**
     * Runs read-only {@code work} in the thread's transaction when one is open, else on a connection in autocommit:
     * one round trip per statement, no BEGIN and COMMIT around a single SELECT.
     */
    <T> T read(Work<T> work) {
        Connection open = bound.get();
        try {
            if (open != null) {
                return work.run(open);
            }
            try (Connection connection = pool.getConnection()) {
                return work.run(connection);
            }
        } catch (SQLException e) {
            throw new ControlPlane.Unavailable("control-plane database: " + e.getMessage(), e);
        }
    }

    /** The pool itself, for a library that runs its own transactions (Bucket4j's proxy manager). */
    javax.sql.DataSource dataSource() {
        return pool;
    }

    /** A connection outside any transaction, for work that must not join one (the publisher's lock). */
    Connection connection() throws SQLException {
        return pool.getConnection();
    }

    boolean up() {
        try (Connection connection = pool.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    static <T> List<T> query(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, params); ResultSet rs = statement.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.map(rs));
            }
            return out;
        }
    }

    static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        List<T> all = query(c, sql, row, params);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, params)) {
            return statement.executeUpdate();
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Instant instant) {
                statement.setTimestamp(i + 1, Timestamp.from(instant));
            } else if (p instanceof List<?> list) {
                Array array = c.createArrayOf("text", list.toArray());
                statement.setArray(i + 1, array);
            } else {
                statement.setObject(i + 1, p);
            }
        }
        return statement;
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    static List<String> strings(ResultSet rs, String column) throws SQLException {
        Array array = rs.getArray(column);
        if (array == null) {
            return List.of();
        }
        Object[] values = (Object[]) array.getArray();
        List<String> out = new ArrayList<>();
        for (Object v : values) {
            out.add((String) v);
        }
        return List.copyOf(out);
    }

    @Override
    public void close() {
        pool.close();
    }
}
