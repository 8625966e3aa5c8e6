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

    private static long count(String jdbcUrl, String from) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", null);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + from)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
