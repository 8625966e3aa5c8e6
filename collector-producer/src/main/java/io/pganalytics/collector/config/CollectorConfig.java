package io.pganalytics.collector.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collector role's configuration: from a properties file, overridden by {@code PGA_*}
 * environment variables, validated once at start with errors that name the bad key.
 *
 * <p>Environment names are the keys upper-cased with every non-alphanumeric run turned into
 * {@code _}: {@code collector.targets[0].password} is {@code PGA_COLLECTOR_TARGETS_0_PASSWORD}.
 *
 * @param collectorId            {@code collector.id}: this collector's name, the first half of record keys
 * @param bootstrapServers       {@code kafka.bootstrap.servers}
 * @param schemaRegistryUrl      {@code schema.registry.url}
 * @param intervalMillis         {@code collector.interval.ms}: how often every target is sampled (default 10000)
 * @param heartbeatIntervalMillis {@code collector.heartbeat.interval.ms} (default 10000)
 * @param targets                {@code collector.targets[N].id|url|user|password}
 */
public record CollectorConfig(String collectorId, String bootstrapServers, String schemaRegistryUrl,
                              long intervalMillis, long heartbeatIntervalMillis, List<Target> targets) {

    public static final String ID = "collector.id";
    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String INTERVAL_MS = "collector.interval.ms";
    public static final String HEARTBEAT_INTERVAL_MS = "collector.heartbeat.interval.ms";
    private static final Pattern TARGET_KEY = Pattern.compile("collector\\.targets\\[(\\d+)]\\.(id|url|user|password)");
    private static final Pattern TARGET_ENV = Pattern.compile("PGA_COLLECTOR_TARGETS_(\\d+)_(ID|URL|USER|PASSWORD)");
    private static final List<String> SCALAR_KEYS = List.of(ID, BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, INTERVAL_MS, HEARTBEAT_INTERVAL_MS);

    public CollectorConfig {
        require(collectorId, ID);
        if (collectorId.contains("/")) {
            throw new IllegalArgumentException(ID + ": must not contain '/', it separates collector and target in record keys");
        }
        require(bootstrapServers, BOOTSTRAP_SERVERS);
        require(schemaRegistryUrl, SCHEMA_REGISTRY_URL);
        if (intervalMillis < 1000) {
            throw new IllegalArgumentException(INTERVAL_MS + ": must be at least 1000, got " + intervalMillis);
        }
        if (heartbeatIntervalMillis < 1000) {
            throw new IllegalArgumentException(HEARTBEAT_INTERVAL_MS + ": must be at least 1000, got " + heartbeatIntervalMillis);
        }
        targets = List.copyOf(targets);
        var ids = new TreeSet<String>();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            String prefix = "collector.targets[" + i + "].";
            if (target.id().isBlank() || target.id().contains("/")) {
                throw new IllegalArgumentException(prefix + "id: required, without '/'");
            }
            if (!target.jdbcUrl().startsWith("jdbc:postgresql://")) {
                throw new IllegalArgumentException(prefix + "url: expected jdbc:postgresql://host:port/db, got '" + target.jdbcUrl() + "'");
            }
            if (!ids.add(target.id())) {
                throw new IllegalArgumentException(prefix + "id: '" + target.id() + "' is used by another target");
            }
        }
    }

    /** Reads the configuration from properties, with {@code PGA_*} environment variables taking precedence. */
    public static CollectorConfig from(Properties file, Map<String, String> env) {
        Map<String, String> values = new HashMap<>();
        file.stringPropertyNames().forEach(key -> values.put(key, file.getProperty(key).trim()));
        for (String key : SCALAR_KEYS) {
            String override = env.get(envName(key));
            if (override != null) {
                values.put(key, override.trim());
            }
        }
        env.forEach((name, value) -> {
            Matcher m = TARGET_ENV.matcher(name);
            if (m.matches()) {
                values.put("collector.targets[" + m.group(1) + "]." + m.group(2).toLowerCase(), value.trim());
            }
        });
        var targetIndexes = new TreeSet<Integer>();
        for (String key : values.keySet()) {
            Matcher m = TARGET_KEY.matcher(key);
            if (m.matches()) {
                targetIndexes.add(Integer.parseInt(m.group(1)));
            } else if (key.startsWith("collector.") && !SCALAR_KEYS.contains(key)) {
                throw new IllegalArgumentException(key + ": unknown key");
            }
        }
        List<Target> targets = new ArrayList<>();
        int expected = 0;
        for (int index : targetIndexes) {
            String prefix = "collector.targets[" + index + "].";
            if (index != expected++) {
                throw new IllegalArgumentException(prefix + "id: target indexes must count up from 0 without gaps");
            }
            targets.add(new Target(values.getOrDefault(prefix + "id", ""), values.getOrDefault(prefix + "url", ""),
                    values.get(prefix + "user"), values.get(prefix + "password")));
        }
        return new CollectorConfig(values.get(ID), values.get(BOOTSTRAP_SERVERS), values.get(SCHEMA_REGISTRY_URL),
                number(values, INTERVAL_MS, 10_000), number(values, HEARTBEAT_INTERVAL_MS, 10_000), targets);
    }

    /** The environment variable that overrides a key. */
    public static String envName(String key) {
        return "PGA_" + key.toUpperCase().replaceAll("[^A-Z0-9]+", "_").replaceAll("_$", "");
    }

    private static long number(Map<String, String> values, String key, long defaultValue) {
        String value = values.get(key);
        if (value == null || value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a whole number of milliseconds, got '" + value + "'");
        }
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + ": required");
        }
    }
}
