package io.pganalytics.api;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The API role's configuration; every key is declared once in {@link Keys}, and {@link #FIELDS} is what
 * docs/configuration.md shows.
 *
 * @param host             {@code api.host}: address to bind; 127.0.0.1 unless the API is meant to be reached from elsewhere
 * @param port             {@code api.port}: HTTP port (0 picks a free one)
 * @param databaseUrl      {@code api.database.url}: the control-plane PostgreSQL, {@code jdbc:postgresql://...}
 * @param databaseUser     {@code api.database.user}: its user
 * @param databasePassword {@code api.database.password}: its password (never logged)
 * @param bootstrapServers {@code kafka.bootstrap.servers}: Kafka
 * @param adminToken       {@code api.admin.token}: the interim admin bearer token (never logged); null = no admin
 * @param corsAllowedOrigins {@code api.cors.allowed.origins}: browser origins allowed to call; empty = no CORS
 * @param maxBodyBytes     {@code api.max.body.bytes}: the largest request body accepted (413 beyond)
 * @param schemaRegistryUrl {@code schema.registry.url}: the registry of the fleet topics' schemas; null = no fleet views
 */
public record ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword,
                        String bootstrapServers, String adminToken, List<String> corsAllowedOrigins,
                        long maxBodyBytes, String schemaRegistryUrl) {

    /** The default of {@code api.max.body.bytes}: 1 MiB, enough for a bulk import of thousands of rows. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    /** A configuration with no admin token, no CORS and the default body limit. */
    public ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword,
                     String bootstrapServers) {
        this(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, null, List.of(),
                DEFAULT_MAX_BODY_BYTES, null);
    }

    /** This configuration reading the fleet topics with the schemas of {@code schemaRegistryUrl}. */
    public ApiConfig withSchemaRegistry(String schemaRegistryUrl) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl);
    }

    /** This configuration with {@code adminToken} as its admin token. */
    public ApiConfig withAdminToken(String adminToken) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl);
    }

    /** Every key the API reads, declared once: its type, default, rule and meaning. */
    public static final class Keys {

        private Keys() {
        }

        public static final Field<String> HOST = Field.string("api.host").withDefault("127.0.0.1")
                .withDoc("address to bind; `127.0.0.1` unless the API is meant to be reached from elsewhere");
        public static final Field<Integer> PORT = Field.integer("api.port").withDefault(8080)
                .withCheck(port -> port >= 0 && port <= 65535 ? null : "expected 0-65535, got " + port)
                .withDoc("HTTP port; `0` picks a free one");
        public static final Field<String> DATABASE_URL = Field.string("api.database.url")
                .withCheck(Check.matching("jdbc:postgresql://.+", "jdbc:postgresql://host:port/db"))
                .withDoc("the control-plane PostgreSQL, `jdbc:postgresql://host:port/database`");
        public static final Field<String> DATABASE_USER = Field.string("api.database.user").optional()
                .withDoc("its user");
        public static final Field<String> DATABASE_PASSWORD = Field.string("api.database.password").optional()
                .secret().withDoc("its password; never logged");
        public static final Field<String> BOOTSTRAP_SERVERS = Field.string("kafka.bootstrap.servers")
                .withDoc("Kafka, `host:port[,host:port]`");
        public static final Field<String> ADMIN_TOKEN = Field.string("api.admin.token").optional()
                .withCheck(token -> token.length() >= 16 ? null : "expected at least 16 characters")
                .secret().withDoc("the interim admin bearer token (`Authorization: Bearer <token>`) until the identity "
                        + "issue lands; the quickstart generates one; never logged. Without it no admin can call");
        public static final Field<List<String>> CORS_ALLOWED_ORIGINS = Field.list("api.cors.allowed.origins")
                .withDefault(List.of())
                .withDoc("browser origins (e.g. `https://console.example.com`) allowed to call the API; empty = no CORS");
        public static final Field<Long> MAX_BODY_BYTES = Field.longValue("api.max.body.bytes")
                .withDefault(DEFAULT_MAX_BODY_BYTES)
                .withCheck(bytes -> bytes >= 1024 && bytes <= 64L * 1024 * 1024 ? null : "expected 1024-67108864, got " + bytes)
                .withDoc("the largest request body accepted; a longer one is answered 413");
        public static final Field<String> SCHEMA_REGISTRY_URL = Field.string("schema.registry.url").optional()
                .withCheck(Check.matching("https?://.+", "http://host:port"))
                .withDoc("the schema registry of the fleet topics, read for the collectors' status, logs, alerts and "
                        + "the events WebSocket");
    }

    /** Every key the API reads, in documentation order, each overridden by {@code PGA_<KEY>}. */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.HOST, Keys.PORT, Keys.DATABASE_URL, Keys.DATABASE_USER,
            Keys.DATABASE_PASSWORD, Keys.BOOTSTRAP_SERVERS, Keys.ADMIN_TOKEN, Keys.CORS_ALLOWED_ORIGINS, Keys.MAX_BODY_BYTES,
            Keys.SCHEMA_REGISTRY_URL);

    /** Follows the rules of {@link Keys}; an {@link InvalidValue} names every key that does not. */
    public ApiConfig {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        Keys.PORT.problemWith(port).ifPresent(problems::add);
        Keys.MAX_BODY_BYTES.problemWith(maxBodyBytes).ifPresent(problems::add);
        if (adminToken != null) {
            Keys.ADMIN_TOKEN.problemWith(adminToken).ifPresent(problems::add);
        }
        corsAllowedOrigins = corsAllowedOrigins == null ? List.of() : List.copyOf(corsAllowedOrigins);
        if (databaseUrl == null || !databaseUrl.startsWith("jdbc:postgresql://")) {
            problems.add(new InvalidValue.Problem(Keys.DATABASE_URL.name(), "expected jdbc:postgresql://host:port/db"));
        }
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            problems.add(new InvalidValue.Problem(Keys.BOOTSTRAP_SERVERS.name(), "required"));
        }
        InvalidValue.throwIfAny(problems);
    }

    /** Reads the configuration from properties, each key overridden by its variable in {@code environment}. */
    public static ApiConfig from(Map<String, String> properties, Map<String, String> environment) {
        return from(FIELDS.read(properties, environment));
    }

    /** The configuration {@code values} (read against {@link #FIELDS}) describe; every bad value in one {@link InvalidValue}. */
    public static ApiConfig from(Values values) {
        String host = values.get(Keys.HOST);
        int port = values.get(Keys.PORT);
        String databaseUrl = values.get(Keys.DATABASE_URL);
        String bootstrapServers = values.get(Keys.BOOTSTRAP_SERVERS);
        String adminToken = values.get(Keys.ADMIN_TOKEN);
        List<String> origins = values.get(Keys.CORS_ALLOWED_ORIGINS);
        long maxBodyBytes = values.get(Keys.MAX_BODY_BYTES);
        values.validate();
        return new ApiConfig(host, port, databaseUrl, values.get(Keys.DATABASE_USER),
                values.get(Keys.DATABASE_PASSWORD), bootstrapServers, adminToken, origins, maxBodyBytes,
                values.get(Keys.SCHEMA_REGISTRY_URL));
    }

    @Override
    public String toString() {
        return "ApiConfig[host=" + host + ", port=" + port + ", databaseUrl=" + databaseUrl + ", databaseUser="
                + databaseUser + ", bootstrapServers=" + bootstrapServers + ", adminToken=" + (adminToken == null ? "none" : "***")
                + ", corsAllowedOrigins=" + corsAllowedOrigins + ", maxBodyBytes=" + maxBodyBytes + ", schemaRegistryUrl="
                + schemaRegistryUrl + "]";
    }
}
