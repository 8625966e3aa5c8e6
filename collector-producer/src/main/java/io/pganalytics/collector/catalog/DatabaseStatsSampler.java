package io.pganalytics.collector.catalog;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code database} family, one {@link DatabaseSample} per row of {@code pg_stat_database}.
 *
 * <p>The query is chosen once per server version: session counters exist from PostgreSQL 14 and
 * parallel-worker counters from 18 (POSTGRES-VERSIONS.md §4); on older servers they are null.
 */
public final class DatabaseStatsSampler {

    static final int SESSIONS_SINCE = 140000;
    static final int PARALLEL_WORKERS_SINCE = 180000;

    private DatabaseStatsSampler() {
    }

    /** The query for a server version, as {@code server_version_num}. */
    public static String query(int serverVersionNum) {
        StringBuilder sql = new StringBuilder("""
                SELECT clock_timestamp() AS sampled_at, datid::bigint AS datid, datname, numbackends,
                       xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched,
                       tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks,
                       checksum_failures, checksum_last_failure, blk_read_time, blk_write_time, stats_reset""");
        if (serverVersionNum >= SESSIONS_SINCE) {
            sql.append(", session_time, active_time, idle_in_transaction_time, sessions, sessions_abandoned,"
                    + " sessions_fatal, sessions_killed");
        }
        if (serverVersionNum >= PARALLEL_WORKERS_SINCE) {
            sql.append(", parallel_workers_to_launch, parallel_workers_launched");
        }
        return sql.append("\n  FROM pg_stat_database").toString();
    }

    /** Samples every database of the target behind {@code connection}. */
    public static List<DatabaseSample> sample(Connection connection, String collectorId, String targetId,
                                              int serverVersionNum) throws SQLException {
        List<DatabaseSample> samples = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(query(serverVersionNum))) {
            while (rs.next()) {
                var sample = DatabaseSample.newBuilder()
                        .setCollectorId(collectorId)
                        .setTargetId(targetId)
                        .setServerVersionNum(serverVersionNum)
                        .setSampledAt(instant(rs, "sampled_at"))
                        .setDatid(rs.getLong("datid"))
                        .setDatname(rs.getString("datname"))
                        .setNumbackends(rs.getInt("numbackends"))
                        .setXactCommit(rs.getLong("xact_commit"))
                        .setXactRollback(rs.getLong("xact_rollback"))
                        .setBlksRead(rs.getLong("blks_read"))
                        .setBlksHit(rs.getLong("blks_hit"))
                        .setTupReturned(rs.getLong("tup_returned"))
                        .setTupFetched(rs.getLong("tup_fetched"))
                        .setTupInserted(rs.getLong("tup_inserted"))
                        .setTupUpdated(rs.getLong("tup_updated"))
                        .setTupDeleted(rs.getLong("tup_deleted"))
                        .setConflicts(rs.getLong("conflicts"))
                        .setTempFiles(rs.getLong("temp_files"))
                        .setTempBytes(rs.getLong("temp_bytes"))
                        .setDeadlocks(rs.getLong("deadlocks"))
                        .setChecksumFailures(nullableLong(rs, "checksum_failures"))
                        .setChecksumLastFailure(instant(rs, "checksum_last_failure"))
                        .setBlkReadTimeMs(rs.getDouble("blk_read_time"))
                        .setBlkWriteTimeMs(rs.getDouble("blk_write_time"))
                        .setStatsReset(instant(rs, "stats_reset"));
                if (serverVersionNum >= SESSIONS_SINCE) {
                    sample.setSessionTimeMs(nullableDouble(rs, "session_time"))
                            .setActiveTimeMs(nullableDouble(rs, "active_time"))
                            .setIdleInTransactionTimeMs(nullableDouble(rs, "idle_in_transaction_time"))
                            .setSessions(nullableLong(rs, "sessions"))
                            .setSessionsAbandoned(nullableLong(rs, "sessions_abandoned"))
                            .setSessionsFatal(nullableLong(rs, "sessions_fatal"))
                            .setSessionsKilled(nullableLong(rs, "sessions_killed"));
                }
                if (serverVersionNum >= PARALLEL_WORKERS_SINCE) {
                    sample.setParallelWorkersToLaunch(nullableLong(rs, "parallel_workers_to_launch"))
                            .setParallelWorkersLaunched(nullableLong(rs, "parallel_workers_launched"));
                }
                samples.add(sample.build());
            }
        }
        return samples;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static Double nullableDouble(ResultSet rs, String column) throws SQLException {
        double value = rs.getDouble(column);
        return rs.wasNull() ? null : value;
    }
}
