package io.pganalytics.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static final String SCOPE = "avro-serde-test";
    private static final Map<String, Object> CONFIG = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    static DatabaseSample sample() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return DatabaseSample.newBuilder()
                .setCollectorId("c1").setTargetId("t1").setSampledAt(now).setServerVersionNum(170006)
                .setDatid(5).setDatname("postgres").setNumbackends(3)
                .setXactCommit(10).setXactRollback(1).setBlksRead(2).setBlksHit(300)
                .setTupReturned(4).setTupFetched(5).setTupInserted(6).setTupUpdated(7).setTupDeleted(8)
                .setConflicts(0).setTempFiles(0).setTempBytes(0).setDeadlocks(0)
                .setBlkReadTimeMs(1.5).setBlkWriteTimeMs(0.25)
                .setSessions(12L).setStatsReset(now.minusSeconds(3600))
                .build();
    }

    @Test
    void specificRecordRoundTripsInConfluentWireFormat() {
        DatabaseSample sample = sample();
        AvroSerde<DatabaseSample> serde = AvroSerde.forValues(CONFIG);

        byte[] bytes = serde.serializer().serialize(Topics.RAW_DATABASE, sample);

        assertThat(bytes[0]).isEqualTo(WireFormat.MAGIC_BYTE);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(id).isEqualTo(1);
        assertThat(InMemorySchemaRegistry.scope(SCOPE).latest(Topics.valueSubject(Topics.RAW_DATABASE)).id()).isEqualTo(id);
        assertThat(serde.deserializer().deserialize(Topics.RAW_DATABASE, bytes)).isEqualTo(sample);
    }

    @Test
    void genericReaderSeesTheSameFields() {
        var serializer = new AvroSerializer<Heartbeat>();
        serializer.configure(CONFIG, false);
        var deserializer = new AvroDeserializer<GenericRecord>();
        deserializer.configure(CONFIG, false);
        Heartbeat heartbeat = Heartbeat.newBuilder().setCollectorId("c1").setHostname("h").setVersion("v")
                .setStartedAt(Instant.ofEpochMilli(1000)).setSentAt(Instant.ofEpochMilli(2000)).setIntervalMillis(10_000)
                .setTargetsConfigured(2).setTargetsHealthy(1).setSamplesProduced(5).setSamplesFailed(1).build();

        GenericRecord read = deserializer.deserialize(Topics.FLEET_HEARTBEATS,
                serializer.serialize(Topics.FLEET_HEARTBEATS, heartbeat));

        assertThat(read.get("collectorId").toString()).isEqualTo("c1");
        assertThat(read.get("sentAt")).isEqualTo(2000L);
        assertThat(read.get("targetsHealthy")).isEqualTo(1);
    }

    @Test
    void sameSchemaKeepsItsIdAcrossTopics() {
        AvroSerde<DatabaseSample> serde = AvroSerde.forValues(CONFIG);
        byte[] raw = serde.serializer().serialize(Topics.RAW_DATABASE, sample());
        byte[] metrics = serde.serializer().serialize(Topics.METRICS_DATABASE, sample());
        assertThat(WireFormat.schemaId(metrics)).isEqualTo(WireFormat.schemaId(raw));
    }

    @Test
    void withoutAutoRegisterAnUnknownSchemaIsAClearError() {
        var serializer = new AvroSerializer<DatabaseSample>();
        serializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false"), false);
        assertThatThrownBy(() -> serializer.serialize(Topics.RAW_DATABASE, sample()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not registered under pga.raw.database-value");
    }

    @Test
    void bytesNotInWireFormatAreRejected() {
        var deserializer = new AvroDeserializer<DatabaseSample>();
        deserializer.configure(CONFIG, false);
        assertThatThrownBy(() -> deserializer.deserialize(Topics.RAW_DATABASE, "{\"json\":1}".getBytes()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("magic byte");
        assertThatThrownBy(() -> deserializer.deserialize(Topics.RAW_DATABASE, new byte[] {0, 0}))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void unknownSchemaIdIsASerializationError() {
        var deserializer = new AvroDeserializer<DatabaseSample>();
        deserializer.configure(CONFIG, false);
        assertThatThrownBy(() -> deserializer.deserialize(Topics.RAW_DATABASE, new byte[] {0, 0, 0, 0, 42, 1}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema id 42");
    }

    @Test
    void configErrorsNameTheKey() {
        assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("schema.registry.url");
        assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "http://x:1",
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "yes")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("auto.register.schemas");
        assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "x")).newClient())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("schema.registry.url");
    }
}
