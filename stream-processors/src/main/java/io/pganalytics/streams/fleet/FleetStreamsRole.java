package io.pganalytics.streams.fleet;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.StreamsRole;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The fleet-liveness role: runs {@link FleetLivenessTopology} as its own Kafka Streams application,
 * with the same exactly-once settings as {@link StreamsRole}, until stopped.
 *
 * @param bootstrapServers  Kafka
 * @param schemaRegistryUrl the registry of the Avro serde
 * @param stateDir          where Kafka Streams keeps local state; may be the database role's, each
 *                          application keeps its state under its own application id
 * @param replicationFactor of the internal topics: 1 on a single embedded broker, 3 in production
 * @param punctuateEvery    how often silent collectors are looked for
 */
public record FleetStreamsRole(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor,
        Duration punctuateEvery) {

    public FleetStreamsRole {
        if (punctuateEvery.isNegative() || punctuateEvery.isZero()) {
            throw new IllegalArgumentException("punctuateEvery: expected a positive duration, got " + punctuateEvery);
        }
    }

    /** The role looking for silent collectors every {@link FleetLivenessTopology#DEFAULT_PUNCTUATE_EVERY}. */
    public FleetStreamsRole(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor) {
        this(bootstrapServers, schemaRegistryUrl, stateDir, replicationFactor, FleetLivenessTopology.DEFAULT_PUNCTUATE_EVERY);
    }

    /** Starts the fleet topology and returns the running instance; {@link #stop} it. */
    public KafkaStreams start() {
        return new StreamsRole(bootstrapServers, schemaRegistryUrl, stateDir, replicationFactor).start(
                FleetLivenessTopology.APPLICATION_ID,
                FleetLivenessTopology.build(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl), punctuateEvery));
    }

    /** Stops a running instance and leaves the consumer group, as {@link StreamsRole#stop} does. */
    public static void stop(KafkaStreams streams) {
        StreamsRole.stop(streams);
    }
}
