package io.pganalytics.platform.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pganalytics quickstart --metrics-store-url}: the sink writes into an existing database (here a PostgreSQL
 * of its own, as a user's would be), creating its tables there, and the embedded metrics database stays empty.
 */
class QuickstartExternalMetricsStoreIT {

    @TempDir
    Path dir;

    @Test
    void theSinkWritesIntoTheDatabaseGivenAndTheBannerSaysWhere() throws Exception {
        try (EmbeddedPostgres existing = EmbeddedPostgres.builder().dataDir(dir.resolve("existing")).start()) {
            existing.createDatabaseIfMissing("metrics");
            QuickstartOptions.MetricsStore store = new QuickstartOptions.MetricsStore(existing.jdbcUrl("metrics"),
                    existing.user(), null);
            try (QuickstartStack stack = QuickstartStack.start(QuickstartOptions.ephemeral(dir.resolve("quickstart"),
                    Duration.ofSeconds(1)).withMetricsStore(store))) {
                await("rows in the given database").atMost(Duration.ofSeconds(90))
                        .ignoreExceptionsInstanceOf(SQLException.class)
                        .until(() -> count(existing.jdbcUrl("metrics"), "database_metrics") > 0);

                assertThat(count(stack.postgres().jdbcUrl(QuickstartStack.METRICS_DATABASE),
                        "information_schema.tables WHERE table_name = 'database_metrics'"))
                        .as("no metrics table in the embedded database").isZero();
                assertThat(QuickstartCommand.banner(stack, Duration.ofSeconds(1)))
                        .contains("Metrics store " + existing.jdbcUrl("metrics") + " as postgres   (--metrics-store-url)");
            }
        }
    }

    /**
     * The same into a real TimescaleDB, where CI provides one ({@code PGA_TIMESCALEDB_URL}, see {@code .ci/run}): every
     * family's table becomes a hypertable with its policies (rollup tables appear only once a minute closes, and the
     * sink's contract test covers them). A database of its own on that
     * server, so that the sink's contract tests' tables are not in the way.
     */
    @Test
    void everyFamilyTableBecomesAHypertableWithItsPoliciesOnARealTimescaleDb() throws Exception {
        String url = System.getenv("PGA_TIMESCALEDB_URL");
        org.junit.jupiter.api.Assumptions.assumeTrue(url != null, "TimescaleDB case skipped: set PGA_TIMESCALEDB_URL "
                + "to a database with the timescaledb extension (.ci/run does)");
        String user = System.getenv().getOrDefault("PGA_TIMESCALEDB_USER", "postgres");
        String database = "quickstart_" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url, user, null); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        String storeUrl = url.substring(0, url.lastIndexOf('/') + 1) + database;
        try (Connection c = DriverManager.getConnection(storeUrl, user, null); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION timescaledb");
        }
        try (QuickstartStack stack = QuickstartStack.start(QuickstartOptions.ephemeral(dir.resolve("quickstart"),
                Duration.ofSeconds(1)).withMetricsStore(new QuickstartOptions.MetricsStore(storeUrl, user, null)))) {
            await("rows in TimescaleDB").atMost(Duration.ofSeconds(90)).ignoreExceptionsInstanceOf(SQLException.class)
                    .until(() -> count(storeUrl, "database_metrics") > 0);
            await("every standard family's table").atMost(Duration.ofSeconds(60))
                    .until(() -> count(storeUrl, "information_schema.tables WHERE table_name LIKE '%\\_metrics'")
                            >= 10);
            assertThat(count(storeUrl, "information_schema.tables t WHERE table_schema = 'public' AND table_name LIKE "
                    + "'%\\_metrics' AND NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables h "
                    + "WHERE h.hypertable_name = t.table_name)")).as("metrics tables that are not hypertables").isZero();
            assertThat(count(storeUrl, "timescaledb_information.jobs WHERE hypertable_name = 'database_metrics' AND "
                    + "proc_name IN ('policy_retention', 'policy_compression')")).isEqualTo(2);
        }
    }

    private static long count(String jdbcUrl, String from) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, System.getenv().getOrDefault("PGA_TIMESCALEDB_USER",
                "postgres"), null);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + from)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
