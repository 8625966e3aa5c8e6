package io.pganalytics.sink.s3;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of the S3 backup sink: every key declared once, with its default, documentation and validation,
 * in {@link #CONFIG_DEF}.
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

    /** Every key of the sink; Connect validates connector configurations against it before starting them. */
    public static final ConfigDef CONFIG_DEF = S3Connection.define(new ConfigDef()
            .define(BUCKET, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new BucketName(), Importance.HIGH,
                    "Bucket to write the backup to; it must exist.")
            .define(PREFIX, Type.STRING, "", new Prefix(), Importance.MEDIUM,
                    "Key prefix of every object, e.g. backups/prod; objects are named "
                            + "<prefix>/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>+<partition>+<startOffset>.avro.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new RegistryUrls(), Importance.HIGH,
                    "Comma-separated URLs of the Confluent-compatible schema registry the values' schema ids refer "
                            + "to; each object embeds the writer schema fetched from it.")
            .define(FLUSH_SIZE, Type.INT, DEFAULT_FLUSH_SIZE, ConfigDef.Range.between(1, 1_000_000), Importance.MEDIUM,
                    "Records per object at most; an object is held in memory until it is uploaded.")
            .define(ROTATE_INTERVAL_MS, Type.LONG, DEFAULT_ROTATE_INTERVAL_MS, ConfigDef.Range.atLeast(1_000),
                    Importance.MEDIUM,
                    "Width of the record-time windows (Kafka record timestamps, aligned to the epoch in UTC): an "
                            + "object holds records of one window only. Choose a divisor of an hour so that no object "
                            + "spans two hour= directories.")
            .define(AVRO_CODEC, Type.STRING, DEFAULT_CODEC,
                    ConfigDef.ValidString.in("zstandard", "deflate", "snappy", "null"), Importance.LOW,
                    "Compression of the Avro blocks. zstandard and snappy use the zstd-jni and snappy-java that every "
                            + "Kafka worker ships with kafka-clients.")
            .define(RETRY_BACKOFF_MS, Type.LONG, DEFAULT_RETRY_BACKOFF_MS, ConfigDef.Range.between(10, MAX_RETRY_BACKOFF_MS),
                    Importance.LOW,
                    "Wait before retrying a failed upload; doubles after each failure, up to "
                            + MAX_RETRY_BACKOFF_MS + " ms."));

    /** Parses and validates a connector or task configuration; the {@link ConfigException} names the bad key. */
    public static S3BackupSinkConfig from(Map<String, String> props) {
        // Quiet: AbstractConfig would otherwise log every key at INFO, once per task start.
        AbstractConfig parsed = new AbstractConfig(CONFIG_DEF, props, false);
        return new S3BackupSinkConfig(
                S3Connection.from(parsed),
                parsed.getString(BUCKET).trim(),
                normalizePrefix(parsed.getString(PREFIX)),
                parsed.getString(SCHEMA_REGISTRY_URL).trim(),
                parsed.getInt(FLUSH_SIZE),
                parsed.getLong(ROTATE_INTERVAL_MS),
                parsed.getString(AVRO_CODEC),
                parsed.getLong(RETRY_BACKOFF_MS));
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

    private static final class BucketName implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || !value.toString().trim().matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                throw new ConfigException(name + ": expected an S3 bucket name (3-63 characters: lower-case letters, "
                        + "digits, dots, hyphens), got '" + value + "'");
            }
        }

        @Override
        public String toString() {
            return "an S3 bucket name";
        }
    }

    private static final class Prefix implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            String prefix = value == null ? "" : value.toString();
            if (prefix.contains("//") || prefix.contains("\\")) {
                throw new ConfigException(name + ": expected a key prefix like backups/prod, got '" + prefix + "'");
            }
        }

        @Override
        public String toString() {
            return "a key prefix, e.g. backups/prod";
        }
    }

    static final class RegistryUrls implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || value.toString().isBlank()) {
                throw new ConfigException(name + ": required, e.g. http://127.0.0.1:8081");
            }
            boolean allValid = Arrays.stream(value.toString().split(","))
                    .map(String::trim)
                    .allMatch(url -> url.startsWith("http://") || url.startsWith("https://") || url.startsWith("mock://"));
            if (!allValid) {
                throw new ConfigException(name + ": expected comma-separated http(s)://host:port URLs, got '"
                        + value + "'");
            }
        }

        @Override
        public String toString() {
            return "http(s)://host:port[,...]";
        }
    }
}
