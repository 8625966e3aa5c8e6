package io.pganalytics.registry;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The configuration of a {@link SchemaRegistryServer}: where its Kafka state lives, where it listens, how it finds
 * the other instances of its cluster, and how it protects its HTTP listener.
 *
 * <p>Every key is declared once in {@link Keys} with its type, default, rule and documentation. Keys are named as
 * Confluent's registry names them wherever Confluent has one, so that an operator can carry a configuration
 * across. {@link #toString()} never shows a password.
 *
 * @param bootstrapServers the Kafka cluster holding the registry's topic, e.g. {@code 127.0.0.1:9092}
 * @param host             the address the HTTP listener binds
 * @param port             the HTTP port; 0 picks a free one (see {@link SchemaRegistryServer#port()})
 * @param topic            the single-partition compacted topic holding every schema and config
 * @param startupTimeout   how long start-up may take to create and read the topic before it fails
 * @param groupId          the consumer group through which the instances sharing the topic elect their leader
 * @param leaderEligible   whether this instance may become the leader (else it always forwards writes)
 * @param advertisedHost   the host other instances use to forward writes here; null for the bind address
 * @param requestMaxBytes  the largest request body accepted (larger ones get 413)
 * @param basicAuthUsers   users allowed in with HTTP basic authentication; empty for no authentication
 * @param tls              HTTPS settings, or null for plain HTTP
 */
public record RegistryConfig(String bootstrapServers, String host, int port, String topic, Duration startupTimeout,
                             String groupId, boolean leaderEligible, String advertisedHost, long requestMaxBytes,
                             Map<String, PasswordHash> basicAuthUsers, Tls tls) {

    /** The key of {@link #bootstrapServers()}. */
    public static final String BOOTSTRAP_SERVERS = "kafkastore.bootstrap.servers";
    /** The key of {@link #host()}. */
    public static final String HOST = "host";
    /** The key of {@link #port()}. */
    public static final String PORT = "port";
    /** The key of {@link #topic()}. */
    public static final String TOPIC = "kafkastore.topic";
    /** The key of {@link #startupTimeout()}, in milliseconds. */
    public static final String STARTUP_TIMEOUT_MS = "kafkastore.init.timeout.ms";
    /** The key of {@link #groupId()}. */
    public static final String GROUP_ID = "schema.registry.group.id";
    /** The key of {@link #leaderEligible()}. */
    public static final String LEADER_ELIGIBILITY = "leader.eligibility";
    /** The key of {@link #advertisedHost()}. */
    public static final String HOST_NAME = "host.name";
    /** The key of {@link #requestMaxBytes()}. */
    public static final String REQUEST_MAX_BYTES = "request.max.bytes";
    /** {@code NONE} or {@code BASIC}. */
    public static final String AUTHENTICATION_METHOD = "authentication.method";
    /** The key of {@link #basicAuthUsers()}: {@code user=pbkdf2-sha256:...} entries, comma separated. */
    public static final String BASIC_AUTH_USERS = "authentication.basic.users";
    public static final String SSL_KEYSTORE_LOCATION = "ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "ssl.keystore.password";
    public static final String SSL_KEYSTORE_TYPE = "ssl.keystore.type";
    public static final String SSL_KEY_PASSWORD = "ssl.key.password";
    public static final String SSL_TRUSTSTORE_LOCATION = "ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "ssl.truststore.password";

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8081;
    public static final String DEFAULT_TOPIC = "_schemas";
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Keys.STARTUP_TIMEOUT.defaultValue();
    public static final String DEFAULT_GROUP_ID = "schema-registry";
    public static final long DEFAULT_REQUEST_MAX_BYTES = 4L * 1024 * 1024;

    /** Every key, declared once with its type, default, rule and documentation, in documentation order. */
    public static final class Keys {

        private Keys() {
        }

        public static final Field<String> BOOTSTRAP_SERVERS = Field.string(RegistryConfig.BOOTSTRAP_SERVERS)
                .withCheck(RegistryConfig::bootstrapServersProblem)
                .withDoc("Kafka bootstrap servers (host:port, comma separated) of the cluster holding the registry's topic.");
        public static final Field<String> HOST = Field.string(RegistryConfig.HOST).withDefault(DEFAULT_HOST)
                .withDoc("Address the HTTP listener binds.");
        public static final Field<Integer> PORT = Field.of(RegistryConfig.PORT, "an integer", Integer::valueOf,
                        String::valueOf).withDefault(DEFAULT_PORT)
                .withCheck(port -> port >= 0 && port <= 65535 ? null : "expected 0..65535, got " + port)
                .withDoc("HTTP port; 0 picks a free port.");
        public static final Field<String> TOPIC = Field.string(RegistryConfig.TOPIC).withDefault(DEFAULT_TOPIC)
                .withCheck(topic -> TOPIC_NAME.matcher(topic).matches() && !topic.equals(".") && !topic.equals("..")
                        ? null : "expected a Kafka topic name (letters, digits, '.', '_', '-'; at most 249 characters), "
                        + "got '" + topic + "'")
                .withDoc("Single-partition compacted topic holding every schema and config; created if missing.");
        public static final Field<Duration> STARTUP_TIMEOUT = Field.millis(STARTUP_TIMEOUT_MS)
                .withDefault(Duration.ofSeconds(60))
                .withCheck(timeout -> timeout.isNegative() || timeout.isZero()
                        ? "expected a positive duration, got " + timeout : null)
                .withDoc("How long start-up may take to create and read the topic before it fails.");
        public static final Field<String> GROUP_ID = Field.string(RegistryConfig.GROUP_ID).withDefault(DEFAULT_GROUP_ID)
                .withDoc("Consumer group in which the instances sharing the topic elect the one that writes.");
        public static final Field<Boolean> LEADER_ELIGIBILITY = Field.bool(RegistryConfig.LEADER_ELIGIBILITY)
                .withDefault(true)
                .withDoc("Whether this instance may become the leader; false makes it forward every write.");
        public static final Field<String> HOST_NAME = Field.string(RegistryConfig.HOST_NAME).optional()
                .withDoc("Host other instances use to forward writes here; empty for the bind address.");
        public static final Field<Long> REQUEST_MAX_BYTES = Field.longValue(RegistryConfig.REQUEST_MAX_BYTES)
                .withDefault(DEFAULT_REQUEST_MAX_BYTES)
                .withCheck(bytes -> bytes >= 1024 ? null : "expected at least 1024, got " + bytes)
                .withDoc("Largest request body accepted; larger ones are answered 413.");
        public static final Field<AuthenticationMethod> AUTHENTICATION_METHOD = Field.of(
                        RegistryConfig.AUTHENTICATION_METHOD, "NONE or BASIC",
                        text -> AuthenticationMethod.valueOf(text.toUpperCase(Locale.ROOT)), Enum::name)
                .withDefault(AuthenticationMethod.NONE)
                .withDoc("NONE, or BASIC to require HTTP basic authentication on every request.");
        public static final Field<String> BASIC_AUTH_USERS = Field.string(RegistryConfig.BASIC_AUTH_USERS).optional()
                .withDoc("With BASIC: user=pbkdf2-sha256:... entries, comma separated (hash from "
                        + "`pganalytics registry hash-password`).");
        public static final Field<Path> SSL_KEYSTORE_LOCATION = Field.path(RegistryConfig.SSL_KEYSTORE_LOCATION)
                .optional()
                .withDoc("Key store with the server's certificate and key; set to serve HTTPS instead of HTTP.");
        public static final Field<String> SSL_KEYSTORE_PASSWORD = Field.string(RegistryConfig.SSL_KEYSTORE_PASSWORD)
                .optional().secret().withDoc("Password of the key store.");
        public static final Field<String> SSL_KEYSTORE_TYPE = Field.string(RegistryConfig.SSL_KEYSTORE_TYPE)
                .withDefault("PKCS12").withDoc("Type of the key store (PKCS12 or JKS).");
        public static final Field<String> SSL_KEY_PASSWORD = Field.string(RegistryConfig.SSL_KEY_PASSWORD)
                .optional().secret().withDoc("Password of the key in the key store; empty for the key store's.");
        public static final Field<Path> SSL_TRUSTSTORE_LOCATION = Field.path(RegistryConfig.SSL_TRUSTSTORE_LOCATION)
                .optional().withDoc("Trust store for forwarding writes to a leader over HTTPS; empty for the key store.");
        public static final Field<String> SSL_TRUSTSTORE_PASSWORD = Field.string(RegistryConfig.SSL_TRUSTSTORE_PASSWORD)
                .optional().secret().withDoc("Password of the trust store.");
    }

    /** {@code authentication.method}. */
    public enum AuthenticationMethod { NONE, BASIC }

    /** The environment variables that override a key: {@code PGA_REGISTRY_<KEY>}, e.g. {@code PGA_REGISTRY_PORT}. */
    public static final String ENVIRONMENT_PREFIX = "PGA_REGISTRY_";

    /** Every key this configuration reads, in documentation order. */
    public static final Fields FIELDS = Fields.of(ENVIRONMENT_PREFIX, Keys.BOOTSTRAP_SERVERS, Keys.HOST, Keys.PORT,
            Keys.TOPIC, Keys.STARTUP_TIMEOUT, Keys.GROUP_ID, Keys.LEADER_ELIGIBILITY, Keys.HOST_NAME,
            Keys.REQUEST_MAX_BYTES, Keys.AUTHENTICATION_METHOD, Keys.BASIC_AUTH_USERS, Keys.SSL_KEYSTORE_LOCATION,
            Keys.SSL_KEYSTORE_PASSWORD, Keys.SSL_KEYSTORE_TYPE, Keys.SSL_KEY_PASSWORD, Keys.SSL_TRUSTSTORE_LOCATION,
            Keys.SSL_TRUSTSTORE_PASSWORD);

    // A bootstrap entry is host:port; hosts may be names, IPv4 or bracketed IPv6 literals.
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+):\\d{1,5}");
    // Kafka's own rule for topic names.
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /**
     * HTTPS settings.
     *
     * @param truststore where the certificates of the other instances are trusted from; null for the key store
     */
    public record Tls(Path keystore, String keystoreType, String keystorePassword, String keyPassword,
                      Path truststore, String truststorePassword) {

        public Tls {
            if (keystore == null || !Files.isReadable(keystore)) {
                throw new InvalidValue(SSL_KEYSTORE_LOCATION, "expected a readable file, got " + keystore);
            }
            if (truststore != null && !Files.isReadable(truststore)) {
                throw new InvalidValue(SSL_TRUSTSTORE_LOCATION, "expected a readable file, got " + truststore);
            }
            keystoreType = keystoreType == null || keystoreType.isBlank() ? "PKCS12" : keystoreType.strip();
            keystorePassword = keystorePassword == null ? "" : keystorePassword;
            keyPassword = keyPassword == null || keyPassword.isEmpty() ? keystorePassword : keyPassword;
        }

        /** A key store serving HTTPS, also trusted for forwarding. */
        public static Tls of(Path keystore, String password) {
            return new Tls(keystore, "PKCS12", password, null, null, null);
        }

        @Override
        public String toString() {
            return "Tls[keystore=" + keystore + ", type=" + keystoreType + ", truststore=" + truststore
                    + ", passwords=****]";
        }
    }

    /** Validates every value; an {@link InvalidValue} names every key whose value cannot be used. */
    public RegistryConfig {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            problems.add(new InvalidValue.Problem(BOOTSTRAP_SERVERS, "required, e.g. 127.0.0.1:9092"));
        } else {
            bootstrapServers = bootstrapServers.strip();
            Keys.BOOTSTRAP_SERVERS.problemWith(bootstrapServers).ifPresent(problems::add);
        }
        if (host == null || host.isBlank()) {
            problems.add(new InvalidValue.Problem(HOST, "required, e.g. " + DEFAULT_HOST));
        } else {
            host = host.strip();
        }
        Keys.PORT.problemWith(port).ifPresent(problems::add);
        if (topic == null) {
            problems.add(new InvalidValue.Problem(TOPIC, "required, e.g. " + DEFAULT_TOPIC));
        }
        Keys.TOPIC.problemWith(topic).ifPresent(problems::add);
        if (startupTimeout == null) {
            problems.add(new InvalidValue.Problem(STARTUP_TIMEOUT_MS, "required"));
        }
        Keys.STARTUP_TIMEOUT.problemWith(startupTimeout).ifPresent(problems::add);
        if (groupId == null || groupId.isBlank()) {
            problems.add(new InvalidValue.Problem(GROUP_ID, "required, e.g. " + DEFAULT_GROUP_ID));
        }
        advertisedHost = advertisedHost == null || advertisedHost.isBlank() ? null : advertisedHost.strip();
        Keys.REQUEST_MAX_BYTES.problemWith(requestMaxBytes).ifPresent(problems::add);
        basicAuthUsers = basicAuthUsers == null ? Map.of() : Map.copyOf(basicAuthUsers);
        if (!problems.isEmpty()) {
            throw new InvalidValue(problems);
        }
    }

    /** The configuration of earlier releases: Kafka, listener and topic; everything else defaults. */
    public RegistryConfig(String bootstrapServers, String host, int port, String topic, Duration startupTimeout) {
        this(bootstrapServers, host, port, topic, startupTimeout, DEFAULT_GROUP_ID, true, null,
                DEFAULT_REQUEST_MAX_BYTES, Map.of(), null);
    }

    /** The defaults for everything but the Kafka cluster. */
    public static RegistryConfig of(String bootstrapServers) {
        return new RegistryConfig(bootstrapServers, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TOPIC, DEFAULT_STARTUP_TIMEOUT);
    }

    /**
     * Reads a configuration from string properties named as in {@link #FIELDS}; absent keys take their default.
     * Unknown keys are refused, so that a misspelt key fails start-up instead of being silently ignored.
     */
    public static RegistryConfig fromProperties(Map<String, String> properties) {
        return from(FIELDS.read(properties));
    }

    /** The configuration {@code values} (read against {@link #FIELDS}) describe; every bad value in one {@link InvalidValue}. */
    public static RegistryConfig from(Values values) {
        Map<String, PasswordHash> users = Map.of();
        boolean usersReadable = true;
        try {
            users = parseUsers(Objects.requireNonNullElse(values.get(Keys.BASIC_AUTH_USERS), ""));
        } catch (InvalidValue e) {
            usersReadable = false;
            e.problems().forEach(problem -> values.reject(problem.path(), problem.reason()));
        }
        AuthenticationMethod method = values.get(Keys.AUTHENTICATION_METHOD);
        if (method == AuthenticationMethod.NONE && !users.isEmpty()) {
            values.reject(BASIC_AUTH_USERS, "set, but " + AUTHENTICATION_METHOD + " is NONE; set it to BASIC or remove the users");
        }
        if (method == AuthenticationMethod.BASIC && users.isEmpty() && usersReadable) {
            values.reject(BASIC_AUTH_USERS, "required when " + AUTHENTICATION_METHOD + " is BASIC");
        }
        values.validate();
        Path keystore = values.get(Keys.SSL_KEYSTORE_LOCATION);
        Tls tls = keystore == null ? null : new Tls(keystore, values.get(Keys.SSL_KEYSTORE_TYPE),
                values.get(Keys.SSL_KEYSTORE_PASSWORD), values.get(Keys.SSL_KEY_PASSWORD),
                values.get(Keys.SSL_TRUSTSTORE_LOCATION), values.get(Keys.SSL_TRUSTSTORE_PASSWORD));
        return new RegistryConfig(values.get(Keys.BOOTSTRAP_SERVERS), values.get(Keys.HOST), values.get(Keys.PORT),
                values.get(Keys.TOPIC), values.get(Keys.STARTUP_TIMEOUT), values.get(Keys.GROUP_ID),
                values.get(Keys.LEADER_ELIGIBILITY), values.get(Keys.HOST_NAME), values.get(Keys.REQUEST_MAX_BYTES),
                users, tls);
    }

    public RegistryConfig withHost(String host) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withPort(int port) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withTopic(String topic) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withStartupTimeout(Duration startupTimeout) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withGroupId(String groupId) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withLeaderEligible(boolean leaderEligible) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withRequestMaxBytes(long requestMaxBytes) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withBasicAuthUsers(Map<String, PasswordHash> basicAuthUsers) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    public RegistryConfig withTls(Tls tls) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout, groupId, leaderEligible,
                advertisedHost, requestMaxBytes, basicAuthUsers, tls);
    }

    @Override
    public String toString() {
        return "RegistryConfig[bootstrapServers=" + bootstrapServers + ", host=" + host + ", port=" + port
                + ", topic=" + topic + ", startupTimeout=" + startupTimeout + ", groupId=" + groupId
                + ", leaderEligible=" + leaderEligible + ", advertisedHost=" + advertisedHost
                + ", requestMaxBytes=" + requestMaxBytes + ", basicAuthUsers=" + basicAuthUsers.keySet()
                + ", tls=" + tls + "]";
    }

    private static Map<String, PasswordHash> parseUsers(String value) {
        Map<String, PasswordHash> users = new LinkedHashMap<>();
        for (String entry : value.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int equals = entry.indexOf('=');
            if (equals < 1) {
                throw new InvalidValue(BASIC_AUTH_USERS, "expected user=pbkdf2-sha256:..., got an entry without '='");
            }
            String user = entry.substring(0, equals).strip();
            try {
                users.put(user, PasswordHash.parse(entry.substring(equals + 1).strip()));
            } catch (IllegalArgumentException e) {
                // The message never repeats the value: it may be a password pasted by mistake.
                throw new InvalidValue(BASIC_AUTH_USERS, "user " + user + ": " + e.getMessage());
            }
        }
        return users;
    }

    private static String bootstrapServersProblem(String value) {
        for (String server : value.split(",")) {
            if (!HOST_PORT.matcher(server.strip()).matches()) {
                return "expected host:port[,host:port...], got '" + value + "'";
            }
        }
        return null;
    }
}
