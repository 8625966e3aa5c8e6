package io.pganalytics.sink.s3;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * The layout of a backup, shared by the sink that writes it and the restore that reads it.
 *
 * <p>One object holds a run of consecutive records of one topic partition, all of one record-time window and one
 * writer schema. It is an Avro container file whose records are {@code BackupRecord}s: the Kafka offset, timestamp
 * and key, and the value decoded with its writer schema (embedded in the file's schema, so the file is readable
 * without the registry). Its S3 user metadata says what it holds, so that a restore can check it: the record count,
 * the offsets, the time span, a SHA-256 of the content, and the start offset of the partition's next object (so a
 * missing object shows as a gap).
 */
public final class BackupFormat {

    public static final String RECORD_NAME = "BackupRecord";
    public static final String RECORD_NAMESPACE = "io.pganalytics.backup";
    public static final String OFFSET = "offset";
    public static final String TIMESTAMP = "timestamp";
    public static final String KEY = "key";
    public static final String VALUE = "value";

    /** S3 user metadata (sent as {@code x-amz-meta-<name>}). */
    public static final String META_RECORD_COUNT = "pga-record-count";
    public static final String META_FIRST_OFFSET = "pga-first-offset";
    public static final String META_LAST_OFFSET = "pga-last-offset";
    /** The start offset of the partition's next object: a gap between this and the next object's name is a loss. */
    public static final String META_NEXT_OFFSET = "pga-next-offset";
    public static final String META_MIN_TIMESTAMP = "pga-min-timestamp";
    public static final String META_MAX_TIMESTAMP = "pga-max-timestamp";
    public static final String META_SCHEMA_ID = "pga-schema-id";
    public static final String META_SHA256 = "pga-sha256";
    public static final String META_FORMAT = "pga-format";
    public static final String FORMAT_VERSION = "1";

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("HH").withZone(ZoneOffset.UTC);
    /** {@code <topic>/dt=YYYY-MM-DD/hour=HH/<topic>+<partition>+<startOffset>.avro}; topic names hold no '+' or '/'. */
    private static final Pattern NAME = Pattern.compile(
            "(?:.*/)?([a-zA-Z0-9._-]+)/dt=(\\d{4}-\\d{2}-\\d{2})/hour=(\\d{2})/\\1\\+(\\d+)\\+(\\d+)\\.avro");

    private BackupFormat() {
    }

    /** The key of the object starting at {@code startOffset} whose first record has {@code firstTimestampMs}. */
    public static String objectKey(String prefix, String topic, int partition, long startOffset, long firstTimestampMs) {
        Instant first = Instant.ofEpochMilli(Math.max(0, firstTimestampMs));
        return (prefix.isEmpty() ? "" : prefix + "/") + topic + "/dt=" + DATE.format(first) + "/hour=" + HOUR.format(first)
                + "/" + fileName(topic, partition, startOffset);
    }

    /** The last part of an object key: {@code <topic>+<partition>+<startOffset>.avro}. */
    public static String fileName(String topic, int partition, long startOffset) {
        return topic + "+" + partition + "+" + startOffset + ".avro";
    }

    /** The key prefix of one topic's objects. */
    public static String topicPrefix(String prefix, String topic) {
        return (prefix.isEmpty() ? "" : prefix + "/") + topic + "/";
    }

    /** What an object key names, or empty when it is not a backup object's key. */
    public static Optional<ObjectName> parse(String key) {
        Matcher m = NAME.matcher(key);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ObjectName(key, m.group(1), Integer.parseInt(m.group(4)), Long.parseLong(m.group(5))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** A backup object's identity, from its key. */
    public record ObjectName(String key, String topic, int partition, long startOffset) {
    }

    /**
     * The schema of the records of an object whose values were written with {@code valueSchema} (null when the
     * object holds only tombstones).
     */
    public static Schema recordSchema(Schema valueSchema) {
        Schema nullSchema = Schema.create(Schema.Type.NULL);
        Schema timestamp = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
        Schema value = valueSchema == null ? Schema.createUnion(List.of(nullSchema))
                : Schema.createUnion(nullSchema, valueSchema);
        return Schema.createRecord(RECORD_NAME, "One Kafka record of a pgAnalytics backup.", RECORD_NAMESPACE, false,
                List.of(new Schema.Field(OFFSET, Schema.create(Schema.Type.LONG), "Offset in its topic partition.",
                                (Object) null),
                        new Schema.Field(TIMESTAMP, Schema.createUnion(nullSchema, timestamp),
                                "The Kafka record timestamp; null when it had none.", JsonProperties.NULL_VALUE),
                        new Schema.Field(KEY, Schema.createUnion(nullSchema, Schema.create(Schema.Type.STRING)),
                                "The record key (UTF-8).", JsonProperties.NULL_VALUE),
                        new Schema.Field(VALUE, value, "The value, decoded with its writer schema; null for a tombstone.",
                                JsonProperties.NULL_VALUE)));
    }

    /** The writer schema of the values of an object, from the schema of its records; null when only tombstones. */
    public static Schema valueSchema(Schema recordSchema) {
        Schema.Field value = recordSchema.getField(VALUE);
        if (value == null) {
            throw new IllegalArgumentException("not a " + RECORD_NAME + " schema: no field " + VALUE);
        }
        return value.schema().getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst().orElse(null);
    }
}
