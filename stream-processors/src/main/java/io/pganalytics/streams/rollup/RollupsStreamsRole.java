package io.pganalytics.streams.rollup;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.StreamsRole;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The rollups role: runs {@link RollupsTopology} as its own Kafka Streams application, with the same
 * exactly-once settings as {@link StreamsRole}, until stopped.
 *
 * @param streams the shared stream-processing settings (Kafka, registry, state directory, replication)
 * @param grace   how long after a window's end its records are still admitted
 */
public record RollupsStreamsRole(StreamsRole streams, Duration grace) {

    /** Seconds a record may arrive after its 1-minute window's end and still count. */
    public static final String GRACE_SECONDS = "streams.rollups.grace.seconds";

    private static final List<StreamsRole.Key> KEYS = List.of(new StreamsRole.Key(GRACE_SECONDS,
            Long.toString(RollupsTopology.DEFAULT_GRACE.toSeconds()),
            "Seconds a sample may arrive after the end of its 1-minute window and still be rolled up; later ones go to pga.dlq as late."));

    public RollupsStreamsRole {
        if (grace.isNegative()) {
            throw new IllegalArgumentException(GRACE_SECONDS + ": must not be negative, got " + grace.toSeconds());
        }
    }

    /** The keys this role adds to {@link StreamsRole#keys()}. */
    public static List<StreamsRole.Key> keys() {
        return KEYS;
    }

    /** The role from {@code streams} and the string properties of {@link #keys()}; other keys are ignored here. */
    public static RollupsStreamsRole fromProperties(StreamsRole streams, Map<String, String> properties) {
        String value = properties.getOrDefault(GRACE_SECONDS, KEYS.get(0).defaultValue()).strip();
        long seconds;
        try {
            seconds = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(GRACE_SECONDS + ": expected a whole number of seconds, got '" + value + "'");
        }
        return new RollupsStreamsRole(streams, Duration.ofSeconds(seconds));
    }

    /** Starts the rollups topology and returns the running instance; {@link #stop} it. */
    public KafkaStreams start() {
        return streams.start(RollupsTopology.APPLICATION_ID,
                RollupsTopology.build(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, streams.schemaRegistryUrl()), grace),
                Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, RollupsTopology.COMMIT_INTERVAL.toMillis()));
    }

    /** Stops a running instance and leaves the consumer group, as {@link StreamsRole#stop} does. */
    public static void stop(KafkaStreams streams) {
        StreamsRole.stop(streams);
    }
}
