package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TableLayoutTest {

    private static final String SCOPE = "table-layout-test";
    private final ConnectRecords records = new ConnectRecords(SCOPE);

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    private Schema connectSchemaOfDatabaseSample() {
        return records.connectData(Topics.METRICS_DATABASE, DatabaseSamples.sample("t", 0)).schema();
    }

    /** dashboards/databases.json queries this table: a change to it must be a deliberate change here. */
    @Test
    void theDatabaseFamilyGetsOneTypedColumnPerFieldAndItsNaturalKey() {
        TableLayout layout = TableLayout.forMetrics("database_metrics", connectSchemaOfDatabaseSample());

        assertThat(layout.columnsDdl()).isEqualTo("""
                (
                    "collector_id" text NOT NULL,
                    "target_id" text NOT NULL,
                    "sampled_at" timestamptz NOT NULL,
                    "server_version_num" integer NOT NULL,
                    "datid" bigint NOT NULL,
                    "datname" text,
                    "numbackends" integer NOT NULL,
                    "xact_commit" bigint NOT NULL,
                    "xact_rollback" bigint NOT NULL,
                    "blks_read" bigint NOT NULL,
                    "blks_hit" bigint NOT NULL,
                    "tup_returned" bigint NOT NULL,
                    "tup_fetched" bigint NOT NULL,
                    "tup_inserted" bigint NOT NULL,
                    "tup_updated" bigint NOT NULL,
                    "tup_deleted" bigint NOT NULL,
                    "conflicts" bigint NOT NULL,
                    "temp_files" bigint NOT NULL,
                    "temp_bytes" bigint NOT NULL,
                    "deadlocks" bigint NOT NULL,
                    "checksum_failures" bigint,
                    "checksum_last_failure" timestamptz,
                    "blk_read_time_ms" double precision NOT NULL,
                    "blk_write_time_ms" double precision NOT NULL,
                    "session_time_ms" double precision,
                    "active_time_ms" double precision,
                    "idle_in_transaction_time_ms" double precision,
                    "sessions" bigint,
                    "sessions_abandoned" bigint,
                    "sessions_fatal" bigint,
                    "sessions_killed" bigint,
                    "parallel_workers_to_launch" bigint,
                    "parallel_workers_launched" bigint,
                    "stats_reset" timestamptz,
                    "size_bytes" bigint,
                    "confl_tablespace" bigint,
                    "confl_lock" bigint,
                    "confl_snapshot" bigint,
                    "confl_bufferpin" bigint,
                    "confl_deadlock" bigint,
                    "confl_active_logicalslot" bigint,
                    PRIMARY KEY ("target_id", "datid", "sampled_at")
                )""");
        assertThat(layout.timeColumn()).isEqualTo("sampled_at");
    }

    @Test
    void theDerivedMetricsSchemaAddsADeltaAndARateColumnPerCounter() {
        MetricFamily database = MetricFamilies.byName("database").orElseThrow();
        GenericRecord metrics = new GenericData.Record(database.metricsSchema());
        var sample = DatabaseSamples.sample("t", 0);
        for (org.apache.avro.Schema.Field field : sample.getSchema().getFields()) {
            Object value = sample.get(field.pos());
            // A generic record carries timestamp-micros as a long, where the generated class has an Instant.
            metrics.put(field.name(), value instanceof java.time.Instant instant
                    ? instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000 : value);
        }
        TableLayout layout = TableLayout.forMetrics("database_metrics",
                records.connectData(Topics.METRICS_DATABASE, metrics).schema());

        assertThat(layout.columnNames()).contains("xact_commit_delta", "xact_commit_per_sec", "interval_seconds", "baseline");
        assertThat(layout.columns()).filteredOn(c -> c.name().equals("xact_commit_per_sec")).singleElement()
                .satisfies(c -> {
                    assertThat(c.type()).isEqualTo(ColumnType.DOUBLE_PRECISION);
                    assertThat(c.nullable()).isTrue();
                });
        assertThat(layout.primaryKey()).containsExactly("target_id", "datid", "sampled_at");
    }

    @Test
    void topicsNameTheirTables() {
        assertThat(TableLayout.tableFor("pga.metrics.database")).isEqualTo("database_metrics");
        assertThat(TableLayout.tableFor("pga.metrics.query-stats")).isEqualTo("query_stats_metrics");
        assertThat(TableLayout.tableFor("pga.rollups.database.1m")).isEqualTo("database_rollups_1m");
        assertThat(TableLayout.tableFor("pga.rollups.database.1h")).isEqualTo("database_rollups_1h");
        assertThatThrownBy(() -> TableLayout.tableFor("pga.fleet.status"))
                .hasMessageStartingWith("topic pga.fleet.status: the metrics sink reads");
    }

    @Test
    void rollupsGoToALongTableKeyedBySeriesMetricAndWindow() {
        TableLayout layout = TableLayout.forRollups("database_rollups_1m");

        assertThat(layout.primaryKey()).containsExactly("target_id", "series", "metric", "window_start");
        assertThat(layout.timeColumn()).isEqualTo("window_start");
        assertThat(layout.columnNames()).containsExactly("target_id", "collector_id", "series", "metric", "window_start",
                "window_end", "count", "min", "max", "sum", "mean", "last", "p50", "p95", "p99", "sketch");
    }

    @Test
    void aRecordWithoutTheIdentityFieldsHasNoTable() {
        Schema noTarget = SchemaBuilder.struct().name("x.Bad")
                .field("sampledAt", SchemaBuilder.int64().parameter("avro.logicalType", "timestamp-micros").build())
                .build();
        assertThatThrownBy(() -> TableLayout.forMetrics("bad_metrics", noTarget))
                .hasMessageContaining("x.Bad: a metric family record needs a required STRING field targetId");
    }

    @Test
    void fieldsWithoutAColumnTypeAreNamed() {
        Schema nested = SchemaBuilder.struct().name("x.Nested")
                .field("targetId", Schema.STRING_SCHEMA)
                .field("sampledAt", SchemaBuilder.int64().parameter("avro.logicalType", "timestamp-micros").build())
                .field("inner", SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build())
                .build();
        assertThatThrownBy(() -> TableLayout.forMetrics("nested_metrics", nested))
                .hasMessage("x.Nested.inner: no PostgreSQL column type for Connect STRUCT");
    }

    @Test
    void fieldNamesBecomeSnakeCase() {
        assertThat(TableLayout.snakeCase("idleInTransactionTimeMs")).isEqualTo("idle_in_transaction_time_ms");
        assertThat(TableLayout.snakeCase("datid")).isEqualTo("datid");
    }
}
