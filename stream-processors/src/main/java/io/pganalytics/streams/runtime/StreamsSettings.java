package io.pganalytics.streams.runtime;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.nio.file.Path;
import java.time.Duration;
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
 * What every Kafka Streams application of pgAnalytics shares, and the one place one is started and
 * stopped: exactly-once, a 10 s consumer session, a failed stream thread replaced. The values are
 * checked where a user gives them ({@code StreamsRole}, which names the configuration keys).
 *
 * @param bootstrapServers  Kafka
 * @param schemaRegistryUrl the registry of the Avro serde
 * @param stateDir          where Kafka Streams keeps local state (kept across restarts); applications
 *                          may share it, each keeps its state under its own application id
 * @param replicationFactor of the internal topics: 1 on a single embedded broker, 3 in production
 */
public record StreamsSettings(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor) {

    private static final Logger LOG = LoggerFactory.getLogger(StreamsSettings.class);

    /** The configuration of the topologies' Avro serdes: the registry. */
    public Map<String, Object> serdeConfig() {
        return Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl);
    }

    /** The Kafka Streams configuration an application runs with under {@code applicationId}. */
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

    /** Starts {@code role} with these settings and returns the running instance; {@link #stop} it. */
    public KafkaStreams start(TopologyRole role) {
        return start(role.applicationId(), role.topology(this), role.overrides());
    }

    /**
     * Starts every role of {@code roles}, in order; if one fails to start, those already running are
     * stopped before the failure is rethrown. Closing the result stops them newest first.
     */
    public RunningTopologies startAll(List<? extends TopologyRole> roles) {
        return RunningTopologies.start(this, roles);
    }

    /**
     * Starts {@code topology} as application {@code applicationId} with these settings, the Kafka Streams
     * settings of {@code overrides} replacing them, and returns the running instance; {@link #stop} it.
     */
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

    /**
     * Stops a running instance and leaves the consumer group, so that a restart gets its tasks at
     * once instead of waiting for the old member's session to time out.
     */
    public static void stop(KafkaStreams streams) {
        streams.close(new KafkaStreams.CloseOptions().leaveGroup(true).timeout(Duration.ofSeconds(30)));
    }
}
