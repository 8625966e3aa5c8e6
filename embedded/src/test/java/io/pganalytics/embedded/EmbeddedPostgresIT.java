package io.pganalytics.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresIT {

    @TempDir
    static Path dataDir;

    static EmbeddedPostgres postgres;

    @BeforeAll
    static void start() {
        postgres = EmbeddedPostgres.builder()
                .dataDir(dataDir.resolve("pg"))
                .serverConfig("wal_writer_delay", "10ms")
                .start();
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void serverIsConfiguredForCdcAndQueryStatistics() throws SQLException {
        assertThat(setting("wal_level")).isEqualTo("logical");
        assertThat(setting("shared_preload_libraries")).isEqualTo("pg_stat_statements");
        assertThat(setting("max_wal_senders")).isEqualTo("10");
        assertThat(setting("max_replication_slots")).isEqualTo("10");
        assertThat(setting("listen_addresses")).isEqualTo("127.0.0.1");
        assertThat(setting("track_io_timing")).isEqualTo("on");
        assertThat(setting("wal_writer_delay")).isEqualTo("10ms");
        assertThat(setting("server_version_num")).startsWith("17");

        try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_statements")) {
                assertThat(rs.next()).isTrue();
            }
            // pgoutput ships with the server: creating a logical slot proves decoding works end to end.
            s.execute("SELECT pg_create_logical_replication_slot('it_slot', 'pgoutput')");
            s.execute("SELECT pg_drop_replication_slot('it_slot')");
        }
    }

    @Test
    void createDatabaseIfMissingIsIdempotentAndJdbcUrlConnects() throws SQLException {
        postgres.createDatabaseIfMissing("fleet");
        postgres.createDatabaseIfMissing("fleet");
        postgres.createDatabaseIfMissing("Mixed-Case \"db\"");

        assertThat(postgres.jdbcUrl("fleet")).isEqualTo("jdbc:postgresql://127.0.0.1:" + postgres.port() + "/fleet");
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("fleet"), postgres.user(), "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_database(), current_user")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("fleet");
            assertThat(rs.getString(2)).isEqualTo("postgres");
        }
        assertThat(query(postgres.dataSource("Mixed-Case \"db\""), "SELECT current_database()"))
                .isEqualTo("Mixed-Case \"db\"");
    }

    @Test
    void rowsSurviveARestartOnTheSameDirectory() throws SQLException {
        Path dir = dataDir.resolve("pg-restart");
        int port;
        try (EmbeddedPostgres first = EmbeddedPostgres.builder().dataDir(dir).start()) {
            port = first.port();
            first.createDatabaseIfMissing("kept");
            try (Connection c = first.dataSource("kept").getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE samples (id int PRIMARY KEY, v text)");
                s.execute("INSERT INTO samples VALUES (1, 'one'), (2, 'two')");
            }
        }
        try (EmbeddedPostgres second = EmbeddedPostgres.builder().dataDir(dir).port(port).start()) {
            assertThat(second.port()).isEqualTo(port);
            assertThat(query(second.dataSource("kept"), "SELECT string_agg(v, ',' ORDER BY id) FROM samples"))
                    .isEqualTo("one,two");
        }
    }

    private static String setting(String name) throws SQLException {
        return query(postgres.dataSource("postgres"), "SELECT current_setting('" + name + "')");
    }

    private static String query(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
