package io.pganalytics.registry;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The configuration of a {@link SchemaRegistryServer}: where its Kafka state lives and where it listens.
 *
 * <p>Every key is declared once in {@link #keys()} with its default and documentation. The Kafka-side keys are
 * named as Confluent's registry names them, so that an operator can carry a configuration across.
 *
 * @param bootstrapServers the Kafka cluster holding the registry's topic, e.g. {@code 127.0.0.1:9092}
 * @param host             the address the HTTP listener binds
 * @param port             the HTTP port; 0 picks a free one (see {@link SchemaRegistryServer#port()})
 * @param topic            the single-partition compacted topic holding every schema and config
 * @param startupTimeout   how long start-up may take to create and read the topic before it fails
 */
public record RegistryConfig(String bootstrapServers, String host, int port, String topic, Duration startupTimeout) {

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

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8081;
    public static final String DEFAULT_TOPIC = "_schemas";
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private static final List<Key> KEYS = List.of(
            new Key(BOOTSTRAP_SERVERS, null,
                    "Kafka bootstrap servers (host:port, comma separated) of the cluster holding the registry's topic."),
            new Key(HOST, DEFAULT_HOST, "Address the HTTP listener binds."),
            new Key(PORT, Integer.toString(DEFAULT_PORT), "HTTP port; 0 picks a free port."),
            new Key(TOPIC, DEFAULT_TOPIC,
                    "Single-partition compacted topic holding every schema and config; created if missing."),
            new Key(STARTUP_TIMEOUT_MS, Long.toString(DEFAULT_STARTUP_TIMEOUT.toMillis()),
                    "How long start-up may take to create and read the topic before it fails."));

    // A bootstrap entry is host:port; hosts may be names, IPv4 or bracketed IPv6 literals.
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+):\\d{1,5}");
    // Kafka's own rule for topic names.
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /** One configuration key: its name, its default ({@code null} when required) and what it is for. */
    public record Key(String name, String defaultValue, String documentation) {
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
        return new RegistryConfig(
                properties.get(BOOTSTRAP_SERVERS),
                properties.getOrDefault(HOST, DEFAULT_HOST),
                parseInt(PORT, properties.get(PORT), DEFAULT_PORT),
                properties.getOrDefault(TOPIC, DEFAULT_TOPIC),
                Duration.ofMillis(parseLong(STARTUP_TIMEOUT_MS, properties.get(STARTUP_TIMEOUT_MS),
                        DEFAULT_STARTUP_TIMEOUT.toMillis())));
    }

    /** Every key this configuration reads, with its default and documentation, in documentation order. */
    public static List<Key> keys() {
        return KEYS;
    }

    public RegistryConfig withHost(String host) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout);
    }

    public RegistryConfig withPort(int port) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout);
    }

    public RegistryConfig withTopic(String topic) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout);
    }

    public RegistryConfig withStartupTimeout(Duration startupTimeout) {
        return new RegistryConfig(bootstrapServers, host, port, topic, startupTimeout);
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
