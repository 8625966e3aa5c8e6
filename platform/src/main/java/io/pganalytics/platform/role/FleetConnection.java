package io.pganalytics.platform.role;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.fleet.admin.FleetAdmin;
import io.pganalytics.schemas.secret.SecretBox;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The connection options every {@code pganalytics fleet} subcommand shares: a properties file, environment
 * variables, or options, in increasing precedence. A change goes through the control plane, as the API's do:
 * committed to the control-plane database ({@code control.database.*}), then published to the fleet topics.
 */
final class FleetConnection {

    /** {@code control.database.url} as the control plane declares it, but optional here so that {@code --database-url} can give it. */
    static final Field<String> DATABASE_URL = Field.string(ControlPlaneConfig.Keys.DATABASE_URL.name()).optional()
            .withDefaultDescribed("required").withDoc("the control-plane PostgreSQL, where every change is committed first; "
                    + "`--database-url` overrides it");
    static final Field<String> BOOTSTRAP_SERVERS = Field.string("kafka.bootstrap.servers").optional()
            .withDefaultDescribed("required").withDoc("Kafka, `host:port[,host:port]`; `--bootstrap-servers` overrides it");
    static final Field<String> SCHEMA_REGISTRY_URL = Field.string("schema.registry.url").optional()
            .withDefaultDescribed("required")
            .withDoc("the Confluent-compatible registry; `--schema-registry-url` overrides it");
    static final Field<String> SECRET_KEYS = Field.string(SecretBox.KEYS).optional().secret()
            .withDoc("`keyId:base64Key[,...]`: AES-256 keys that encrypt targets' passwords (`pganalytics fleet keygen`); "
                    + "needed by `--password-file` and `--password-env`; never logged");
    /** The keys a fleet command reads; a collector's own keys ({@code collector.*}) pass, so its file will do. */
    static final Fields FIELDS = Fields.of("PGA_", DATABASE_URL, ControlPlaneConfig.Keys.DATABASE_USER,
            ControlPlaneConfig.Keys.DATABASE_PASSWORD, BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, SECRET_KEYS).allowing("collector.", "api.",
            "control.");
    /** How brokers tell the command line's clients from the API's. */
    static final String CLIENT_ID = "pganalytics-fleet-cli";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file with control.database.url (and .user, .password), kafka.bootstrap.servers, "
                    + "schema.registry.url and (to encrypt passwords) fleet.secret.keys; the API's file will do. Each key can be "
                    + "set by PGA_<KEY>, e.g. PGA_FLEET_SECRET_KEYS.")
    Path config;

    @Option(names = "--database-url", paramLabel = "JDBC-URL", description = "Overrides control.database.url.")
    String databaseUrl;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", description = "Overrides kafka.bootstrap.servers.")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL", description = "Overrides schema.registry.url.")
    String schemaRegistryUrl;

    /** Where to connect and the keys to encrypt with (null when none are configured). */
    record Settings(String databaseUrl, String databaseUser, String databasePassword, String bootstrapServers, String schemaRegistryUrl,
                    String secretKeys) {

        /** The keys, or an error naming {@code fleet.secret.keys} and what needs it. */
        SecretBox secrets(String neededBy) {
            if (secretKeys == null) {
                throw new InvalidValue(SecretBox.KEYS, "required with " + neededBy + " to encrypt the password"
                        + " (keyId:base64Key; `pganalytics fleet keygen` makes one)");
            }
            return SecretBox.parse(secretKeys);
        }

        /**
         * The control plane over these settings; {@code secrets} null when no password is to be encrypted. It takes
         * its turn publishing (when no API does), and publishes what it committed before it closes.
         */
        io.pganalytics.fleet.admin.ControlPlane open(SecretBox secrets) {
            return ControlPlanes.open(new ControlPlaneConfig(databaseUrl, databaseUser, databasePassword, 2, bootstrapServers,
                    schemaRegistryUrl, secrets == null ? null : secretKeys, true), CLIENT_ID);
        }
    }

    Settings settings() {
        return ConfigFile.load(config, FIELDS, this::settings);
    }

    private Settings settings(Values values) {
        String bootstrap = bootstrapServers != null ? bootstrapServers : values.get(BOOTSTRAP_SERVERS);
        String registry = schemaRegistryUrl != null ? schemaRegistryUrl : values.get(SCHEMA_REGISTRY_URL);
        if (bootstrap == null || bootstrap.isBlank()) {
            values.reject(BOOTSTRAP_SERVERS.name(), "required (--bootstrap-servers, --config or "
                    + BOOTSTRAP_SERVERS.environmentVariable(FIELDS.environmentPrefix()) + ")");
        }
        if (registry == null || registry.isBlank()) {
            values.reject(SCHEMA_REGISTRY_URL.name(), "required (--schema-registry-url, --config or "
                    + SCHEMA_REGISTRY_URL.environmentVariable(FIELDS.environmentPrefix()) + ")");
        }
        String database = databaseUrl != null ? databaseUrl : values.get(DATABASE_URL);
        if (database == null || !database.startsWith("jdbc:postgresql://")) {
            values.reject(DATABASE_URL.name(), (database == null ? "required" : "expected jdbc:postgresql://host:port/db")
                    + " (--database-url, --config or " + DATABASE_URL.environmentVariable(FIELDS.environmentPrefix()) + ")");
        }
        values.validate();
        return new Settings(database, values.get(ControlPlaneConfig.Keys.DATABASE_USER), values.get(ControlPlaneConfig.Keys.DATABASE_PASSWORD),
                bootstrap.strip(), registry.strip(), values.get(SECRET_KEYS));
    }
}
