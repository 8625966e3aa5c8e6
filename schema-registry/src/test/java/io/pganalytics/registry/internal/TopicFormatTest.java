package io.pganalytics.registry.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON of the registry's topic, byte for byte as Confluent's KafkaStore writes it, and read leniently. */
class TopicFormatTest {

    @Test
    void schemaKeyIsConfluentsShape() {
        assertThat(text(TopicFormat.serializeKey(new StoreKey.SchemaKey("s", 1))))
                .isEqualTo("{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":1}");
    }

    @Test
    void configKeysAreConfluentsShapeAndTheGlobalOneHasNoSubject() {
        assertThat(text(TopicFormat.serializeKey(new StoreKey.ConfigKey("s"))))
                .isEqualTo("{\"keytype\":\"CONFIG\",\"subject\":\"s\",\"magic\":0}");
        assertThat(text(TopicFormat.serializeKey(StoreKey.ConfigKey.global())))
                .isEqualTo("{\"keytype\":\"CONFIG\",\"magic\":0}");
    }

    @Test
    void avroSchemaValueOmitsSchemaTypeAndReferences() {
        SchemaValue value = SchemaValue.avro("s", 1, 1, "\"string\"");

        assertThat(text(TopicFormat.serializeSchemaValue(value)))
                .isEqualTo("{\"subject\":\"s\",\"version\":1,\"id\":1,\"schema\":\"\\\"string\\\"\",\"deleted\":false}");
    }

    @Test
    void otherSchemaValuesCarrySchemaTypeAndReferences() {
        SchemaValue value = new SchemaValue("s", 2, 7, "PROTOBUF", List.of(new SchemaReference("a.proto", "a", 1)),
                "syntax = \"proto3\";", true);

        assertThat(text(TopicFormat.serializeSchemaValue(value))).isEqualTo("{\"subject\":\"s\",\"version\":2,"
                + "\"id\":7,\"schemaType\":\"PROTOBUF\",\"references\":[{\"name\":\"a.proto\",\"subject\":\"a\","
                + "\"version\":1}],\"schema\":\"syntax = \\\"proto3\\\";\",\"deleted\":true}");
    }

    @Test
    void configValueNamesTheLevelAndTheSubjectWhenThereIsOne() {
        assertThat(text(TopicFormat.serializeConfigValue(new ConfigValue(null, CompatibilityLevel.FULL))))
                .isEqualTo("{\"compatibilityLevel\":\"FULL\"}");
        assertThat(text(TopicFormat.serializeConfigValue(new ConfigValue("s", CompatibilityLevel.NONE))))
                .isEqualTo("{\"subject\":\"s\",\"compatibilityLevel\":\"NONE\"}");
    }

    @Test
    void everythingWrittenReadsBackTheSame() {
        SchemaValue value = new SchemaValue("s", 3, 9, "JSON", List.of(new SchemaReference("r", "t", 2)), "{}", true);
        StoreKey key = TopicFormat.parseKey(TopicFormat.serializeKey(value.key()));

        assertThat(key).isEqualTo(value.key());
        assertThat(TopicFormat.parseSchemaValue(value.key(), TopicFormat.serializeSchemaValue(value)))
                .isEqualTo(value);
        ConfigValue config = new ConfigValue("s", CompatibilityLevel.FORWARD_TRANSITIVE);
        assertThat(TopicFormat.parseConfigValue(new StoreKey.ConfigKey("s"), TopicFormat.serializeConfigValue(config)))
                .isEqualTo(config);
    }

    @Test
    void recordsFromANewerConfluentAreReadPastTheirExtraFields() {
        StoreKey.SchemaKey key = (StoreKey.SchemaKey) TopicFormat.parseKey(bytes(
                "{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":4,\"magic\":1,\"tenant\":\"x\"}"));
        SchemaValue value = TopicFormat.parseSchemaValue(key, bytes("{\"subject\":\"s\",\"version\":4,\"id\":12,"
                + "\"md5\":\"abc\",\"metadata\":{\"properties\":{}},\"schema\":\"\\\"int\\\"\",\"deleted\":false}"));

        assertThat(value).isEqualTo(SchemaValue.avro("s", 4, 12, "\"int\""));
        assertThat(TopicFormat.parseKey(bytes("{\"keytype\":\"NOOP\",\"magic\":0}")))
                .isEqualTo(new StoreKey.OtherKey("NOOP"));
        assertThat(TopicFormat.parseKey(bytes("{\"keytype\":\"MODE\",\"subject\":null,\"magic\":0}")))
                .isEqualTo(StoreKey.ModeKey.global());
        assertThat(TopicFormat.parseKey(bytes("{\"keytype\":\"CONTEXT\",\"tenant\":\"t\",\"magic\":0}")))
                .isEqualTo(new StoreKey.OtherKey("CONTEXT"));
        assertThat(TopicFormat.parseKey(bytes("{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}")))
                .isEqualTo(StoreKey.ConfigKey.global());
        assertThat(TopicFormat.parseConfigValue(StoreKey.ConfigKey.global(),
                bytes("{\"compatibilityGroup\":\"application.version\"}")))
                .isEqualTo(new ConfigValue(null, null));
    }

    @Test
    void unreadableRecordsAreRefusedWithAReason() {
        assertThatThrownBy(() -> TopicFormat.parseKey(bytes("not json")))
                .isInstanceOf(TopicFormat.MalformedRecordException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> TopicFormat.parseKey(bytes("{\"subject\":\"s\"}")))
                .isInstanceOf(TopicFormat.MalformedRecordException.class).hasMessageContaining("keytype");
        assertThatThrownBy(() -> TopicFormat.parseKey(bytes("{\"keytype\":\"SCHEMA\",\"subject\":\"s\"}")))
                .isInstanceOf(TopicFormat.MalformedRecordException.class).hasMessageContaining("version");
        assertThatThrownBy(() -> TopicFormat.parseSchemaValue(new StoreKey.SchemaKey("s", 1),
                bytes("{\"subject\":\"s\",\"version\":1,\"schema\":\"\\\"int\\\"\"}")))
                .isInstanceOf(TopicFormat.MalformedRecordException.class).hasMessageContaining("id");
        assertThatThrownBy(() -> TopicFormat.parseConfigValue(StoreKey.ConfigKey.global(),
                bytes("{\"compatibilityLevel\":\"SIDEWAYS\"}")))
                .isInstanceOf(TopicFormat.MalformedRecordException.class).hasMessageContaining("SIDEWAYS");
    }

    private static String text(byte[] bytes) {
        return new String(bytes, UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
