package io.pganalytics.sink.s3.restore;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.sink.s3.S3Connection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.types.Password;

/**
 * Where a restore reads from and writes to: the S3 connection (the backup sink's keys), Kafka and the registry for
 * {@code --to-kafka}, the metrics store for {@code --to-db}. Every key declared once, in {@link S3Connection.Keys} and {@link Keys}.
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

    /** Restore's own keys, each declared once with its default, rule and documentation. */
    public static final class Keys {

        private Keys() {
        }

        public static final Field<String> BOOTSTRAP_SERVERS = Field.string(RestoreConfig.BOOTSTRAP_SERVERS).optional()
                .withDoc("Kafka, host:port[,host:port]; needed by --to-kafka.");
        public static final Field<String> SCHEMA_REGISTRY_URL = Field.string(RestoreConfig.SCHEMA_REGISTRY_URL)
                .withDoc("The Confluent-compatible registry restored values are registered with (subject `<topic>-value`).");
        public static final Field<String> CONNECTION_URL = Field.string(RestoreConfig.CONNECTION_URL).optional()
                .withDoc("JDBC URL of the metrics store, jdbc:postgresql://host:port/database; needed by --to-db.");
        public static final Field<String> CONNECTION_USER = Field.string(RestoreConfig.CONNECTION_USER).optional()
                .withDoc("Database user for --to-db.");
        public static final Field<String> CONNECTION_PASSWORD = Field.string(RestoreConfig.CONNECTION_PASSWORD)
                .optional().secret().withDoc("Database password for --to-db; never logged.");
    }

    /**
     * Every key, in documentation order (the connection's, then restore's own), each overridden by {@code PGA_<KEY>};
     * keys under {@value #SINK_PREFIX} go to the metrics-store sink, which checks them.
     */
    public static final Fields FIELDS = Fields.of("PGA_", S3Connection.FIELDS).and(List.of(Keys.BOOTSTRAP_SERVERS,
            Keys.SCHEMA_REGISTRY_URL, Keys.CONNECTION_URL, Keys.CONNECTION_USER, Keys.CONNECTION_PASSWORD))
            .allowing(SINK_PREFIX);

    /** Parses string properties; unknown keys are refused, naming the key. */
    public static RestoreConfig from(Map<String, String> props) {
        return from(FIELDS.read(props));
    }

    /** The configuration {@code values} (read against {@link #FIELDS}) describe; every bad value in one {@link InvalidValue}. */
    public static RestoreConfig from(Values values) {
        S3Connection s3 = null;
        try {
            s3 = S3Connection.from(values);
        } catch (InvalidValue e) {
            e.problems().forEach(problem -> values.reject(problem.path(), problem.reason()));
        }
        String bootstrapServers = values.get(Keys.BOOTSTRAP_SERVERS);
        String registryUrl = values.get(Keys.SCHEMA_REGISTRY_URL);
        values.validate();
        String password = values.get(Keys.CONNECTION_PASSWORD);
        return new RestoreConfig(s3, bootstrapServers, registryUrl, values.get(Keys.CONNECTION_URL),
                values.get(Keys.CONNECTION_USER), password == null ? null : new Password(password), Map.copyOf(values.under(SINK_PREFIX)));
    }

    /** Fails naming the key when a target's settings are missing. */
    public void requireFor(RestoreRequest.Target target) {
        if (target == RestoreRequest.Target.KAFKA && bootstrapServers == null) {
            throw new InvalidValue(BOOTSTRAP_SERVERS, "required by --to-kafka");
        }
        if (target == RestoreRequest.Target.DATABASE && connectionUrl == null) {
            throw new InvalidValue(CONNECTION_URL, "required by --to-db, e.g. jdbc:postgresql://host:5432/metrics");
        }
        if (target == RestoreRequest.Target.CONTROL_PLANE && connectionUrl == null) {
            throw new InvalidValue(CONNECTION_URL, "required by --control-plane: the empty, migrated control-plane database to"
                    + " recover into, e.g. jdbc:postgresql://host:5432/pganalytics_control_restored");
        }
    }

    /** Safe to log. */
    @Override
    public String toString() {
        return "RestoreConfig[" + s3 + ", " + BOOTSTRAP_SERVERS + "=" + bootstrapServers + ", " + SCHEMA_REGISTRY_URL
                + "=" + schemaRegistryUrl + ", " + CONNECTION_URL + "=" + (connectionUrl == null ? null
                : connectionUrl.replaceAll("\\?.*", "?…")) + ", " + CONNECTION_USER + "=" + connectionUser + "]";
    }
}
