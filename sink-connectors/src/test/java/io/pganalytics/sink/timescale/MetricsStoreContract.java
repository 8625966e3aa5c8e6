package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.rollups.Aggregate;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.sink.timescale.RecordRows.Row;
import io.pganalytics.sink.timescale.RowWriter.WriteResult;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What every metrics store must do, whatever its SQL: one abstract suite, a subclass per store
 * ({@link PostgresMetricsStoreIT}, {@link TimescaleMetricsStoreIT}). Each test writes to its own family topic, so to
 * its own table.
 */
abstract class MetricsStoreContract {

    private static final String SCOPE = "metrics-store-contract";
    /** A second registry for changed schemas, which a registry enforcing compatibility would refuse. */
    private static final String CHANGED_SCOPE = "metrics-store-contract-changed";
    private final ConnectRecords records = new ConnectRecords(SCOPE);
    private final ConnectRecords changedRecords = new ConnectRecords(CHANGED_SCOPE);
    private final RecordRows recordRows = new RecordRows();

    /** JDBC URL of an empty database on the store under test. */
    abstract String jdbcUrl();

    abstract String user();

    /** The name {@link MetricsStore#name()} must report for this store. */
    abstract String expectedStore();

    /**
     * Asserts that data older than {@code retention.days} is dropped (or will be, by a policy) for the table, which
     * holds a row of a year ago, one of tomorrow and one within the retention.
     */
    abstract void assertRetentionApplies(Connection c, String table) throws SQLException;

    @AfterAll
    static void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
        InMemorySchemaRegistry.drop(CHANGED_SCOPE);
    }

    MetricsStoreWriter writer(String... keyValues) {
        Map<String, String> props = new HashMap<>(Map.of("name", "contract", "connection.url", jdbcUrl(),
                "connection.user", user(), "retention.days", "30"));
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        return new MetricsStoreWriter(TimescaleSinkConfig.from(props));
    }

    List<Row> rows(String family, List<? extends org.apache.avro.generic.GenericContainer> values) {
        List<Row> rows = new ArrayList<>();
        for (var value : values) {
            ConnectRecords via = value instanceof DatabaseSample ? records : changedRecords;
            rows.addAll(recordRows.rowsOf(via.record("pga.metrics." + family, 0, 0, value)));
        }
        return rows;
    }

    static List<DatabaseSample> samples(int from, int to) {
        return IntStream.range(from, to).mapToObj(n -> DatabaseSamples.sample("t", n)).toList();
    }

    long queryLong(String sql) throws SQLException {
        try (Connection c = connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    Connection connection() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), user(), null);
    }

    @Test
    void theStoreIsRecognised() throws SQLException {
        try (MetricsStoreWriter writer = writer()) {
            writer.open();
            assertThat(writer.store().name()).isEqualTo(expectedStore());
        }
    }

    @Test
    void aFamilyTableIsCreatedWithItsNaturalKeyAndRowsArriveIntact() throws SQLException {
        DatabaseSample sparse = DatabaseSample.newBuilder(DatabaseSamples.sample("t", 0))
                .setDatname(null).setSessions(null).setBlkReadTimeMs(Double.NaN)
                .setChecksumLastFailure(Instant.parse("2026-11-20T01:02:03.000004Z")).build();
        try (MetricsStoreWriter writer = writer()) {
            WriteResult result = writer.write(rows("intact", List.of(sparse)), Map.of(), false);
            assertThat(result.inserted()).isEqualTo(1);
        }
        assertThat(queryLong("SELECT count(*) FROM pg_constraint WHERE conrelid = 'intact_metrics'::regclass AND contype = 'p'"))
                .isEqualTo(1);
        try (Connection c = connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM intact_metrics")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("target_id")).isEqualTo("t");
            assertThat(rs.getObject("sampled_at", OffsetDateTime.class).toInstant()).isEqualTo(DatabaseSamples.FIRST_SAMPLE_AT);
            assertThat(rs.getObject("checksum_last_failure", OffsetDateTime.class).toInstant())
                    .isEqualTo(Instant.parse("2026-11-20T01:02:03.000004Z"));
            assertThat(rs.getString("datname")).isNull();
            assertThat(rs.getObject("sessions")).isNull();
            assertThat(rs.getDouble("blk_read_time_ms")).isNaN();
            assertThat(rs.getInt("numbackends")).isEqualTo(3);
            assertThat(rs.getLong("blks_read")).isEqualTo(5_000_000_000L);
            assertThat(rs.getDouble("session_time_ms")).isEqualTo(86_400_000.75);
            assertThat(rs.next()).isFalse();
        }
    }

    @Test
    void rowsAndTheirOffsetsAreStoredTogether() throws SQLException {
        TopicPartition p3 = new TopicPartition("pga.metrics.offsets", 3);
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("offsets", samples(0, 10)), Map.of(p3, 10L), false);
            writer.write(rows("offsets", samples(10, 12)), Map.of(p3, 12L), false);

            assertThat(writer.storedOffsets(List.of(p3, new TopicPartition("pga.metrics.offsets", 4))))
                    .containsExactly(Map.entry(p3, 12L));
        }
        assertThat(queryLong("SELECT count(*) FROM offsets_metrics")).isEqualTo(12);
    }

    @Test
    void copyMeetingStoredRowsFallsBackToOnConflictAndStoresOnlyTheNewOnes() throws SQLException {
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("conflict", samples(0, 20)), Map.of(), false);

            WriteResult replay = writer.write(rows("conflict", samples(0, 25)), Map.of(), false);

            assertThat(replay).isEqualTo(new WriteResult(5, 20, true));
        }
        assertThat(queryLong("SELECT count(*) FROM conflict_metrics")).isEqualTo(25);
    }

    @Test
    void insertIgnoreModeKeepsNoOffsetsAndSkipsStoredRows() throws SQLException {
        try (MetricsStoreWriter writer = writer("write.mode", "insert-ignore")) {
            assertThat(writer.write(rows("ignore", samples(0, 3)), Map.of(new TopicPartition("x", 0), 3L), false).inserted())
                    .isEqualTo(3);
            assertThat(writer.write(rows("ignore", samples(0, 4)), Map.of(), false)).isEqualTo(new WriteResult(1, 3, false));
        }
        assertThat(queryLong("SELECT count(*) FROM ignore_metrics")).isEqualTo(4);
    }

    @Test
    void aNewOptionalFieldAddsAColumnAndOlderRowsReadNull() throws SQLException {
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("evolve", samples(0, 2)), Map.of(), false);
            GenericRecord newer = withExtraField(DatabaseSamples.sample("t", 5), "walBytes",
                    Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.LONG)), JsonProperties.NULL_VALUE, 42L);

            writer.write(rows("evolve", List.of(newer)), Map.of(), false);
        }
        assertThat(queryLong("SELECT count(*) FROM evolve_metrics WHERE wal_bytes IS NULL")).isEqualTo(2);
        assertThat(queryLong("SELECT wal_bytes FROM evolve_metrics WHERE wal_bytes IS NOT NULL")).isEqualTo(42);
    }

    @Test
    void aChangedTypeStopsTheWriterNamingTableColumnAndTypes() throws SQLException {
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("retyped", samples(0, 1)), Map.of(), false);
            GenericRecord retyped = retype(DatabaseSamples.sample("t", 1), "numbackends", Schema.create(Schema.Type.LONG), 3L);

            assertThatThrownBy(() -> writer.write(rows("retyped", List.of(retyped)), Map.of(), false))
                    .isInstanceOf(ConnectException.class)
                    .hasMessage("incompatible schema for retyped_metrics: table retyped_metrics column numbackends is "
                            + "integer but field numbackends is now bigint");
        }
        assertThat(queryLong("SELECT count(*) FROM retyped_metrics")).isEqualTo(1);
    }

    @Test
    void aNewRequiredFieldStopsTheWriter() throws SQLException {
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("required", samples(0, 1)), Map.of(), false);
            GenericRecord newer = withExtraField(DatabaseSamples.sample("t", 5), "walBytes", Schema.create(Schema.Type.LONG),
                    null, 42L);

            assertThatThrownBy(() -> writer.write(rows("required", List.of(newer)), Map.of(), false))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageStartingWith("incompatible schema for required_metrics: table required_metrics has no column "
                            + "wal_bytes for the required field walBytes (bigint NOT NULL)");
        }
    }

    @Test
    void rowsOfAnyDayAreStoredAndRetentionApplies() throws SQLException {
        DatabaseSample yearAgo = DatabaseSample.newBuilder(DatabaseSamples.sample("t", 0))
                .setSampledAt(Instant.now().minusSeconds(400L * 86_400)).build();
        DatabaseSample tomorrow = DatabaseSample.newBuilder(DatabaseSamples.sample("t", 1))
                .setSampledAt(Instant.now().plusSeconds(86_400)).build();
        try (MetricsStoreWriter writer = writer()) {
            writer.write(rows("days", List.of(yearAgo, tomorrow, DatabaseSamples.sample("t", 2))), Map.of(), false);
        }
        // The year-old row is the store's to keep or drop: TimescaleDB's scheduler runs a new retention policy at
        // once, in a background worker, so it may already be gone (assertRetentionApplies says which).
        assertThat(queryLong("SELECT count(*) FROM days_metrics WHERE sampled_at > now() - interval '30 days'"))
                .isEqualTo(2);
        try (Connection c = connection()) {
            assertRetentionApplies(c, "days_metrics");
        }
    }

    @Test
    void rollupsGoToTheirLongTableOneRowPerMetricAndAReplayChangesNothing() throws SQLException {
        Rollup rollup = Rollup.newBuilder().setFamily("database").setCollectorId("c1").setTargetId("t")
                .setSeries(Map.of("datid", "5")).setResolution("1m")
                .setWindowStart(Instant.parse("2026-11-22T10:00:00Z")).setWindowEnd(Instant.parse("2026-11-22T10:01:00Z"))
                .setMetrics(Map.of("numbackends", aggregate(3), "xactCommitPerSec", aggregate(120.5)))
                .build();
        List<Row> rows = recordRows.rowsOf(records.record("pga.rollups.contract.1m", 0, 0, rollup));
        try (MetricsStoreWriter writer = writer()) {
            assertThat(writer.write(rows, Map.of(), false).inserted()).isEqualTo(2);
            assertThat(writer.write(rows, Map.of(), false)).isEqualTo(new WriteResult(0, 2, true));
        }
        try (Connection c = connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count, p95, series->>'datid', window_end, sketch FROM contract_rollups_1m "
                        + "WHERE metric = 'xactCommitPerSec' AND target_id = 't'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(10);
            assertThat(rs.getDouble(2)).isEqualTo(120.5);
            assertThat(rs.getString(3)).isEqualTo("5");
            assertThat(rs.getObject(4, OffsetDateTime.class).toInstant()).isEqualTo(Instant.parse("2026-11-22T10:01:00Z"));
            assertThat(rs.getBytes(5)).containsExactly(1, 2, 3);
        }
    }

    private static Aggregate aggregate(double value) {
        return Aggregate.newBuilder().setCount(10).setMin(value).setMax(value).setSum(10 * value).setMean(value)
                .setLast(value).setP50(value).setP95(value).setP99(value)
                .setSketch(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})).build();
    }

    // ---- schema variations of DatabaseSample, as a collector of a newer or broken version would register them ----

    static GenericRecord withExtraField(DatabaseSample sample, String name, Schema type, Object defaultValue, Object value) {
        List<Schema.Field> fields = copyFields(sample.getSchema(), null, null);
        Schema.Field extra = new Schema.Field(name, type, null, defaultValue);
        extra.addProp("pga.role", "gauge");
        fields.add(extra);
        Schema schema = record(sample.getSchema(), fields);
        GenericRecord record = copy(sample, schema);
        record.put(name, value);
        return record;
    }

    static GenericRecord retype(DatabaseSample sample, String field, Schema type, Object value) {
        Schema schema = record(sample.getSchema(), copyFields(sample.getSchema(), field, type));
        GenericRecord record = copy(sample, schema);
        record.put(field, value);
        return record;
    }

    private static List<Schema.Field> copyFields(Schema schema, String retyped, Schema type) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            fields.add(f.name().equals(retyped) ? new Schema.Field(f, type) : new Schema.Field(f, f.schema()));
        }
        return fields;
    }

    private static Schema record(Schema original, List<Schema.Field> fields) {
        Schema schema = Schema.createRecord(original.getName(), original.getDoc(), original.getNamespace(), false, fields);
        original.getObjectProps().forEach(schema::addProp);
        return schema;
    }

    private static GenericRecord copy(DatabaseSample sample, Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        for (Schema.Field f : sample.getSchema().getFields()) {
            Object value = sample.get(f.pos());
            record.put(f.name(), value instanceof Instant instant
                    ? instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000 : value);
        }
        return record;
    }
}
