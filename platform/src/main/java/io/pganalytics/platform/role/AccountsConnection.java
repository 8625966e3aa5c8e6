package io.pganalytics.platform.role;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.fleet.admin.PasswordHasher;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The connection options of {@code pganalytics users} and {@code pganalytics keys}: only the control-plane database
 * (and the keys that seal signing keys), no Kafka. A properties file, environment variables, or options, in
 * increasing precedence; the API's file will do.
 */
final class AccountsConnection {

    static final Field<String> DATABASE_URL = FleetConnection.DATABASE_URL;
    static final Fields FIELDS = Fields.of("PGA_", DATABASE_URL, ControlPlaneConfig.Keys.DATABASE_USER,
                    ControlPlaneConfig.Keys.DATABASE_PASSWORD, ControlPlaneConfig.Keys.SECRET_KEYS, ControlPlaneConfig.Keys.ARGON2_MEMORY_KIB,
                    ControlPlaneConfig.Keys.ARGON2_ITERATIONS, ControlPlaneConfig.Keys.ARGON2_PARALLELISM)
            .allowing("collector.", "api.", "control.", "kafka.", "schema.");

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file with control.database.url (and .user, .password) and, for signing keys, "
                    + "fleet.secret.keys; the API's file will do. Each key can be set by PGA_<KEY>, e.g. PGA_CONTROL_DATABASE_URL.")
    Path config;

    @Option(names = "--database-url", paramLabel = "JDBC-URL", description = "Overrides control.database.url.")
    String databaseUrl;

    /** The accounts of the control plane these options name; close it. */
    Accounts open() {
        return ControlPlanes.openAccounts(ConfigFile.load(config, FIELDS, this::config));
    }

    private ControlPlaneConfig config(Values values) {
        String database = databaseUrl != null ? databaseUrl : values.get(DATABASE_URL);
        if (database == null || !database.startsWith("jdbc:postgresql://")) {
            values.reject(DATABASE_URL.name(), (database == null ? "required" : "expected jdbc:postgresql://host:port/db")
                    + " (--database-url, --config or " + DATABASE_URL.environmentVariable(FIELDS.environmentPrefix()) + ")");
        }
        PasswordHasher.Parameters hashing = null;
        try {
            hashing = new PasswordHasher.Parameters(values.get(ControlPlaneConfig.Keys.ARGON2_MEMORY_KIB),
                    values.get(ControlPlaneConfig.Keys.ARGON2_ITERATIONS), values.get(ControlPlaneConfig.Keys.ARGON2_PARALLELISM));
        } catch (IllegalArgumentException e) {
            values.reject(ControlPlaneConfig.Keys.ARGON2_MEMORY_KIB.name(), e.getMessage());
        }
        values.validate();
        String keys = values.get(ControlPlaneConfig.Keys.SECRET_KEYS);
        if (keys != null) {
            io.pganalytics.schemas.secret.SecretBox.parse(keys); // a bad key is an InvalidValue naming fleet.secret.keys
        }
        // No Kafka: accounts live in the database only.
        return new ControlPlaneConfig(database, values.get(ControlPlaneConfig.Keys.DATABASE_USER),
                values.get(ControlPlaneConfig.Keys.DATABASE_PASSWORD), 2, null, null, keys, false, hashing);
    }
}
