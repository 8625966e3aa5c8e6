package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.schemas.metrics.DatabaseSample;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The INSERT writer against a real PostgreSQL: table creation, statement limits, refused values, reconnection. */
class TimescaleWriterIT {

    private static final String DATABASE = "writer_it";

    @TempDir
    static Path dataDir;

    private static EmbeddedPostgres postgres;
    private static DataSource dataSource;

    @BeforeAll
    static void startPostgres() {
        postgres = EmbeddedPostgres.builder().dataDir(dataDir.resolve("postgres")).start();
        postgres.createDatabaseIfMissing(DATABASE);
        dataSource = postgres.dataSource(DATABASE);
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static DatabaseMetricsWriter writer(String table, int batchMaxRows) {
        return new DatabaseMetricsWriter(TimescaleSinkConfig.from(Map.of(
                "connection.url", postgres.jdbcUrl(DATABASE),
                "connection.user", postgres.user(),
                "schema.registry.url", "mock://unused",
                "table.name", table,
                "batch.max.rows", Integer.toString(batchMaxRows))));
    }

    private static List<DatabaseSample> samples(String target, int count) {
        return IntStream.range(0, count).mapToObj(n -> DatabaseSamples.sample(target, n)).toList();
    }

    private static long count(String table) throws SQLException {
        return queryLong("SELECT count(*) FROM " + table);
    }

    private static long queryLong(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theTableIsCreatedWithTheNaturalKeyAndWritingTwiceStoresOnce() throws SQLException {
        try (DatabaseMetricsWriter writer = writer("twice", 7)) {
            writer.open();
            assertThat(queryLong("SELECT count(*) FROM pg_constraint WHERE conrelid = 'twice'::regclass AND contype = 'p'"))
                    .isEqualTo(1);

            assertThat(writer.write(samples("t", 20))).isEqualTo(20);
            assertThat(writer.write(samples("t", 25))).isEqualTo(5);
        }
        assertThat(count("twice")).isEqualTo(25);
    }

    /** 1598 rows of 41 columns is 65518 bind parameters, just under PostgreSQL's 65535. */
    @Test
    void theLargestAllowedStatementIsAccepted() throws SQLException {
        int rows = DatabaseMetricsTable.MAX_ROWS_PER_STATEMENT;
        try (DatabaseMetricsWriter writer = writer("largest", rows)) {
            assertThat(writer.write(samples("t", 2 * rows + 3))).isEqualTo(2 * rows + 3);
        }
        assertThat(count("largest")).isEqualTo(2L * rows + 3);
    }

    @Test
    void nullableColumnsAcceptNullAndTimestampsKeepMicroseconds() throws SQLException {
        DatabaseSample sparse = DatabaseSample.newBuilder(DatabaseSamples.sample("t", 0))
                .setDatname(null).setSessionTimeMs(null).setSessions(null).setStatsReset(null)
                .setChecksumLastFailure(Instant.parse("2026-11-20T01:02:03.000004Z"))
                .setBlkReadTimeMs(Double.NaN)
                .build();
        try (DatabaseMetricsWriter writer = writer("sparse", 10)) {
            writer.write(List.of(sparse));
        }
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT datname, session_time_ms, sessions, stats_reset, "
                     + "checksum_last_failure, sampled_at, blk_read_time_ms FROM sparse")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("datname")).isNull();
            assertThat(rs.getObject("session_time_ms")).isNull();
            assertThat(rs.getObject("sessions")).isNull();
            assertThat(rs.getObject("stats_reset")).isNull();
            assertThat(rs.getObject("checksum_last_failure", java.time.OffsetDateTime.class).toInstant())
                    .isEqualTo(Instant.parse("2026-11-20T01:02:03.000004Z"));
            assertThat(rs.getObject("sampled_at", java.time.OffsetDateTime.class).toInstant())
                    .isEqualTo(DatabaseSamples.FIRST_SAMPLE_AT);
            assertThat(rs.getDouble("blk_read_time_ms")).isNaN();
        }
    }

    @Test
    void aValuePostgresqlRefusesFailsTheWholeBatchAsBadData() throws SQLException {
        List<DatabaseSample> batch = new ArrayList<>(samples("t", 3));
        batch.add(DatabaseSample.newBuilder(DatabaseSamples.sample("t", 9))
                .setSampledAt(Instant.parse("-5000-01-01T00:00:00Z")).build());
        try (DatabaseMetricsWriter writer = writer("refused", 10)) {
            assertThatThrownBy(() -> writer.write(batch))
                    .isInstanceOfSatisfying(SQLException.class,
                            e -> assertThat(SqlFailure.of(e)).isEqualTo(SqlFailure.BAD_DATA));
            // The connection is still usable and nothing of the failed batch was kept.
            assertThat(count("refused")).isZero();
            assertThat(writer.write(batch.subList(0, 3))).isEqualTo(3);

            DatabaseSample nulByte = DatabaseSample.newBuilder(DatabaseSamples.sample("t", 10)).setDatname("a\u0000b").build();
            assertThatThrownBy(() -> writer.write(List.of(nulByte)))
                    .isInstanceOfSatisfying(SQLException.class,
                            e -> assertThat(SqlFailure.of(e)).isEqualTo(SqlFailure.BAD_DATA));
        }
    }

    @Test
    void aKilledConnectionIsATransientFailureAndTheNextWriteReconnects() throws SQLException {
        try (DatabaseMetricsWriter writer = writer("reconnect", 10)) {
            writer.write(samples("t", 1));
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        + "WHERE application_name = 'pganalytics-timescale-sink' AND datname = '" + DATABASE + "'");
            }

            assertThatThrownBy(() -> writer.write(samples("t", 2)))
                    .isInstanceOfSatisfying(SQLException.class,
                            e -> assertThat(SqlFailure.of(e)).isEqualTo(SqlFailure.TRANSIENT));
            assertThat(writer.write(samples("t", 2))).isEqualTo(1);
        }
        assertThat(count("reconnect")).isEqualTo(2);
    }

    @Test
    void anExistingTableWithoutAColumnOfTheContractIsRefusedAtOpen() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE older (target_id text, datid bigint, sampled_at timestamptz, "
                    + "PRIMARY KEY (target_id, datid, sampled_at))");
        }
        try (DatabaseMetricsWriter writer = writer("older", 10)) {
            assertThatThrownBy(writer::open)
                    .hasMessageStartingWith("table older lacks columns [collector_id, server_version_num,")
                    .hasMessageContaining("ALTER TABLE older ADD COLUMN");
        }
    }
}
