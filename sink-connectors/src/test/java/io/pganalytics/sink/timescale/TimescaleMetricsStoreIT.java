package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.ResultSet;
import org.junit.jupiter.api.BeforeEach;

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

    /** Retention is TimescaleDB's background job: check the hypertable and its policies exist. */
    @Override
    void assertRetentionApplies(Connection c, String table) throws SQLException {
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
}
