package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The metrics store contract on TimescaleDB: hypertables, compression, retention policy. TimescaleDB cannot be
 * installed on the build machines (no package, no Maven artifact), so this runs only against a server named by the
 * environment variable {@code PGA_TIMESCALEDB_URL} (a JDBC URL of an empty database with the extension, user in
 * {@code PGA_TIMESCALEDB_USER}); otherwise every test is reported as skipped, not passed.
 */
class TimescaleMetricsStoreIT extends MetricsStoreContract {

    private static final String URL = System.getenv("PGA_TIMESCALEDB_URL");
    private static final String USER = System.getenv().getOrDefault("PGA_TIMESCALEDB_USER", "postgres");

    /** Per test, not per class: Failsafe then reports each test as skipped, where a class-level skip counts none. */
    @BeforeEach
    void requireTimescaleDb() {
        assumeTrue(URL != null, "TimescaleDB contract skipped: set PGA_TIMESCALEDB_URL to a database with the "
                + "timescaledb extension (not installable on the build machines)");
    }

    @Override
    String jdbcUrl() {
        return URL;
    }

    @Override
    String user() {
        return USER;
    }

    @Override
    String expectedStore() {
        return "timescaledb";
    }

    /**
     * Retention is TimescaleDB's background job: the hypertable and its policies exist, and the retention job, run
     * now (the scheduler may have run it already), leaves the two rows within the retention.
     */
    @Override
    void assertRetentionApplies(Connection c, String table) throws SQLException {
        runJob(table, "policy_retention");
        assertThat(queryLong("SELECT count(*) FROM " + table)).isEqualTo(2);
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name = '" + table + "' "
                        + "AND proc_name IN ('policy_retention', 'policy_compression')")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(2);
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = '" + table + "'")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1);
        }
    }

    /**
     * The policies' effect, not only their existence: TimescaleDB's background workers run them on their own
     * schedule, so the test runs each job now ({@code CALL run_job}), as the scheduler would. Retention drops the
     * chunk past {@code retention.days}; compression compresses the one past {@code timescaledb.compress.after.days}
     * and its rows read back intact; a replay of rows whose chunk is compressed stores nothing twice.
     */
    @Test
    void thePoliciesDropExpiredChunksAndCompressOldOnesAndAReplayIntoACompressedChunkChangesNothing()
            throws SQLException {
        Instant now = Instant.now();
        DatabaseSample yearAgo = sampleAt(0, now.minusSeconds(400L * 86_400));
        DatabaseSample tenDaysAgo = sampleAt(1, now.minusSeconds(10L * 86_400));
        DatabaseSample anHourAgo = sampleAt(2, now.minusSeconds(3_600));
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("policies", List.of(yearAgo, tenDaysAgo, anHourAgo)), Map.of(), false);
        }

        // The scheduler also runs each new policy at once, so the year-old row may be gone already.
        runJob("policies_metrics", "policy_retention");
        assertThat(queryLong("SELECT count(*) FROM policies_metrics WHERE sampled_at < now() - interval '30 days'"))
                .as("the year-old row's chunk dropped").isZero();
        assertThat(queryLong("SELECT count(*) FROM policies_metrics")).isEqualTo(2);

        runJob("policies_metrics", "policy_compression");
        assertThat(queryLong("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = "
                + "'policies_metrics' AND is_compressed")).as("the ten-day-old chunk compressed").isEqualTo(1);
        assertThat(queryLong("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = "
                + "'policies_metrics' AND NOT is_compressed")).as("the recent chunk left as is").isEqualTo(1);
        assertThat(queryLong("SELECT xact_commit FROM policies_metrics WHERE sampled_at < now() - interval '9 days'"))
                .as("a compressed row reads back").isEqualTo(tenDaysAgo.getXactCommit());

        try (MetricsStoreWriter writer = writer()) {
            assertThat(writer.write(rows("policies", List.of(tenDaysAgo, anHourAgo)), Map.of(), false).inserted())
                    .as("a replay over a compressed chunk").isZero();
        }
        assertThat(queryLong("SELECT count(*) FROM policies_metrics")).isEqualTo(2);
    }

    private static DatabaseSample sampleAt(int n, Instant at) {
        return DatabaseSample.newBuilder(DatabaseSamples.sample("t", n)).setSampledAt(at).build();
    }

    /** Runs a table's policy job now, in this session, as TimescaleDB's scheduler would in a background worker. */
    private void runJob(String table, String proc) throws SQLException {
        long job;
        try (Connection c = connection(); PreparedStatement q = c.prepareStatement("SELECT job_id FROM "
                + "timescaledb_information.jobs WHERE hypertable_name = ? AND proc_name = ?")) {
            q.setString(1, table);
            q.setString(2, proc);
            try (ResultSet rs = q.executeQuery()) {
                assertThat(rs.next()).as("%s job of %s", proc, table).isTrue();
                job = rs.getLong(1);
            }
            try (Statement s = c.createStatement()) {
                s.execute("CALL run_job(" + job + ")");
            }
        }
    }
}
