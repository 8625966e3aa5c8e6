package io.pganalytics.platform.role;

import io.pganalytics.fleet.admin.FleetAdmin;
import io.pganalytics.fleet.admin.KafkaFleetAdmin;
import io.pganalytics.schemas.secret.SecretBox;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The connection options every {@code pganalytics fleet} subcommand shares: a properties file, environment
 * variables, or options, in increasing precedence (the keys are the collector's, so its file works as is).
 */
final class FleetConnection {

    static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    static final List<String> KEYS = List.of(BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, SecretBox.KEYS);
    /** How brokers tell the command line's clients from the API's. */
    static final String CLIENT_ID = "pganalytics-fleet-cli";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file with kafka.bootstrap.servers, schema.registry.url and (to encrypt passwords) "
                    + "fleet.secret.keys; a collector's file will do. Each key can be set by PGA_<KEY>, e.g. "
                    + "PGA_FLEET_SECRET_KEYS.")
    Path config;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", description = "Overrides kafka.bootstrap.servers.")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL", description = "Overrides schema.registry.url.")
    String schemaRegistryUrl;

    /** Where to connect and the keys to encrypt with (null when none are configured). */
    record Settings(String bootstrapServers, String schemaRegistryUrl, String secretKeys) {

        /** The keys, or an error naming {@code fleet.secret.keys} and what needs it. */
        SecretBox secrets(String neededBy) {
            if (secretKeys == null) {
                throw new InvalidConfiguration(SecretBox.KEYS + ": required with " + neededBy + " to encrypt the password"
                        + " (keyId:base64Key; `pganalytics fleet keygen` makes one)", null);
            }
            try {
                return SecretBox.parse(secretKeys);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfiguration(e.getMessage(), e);
            }
        }

        /** The fleet's administration over these settings; {@code secrets} null when no password is to be encrypted. */
        FleetAdmin open(SecretBox secrets) {
            return KafkaFleetAdmin.open(new KafkaFleetAdmin.Connection(bootstrapServers, schemaRegistryUrl, secrets, CLIENT_ID));
        }
    }

    Settings settings() {
        return ConfigFile.load(config, KEYS, "PGA_", values -> {
            String bootstrap = bootstrapServers != null ? bootstrapServers : values.get(BOOTSTRAP_SERVERS);
            String registry = schemaRegistryUrl != null ? schemaRegistryUrl : values.get(SCHEMA_REGISTRY_URL);
            if (bootstrap == null || bootstrap.isBlank()) {
                throw new IllegalArgumentException(BOOTSTRAP_SERVERS + ": required (--bootstrap-servers, --config or PGA_KAFKA_BOOTSTRAP_SERVERS)");
            }
            if (registry == null || registry.isBlank()) {
                throw new IllegalArgumentException(SCHEMA_REGISTRY_URL + ": required (--schema-registry-url, --config or PGA_SCHEMA_REGISTRY_URL)");
            }
            String keys = values.get(SecretBox.KEYS);
            return new Settings(bootstrap.strip(), registry.strip(), keys == null || keys.isBlank() ? null : keys);
        });
    }
}
