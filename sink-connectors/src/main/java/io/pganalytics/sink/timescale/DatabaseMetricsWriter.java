package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@link DatabaseSample}s to their table with multi-row {@code INSERT ... ON CONFLICT DO NOTHING}, one
 * transaction per call, over a single JDBC connection that it re-opens after a failure.
 */
final class DatabaseMetricsWriter implements MetricsWriter {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseMetricsWriter.class);

    private static final String APPLICATION_NAME = "pganalytics-timescale-sink";
    /** Bounded so an unreachable store fails the batch (and Connect retries it) instead of stalling the task thread. */
    private static final String CONNECT_TIMEOUT_SECONDS = "10";

    private final TimescaleSinkConfig config;
    private final DatabaseMetricsTable table;
    private final int rowsPerStatement;
    private Connection connection;
    private boolean tableReady;

    DatabaseMetricsWriter(TimescaleSinkConfig config) {
        this.config = config;
        this.table = DatabaseMetricsTable.named(config.tableName());
        this.rowsPerStatement = config.batchMaxRows();
    }

    @Override
    public void open() throws SQLException {
        connection();
    }

    @Override
    public int write(List<DatabaseSample> samples) throws SQLException {
        if (samples.isEmpty()) {
            return 0;
        }
        Connection c = connection();
        try {
            int inserted = 0;
            int fullStatements = samples.size() / rowsPerStatement;
            int rest = samples.size() % rowsPerStatement;
            if (fullStatements > 0) {
                try (PreparedStatement insert = c.prepareStatement(table.insertSql(rowsPerStatement))) {
                    for (int s = 0; s < fullStatements; s++) {
                        for (int r = 0; r < rowsPerStatement; r++) {
                            table.bind(insert, r, samples.get(s * rowsPerStatement + r));
                        }
                        insert.addBatch();
                    }
                    for (int count : insert.executeBatch()) {
                        inserted += Math.max(count, 0); // SUCCESS_NO_INFO (-2) tells nothing: count it as none
                    }
                }
            }
            if (rest > 0) {
                try (PreparedStatement insert = c.prepareStatement(table.insertSql(rest))) {
                    for (int r = 0; r < rest; r++) {
                        table.bind(insert, r, samples.get(fullStatements * rowsPerStatement + r));
                    }
                    inserted += insert.executeUpdate();
                }
            }
            c.commit();
            return inserted;
        } catch (SQLException e) {
            abandonTransaction(e);
            throw e;
        }
    }

    @Override
    public void close() {
        if (connection != null) {
            closeQuietly(connection);
            connection = null;
        }
    }

    private Connection connection() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return connection;
        }
        connection = null;
        Properties properties = new Properties();
        if (config.connectionUser() != null) {
            properties.setProperty("user", config.connectionUser());
        }
        if (config.connectionPassword() != null) {
            properties.setProperty("password", config.connectionPassword().value());
        }
        properties.setProperty("ApplicationName", APPLICATION_NAME);
        properties.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS);
        properties.setProperty("tcpKeepAlive", "true");
        // The driver directly, not DriverManager: under Connect's plugin isolation DriverManager (loaded by the
        // system class loader) may not see the driver in our plugin's class loader ("No suitable driver").
        Connection c = new org.postgresql.Driver().connect(config.connectionUrl(), properties);
        if (c == null) {
            throw new SQLException(TimescaleSinkConfig.CONNECTION_URL + ": not a PostgreSQL JDBC URL", "08001");
        }
        LOG.info("Connected to {} as {} for table {}", config.redactedConnectionUrl(),
                config.connectionUser() == null ? "the default user" : config.connectionUser(), table.name());
        try {
            c.setAutoCommit(false);
            if (!tableReady) {
                ensureTable(c);
                tableReady = true;
            }
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
        connection = c;
        return c;
    }

    /** Creates the table (and with TimescaleDB the hypertable) if missing, then checks it has every column. */
    private void ensureTable(Connection c) throws SQLException {
        boolean existed;
        boolean timescale;
        try (Statement statement = c.createStatement()) {
            // Concurrent CREATE TABLE IF NOT EXISTS can still fail on pg_type's unique index when several tasks
            // start together; a lock held until this transaction ends serialises them.
            statement.execute("SELECT pg_advisory_xact_lock(hashtext('pganalytics.sink." + table.name() + "'))");
            existed = exists(c);
            statement.execute(table.createTableSql());
            timescale = timescaleInstalled(statement);
            if (timescale) {
                statement.execute(table.createHypertableSql());
            }
            List<String> missing = missingColumns(c);
            if (!missing.isEmpty()) {
                c.rollback();
                // A table created by an older version of the contract: adding a column is a migration for an operator.
                throw new ConnectException("table " + table.name() + " lacks columns " + missing
                        + " of DatabaseSample; add them (ALTER TABLE " + table.name() + " ADD COLUMN ...) or set "
                        + TimescaleSinkConfig.TABLE_NAME + " to a new table");
            }
        }
        c.commit();
        LOG.info("Table {} {} ({})", table.name(), existed ? "exists" : "created",
                timescale ? "TimescaleDB hypertable on sampled_at" : "plain PostgreSQL, no timescaledb extension");
    }

    private boolean exists(Connection c) throws SQLException {
        try (PreparedStatement query = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            query.setString(1, table.name());
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean timescaleInstalled(Statement statement) throws SQLException {
        try (ResultSet rs = statement.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")) {
            return rs.next();
        }
    }

    private List<String> missingColumns(Connection c) throws SQLException {
        Set<String> present = new LinkedHashSet<>();
        try (PreparedStatement query = c.prepareStatement(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped")) {
            query.setString(1, table.name());
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    present.add(rs.getString(1));
                }
            }
        }
        List<String> missing = new ArrayList<>(table.columnNames());
        missing.removeAll(present);
        return missing;
    }

    /** A broken connection is dropped (the next call reconnects); a healthy one is rolled back and kept. */
    private void abandonTransaction(SQLException failure) {
        if (connection == null) {
            return;
        }
        if (SqlFailure.of(failure) != SqlFailure.TRANSIENT) {
            try {
                connection.rollback();
                return;
            } catch (SQLException rollbackFailure) {
                failure.addSuppressed(rollbackFailure);
            }
        }
        close();
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("Ignoring failure to close a connection: {}", e.toString());
        }
    }
}
