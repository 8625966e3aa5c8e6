package io.pganalytics.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SubjectNamingAndLatestVersionTest {

    private static final String SCOPE = "subject-naming-test";
    private static final String FULL_NAME = "io.pganalytics.schemas.metrics.DatabaseSample";

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    private static Map<String, Object> config(Object... keysAndValues) {
        Map<String, Object> config = new HashMap<>();
        config.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            config.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return config;
    }

    private static AvroSerializer<DatabaseSample> serializer(boolean isKey, Object... keysAndValues) {
        AvroSerializer<DatabaseSample> serializer = new AvroSerializer<>();
        serializer.configure(config(keysAndValues), isKey);
        return serializer;
    }

    @Test
    void topicNameStrategyIsTheDefaultForKeysAndValues() {
        serializer(false).serialize(Topics.RAW_DATABASE, AvroSerdeTest.sample());
        serializer(true).serialize(Topics.RAW_DATABASE, AvroSerdeTest.sample());
        assertThat(InMemorySchemaRegistry.scope(SCOPE).subjects())
                .containsExactly("pga.raw.database-value", "pga.raw.database-key");
    }

    @Test
    void confluentClassNamesAndShortNamesSelectTheStrategy() {
        serializer(false, AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "io.confluent.kafka.serializers.subject.RecordNameStrategy")
                .serialize(Topics.RAW_DATABASE, AvroSerdeTest.sample());
        serializer(true, AvroSerdeConfig.KEY_SUBJECT_NAME_STRATEGY, "TopicRecordNameStrategy")
                .serialize(Topics.METRICS_DATABASE, AvroSerdeTest.sample());
        assertThat(InMemorySchemaRegistry.scope(SCOPE).subjects())
                .containsExactly(FULL_NAME, Topics.METRICS_DATABASE + "-" + FULL_NAME);
    }

    @Test
    void recordNameStrategyUsesOneSubjectAcrossTopics() {
        var serializer = serializer(false, AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "RecordNameStrategy");
        serializer.serialize(Topics.RAW_DATABASE, AvroSerdeTest.sample());
        serializer.serialize(Topics.METRICS_DATABASE, AvroSerdeTest.sample());
        assertThat(InMemorySchemaRegistry.scope(SCOPE).subjects()).containsExactly(FULL_NAME);
    }

    @Test
    void anUnknownStrategyIsAConfigErrorNamingTheKey() {
        assertThatThrownBy(() -> AvroSerdeConfig.from(config(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "com.example.Mine")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("value.subject.name.strategy: expected TopicNameStrategy")
                .hasMessageContaining("com.example.Mine");
        assertThatThrownBy(() -> AvroSerdeConfig.from(config(AvroSerdeConfig.KEY_SUBJECT_NAME_STRATEGY, "Topic")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("key.subject.name.strategy");
    }

    @Test
    void useLatestVersionTagsRecordsWithTheLatestId() {
        int id = InMemorySchemaRegistry.scope(SCOPE).register("pga.raw.database-value", DatabaseSample.getClassSchema());
        byte[] bytes = serializer(false, AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false, AvroSerdeConfig.USE_LATEST_VERSION, true)
                .serialize(Topics.RAW_DATABASE, AvroSerdeTest.sample());
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(id);
    }

    @Test
    void useLatestVersionWritesAnOlderRecordAsTheLatestSchema() {
        Schema v1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Ping\",\"namespace\":\"t\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"long\"}]}");
        Schema v2 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Ping\",\"namespace\":\"t\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}]}");
        InMemorySchemaRegistry.scope(SCOPE).register("pings-value", v1);
        int latest = InMemorySchemaRegistry.scope(SCOPE).register("pings-value", v2);
        AvroSerializer<GenericRecord> serializer = new AvroSerializer<>();
        serializer.configure(config(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false", AvroSerdeConfig.USE_LATEST_VERSION, "true"), false);
        GenericData.Record old = new GenericData.Record(v1);
        old.put("a", 42L);

        byte[] bytes = serializer.serialize("pings", old);

        assertThat(WireFormat.schemaId(bytes)).isEqualTo(latest);
        AvroDeserializer<GenericRecord> deserializer = new AvroDeserializer<>();
        deserializer.configure(config(), false);
        GenericRecord read = deserializer.deserialize("pings", bytes);
        assertThat(read.getSchema()).isEqualTo(v2);
        assertThat(read.get("a")).isEqualTo(42L);
        assertThat(read.get("b")).isNull();
    }

    @Test
    void useLatestVersionRefusesARecordTheLatestSchemaCannotRead() {
        Schema latest = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Ping\",\"namespace\":\"t\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"string\"}]}");
        Schema mine = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Ping\",\"namespace\":\"t\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"long\"}]}");
        InMemorySchemaRegistry.scope(SCOPE).register("pings-value", latest);
        AvroSerializer<GenericRecord> serializer = new AvroSerializer<>();
        serializer.configure(config(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false, AvroSerdeConfig.USE_LATEST_VERSION, true), false);
        GenericData.Record record = new GenericData.Record(mine);
        record.put("a", 1L);
        assertThatThrownBy(() -> serializer.serialize("pings", record))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Ping.a: type changed from long to string")
                .hasMessageContaining(AvroSerdeConfig.LATEST_COMPATIBILITY_STRICT);
    }

    @Test
    void genericAndSpecificRecordsOfOneSchemaEachGetTheirOwnWriter() {
        var serializer = new AvroSerializer<org.apache.avro.generic.GenericContainer>();
        serializer.configure(config(), false);
        DatabaseSample specific = AvroSerdeTest.sample();
        byte[] fromSpecific = serializer.serialize(Topics.RAW_DATABASE, specific);
        AvroDeserializer<GenericRecord> reader = new AvroDeserializer<>();
        reader.configure(config(), false);
        GenericRecord asGeneric = reader.deserialize(Topics.RAW_DATABASE, fromSpecific);
        assertThat(serializer.serialize(Topics.RAW_DATABASE, (GenericData.Record) asGeneric)).isEqualTo(fromSpecific);
    }

    @Test
    void everyConfigKeyIsDocumentedInTheModuleReadme() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        for (io.pganalytics.config.Field<?> key : AvroSerdeConfig.FIELDS.fields()) {
            String defaultValue = key.required() ? "(required)" : key.defaultShown();
            assertThat(readme).contains("| `" + key.name() + "` | `" + defaultValue + "` | " + key.documentation() + " |");
        }
    }
}
