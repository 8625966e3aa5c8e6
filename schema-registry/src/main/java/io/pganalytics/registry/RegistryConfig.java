package io.pganalytics.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The configuration of a {@link SchemaRegistryServer}: where its Kafka state lives, where it listens, how it finds
 * the other instances of its cluster, and how it protects its HTTP listener.
 *
 * <p>Every key is declared once in {@link #keys()} with its default and documentation. Keys are named as
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
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);
    public static final String DEFAULT_GROUP_ID = "schema-registry";
    public static final long DEFAULT_REQUEST_MAX_BYTES = 4L * 1024 * 1024;

    private static final List<Key> KEYS = List.of(
            new Key(BOOTSTRAP_SERVERS, null,
                    "Kafka bootstrap servers (host:port, comma separated) of the cluster holding the registry's topic."),
            new Key(HOST, DEFAULT_HOST, "Address the HTTP listener binds."),
            new Key(PORT, Integer.toString(DEFAULT_PORT), "HTTP port; 0 picks a free port."),
            new Key(TOPIC, DEFAULT_TOPIC,
                    "Single-partition compacted topic holding every schema and config; created if missing."),
            new Key(STARTUP_TIMEOUT_MS, Long.toString(DEFAULT_STARTUP_TIMEOUT.toMillis()),
                    "How long start-up may take to create and read the topic before it fails."),
            new Key(GROUP_ID, DEFAULT_GROUP_ID,
                    "Consumer group in which the instances sharing the topic elect the one that writes."),
            new Key(LEADER_ELIGIBILITY, "true",
                    "Whether this instance may become the leader; false makes it forward every write."),
            new Key(HOST_NAME, "",
                    "Host other instances use to forward writes here; empty for the bind address."),
            new Key(REQUEST_MAX_BYTES, Long.toString(DEFAULT_REQUEST_MAX_BYTES),
                    "Largest request body accepted; larger ones are answered 413."),
            new Key(AUTHENTICATION_METHOD, "NONE",
                    "NONE, or BASIC to require HTTP basic authentication on every request."),
            new Key(BASIC_AUTH_USERS, "",
                    "With BASIC: user=pbkdf2-sha256:... entries, comma separated (hash from `pganalytics registry hash-password`)."),
            new Key(SSL_KEYSTORE_LOCATION, "",
                    "Key store with the server's certificate and key; set to serve HTTPS instead of HTTP."),
            new Key(SSL_KEYSTORE_PASSWORD, "", "Password of the key store."),
            new Key(SSL_KEYSTORE_TYPE, "PKCS12", "Type of the key store (PKCS12 or JKS)."),
            new Key(SSL_KEY_PASSWORD, "", "Password of the key in the key store; empty for the key store's."),
            new Key(SSL_TRUSTSTORE_LOCATION, "",
                    "Trust store for forwarding writes to a leader over HTTPS; empty for the key store."),
            new Key(SSL_TRUSTSTORE_PASSWORD, "", "Password of the trust store."));

    // A bootstrap entry is host:port; hosts may be names, IPv4 or bracketed IPv6 literals.
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+):\\d{1,5}");
    // Kafka's own rule for topic names.
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /** One configuration key: its name, its default ({@code null} when required, empty when none) and its use. */
    public record Key(String name, String defaultValue, String documentation) {
    }

    /**
     * HTTPS settings.
     *
     * @param truststore where the certificates of the other instances are trusted from; null for the key store
     */
    public record Tls(Path keystore, String keystoreType, String keystorePassword, String keyPassword,
                      Path truststore, String truststorePassword) {

        public Tls {
            if (keystore == null || !Files.isReadable(keystore)) {
                throw new IllegalArgumentException(SSL_KEYSTORE_LOCATION + ": expected a readable file, got "
                        + keystore);
            }
            if (truststore != null && !Files.isReadable(truststore)) {
                throw new IllegalArgumentException(SSL_TRUSTSTORE_LOCATION + ": expected a readable file, got "
                        + truststore);
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

    /** Validates every value; the message of an {@link IllegalArgumentException} starts with the bad key. */
    public RegistryConfig {
        bootstrapServers = requireBootstrapServers(bootstrapServers);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException(HOST + ": required, e.g. " + DEFAULT_HOST);
        }
        host = host.strip();
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(PORT + ": expected 0..65535, got " + port);
        }
        if (topic == null || !TOPIC_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException(TOPIC + ": expected a Kafka topic name (letters, digits, '.', '_', '-'; "
                    + "at most 249 characters), got '" + topic + "'");
        }
        if (startupTimeout == null || startupTimeout.isNegative() || startupTimeout.isZero()) {
            throw new IllegalArgumentException(STARTUP_TIMEOUT_MS + ": expected a positive duration, got "
                    + startupTimeout);
        }
        if (groupId == null || groupId.isBlank()) {
            throw new IllegalArgumentException(GROUP_ID + ": required, e.g. " + DEFAULT_GROUP_ID);
        }
        advertisedHost = advertisedHost == null || advertisedHost.isBlank() ? null : advertisedHost.strip();
        if (requestMaxBytes < 1024) {
            throw new IllegalArgumentException(REQUEST_MAX_BYTES + ": expected at least 1024, got " + requestMaxBytes);
        }
        basicAuthUsers = basicAuthUsers == null ? Map.of() : Map.copyOf(basicAuthUsers);
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
     * Reads a configuration from string properties named as in {@link #keys()}; absent keys take their default.
     * Unknown keys are rejected, so that a misspelt key fails start-up instead of being silently ignored.
     */
    public static RegistryConfig fromProperties(Map<String, String> properties) {
        Map<String, String> remaining = new LinkedHashMap<>(properties);
        for (Key key : KEYS) {
            remaining.remove(key.name());
        }
        if (!remaining.isEmpty()) {
            String unknown = remaining.keySet().iterator().next();
            throw new IllegalArgumentException(unknown + ": unknown key; known keys are "
                    + KEYS.stream().map(Key::name).toList());
        }
        String method = properties.getOrDefault(AUTHENTICATION_METHOD, "NONE").strip().toUpperCase(Locale.ROOT);
        Map<String, PasswordHash> users = parseUsers(properties.getOrDefault(BASIC_AUTH_USERS, ""));
        switch (method) {
            case "NONE" -> {
                if (!users.isEmpty()) {
                    throw new IllegalArgumentException(BASIC_AUTH_USERS + ": set, but " + AUTHENTICATION_METHOD
                            + " is NONE; set it to BASIC or remove the users");
                }
            }
            case "BASIC" -> {
                if (users.isEmpty()) {
                    throw new IllegalArgumentException(BASIC_AUTH_USERS + ": required when " + AUTHENTICATION_METHOD
                            + " is BASIC");
                }
            }
            default -> throw new IllegalArgumentException(AUTHENTICATION_METHOD + ": expected NONE or BASIC, got '"
                    + properties.get(AUTHENTICATION_METHOD) + "'");
        }
        String keystore = properties.getOrDefault(SSL_KEYSTORE_LOCATION, "").strip();
        String truststore = properties.getOrDefault(SSL_TRUSTSTORE_LOCATION, "").strip();
        Tls tls = keystore.isEmpty() ? null : new Tls(Path.of(keystore), properties.get(SSL_KEYSTORE_TYPE),
                properties.get(SSL_KEYSTORE_PASSWORD), properties.get(SSL_KEY_PASSWORD),
                truststore.isEmpty() ? null : Path.of(truststore), properties.get(SSL_TRUSTSTORE_PASSWORD));
        return new RegistryConfig(
                properties.get(BOOTSTRAP_SERVERS),
                properties.getOrDefault(HOST, DEFAULT_HOST),
                parseInt(PORT, properties.get(PORT), DEFAULT_PORT),
                properties.getOrDefault(TOPIC, DEFAULT_TOPIC),
                Duration.ofMillis(parseLong(STARTUP_TIMEOUT_MS, properties.get(STARTUP_TIMEOUT_MS),
                        DEFAULT_STARTUP_TIMEOUT.toMillis())),
                properties.getOrDefault(GROUP_ID, DEFAULT_GROUP_ID),
                parseBoolean(LEADER_ELIGIBILITY, properties.getOrDefault(LEADER_ELIGIBILITY, "true")),
                properties.get(HOST_NAME),
                parseLong(REQUEST_MAX_BYTES, properties.get(REQUEST_MAX_BYTES), DEFAULT_REQUEST_MAX_BYTES),
                users,
                tls);
    }

    /** Every key this configuration reads, with its default and documentation, in documentation order. */
    public static List<Key> keys() {
        return KEYS;
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
                throw new IllegalArgumentException(BASIC_AUTH_USERS + ": expected user=pbkdf2-sha256:..., got an"
                        + " entry without '='");
            }
            String user = entry.substring(0, equals).strip();
            try {
                users.put(user, PasswordHash.parse(entry.substring(equals + 1).strip()));
            } catch (IllegalArgumentException e) {
                // The message never repeats the value: it may be a password pasted by mistake.
                throw new IllegalArgumentException(BASIC_AUTH_USERS + ": user " + user + ": " + e.getMessage());
            }
        }
        return users;
    }

    private static String requireBootstrapServers(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(BOOTSTRAP_SERVERS + ": required, e.g. 127.0.0.1:9092");
        }
        String stripped = value.strip();
        for (String server : stripped.split(",")) {
            if (!HOST_PORT.matcher(server.strip()).matches()) {
                throw new IllegalArgumentException(BOOTSTRAP_SERVERS + ": expected host:port[,host:port...], got '"
                        + value + "'");
            }
        }
        return stripped;
    }

    private static boolean parseBoolean(String key, String value) {
        String stripped = value.strip().toLowerCase(Locale.ROOT);
        if (!stripped.equals("true") && !stripped.equals("false")) {
            throw new IllegalArgumentException(key + ": expected true or false, got '" + value + "'");
        }
        return Boolean.parseBoolean(stripped);
    }

    private static int parseInt(String key, String value, int defaultValue) {
        long parsed = parseLong(key, value, defaultValue);
        if (parsed < Integer.MIN_VALUE || parsed > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + ": expected an integer, got '" + value + "'");
        }
        return (int) parsed;
    }

    private static long parseLong(String key, String value, long defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected an integer, got '" + value + "'");
        }
    }
}
