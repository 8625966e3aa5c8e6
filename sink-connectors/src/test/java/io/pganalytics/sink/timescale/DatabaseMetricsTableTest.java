package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.metrics.DatabaseSample;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class DatabaseMetricsTableTest {

    private final DatabaseMetricsTable table = DatabaseMetricsTable.named("database_metrics");

    /** The table is part of the contract dashboards query: a change to it must be a deliberate change here. */
    @Test
    void createTableSqlDeclaresOneTypedColumnPerFieldAndTheNaturalKey() {
        assertThat(table.createTableSql()).isEqualTo("""
                CREATE TABLE IF NOT EXISTS database_metrics (
                    collector_id text NOT NULL,
                    target_id text NOT NULL,
                    sampled_at timestamptz NOT NULL,
                    server_version_num integer NOT NULL,
                    datid bigint NOT NULL,
                    datname text,
                    numbackends integer NOT NULL,
                    xact_commit bigint NOT NULL,
                    xact_rollback bigint NOT NULL,
                    blks_read bigint NOT NULL,
                    blks_hit bigint NOT NULL,
                    tup_returned bigint NOT NULL,
                    tup_fetched bigint NOT NULL,
                    tup_inserted bigint NOT NULL,
                    tup_updated bigint NOT NULL,
                    tup_deleted bigint NOT NULL,
                    conflicts bigint NOT NULL,
                    temp_files bigint NOT NULL,
                    temp_bytes bigint NOT NULL,
                    deadlocks bigint NOT NULL,
                    checksum_failures bigint,
                    checksum_last_failure timestamptz,
                    blk_read_time_ms double precision NOT NULL,
                    blk_write_time_ms double precision NOT NULL,
                    session_time_ms double precision,
                    active_time_ms double precision,
                    idle_in_transaction_time_ms double precision,
                    sessions bigint,
                    sessions_abandoned bigint,
                    sessions_fatal bigint,
                    sessions_killed bigint,
                    parallel_workers_to_launch bigint,
                    parallel_workers_launched bigint,
                    stats_reset timestamptz,
                    size_bytes bigint,
                    confl_tablespace bigint,
                    confl_lock bigint,
                    confl_snapshot bigint,
                    confl_bufferpin bigint,
                    confl_deadlock bigint,
                    confl_active_logicalslot bigint,
                    PRIMARY KEY (target_id, datid, sampled_at)
                )""");
    }

    @Test
    void everyAvroFieldHasAColumnThatIsNotNullExactlyWhenTheFieldIsNotNullable() {
        var fields = DatabaseSample.getClassSchema().getFields();
        assertThat(table.columns()).hasSameSizeAs(fields);
        for (int i = 0; i < fields.size(); i++) {
            Schema.Field field = fields.get(i);
            DatabaseMetricsTable.Column column = table.columns().get(i);
            assertThat(column.fieldIndex()).isEqualTo(field.pos());
            assertThat(column.nullable()).as(field.name()).isEqualTo(field.schema().isNullable());
        }
    }

    @Test
    void insertSqlHasOneRowOfPlaceholdersPerSampleAndSkipsStoredKeys() {
        String sql = table.insertSql(2);
        int columns = table.columns().size();

        assertThat(sql).startsWith("INSERT INTO database_metrics (collector_id, target_id, sampled_at, ");
        assertThat(sql).endsWith(" ON CONFLICT (target_id, datid, sampled_at) DO NOTHING");
        assertThat(sql.chars().filter(c -> c == '?').count()).isEqualTo(2L * columns);
        assertThat(sql).contains("?), (?");
    }

    @Test
    void insertSqlRejectsMoreRowsThanPostgresqlHasBindParametersFor() {
        assertThat(DatabaseMetricsTable.MAX_ROWS_PER_STATEMENT * table.columns().size()).isLessThanOrEqualTo(65_535);
        assertThat(table.insertSql(DatabaseMetricsTable.MAX_ROWS_PER_STATEMENT)).isNotEmpty();
        assertThatThrownBy(() -> table.insertSql(DatabaseMetricsTable.MAX_ROWS_PER_STATEMENT + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> table.insertSql(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hypertableSqlPartitionsBySampleTimeAndToleratesAnExistingHypertable() {
        assertThat(DatabaseMetricsTable.named("metrics.database_metrics").createHypertableSql()).isEqualTo(
                "SELECT create_hypertable('metrics.database_metrics', 'sampled_at', chunk_time_interval => "
                        + "INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)");
    }

    @Test
    void avroFieldNamesBecomeSnakeCaseColumns() {
        assertThat(DatabaseMetricsTable.snakeCase("idleInTransactionTimeMs")).isEqualTo("idle_in_transaction_time_ms");
        assertThat(DatabaseMetricsTable.snakeCase("datid")).isEqualTo("datid");
        assertThat(DatabaseMetricsTable.snakeCase("serverVersionNum")).isEqualTo("server_version_num");
    }

    @Test
    void onlyPlainLowerCaseIdentifiersAreTableNames() {
        assertThat(DatabaseMetricsTable.isValidName("database_metrics")).isTrue();
        assertThat(DatabaseMetricsTable.isValidName("metrics.database_metrics")).isTrue();
        assertThat(DatabaseMetricsTable.isValidName("Database_Metrics")).isFalse();
        assertThat(DatabaseMetricsTable.isValidName("a.b.c")).isFalse();
        assertThat(DatabaseMetricsTable.isValidName("x; DROP TABLE y")).isFalse();
        assertThat(DatabaseMetricsTable.isValidName("1table")).isFalse();
        assertThat(DatabaseMetricsTable.isValidName("t".repeat(64))).isFalse();
        assertThat(DatabaseMetricsTable.isValidName("")).isFalse();
    }

    @Test
    void unionsOtherThanNullableAreRefused() {
        Schema record = new Schema.Parser().parse("""
                {"type": "record", "name": "R", "fields": [
                  {"name": "either", "type": ["int", "string"]}]}""");
        assertThatThrownBy(() -> DatabaseMetricsTable.columnsOf(record))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("R.either");
    }
}
