package io.pganalytics.sink.s3.restore;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.sink.s3.S3Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Where a restore reads from and writes to: the S3 connection (the backup sink's keys), Kafka and the registry for
 * {@code --to-kafka}, the metrics store for {@code --to-db}. Every key declared once in {@link #CONFIG_DEF}.
 *
 * @param s3                how to reach the store
 * @param bootstrapServers  {@value #BOOTSTRAP_SERVERS}, or null
 * @param schemaRegistryUrl {@value #SCHEMA_REGISTRY_URL}
 * @param connectionUrl     {@value #CONNECTION_URL}, or null
 * @param connectionUser    {@value #CONNECTION_USER}, or null
 * @param connectionPassword {@value #CONNECTION_PASSWORD}, or null
 * @param sinkOverrides     keys under {@value #SINK_PREFIX}, without the prefix, passed to the metrics-store sink
 */
public record RestoreConfig(S3Connection s3, String bootstrapServers, String schemaRegistryUrl, String connectionUrl,
                            String connectionUser, Password connectionPassword, Map<String, String> sinkOverrides) {

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = AvroSerdeConfig.SCHEMA_REGISTRY_URL;
    public static final String CONNECTION_URL = "connection.url";
    public static final String CONNECTION_USER = "connection.user";
    public static final String CONNECTION_PASSWORD = "connection.password";
    /** Any other key of the metrics-store sink, e.g. {@code metrics.sink.table.name}. */
    public static final String SINK_PREFIX = "metrics.sink.";

    public static final ConfigDef CONFIG_DEF = S3Connection.define(new ConfigDef())
            .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH,
                    "Kafka, host:port[,host:port]; needed by --to-kafka.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "The Confluent-compatible registry restored values are registered with (subject <topic>-value).")
            .define(CONNECTION_URL, Type.STRING, null, Importance.HIGH,
                    "JDBC URL of the metrics store, jdbc:postgresql://host:port/database; needed by --to-db.")
            .define(CONNECTION_USER, Type.STRING, null, Importance.MEDIUM, "Database user for --to-db.")
            .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM,
                    "Database password for --to-db; never logged.");

    /** One key as the docs list it. */
    public record Key(String name, String defaultValue, String documentation) {
    }

    /** Every key, in documentation order, for {@code PGA_*} overrides and the docs table. */
    public static List<Key> keys() {
        return CONFIG_DEF.configKeys().values().stream()
                .map(k -> new Key(k.name, k.hasDefault() ? String.valueOf(k.defaultValue) : null, k.documentation))
                .toList();
    }

    /** Parses string properties; unknown keys are refused, naming the key. */
    public static RestoreConfig from(Map<String, String> props) {
        Map<String, String> own = new LinkedHashMap<>();
        Map<String, String> sink = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : props.entrySet()) {
            if (entry.getKey().startsWith(SINK_PREFIX)) {
                sink.put(entry.getKey().substring(SINK_PREFIX.length()), entry.getValue());
            } else if (CONFIG_DEF.names().contains(entry.getKey())) {
                own.put(entry.getKey(), entry.getValue());
            } else {
                throw new ConfigException(entry.getKey() + ": unknown key; known keys are " + CONFIG_DEF.names()
                        + " and " + SINK_PREFIX + "<metrics-store sink key>");
            }
        }
        AbstractConfig parsed = new AbstractConfig(CONFIG_DEF, own, false);
        return new RestoreConfig(S3Connection.from(parsed), blankToNull(parsed.getString(BOOTSTRAP_SERVERS)),
                parsed.getString(SCHEMA_REGISTRY_URL).trim(), blankToNull(parsed.getString(CONNECTION_URL)),
                blankToNull(parsed.getString(CONNECTION_USER)), parsed.getPassword(CONNECTION_PASSWORD),
                Map.copyOf(sink));
    }

    /** Fails naming the key when a target's settings are missing. */
    public void requireFor(RestoreRequest.Target target) {
        if (target == RestoreRequest.Target.KAFKA && bootstrapServers == null) {
            throw new ConfigException(BOOTSTRAP_SERVERS + ": required by --to-kafka");
        }
        if (target == RestoreRequest.Target.DATABASE && connectionUrl == null) {
            throw new ConfigException(CONNECTION_URL + ": required by --to-db, e.g. jdbc:postgresql://host:5432/metrics");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Safe to log. */
    @Override
    public String toString() {
        return "RestoreConfig[" + s3 + ", " + BOOTSTRAP_SERVERS + "=" + bootstrapServers + ", " + SCHEMA_REGISTRY_URL
                + "=" + schemaRegistryUrl + ", " + CONNECTION_URL + "=" + (connectionUrl == null ? null
                : connectionUrl.replaceAll("\\?.*", "?…")) + ", " + CONNECTION_USER + "=" + connectionUser + "]";
    }
}
