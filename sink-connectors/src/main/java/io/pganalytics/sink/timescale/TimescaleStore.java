package io.pganalytics.sink.timescale;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Set;

/**
 * The metrics store on TimescaleDB: each table is a hypertable on its time column, with a configured chunk interval,
 * native compression segmented by target (the column every dashboard filters by) and a retention policy; TimescaleDB's
 * background jobs do the upkeep, so {@link #maintain} has nothing to do. Uses the classic function signatures every
 * TimescaleDB 2.x accepts. Not run on the build machines, where TimescaleDB cannot be installed.
 */
final class TimescaleStore implements MetricsStore {

    private final TimescaleSinkConfig config;

    TimescaleStore(TimescaleSinkConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "timescaledb";
    }

    @Override
    public void createTable(Connection c, TableLayout table) throws SQLException {
        String name = table.name();
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + name + " " + table.columnsDdl());
            s.execute("SELECT create_hypertable('" + name + "', '" + table.timeColumn() + "', chunk_time_interval => "
                    + "INTERVAL '" + config.chunkIntervalHours() + " hours', if_not_exists => TRUE, migrate_data => TRUE)");
            if (config.compressAfterDays() > 0) {
                s.execute("ALTER TABLE " + name + " SET (timescaledb.compress, timescaledb.compress_segmentby = "
                        + "'target_id', timescaledb.compress_orderby = '" + table.timeColumn() + " DESC')");
                s.execute("SELECT add_compression_policy('" + name + "', INTERVAL '" + config.compressAfterDays()
                        + " days', if_not_exists => TRUE)");
            }
            if (config.retentionDays() > 0) {
                s.execute("SELECT add_retention_policy('" + name + "', INTERVAL '" + config.retentionDays()
                        + " days', if_not_exists => TRUE)");
            }
        }
    }

    /** Hypertables create chunks as rows arrive. */
    @Override
    public Set<LocalDate> unpreparedDays(TableLayout table, Set<LocalDate> days) {
        return Set.of();
    }

    @Override
    public void prepareDays(Connection c, TableLayout table, Set<LocalDate> days) {
    }

    @Override
    public String maintain(Connection c, TableLayout table, LocalDate today) {
        return "chunks, compression and retention by TimescaleDB's policies";
    }
}
