package io.pganalytics.registry.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON of keys and values in the registry's topic, shaped as Confluent's KafkaStore shapes them so that either
 * registry can read a topic the other wrote.
 *
 * <p>Reading is lenient (unknown fields and key types are passed over, since a newer Confluent adds them); writing
 * emits exactly Confluent's fields in Confluent's order.
 */
public final class TopicFormat {

    static final String SCHEMA_KEYTYPE = "SCHEMA";
    static final String CONFIG_KEYTYPE = "CONFIG";
    static final String MODE_KEYTYPE = "MODE";
    static final String DELETE_SUBJECT_KEYTYPE = "DELETE_SUBJECT";
    static final String CLEAR_SUBJECT_KEYTYPE = "CLEAR_SUBJECT";
    // Confluent's "magic" tells key layouts apart across its versions: 1 for schema keys, 0 for the others.
    private static final int SCHEMA_KEY_MAGIC = 1;
    private static final int CONFIG_KEY_MAGIC = 0;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private TopicFormat() {
    }

    /** A record this registry cannot read; the reader logs it and moves on. */
    public static final class MalformedRecordException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedRecordException(String message) {
            super(message);
        }
    }

    public static byte[] serializeKey(StoreKey key) {
        ObjectNode node = JSON.createObjectNode();
        if (key instanceof StoreKey.SchemaKey schemaKey) {
            node.put("keytype", SCHEMA_KEYTYPE);
            node.put("subject", schemaKey.subject());
            node.put("version", schemaKey.version());
            node.put("magic", SCHEMA_KEY_MAGIC);
        } else if (key instanceof StoreKey.ConfigKey configKey) {
            node.put("keytype", CONFIG_KEYTYPE);
            if (!configKey.isGlobal()) {
                node.put("subject", configKey.subject());
            }
            node.put("magic", CONFIG_KEY_MAGIC);
        } else if (key instanceof StoreKey.ModeKey modeKey) {
            node.put("keytype", MODE_KEYTYPE);
            if (!modeKey.isGlobal()) {
                node.put("subject", modeKey.subject());
            }
            node.put("magic", CONFIG_KEY_MAGIC);
        } else if (key instanceof StoreKey.DeleteSubjectKey deleteKey) {
            node.put("keytype", DELETE_SUBJECT_KEYTYPE);
            node.put("subject", deleteKey.subject());
            node.put("magic", CONFIG_KEY_MAGIC);
        } else {
            throw new IllegalArgumentException("this registry never writes " + key);
        }
        return bytes(node);
    }

    public static StoreKey parseKey(byte[] bytes) {
        JsonNode node = readObject(bytes, "key");
        String keytype = node.path("keytype").asText("");
        switch (keytype) {
            case SCHEMA_KEYTYPE -> {
                String subject = requiredText(node, "subject", "key");
                JsonNode version = node.get("version");
                if (version == null || !version.canConvertToInt() || version.intValue() < 1) {
                    throw new MalformedRecordException("schema key without a version >= 1: " + node);
                }
                return new StoreKey.SchemaKey(subject, version.intValue());
            }
            case CONFIG_KEYTYPE -> {
                JsonNode subject = node.get("subject");
                return new StoreKey.ConfigKey(subject == null || subject.isNull() || subject.asText().isEmpty()
                        ? null : subject.asText());
            }
            case MODE_KEYTYPE -> {
                JsonNode subject = node.get("subject");
                return new StoreKey.ModeKey(subject == null || subject.isNull() || subject.asText().isEmpty()
                        ? null : subject.asText());
            }
            case DELETE_SUBJECT_KEYTYPE -> {
                return new StoreKey.DeleteSubjectKey(requiredText(node, "subject", "key"));
            }
            case CLEAR_SUBJECT_KEYTYPE -> {
                return new StoreKey.ClearSubjectKey(requiredText(node, "subject", "key"));
            }
            case "" -> throw new MalformedRecordException("key without a keytype: " + node);
            default -> {
                return new StoreKey.OtherKey(keytype);
            }
        }
    }

    public static byte[] serializeSchemaValue(SchemaValue value) {
        ObjectNode node = JSON.createObjectNode();
        node.put("subject", value.subject());
        node.put("version", value.version());
        node.put("id", value.id());
        if (!value.isAvro()) {
            node.put("schemaType", value.schemaType());
        }
        if (!value.references().isEmpty()) {
            ArrayNode references = node.putArray("references");
            for (SchemaReference reference : value.references()) {
                references.addObject()
                        .put("name", reference.name())
                        .put("subject", reference.subject())
                        .put("version", reference.version());
            }
        }
        node.put("schema", value.schema());
        node.put("deleted", value.deleted());
        return bytes(node);
    }

    /** The value of a schema key; the subject and version come from the key, which compaction goes by. */
    public static SchemaValue parseSchemaValue(StoreKey.SchemaKey key, byte[] bytes) {
        JsonNode node = readObject(bytes, "schema value");
        JsonNode id = node.get("id");
        if (id == null || !id.canConvertToInt() || id.intValue() < 0) {
            throw new MalformedRecordException("schema value without a valid id: " + node);
        }
        String schema = requiredText(node, "schema", "schema value");
        List<SchemaReference> references = new ArrayList<>();
        for (JsonNode reference : node.path("references")) {
            references.add(new SchemaReference(reference.path("name").asText(), reference.path("subject").asText(),
                    reference.path("version").asInt()));
        }
        JsonNode schemaType = node.get("schemaType");
        return new SchemaValue(key.subject(), key.version(), id.intValue(),
                schemaType == null || schemaType.isNull() ? null : schemaType.asText(),
                references, schema, node.path("deleted").asBoolean(false));
    }

    public static byte[] serializeConfigValue(ConfigValue value) {
        ObjectNode node = JSON.createObjectNode();
        if (value.subject() != null) {
            node.put("subject", value.subject());
        }
        if (value.compatibilityLevel() != null) {
            node.put("compatibilityLevel", value.compatibilityLevel().name());
        }
        return bytes(node);
    }

    public static ConfigValue parseConfigValue(StoreKey.ConfigKey key, byte[] bytes) {
        JsonNode node = readObject(bytes, "config value");
        JsonNode level = node.get("compatibilityLevel");
        if (level == null || level.isNull()) {
            return new ConfigValue(key.subject(), null);
        }
        return new ConfigValue(key.subject(), CompatibilityLevel.parse(level.asText()).orElseThrow(
                () -> new MalformedRecordException("unknown compatibilityLevel in config value: " + node)));
    }

    public static byte[] serializeModeValue(ModeValue value) {
        ObjectNode node = JSON.createObjectNode();
        if (value.subject() != null) {
            node.put("subject", value.subject());
        }
        node.put("mode", value.mode().name());
        return bytes(node);
    }

    public static ModeValue parseModeValue(StoreKey.ModeKey key, byte[] bytes) {
        JsonNode node = readObject(bytes, "mode value");
        return new ModeValue(key.subject(), Mode.parse(node.path("mode").asText(null)).orElseThrow(
                () -> new MalformedRecordException("unknown mode in mode value: " + node)));
    }

    /** The value of DELETE_SUBJECT and CLEAR_SUBJECT keys: {@code {"subject":"s","version":N}}. */
    public static byte[] serializeSubjectWatermark(String subject, int version) {
        ObjectNode node = JSON.createObjectNode();
        node.put("subject", subject);
        node.put("version", version);
        return bytes(node);
    }

    /** The version of a DELETE_SUBJECT or CLEAR_SUBJECT value: every version up to it is affected. */
    public static int parseSubjectWatermark(byte[] bytes) {
        JsonNode node = readObject(bytes, "subject deletion value");
        JsonNode version = node.get("version");
        if (version == null || !version.canConvertToInt()) {
            throw new MalformedRecordException("subject deletion value without a version: " + node);
        }
        return version.intValue();
    }

    private static JsonNode readObject(byte[] bytes, String what) {
        if (bytes == null) {
            throw new MalformedRecordException(what + " is null");
        }
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            String reason = e instanceof JsonProcessingException parse ? parse.getOriginalMessage() : e.getMessage();
            throw new MalformedRecordException(what + " is not JSON: " + reason);
        }
        if (node == null || !node.isObject()) {
            throw new MalformedRecordException(what + " is not a JSON object");
        }
        return node;
    }

    private static String requiredText(JsonNode node, String field, String what) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new MalformedRecordException(what + " without a " + field + ": " + node);
        }
        return value.asText();
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON of a tree we built", e);
        }
    }
}
