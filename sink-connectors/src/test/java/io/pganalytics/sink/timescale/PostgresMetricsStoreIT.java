package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.testkit.EmbeddedStack;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The metrics store contract on plain PostgreSQL 17: day partitions, created ahead and on demand, dropped by retention. */
@EmbeddedStack(kafka = false, postgres = true, databases = PostgresMetricsStoreIT.DATABASE)
class PostgresMetricsStoreIT extends MetricsStoreContract {

    static final String DATABASE = "store_contract";

    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void startPostgres(EmbeddedPostgres postgres) {
        PostgresMetricsStoreIT.postgres = postgres;
    }

    @Override
    String jdbcUrl() {
        return postgres.jdbcUrl(DATABASE);
    }

    @Override
    String user() {
        return postgres.user();
    }

    @Override
    String expectedStore() {
        return "postgresql";
    }

    /**
     * Like TimescaleDB's policy job, retention acts on the next upkeep (each task's first batch, then hourly): a row
     * older than the retention may be written, and goes with its day partition then. Today's partition and the days
     * ahead exist.
     */
    @Override
    void assertRetentionApplies(Connection c, String table) throws SQLException {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String yearAgo = today.minusDays(400).toString().replace("-", "");
        try (MetricsStoreWriter upkeep = writer()) {
            upkeep.write(rows(table.substring(0, table.length() - "_metrics".length()), samples(3, 4)), Map.of(), false);
        }
        assertThat(partitions(c, table))
                .contains(table + "_p" + today.toString().replace("-", ""),
                        table + "_p" + today.plusDays(3).toString().replace("-", ""))
                .noneMatch(p -> p.endsWith(yearAgo));
        assertThat(queryLong("SELECT count(*) FROM " + table)).isEqualTo(3);
    }

    @Test
    void retentionDropsDayPartitionsOlderThanItsDaysOnTheNextUpkeep() throws SQLException {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        try (MetricsStoreWriter writer = writer("retention.days", "0")) {
            writer.write(rows("retained", List.of(
                    io.pganalytics.schemas.metrics.DatabaseSample.newBuilder(DatabaseSamples.sample("t", 0))
                            .setSampledAt(today.minusDays(40).atStartOfDay().toInstant(ZoneOffset.UTC)).build())),
                    Map.of(), false);
        }
        assertThat(queryLong("SELECT count(*) FROM retained_metrics")).isEqualTo(1);

        try (MetricsStoreWriter writer = writer("retention.days", "30")) {
            writer.write(rows("retained", samples(0, 1)), Map.of(), false);
        }

        assertThat(queryLong("SELECT count(*) FROM retained_metrics")).as("the 40-day-old row went with its partition")
                .isEqualTo(1);
        try (Connection c = connection()) {
            assertThat(partitions(c, "retained_metrics")).noneMatch(p -> p.endsWith(today.minusDays(40).toString().replace("-", "")));
        }
    }

    @Test
    void theTableIsPartitionedByDayOnItsTimeColumn() throws SQLException {
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("partitioned", samples(0, 1)), Map.of(), false);
        }
        assertThat(queryLong("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'partitioned_metrics'::regclass"))
                .isEqualTo(1);
        assertThat(queryLong("SELECT count(*) FROM partitioned_metrics_p20261122")).isEqualTo(1);
    }

    private static List<String> partitions(Connection c, String table) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = '" + table + "'::regclass")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
