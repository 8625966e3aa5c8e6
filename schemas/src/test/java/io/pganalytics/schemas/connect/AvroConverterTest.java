package io.pganalytics.schemas.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.schemas.serde.WireFormat;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AvroConverterTest {

    private static final String SCOPE = "avro-converter-test";
    private static final Map<String, Object> CONFIG = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
            AvroSerdeConfig.SPECIFIC_AVRO_READER, "true");

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    private static AvroConverter converter() {
        AvroConverter converter = new AvroConverter();
        converter.configure(CONFIG, false);
        return converter;
    }

    private static byte[] serialize(String topic, GenericContainer record) {
        AvroSerializer<GenericContainer> serializer = new AvroSerializer<>();
        serializer.configure(CONFIG, false);
        return serializer.serialize(topic, record);
    }

    private static DatabaseSample sample() {
        Instant now = Instant.parse("2026-11-03T10:15:30.123456Z");
        return DatabaseSample.newBuilder()
                .setCollectorId("c1").setTargetId("t1").setSampledAt(now).setServerVersionNum(170006)
                .setDatid(5).setDatname(null).setNumbackends(3)
                .setXactCommit(10).setXactRollback(1).setBlksRead(2).setBlksHit(300)
                .setTupReturned(4).setTupFetched(5).setTupInserted(6).setTupUpdated(7).setTupDeleted(8)
                .setConflicts(0).setTempFiles(0).setTempBytes(0).setDeadlocks(0)
                .setBlkReadTimeMs(1.5).setBlkWriteTimeMs(0.25).setSessions(12L)
                .setStatsReset(now.minus(1, ChronoUnit.DAYS)).build();
    }

    @Test
    void databaseSampleBecomesAStructAndRoundTripsToTheSameBytes() {
        byte[] bytes = serialize(Topics.METRICS_DATABASE, sample());
        AvroConverter converter = converter();

        SchemaAndValue connect = converter.toConnectData(Topics.METRICS_DATABASE, bytes);

        Schema schema = connect.schema();
        assertThat(schema.type()).isEqualTo(Schema.Type.STRUCT);
        assertThat(schema.name()).isEqualTo("io.pganalytics.schemas.metrics.DatabaseSample");
        assertThat(schema.field("xactCommit").schema().type()).isEqualTo(Schema.Type.INT64);
        assertThat(schema.field("xactCommit").schema().isOptional()).isFalse();
        // our own properties travel as parameters, so a sink can tell series fields and counters apart
        assertThat(schema.field("xactCommit").schema().parameters()).containsEntry("pga.role", "counter");
        assertThat(schema.field("datid").schema().parameters()).containsEntry("pga.role", "series");
        assertThat(schema.parameters()).containsEntry("pga.family", "database");
        assertThat(schema.field("datname").schema().isOptional()).isTrue();
        assertThat(schema.field("serverVersionNum").schema().type()).isEqualTo(Schema.Type.INT32);
        assertThat(schema.field("blkReadTimeMs").schema().type()).isEqualTo(Schema.Type.FLOAT64);
        Schema sampledAt = schema.field("sampledAt").schema();
        assertThat(sampledAt.type()).isEqualTo(Schema.Type.INT64);
        assertThat(sampledAt.parameters()).containsEntry(AvroConnectData.LOGICAL_TYPE_PARAMETER, "timestamp-micros");
        Struct struct = (Struct) connect.value();
        assertThat(struct.getString("collectorId")).isEqualTo("c1");
        assertThat(struct.getString("datname")).isNull();
        assertThat(struct.getInt64("sampledAt")) // micros since the epoch, nothing lost
                .isEqualTo(ChronoUnit.MICROS.between(Instant.EPOCH, sample().getSampledAt()));
        assertThat(struct.getInt64("sessions")).isEqualTo(12L);
        assertThat(struct.get("checksumFailures")).isNull();

        byte[] back = converter.fromConnectData(Topics.METRICS_DATABASE, schema, struct);

        assertThat(WireFormat.schemaId(back)).isEqualTo(WireFormat.schemaId(bytes));
        assertThat(back).isEqualTo(bytes);
        AvroDeserializer<DatabaseSample> deserializer = new AvroDeserializer<>();
        deserializer.configure(CONFIG, false);
        assertThat(deserializer.deserialize(Topics.METRICS_DATABASE, back)).isEqualTo(sample());
    }

    @Test
    void heartbeatTimestampsInMillisBecomeConnectTimestamps() {
        Heartbeat heartbeat = Heartbeat.newBuilder().setCollectorId("c1").setHostname("h").setVersion("v")
                .setStartedAt(Instant.ofEpochMilli(1_000)).setSentAt(Instant.ofEpochMilli(2_500)).setIntervalMillis(10_000)
                .setTargetsConfigured(2).setTargetsHealthy(1).setSamplesProduced(5).setSamplesFailed(1).build();
        byte[] bytes = serialize(Topics.FLEET_HEARTBEATS, heartbeat);
        AvroConverter converter = converter();

        SchemaAndValue connect = converter.toConnectData(Topics.FLEET_HEARTBEATS, bytes);

        assertThat(connect.schema().field("sentAt").schema().name()).isEqualTo(Timestamp.LOGICAL_NAME);
        assertThat(((Struct) connect.value()).get("sentAt")).isEqualTo(new java.util.Date(2_500));
        byte[] back = converter.fromConnectData(Topics.FLEET_HEARTBEATS, connect.schema(), connect.value());
        assertThat(back).isEqualTo(bytes);
        AvroDeserializer<Heartbeat> deserializer = new AvroDeserializer<>();
        deserializer.configure(CONFIG, false);
        assertThat(deserializer.deserialize(Topics.FLEET_HEARTBEATS, back)).isEqualTo(heartbeat);
    }

    @Test
    void connectTypesWithoutAPgAnalyticsSchemaRoundTrip() {
        Schema level = SchemaBuilder.string().name("t.Level")
                .parameter(AvroConnectData.ENUM_PARAMETER, "t.Level")
                .parameter(AvroConnectData.ENUM_PARAMETER + ".LOW", "LOW")
                .parameter(AvroConnectData.ENUM_PARAMETER + ".HIGH", "HIGH").build();
        Schema schema = SchemaBuilder.struct().name("t.Everything")
                .field("small", Schema.INT16_SCHEMA)
                .field("flag", Schema.OPTIONAL_BOOLEAN_SCHEMA)
                .field("ratio", Schema.FLOAT32_SCHEMA)
                .field("raw", Schema.BYTES_SCHEMA)
                .field("amount", Decimal.schema(2))
                .field("day", org.apache.kafka.connect.data.Date.SCHEMA)
                .field("at", Timestamp.SCHEMA)
                .field("level", level)
                .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
                .field("counts", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build())
                .field("inner", SchemaBuilder.struct().name("t.Inner").optional().field("x", Schema.INT32_SCHEMA).build())
                .build();
        Struct value = new Struct(schema).put("small", (short) 7).put("flag", true).put("ratio", 0.5f)
                .put("raw", new byte[] {1, 2}).put("amount", new BigDecimal("12.34"))
                .put("day", new java.util.Date(86_400_000L * 3)).put("at", new java.util.Date(1_234))
                .put("level", "HIGH").put("tags", List.of("a", "b")).put("counts", Map.of("x", 1L))
                .put("inner", new Struct(schema.field("inner").schema()).put("x", 9));
        AvroConverter converter = converter();

        byte[] bytes = converter.fromConnectData("everything", schema, value);
        SchemaAndValue back = converter.toConnectData("everything", bytes);

        assertThat(back.schema().field("level").schema().parameters()).isEqualTo(level.parameters());
        Struct read = (Struct) back.value();
        assertThat(read.getInt16("small")).isEqualTo((short) 7);
        assertThat(read.get("amount")).isEqualTo(new BigDecimal("12.34"));
        assertThat(read.get("day")).isEqualTo(new java.util.Date(86_400_000L * 3));
        assertThat(read.get("at")).isEqualTo(new java.util.Date(1_234));
        assertThat(read.getString("level")).isEqualTo("HIGH");
        assertThat(read.getBytes("raw")).containsExactly(1, 2);
        assertThat(read.getArray("tags")).containsExactly("a", "b");
        assertThat(read.getMap("counts")).containsEntry("x", 1L);
        assertThat(read.getStruct("inner").getInt32("x")).isEqualTo(9);
        assertThat(back.schema().fields()).extracting(f -> f.name() + ":" + f.schema().type() + ":" + f.schema().name())
                .isEqualTo(schema.fields().stream().map(f -> f.name() + ":" + f.schema().type() + ":" + f.schema().name()).toList());
    }

    @Test
    void nullsAreTombstonesBothWays() {
        AvroConverter converter = converter();
        assertThat(converter.toConnectData("t", null)).isEqualTo(SchemaAndValue.NULL);
        assertThat(converter.fromConnectData("t", Schema.OPTIONAL_STRING_SCHEMA, null)).isNull();
    }

    @Test
    void bytesNotInWireFormatAreADataException() {
        assertThatThrownBy(() -> converter().toConnectData("t", "{\"json\":1}".getBytes()))
                .isInstanceOf(DataException.class).hasMessageContaining("magic byte");
    }

    @Test
    void primitivesUseAvroPrimitiveSchemas() {
        AvroConverter converter = converter();
        byte[] bytes = converter.fromConnectData("keys", Schema.STRING_SCHEMA, "c1/t1");
        assertThat(converter.toConnectData("keys", bytes)).isEqualTo(new SchemaAndValue(Schema.STRING_SCHEMA, "c1/t1"));
    }
}
