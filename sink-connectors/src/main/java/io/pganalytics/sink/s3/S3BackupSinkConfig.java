package io.pganalytics.sink.s3;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.sink.connect.ConnectFields;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of the S3 backup sink: every key declared once, with its default, documentation and validation,
 * in {@link Keys} and {@link S3Connection.Keys}; Connect's {@link #CONFIG_DEF} is made from them.
 *
 * @param connection        how to reach the store ({@link S3Connection}'s keys)
 * @param bucket            {@value #BUCKET}
 * @param prefix            {@value #PREFIX}, without leading or trailing slash; empty for the bucket's root
 * @param schemaRegistryUrl {@value #SCHEMA_REGISTRY_URL}
 * @param flushSize         {@value #FLUSH_SIZE}
 * @param rotateIntervalMs  {@value #ROTATE_INTERVAL_MS}
 * @param codec             {@value #AVRO_CODEC}
 * @param retryBackoffMs    {@value #RETRY_BACKOFF_MS}
 */
public record S3BackupSinkConfig(S3Connection connection, String bucket, String prefix, String schemaRegistryUrl,
                                 int flushSize, long rotateIntervalMs, String codec, long retryBackoffMs) {

    public static final String BUCKET = "s3.bucket.name";
    public static final String PREFIX = "s3.prefix";
    public static final String SCHEMA_REGISTRY_URL = AvroSerdeConfig.SCHEMA_REGISTRY_URL;
    public static final String FLUSH_SIZE = "flush.size";
    public static final String ROTATE_INTERVAL_MS = "rotate.interval.ms";
    public static final String AVRO_CODEC = "avro.codec";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";

    public static final int DEFAULT_FLUSH_SIZE = 10_000;
    public static final long DEFAULT_ROTATE_INTERVAL_MS = 600_000;
    public static final String DEFAULT_CODEC = "zstandard";
    public static final long DEFAULT_RETRY_BACKOFF_MS = 1_000;
    /** The backoff doubles after each failed upload, up to this. */
    public static final long MAX_RETRY_BACKOFF_MS = 60_000;

    /** Every key of the sink, each declared once with its default, rule and documentation. */
    public static final class Keys {

        private Keys() {
        }

        public static final Field<String> BUCKET = Field.string(S3BackupSinkConfig.BUCKET)
                .withCheck(bucket -> bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]") ? null
                        : "expected an S3 bucket name (3-63 characters: lower-case letters, digits, dots, hyphens), got '"
                        + bucket + "'")
                .withDoc("Bucket to write the backup to; it must exist.");
        public static final Field<String> PREFIX = Field.string(S3BackupSinkConfig.PREFIX).withDefault("")
                .withCheck(prefix -> prefix.contains("//") || prefix.contains("\\")
                        ? "expected a key prefix like backups/prod, got '" + prefix + "'" : null)
                .withDoc("Key prefix of every object, e.g. backups/prod; objects are named "
                        + "<prefix>/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>+<partition>+<startOffset>.avro.");
        public static final Field<String> SCHEMA_REGISTRY_URL = Field.string(S3BackupSinkConfig.SCHEMA_REGISTRY_URL)
                .withCheck(S3BackupSinkConfig::registryUrlsProblem)
                .withDoc("Comma-separated URLs of the Confluent-compatible schema registry the values' schema ids refer "
                        + "to; each object embeds the writer schema fetched from it.");
        public static final Field<Integer> FLUSH_SIZE = Field.integer(S3BackupSinkConfig.FLUSH_SIZE)
                .withDefault(DEFAULT_FLUSH_SIZE).withCheck(Check.between(1, 1_000_000))
                .withDoc("Records per object at most; an object is held in memory until it is uploaded.");
        public static final Field<Long> ROTATE_INTERVAL_MS = Field.longValue(S3BackupSinkConfig.ROTATE_INTERVAL_MS)
                .withDefault(DEFAULT_ROTATE_INTERVAL_MS).withCheck(Check.atLeast(1_000))
                .withDoc("Width of the record-time windows (Kafka record timestamps, aligned to the epoch in UTC): an "
                        + "object holds records of one window only. Choose a divisor of an hour so that no object "
                        + "spans two hour= directories.");
        public static final Field<String> AVRO_CODEC = Field.string(S3BackupSinkConfig.AVRO_CODEC)
                .withDefault(DEFAULT_CODEC)
                .withCheck(Check.matching("zstandard|deflate|snappy|null", "zstandard, deflate, snappy or null"))
                .withDoc("Compression of the Avro blocks. zstandard and snappy use the zstd-jni and snappy-java that "
                        + "every Kafka worker ships with kafka-clients.");
        public static final Field<Long> RETRY_BACKOFF_MS = Field.longValue(S3BackupSinkConfig.RETRY_BACKOFF_MS)
                .withDefault(DEFAULT_RETRY_BACKOFF_MS).withCheck(Check.between(10, MAX_RETRY_BACKOFF_MS))
                .withDoc("Wait before retrying a failed upload; doubles after each failure, up to "
                        + MAX_RETRY_BACKOFF_MS + " ms.");
    }

    /** Every key of the sink, in documentation order: its own, then the connection's. */
    public static final Fields FIELDS = Fields.of("", Keys.BUCKET, Keys.PREFIX, Keys.SCHEMA_REGISTRY_URL,
            Keys.FLUSH_SIZE, Keys.ROTATE_INTERVAL_MS, Keys.AVRO_CODEC, Keys.RETRY_BACKOFF_MS).and(S3Connection.FIELDS);

    /** Connect validates connector configurations against it before starting them; made from {@link #FIELDS}. */
    public static final ConfigDef CONFIG_DEF = ConnectFields.configDef(FIELDS);

    /** Parses and validates a connector or task configuration; the {@link ConfigException} names every bad key. */
    public static S3BackupSinkConfig from(Map<String, String> props) {
        return ConnectFields.read(FIELDS, props, values -> {
            S3Connection connection = S3Connection.from(values);
            values.validate();
            return new S3BackupSinkConfig(connection, values.get(Keys.BUCKET), normalizePrefix(values.get(Keys.PREFIX)),
                    values.get(Keys.SCHEMA_REGISTRY_URL), values.get(Keys.FLUSH_SIZE), values.get(Keys.ROTATE_INTERVAL_MS),
                    values.get(Keys.AVRO_CODEC), values.get(Keys.RETRY_BACKOFF_MS));
        });
    }

    /** {@code /a/b/} becomes {@code a/b}. */
    public static String normalizePrefix(String prefix) {
        String trimmed = prefix == null ? "" : prefix.trim();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        return trimmed;
    }

    /** Where the backup goes, e.g. {@code s3://bucket/prefix}: what {@code pganalytics restore --from} takes. */
    public String location() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    /** Safe to log: the secret is hidden by {@link S3Connection#toString()}. */
    @Override
    public String toString() {
        return "S3BackupSinkConfig[" + location() + ", " + connection + ", " + SCHEMA_REGISTRY_URL + "="
                + schemaRegistryUrl + ", " + FLUSH_SIZE + "=" + flushSize + ", " + ROTATE_INTERVAL_MS + "="
                + rotateIntervalMs + ", " + AVRO_CODEC + "=" + codec + "]";
    }

    private static String registryUrlsProblem(String urls) {
        boolean allValid = Arrays.stream(urls.split(","))
                .map(String::trim)
                .allMatch(url -> url.startsWith("http://") || url.startsWith("https://") || url.startsWith("mock://"));
        return allValid ? null : "expected comma-separated http(s)://host:port URLs, got '" + urls + "'";
    }
}
