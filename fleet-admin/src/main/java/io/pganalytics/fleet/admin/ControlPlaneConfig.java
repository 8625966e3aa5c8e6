package io.pganalytics.fleet.admin;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.Values;
import io.pganalytics.schemas.secret.SecretBox;
import java.util.Map;

/**
 * Where the control plane keeps its state and publishes its projection: what {@code pganalytics migrate}, the
 * API and the fleet commands read. Every key is declared once in {@link Keys}.
 *
 * @param databaseUrl      {@code control.database.url}
 * @param databaseUser     {@code control.database.user}
 * @param databasePassword {@code control.database.password} (never logged)
 * @param poolSize         {@code control.database.pool.size}
 * @param bootstrapServers {@code kafka.bootstrap.servers}
 * @param schemaRegistryUrl {@code schema.registry.url}
 * @param secretKeys       {@code fleet.secret.keys}, null when none (then no password can be stored)
 * @param publisher        {@code control.publisher.enabled}: whether this process publishes the projection
 * @param passwordHashing  {@code accounts.password.argon2.*}: the cost of local accounts' password hashes
 * @param ldap             {@code ldap.*}: LDAP sign-in, null when off
 */
public record ControlPlaneConfig(String databaseUrl, String databaseUser, String databasePassword, int poolSize,
                                 String bootstrapServers, String schemaRegistryUrl, String secretKeys, boolean publisher,
                                 PasswordHasher.Parameters passwordHashing, LdapConfig ldap) {

    /** A configuration hashing passwords with {@link PasswordHasher.Parameters#DEFAULT}. */
    public ControlPlaneConfig(String databaseUrl, String databaseUser, String databasePassword, int poolSize,
                              String bootstrapServers, String schemaRegistryUrl, String secretKeys, boolean publisher) {
        this(databaseUrl, databaseUser, databasePassword, poolSize, bootstrapServers, schemaRegistryUrl, secretKeys, publisher,
                PasswordHasher.Parameters.DEFAULT, null);
    }

    /** A configuration without LDAP. */
    public ControlPlaneConfig(String databaseUrl, String databaseUser, String databasePassword, int poolSize,
                              String bootstrapServers, String schemaRegistryUrl, String secretKeys, boolean publisher,
                              PasswordHasher.Parameters passwordHashing) {
        this(databaseUrl, databaseUser, databasePassword, poolSize, bootstrapServers, schemaRegistryUrl, secretKeys, publisher,
                passwordHashing, null);
    }

    /** This configuration signing users in from the directory {@code ldap} too. */
    public ControlPlaneConfig withLdap(LdapConfig ldap) {
        return new ControlPlaneConfig(databaseUrl, databaseUser, databasePassword, poolSize, bootstrapServers, schemaRegistryUrl,
                secretKeys, publisher, passwordHashing, ldap);
    }

    public ControlPlaneConfig {
        java.util.Objects.requireNonNull(passwordHashing, "passwordHashing");
    }

    /** This configuration hashing passwords with {@code parameters}. */
    public ControlPlaneConfig withPasswordHashing(PasswordHasher.Parameters parameters) {
        return new ControlPlaneConfig(databaseUrl, databaseUser, databasePassword, poolSize, bootstrapServers, schemaRegistryUrl,
                secretKeys, publisher, parameters, ldap);
    }

    /** Every key of the control plane, declared once. */
    public static final class Keys {
        private Keys() {
        }

        public static final Field<String> DATABASE_URL = Field.string("control.database.url")
                .withCheck(Check.matching("jdbc:postgresql://.+", "jdbc:postgresql://host:port/db"))
                .withDoc("the control-plane PostgreSQL (13 or newer), `jdbc:postgresql://host:port/pganalytics_control`");
        public static final Field<String> DATABASE_USER = Field.string("control.database.user").optional()
                .withDoc("its user");
        public static final Field<String> DATABASE_PASSWORD = Field.string("control.database.password").optional().secret()
                .withDoc("its password; never logged");
        public static final Field<Integer> POOL_SIZE = Field.integer("control.database.pool.size").withDefault(10)
                .withCheck(n -> n >= 1 && n <= 200 ? null : "expected 1-200, got " + n)
                .withDoc("connections to it at most (HikariCP)");
        public static final Field<String> BOOTSTRAP_SERVERS = Field.string("kafka.bootstrap.servers")
                .withDoc("Kafka, `host:port[,host:port]`: where the fleet topics, the control plane's projection, are");
        public static final Field<String> SCHEMA_REGISTRY_URL = Field.string("schema.registry.url")
                .withDoc("the Confluent-compatible schema registry of those topics");
        public static final Field<String> SECRET_KEYS = Field.string(SecretBox.KEYS).optional().secret()
                .withDoc("`keyId:base64Key[,...]`: AES-256 keys that seal targets' passwords and the API's signing "
                        + "keys, the first encrypts (`pganalytics fleet keygen`); without them nobody can sign in; never logged");
        public static final Field<Boolean> PUBLISHER = Field.bool("control.publisher.enabled").withDefault(true)
                .withDoc("publish committed changes to Kafka (one process at a time does, by a database lock)");
        public static final Field<Integer> ARGON2_MEMORY_KIB = Field.integer("accounts.password.argon2.memory.kib")
                .withDefault(PasswordHasher.Parameters.DEFAULT.memoryKib())
                .withCheck(n -> n >= 1024 && n <= 4 * 1024 * 1024 ? null : "expected 1024-4194304, got " + n)
                .withDoc("memory of one Argon2id password hash, KiB (OWASP's minimum: 19456); a login rehashes a password "
                        + "hashed with other parameters");
        public static final Field<Integer> ARGON2_ITERATIONS = Field.integer("accounts.password.argon2.iterations")
                .withDefault(PasswordHasher.Parameters.DEFAULT.iterations())
                .withCheck(n -> n >= 1 && n <= 100 ? null : "expected 1-100, got " + n)
                .withDoc("passes of one Argon2id password hash");
        public static final Field<Integer> ARGON2_PARALLELISM = Field.integer("accounts.password.argon2.parallelism")
                .withDefault(PasswordHasher.Parameters.DEFAULT.parallelism())
                .withCheck(n -> n >= 1 && n <= 16 ? null : "expected 1-16, got " + n)
                .withDoc("lanes of one Argon2id password hash");
    }

    /** The control plane's keys, each overridden by {@code PGA_<KEY>}. */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.DATABASE_URL, Keys.DATABASE_USER, Keys.DATABASE_PASSWORD,
            Keys.POOL_SIZE, Keys.BOOTSTRAP_SERVERS, Keys.SCHEMA_REGISTRY_URL, Keys.SECRET_KEYS, Keys.PUBLISHER,
            Keys.ARGON2_MEMORY_KIB, Keys.ARGON2_ITERATIONS, Keys.ARGON2_PARALLELISM).and(LdapConfig.FIELDS);

    /** Reads the configuration from properties, each key overridden by its variable in {@code environment}. */
    public static ControlPlaneConfig from(Map<String, String> properties, Map<String, String> environment) {
        return from(FIELDS.read(properties, environment));
    }

    /** The configuration {@code values} describe; every bad value in one {@link io.pganalytics.config.InvalidValue}. */
    public static ControlPlaneConfig from(Values values) {
        String url = values.get(Keys.DATABASE_URL);
        int pool = values.get(Keys.POOL_SIZE);
        String bootstrap = values.get(Keys.BOOTSTRAP_SERVERS);
        String registry = values.get(Keys.SCHEMA_REGISTRY_URL);
        String keys = values.get(Keys.SECRET_KEYS);
        boolean publisher = values.get(Keys.PUBLISHER);
        PasswordHasher.Parameters hashing = new PasswordHasher.Parameters(values.get(Keys.ARGON2_MEMORY_KIB),
                values.get(Keys.ARGON2_ITERATIONS), values.get(Keys.ARGON2_PARALLELISM));
        if (keys != null) {
            try {
                SecretBox.parse(keys);
            } catch (io.pganalytics.config.InvalidValue e) {
                e.problems().forEach(p -> values.reject(p.path(), p.reason()));
            }
        }
        values.validate();
        return new ControlPlaneConfig(url, values.get(Keys.DATABASE_USER), values.get(Keys.DATABASE_PASSWORD), pool, bootstrap,
                registry, keys, publisher, hashing, LdapConfig.from(values));
    }

    /** The keys, or null when none are configured. */
    public SecretBox secrets() {
        return secretKeys == null ? null : SecretBox.parse(secretKeys);
    }

    @Override
    public String toString() {
        return "ControlPlaneConfig[databaseUrl=" + databaseUrl + ", databaseUser=" + databaseUser + ", poolSize=" + poolSize
                + ", bootstrapServers=" + bootstrapServers + ", schemaRegistryUrl=" + schemaRegistryUrl + ", publisher=" + publisher + "]";
    }
}
