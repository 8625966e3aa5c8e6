package io.pganalytics.streams.alert;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.StreamsRole;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The alerts role: runs {@link AlertsTopology} as its own Kafka Streams application, with the same
 * exactly-once settings as {@link StreamsRole}, until stopped.
 *
 * @param streams    the shared stream-processing settings
 * @param sweepEvery how often alerts of deleted rules are resolved
 */
public record AlertsStreamsRole(StreamsRole streams, Duration sweepEvery) {

    public AlertsStreamsRole {
        if (sweepEvery.isNegative() || sweepEvery.isZero()) {
            throw new IllegalArgumentException("sweepEvery: expected a positive duration, got " + sweepEvery);
        }
    }

    public AlertsStreamsRole(StreamsRole streams) {
        this(streams, AlertsTopology.DEFAULT_SWEEP_EVERY);
    }

    /** Starts the alerts topology and returns the running instance; {@link #stop} it. */
    public KafkaStreams start() {
        return streams.start(AlertsTopology.APPLICATION_ID, AlertsTopology.build(
                Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, streams.schemaRegistryUrl()), sweepEvery, MetricFamilies.all()));
    }

    /** Stops a running instance and leaves the consumer group, as {@link StreamsRole#stop} does. */
    public static void stop(KafkaStreams streams) {
        StreamsRole.stop(streams);
    }
}
