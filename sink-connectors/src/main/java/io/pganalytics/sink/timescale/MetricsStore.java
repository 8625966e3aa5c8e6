package io.pganalytics.sink.timescale;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Set;

/**
 * The SQL that differs between the two metrics stores, in one place: how a table is created and partitioned by
 * time, and how old data is dropped. {@link PostgresStore} uses native range partitions by day; {@link TimescaleStore}
 * hypertables with compression and retention policies. Everything else (COPY, the offsets table, schema evolution)
 * is plain PostgreSQL and shared.
 */
interface MetricsStore {

    /** A short name for logs: {@code postgresql} or {@code timescaledb}. */
    String name();

    /** Creates the table if it is missing, partitioned by its time column; the caller holds the DDL lock. */
    void createTable(Connection c, TableLayout table) throws SQLException;

    /** Of these days (UTC), those this store may not hold rows of yet: {@link #prepareDays} must see them first. */
    Set<LocalDate> unpreparedDays(TableLayout table, Set<LocalDate> days);

    /** Makes sure rows of these days (UTC) can be stored; the caller holds the DDL lock. */
    void prepareDays(Connection c, TableLayout table, Set<LocalDate> days) throws SQLException;

    /** Periodic upkeep: partitions ahead of time and retention. Returns what it did, for the log. */
    String maintain(Connection c, TableLayout table, LocalDate today) throws SQLException;

    /** TimescaleDB when its extension is installed in the database, plain PostgreSQL otherwise (or as configured). */
    static MetricsStore detect(Connection c, TimescaleSinkConfig config) throws SQLException {
        boolean timescale;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")) {
            timescale = rs.next();
        }
        return switch (config.store()) {
            case TimescaleSinkConfig.STORE_TIMESCALEDB -> {
                if (!timescale) {
                    throw new SQLException(TimescaleSinkConfig.STORE + "=timescaledb, but the timescaledb extension is "
                            + "not installed in the database (CREATE EXTENSION timescaledb)", "42704");
                }
                yield new TimescaleStore(config);
            }
            case TimescaleSinkConfig.STORE_POSTGRESQL -> new PostgresStore(config);
            default -> timescale ? new TimescaleStore(config) : new PostgresStore(config);
        };
    }
}
