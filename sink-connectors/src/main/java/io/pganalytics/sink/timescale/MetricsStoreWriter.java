package io.pganalytics.sink.timescale;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pganalytics.sink.timescale.RecordRows.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches of rows to the metrics store: tables created and evolved from the records' schemas, rows by binary
 * {@code COPY}, and (in {@code copy} mode) the consumed offsets upserted into {@code pga_sink_offsets} in the same
 * transaction. A unique violation under COPY (rows another writer stored) rolls back and redoes the batch through a
 * staging table and {@code INSERT ... ON CONFLICT DO NOTHING}.
 */
final class MetricsStoreWriter implements RowWriter {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsStoreWriter.class);

    static final String OFFSETS_TABLE = "pga_sink_offsets";
    static final String APPLICATION_NAME = "pganalytics-timescale-sink";
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String UNDEFINED_TABLE = "42P01";
    private static final Duration MAINTENANCE_INTERVAL = Duration.ofHours(1);
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    /** Short, so a store that is down fails the batch (and the task backs off) instead of stalling the task thread. */
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);

    private final TimescaleSinkConfig config;
    private final DataSource dataSource;
    private final HikariDataSource pool;
    private final CopyBuffer buffer = new CopyBuffer(1 << 20);
    private final Map<TableLayout, Boolean> readyLayouts = new IdentityHashMap<>();
    private final Map<String, Long> maintainedAtMillis = new HashMap<>();
    private MetricsStore store;
    private boolean offsetsTableReady;

    MetricsStoreWriter(TimescaleSinkConfig config) {
        this.config = config;
        this.pool = newPool(config);
        this.dataSource = pool;
    }

    private static HikariDataSource newPool(TimescaleSinkConfig config) {
        // A DataSource, not DriverManager: under Connect's plugin isolation DriverManager (loaded by the system class
        // loader) may not see the driver in our plugin's class loader ("No suitable driver").
        PGSimpleDataSource postgres = new PGSimpleDataSource();
        postgres.setURL(config.connectionUrl());
        if (config.connectionUser() != null) {
            postgres.setUser(config.connectionUser());
        }
        if (config.connectionPassword() != null) {
            postgres.setPassword(config.connectionPassword().value());
        }
        postgres.setApplicationName(APPLICATION_NAME);
        postgres.setTcpKeepAlive(true);
        postgres.setConnectTimeout((int) CONNECTION_TIMEOUT.toSeconds());
        HikariConfig hikari = new HikariConfig();
        hikari.setDataSource(postgres);
        hikari.setPoolName("pga-sink-" + (config.connectorName() == null ? "task" : config.connectorName()));
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setMinimumIdle(1);
        hikari.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
        hikari.setAutoCommit(false);
        // Start even while the store is down: the first batch retries, and Connect keeps the records meanwhile.
        hikari.setInitializationFailTimeout(-1);
        return new HikariDataSource(hikari);
    }

    @Override
    public void open() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            ensureStore(c);
        }
    }

    /** The store the database is, once known ({@code null} before the first successful connection). */
    MetricsStore store() {
        return store;
    }

    private void ensureStore(Connection c) throws SQLException {
        if (store == null) {
            store = MetricsStore.detect(c, config);
            c.commit();
            LOG.info("Metrics store at {} is {}", config.redactedConnectionUrl(), store.name());
        }
        if (config.ownsOffsets() && !offsetsTableReady) {
            try (Statement s = c.createStatement()) {
                lock(s, OFFSETS_TABLE);
                s.execute("CREATE TABLE IF NOT EXISTS " + OFFSETS_TABLE + " (connector text NOT NULL, topic text NOT NULL, "
                        + "kafka_partition integer NOT NULL, next_offset bigint NOT NULL, "
                        + "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (connector, topic, kafka_partition))");
            }
            c.commit();
            offsetsTableReady = true;
        }
    }

    @Override
    public Map<TopicPartition, Long> storedOffsets(Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, Long> stored = new HashMap<>();
        if (!config.ownsOffsets() || partitions.isEmpty()) {
            return stored;
        }
        try (Connection c = dataSource.getConnection()) {
            ensureStore(c);
            try (PreparedStatement q = c.prepareStatement("SELECT topic, kafka_partition, next_offset FROM " + OFFSETS_TABLE
                    + " WHERE connector = ?")) {
                q.setString(1, config.connectorName());
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        TopicPartition tp = new TopicPartition(rs.getString(1), rs.getInt(2));
                        if (partitions.contains(tp)) {
                            stored.put(tp, rs.getLong(3));
                        }
                    }
                }
            }
            c.commit();
        }
        return stored;
    }

    /**
     * Stores the rows and, in {@code copy} mode, the offsets in one transaction. {@code ignoreConflicts} skips COPY
     * and goes straight to staging + {@code ON CONFLICT DO NOTHING} (always so in {@code insert-ignore} mode). On
     * failure nothing of the call is stored.
     */
    @Override
    public WriteResult write(List<Row> rows, Map<TopicPartition, Long> nextOffsets, boolean ignoreConflicts)
            throws SQLException {
        try {
            return writeOnce(rows, nextOffsets, ignoreConflicts);
        } catch (SQLException e) {
            if (!UNDEFINED_TABLE.equals(e.getSQLState())) {
                throw e;
            }
            // Someone dropped a table (or a partition) we had seen: forget what we knew and create it again.
            LOG.warn("A table or partition of the batch is gone ({}); creating it again", firstLine(e.getMessage()));
            readyLayouts.clear();
            maintainedAtMillis.clear();
            store = null;
            offsetsTableReady = false;
            return writeOnce(rows, nextOffsets, ignoreConflicts);
        }
    }

    private WriteResult writeOnce(List<Row> rows, Map<TopicPartition, Long> nextOffsets, boolean ignoreConflicts)
            throws SQLException {
        Map<TableLayout, List<Row>> byTable = byTable(rows);
        try (Connection c = dataSource.getConnection()) {
            try {
                ensureStore(c);
                for (Map.Entry<TableLayout, List<Row>> table : byTable.entrySet()) {
                    prepare(c, table.getKey(), table.getValue());
                }
                boolean insertIgnore = ignoreConflicts || !config.ownsOffsets();
                if (!insertIgnore) {
                    try {
                        for (Map.Entry<TableLayout, List<Row>> table : byTable.entrySet()) {
                            copy(c, table.getKey(), table.getKey().name(), table.getValue());
                        }
                        storeOffsets(c, nextOffsets);
                        c.commit();
                        return new WriteResult(rows.size(), 0, false);
                    } catch (SQLException e) {
                        // Quietly: after a lost connection, rollback() throws too and would hide what happened.
                        rollbackQuietly(c, e);
                        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                            throw e;
                        }
                        LOG.info("COPY of {} rows met rows stored already ({}); writing the batch with ON CONFLICT DO NOTHING",
                                rows.size(), firstLine(e.getMessage()));
                    }
                }
                int inserted = 0;
                int n = 0;
                for (Map.Entry<TableLayout, List<Row>> table : byTable.entrySet()) {
                    inserted += insertIgnoringConflicts(c, table.getKey(), table.getValue(), "pga_staging_" + n++);
                }
                storeOffsets(c, nextOffsets);
                c.commit();
                return new WriteResult(inserted, rows.size() - inserted, !insertIgnore);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        }
    }

    /**
     * The rows of each table, in the order the tables first appear. By identity (a layout is one instance per schema),
     * and a run of rows of one layout costs one comparison per row: hashing a layout (a record of 40 columns) per row
     * was a measurable share of the writer's time.
     */
    private static Map<TableLayout, List<Row>> byTable(List<Row> rows) {
        Map<TableLayout, List<Row>> byTable = new LinkedHashMap<>();
        Map<TableLayout, List<Row>> byIdentity = new IdentityHashMap<>();
        TableLayout last = null;
        List<Row> lastRows = null;
        for (Row row : rows) {
            if (row.layout() != last) {
                last = row.layout();
                lastRows = byIdentity.get(last);
                if (lastRows == null) {
                    lastRows = new ArrayList<>(rows.size());
                    byIdentity.put(last, lastRows);
                    byTable.put(last, lastRows);
                }
            }
            lastRows.add(row);
        }
        return byTable;
    }

    /** Creates or evolves the table, and its partitions for the rows' days; each in its own short transaction. */
    private void prepare(Connection c, TableLayout layout, List<Row> rows) throws SQLException {
        if (!readyLayouts.containsKey(layout)) {
            ensureTable(c, layout);
            readyLayouts.put(layout, Boolean.TRUE);
        }
        long now = System.currentTimeMillis();
        Long maintained = maintainedAtMillis.get(layout.name());
        if (maintained == null || now - maintained > MAINTENANCE_INTERVAL.toMillis()) {
            try (Statement s = c.createStatement()) {
                lock(s, layout.name());
            }
            String done = store.maintain(c, layout, LocalDate.now(ZoneOffset.UTC));
            c.commit();
            maintainedAtMillis.put(layout.name(), now);
            LOG.info("Maintained {} ({}): {}", layout.name(), store.name(), done);
        }
        int time = layout.timeColumnIndex();
        Set<LocalDate> days = new HashSet<>();
        long lastDay = Long.MIN_VALUE;
        for (Row row : rows) {
            long day = Math.floorDiv((Long) row.values()[time], MICROS_PER_DAY);
            if (day != lastDay) { // samples come in time order: a new day is rare
                lastDay = day;
                days.add(LocalDate.ofEpochDay(day));
            }
        }
        Set<LocalDate> missing = store.unpreparedDays(layout, days);
        if (!missing.isEmpty()) {
            try (Statement s = c.createStatement()) {
                lock(s, layout.name());
            }
            store.prepareDays(c, layout, missing);
            c.commit();
        }
    }

    /**
     * Creates the table if missing; otherwise adds the columns of new optional fields, and refuses a schema the
     * table cannot take (a changed type, a new required field, a NOT NULL column the schema does not fill).
     */
    private void ensureTable(Connection c, TableLayout layout) throws SQLException {
        List<String> added = new ArrayList<>();
        boolean created = false;
        try (Statement s = c.createStatement()) {
            // Concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type when several tasks start together;
            // a lock held until this transaction ends serialises them.
            lock(s, layout.name());
            Map<String, ExistingColumn> existing = existingColumns(c, layout.name());
            if (existing.isEmpty()) {
                store.createTable(c, layout);
                created = true;
            } else {
                for (TableLayout.Column column : layout.columns()) {
                    ExistingColumn present = existing.get(column.name());
                    if (present == null) {
                        if (!column.nullable()) {
                            throw incompatible(layout, "table " + layout.name() + " has no column " + column.name()
                                    + " for the required field " + column.field() + " (" + column.type().ddl()
                                    + " NOT NULL); make the field optional (with a default) or add the column by hand");
                        }
                        s.execute("ALTER TABLE " + layout.name() + " ADD COLUMN IF NOT EXISTS " + column.ddl());
                        added.add(column.name());
                    } else if (!present.type().equals(column.type().catalogName())) {
                        throw incompatible(layout, "table " + layout.name() + " column " + column.name() + " is "
                                + present.type() + " but field " + column.field() + " is now " + column.type().ddl());
                    }
                }
                Set<String> written = new HashSet<>(layout.columnNames());
                for (Map.Entry<String, ExistingColumn> column : existing.entrySet()) {
                    if (column.getValue().notNull() && !written.contains(column.getKey())) {
                        throw incompatible(layout, "table " + layout.name() + " column " + column.getKey()
                                + " is NOT NULL, but the schema has no field for it");
                    }
                }
            }
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c, e);
            throw e;
        }
        c.commit();
        if (created) {
            LOG.info("Created table {} ({} columns, key {}) as {}", layout.name(), layout.columns().size(),
                    layout.primaryKey(), store.name());
        } else if (!added.isEmpty()) {
            LOG.info("Added columns {} to table {} for a new version of its schema", added, layout.name());
        }
    }

    private static ConnectException incompatible(TableLayout layout, String message) {
        return new IncompatibleSchemaException("incompatible schema for " + layout.name() + ": " + message);
    }

    /** A schema change the table cannot take: the task stops rather than write wrong data. */
    static final class IncompatibleSchemaException extends ConnectException {
        IncompatibleSchemaException(String message) {
            super(message);
        }
    }

    private record ExistingColumn(String type, boolean notNull) {
    }

    private static Map<String, ExistingColumn> existingColumns(Connection c, String table) throws SQLException {
        Map<String, ExistingColumn> columns = new LinkedHashMap<>();
        try (PreparedStatement q = c.prepareStatement("SELECT attname, format_type(atttypid, atttypmod), attnotnull "
                + "FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            q.setString(1, table);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), new ExistingColumn(rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return columns;
    }

    private void copy(Connection c, TableLayout layout, String target, List<Row> rows) throws SQLException {
        List<TableLayout.Column> columns = layout.columns();
        int width = columns.size();
        buffer.reset();
        buffer.header();
        for (Row row : rows) {
            buffer.startTuple(width);
            Object[] values = row.values();
            for (int i = 0; i < width; i++) {
                columns.get(i).type().writeBinary(buffer, values[i]);
            }
        }
        buffer.trailer();
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(layout.copySql(target));
        try {
            in.writeToCopy(buffer.array(), 0, buffer.size());
            in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    private int insertIgnoringConflicts(Connection c, TableLayout layout, List<Row> rows, String staging) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TEMPORARY TABLE " + staging + " (LIKE " + layout.name() + ") ON COMMIT DROP");
            copy(c, layout, staging, rows);
            return s.executeUpdate(layout.insertFromStagingSql(staging));
        }
    }

    private void storeOffsets(Connection c, Map<TopicPartition, Long> nextOffsets) throws SQLException {
        if (!config.ownsOffsets() || nextOffsets.isEmpty()) {
            return;
        }
        // GREATEST: a zombie task finishing an old batch after a rebalance must not move a partition backwards.
        try (PreparedStatement upsert = c.prepareStatement("INSERT INTO " + OFFSETS_TABLE
                + " (connector, topic, kafka_partition, next_offset) VALUES (?, ?, ?, ?) ON CONFLICT (connector, topic, "
                + "kafka_partition) DO UPDATE SET next_offset = GREATEST(" + OFFSETS_TABLE + ".next_offset, "
                + "EXCLUDED.next_offset), updated_at = now()")) {
            for (Map.Entry<TopicPartition, Long> offset : nextOffsets.entrySet()) {
                upsert.setString(1, config.connectorName());
                upsert.setString(2, offset.getKey().topic());
                upsert.setInt(3, offset.getKey().partition());
                upsert.setLong(4, offset.getValue());
                upsert.addBatch();
            }
            upsert.executeBatch();
        }
    }

    private static void lock(Statement s, String name) throws SQLException {
        s.execute("SELECT pg_advisory_xact_lock(hashtext('pganalytics.sink." + name + "'))");
    }

    private static void rollbackQuietly(Connection c, Exception failure) {
        try {
            if (!c.isClosed()) {
                c.rollback();
            }
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @Override
    public void close() {
        pool.close();
    }
}
