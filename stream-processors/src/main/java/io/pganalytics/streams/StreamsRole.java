package io.pganalytics.streams;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.ingest.IngestConfig;
import io.pganalytics.streams.ingest.IngestTopology;
import io.pganalytics.streams.ingest.quota.AdminBrokerQuotas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream-processing role: runs the ingest topology (and, through it, {@code FleetStreamsRole}
 * the fleet topology) with exactly-once semantics until stopped.
 *
 * @param bootstrapServers  Kafka
 * @param schemaRegistryUrl the registry of the Avro serde
 * @param stateDir          where Kafka Streams keeps local state (kept across restarts)
 * @param replicationFactor of the internal topics: 1 on a single embedded broker, 3 in production
 * @param ingest            checks, quotas and series of the ingest topology ({@code ingest.*} keys)
 */
public record StreamsRole(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor,
        IngestConfig ingest) {

    private static final Logger LOG = LoggerFactory.getLogger(StreamsRole.class);

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String STATE_DIR = "streams.state.dir";
    public static final String REPLICATION_FACTOR = "streams.replication.factor";

    /** One configuration key of the role: its name, default (null when required) and meaning. */
    public record Key(String name, String defaultValue, String documentation) {
    }

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

    /** The Kafka Streams configuration for the ingest topology. */
    public Properties properties() {
        return properties(IngestTopology.APPLICATION_ID);
    }

    /** The Kafka Streams configuration this role runs a topology with under {@code applicationId}. */
    public Properties properties(String applicationId) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replicationFactor);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        // 10 s rather than the consumer's 45 s: an instance that died without leaving the group
        // (kill -9, a lost host) hands its tasks over in 10 s instead of stalling the pipeline.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        props.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl);
        return props;
    }

    /**
     * Stops a running instance and leaves the consumer group, so that a restart gets its tasks at
     * once instead of waiting for the old member's session to time out.
     */
    public static void stop(KafkaStreams streams) {
        streams.close(new KafkaStreams.CloseOptions().leaveGroup(true).timeout(Duration.ofSeconds(30)));
    }

    /**
     * Starts the ingest topology and returns the running instance; {@link #stop} it. Byte-rate quotas
     * of {@code pga.quotas} are applied on the broker through an Admin client of this role.
     */
    public KafkaStreams start() {
        return start(IngestTopology.APPLICATION_ID, IngestTopology.build(
                Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl), ingest,
                () -> new AdminBrokerQuotas(bootstrapServers)));
    }

    /**
     * Starts {@code topology} as application {@code applicationId} with this role's settings
     * (exactly-once, failed threads replaced) and returns the running instance; {@link #stop} it.
     */
    public KafkaStreams start(String applicationId, Topology topology) {
        return start(applicationId, topology, Map.of());
    }

    /** As {@link #start(String, Topology)}, with Kafka Streams settings of this application replaced by {@code overrides}. */
    public KafkaStreams start(String applicationId, Topology topology, Map<String, ?> overrides) {
        Properties properties = properties(applicationId);
        properties.putAll(overrides);
        KafkaStreams streams = new KafkaStreams(topology, properties);
        streams.setUncaughtExceptionHandler(error -> {
            // A failed task (registry down, broker fenced) is retried on a fresh thread: under
            // exactly_once_v2 its open transaction is aborted, so nothing is written twice.
            LOG.warn("stream thread failed, replacing it: {}", error.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> LOG.info("streams {}: {} -> {}", applicationId, before, now));
        streams.start();
        return streams;
    }

    private static List<Key> concat(List<Key> first, List<Key> second) {
        List<Key> all = new ArrayList<>(first);
        all.addAll(second);
        return List.copyOf(all);
    }
}
