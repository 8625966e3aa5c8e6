package io.pganalytics.streams;

import io.pganalytics.streams.alert.AlertsStreamsRole;
import io.pganalytics.streams.fleet.FleetStreamsRole;
import io.pganalytics.streams.ingest.IngestConfig;
import io.pganalytics.streams.ingest.IngestStreamsRole;
import io.pganalytics.streams.ingest.IngestTopology;
import io.pganalytics.streams.rollup.RollupsStreamsRole;
import io.pganalytics.streams.runtime.Key;
import io.pganalytics.streams.runtime.RunningTopologies;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.runtime.TopologyRole;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The stream-processing role, {@code pganalytics streams}: the settings its applications share and the
 * ingest topology's, read from {@link #keys()}, and its four applications ({@link #applications}), started
 * and stopped together by {@link #start(RollupsStreamsRole)}. Each application is a {@link TopologyRole}
 * of its own package; this package assembles them and nothing in them depends on it.
 *
 * @param bootstrapServers  Kafka
 * @param schemaRegistryUrl the registry of the Avro serde
 * @param stateDir          where Kafka Streams keeps local state (kept across restarts)
 * @param replicationFactor of the internal topics: 1 on a single embedded broker, 3 in production
 * @param ingest            checks, quotas and series of the ingest topology ({@code ingest.*} keys)
 */
public record StreamsRole(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor,
        IngestConfig ingest) {

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String STATE_DIR = "streams.state.dir";
    public static final String REPLICATION_FACTOR = "streams.replication.factor";

    private static final List<Key> ROLE_KEYS = List.of(
            new Key(BOOTSTRAP_SERVERS, null, "Kafka, host:port[,host:port]."),
            new Key(SCHEMA_REGISTRY_URL, null, "The Confluent-compatible schema registry."),
            new Key(STATE_DIR, Path.of(System.getProperty("java.io.tmpdir"), "pganalytics-streams").toString(),
                    "Where Kafka Streams keeps local state; keep it across restarts to avoid restoring it."),
            new Key(REPLICATION_FACTOR, "3", "Replication factor of the internal (changelog, repartition) topics."));

    private static final List<Key> KEYS = concat(ROLE_KEYS, IngestConfig.keys());

    /** The role with the default {@link IngestConfig}. */
    public StreamsRole(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor) {
        this(bootstrapServers, schemaRegistryUrl, stateDir, replicationFactor, IngestConfig.defaults());
    }

    public StreamsRole {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(BOOTSTRAP_SERVERS + ": required, e.g. kafka-1:9092");
        }
        if (schemaRegistryUrl == null || schemaRegistryUrl.isBlank()) {
            throw new IllegalArgumentException(SCHEMA_REGISTRY_URL + ": required, e.g. http://registry:8081");
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException(REPLICATION_FACTOR + ": must be at least 1, got " + replicationFactor);
        }
        if (ingest == null) {
            throw new IllegalArgumentException("ingest: required, e.g. IngestConfig.defaults()");
        }
    }

    /** Every key {@link #fromProperties} reads, in documentation order. */
    public static List<Key> keys() {
        return KEYS;
    }

    /** The role from string properties named as in {@link #keys()}; unknown keys are refused, naming the key. */
    public static StreamsRole fromProperties(Map<String, String> properties) {
        for (String key : properties.keySet()) {
            if (KEYS.stream().noneMatch(k -> k.name().equals(key))) {
                throw new IllegalArgumentException(key + ": unknown key; known keys are "
                        + KEYS.stream().map(Key::name).toList());
            }
        }
        String factor = properties.getOrDefault(REPLICATION_FACTOR, "3").strip();
        int replicationFactor;
        try {
            replicationFactor = Integer.parseInt(factor);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(REPLICATION_FACTOR + ": expected a whole number, got '" + factor + "'");
        }
        return new StreamsRole(properties.get(BOOTSTRAP_SERVERS), properties.get(SCHEMA_REGISTRY_URL),
                Path.of(properties.getOrDefault(STATE_DIR, KEYS.get(2).defaultValue())), replicationFactor,
                IngestConfig.fromProperties(properties));
    }

    /** What this role's applications share: Kafka, the registry, the state directory, replication. */
    public StreamsSettings settings() {
        return new StreamsSettings(bootstrapServers, schemaRegistryUrl, stateDir, replicationFactor);
    }

    /** The Kafka Streams configuration for the ingest topology. */
    public Properties properties() {
        return properties(IngestTopology.APPLICATION_ID);
    }

    /** The Kafka Streams configuration this role runs a topology with under {@code applicationId}. */
    public Properties properties(String applicationId) {
        return settings().properties(applicationId);
    }

    /**
     * The applications of {@code pganalytics streams}, in the order they start: ingest (with this role's
     * {@link #ingest()}), fleet liveness, {@code rollups} (its grace is a key of its own,
     * {@link RollupsStreamsRole#keys()}) and alerts.
     */
    public List<TopologyRole> applications(RollupsStreamsRole rollups) {
        return List.of(new IngestStreamsRole(ingest), new FleetStreamsRole(), rollups, new AlertsStreamsRole());
    }

    /**
     * Starts every application of {@link #applications} with this role's settings; closing the result
     * stops them, newest first, each leaving its consumer group.
     */
    public RunningTopologies start(RollupsStreamsRole rollups) {
        return settings().startAll(applications(rollups));
    }

    private static List<Key> concat(List<Key> first, List<Key> second) {
        List<Key> all = new ArrayList<>(first);
        all.addAll(second);
        return List.copyOf(all);
    }
}
