package io.pganalytics.streams.rollup;

import io.pganalytics.streams.runtime.Key;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.runtime.TopologyRole;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

/**
 * The rollups role: runs {@link RollupsTopology} as application {@value RollupsTopology#APPLICATION_ID},
 * committing every {@link RollupsTopology#COMMIT_INTERVAL} rather than Kafka Streams' default.
 *
 * @param grace how long after a window's end its records are still admitted
 */
public record RollupsStreamsRole(Duration grace) implements TopologyRole {

    /** Seconds a record may arrive after its 1-minute window's end and still count. */
    public static final String GRACE_SECONDS = "streams.rollups.grace.seconds";

    private static final List<Key> KEYS = List.of(new Key(GRACE_SECONDS,
            Long.toString(RollupsTopology.DEFAULT_GRACE.toSeconds()),
            "Seconds a sample may arrive after the end of its 1-minute window and still be rolled up; later ones go to pga.dlq as late."));

    public RollupsStreamsRole {
        if (grace.isNegative()) {
            throw new IllegalArgumentException(GRACE_SECONDS + ": must not be negative, got " + grace.toSeconds());
        }
    }

    /** The role with the default grace, {@link RollupsTopology#DEFAULT_GRACE}. */
    public RollupsStreamsRole() {
        this(RollupsTopology.DEFAULT_GRACE);
    }

    /** The keys this role adds to {@code StreamsRole.keys()}. */
    public static List<Key> keys() {
        return KEYS;
    }

    /** The role from the string properties of {@link #keys()}; other keys are ignored here. */
    public static RollupsStreamsRole fromProperties(Map<String, String> properties) {
        String value = properties.getOrDefault(GRACE_SECONDS, KEYS.get(0).defaultValue()).strip();
        long seconds;
        try {
            seconds = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(GRACE_SECONDS + ": expected a whole number of seconds, got '" + value + "'");
        }
        return new RollupsStreamsRole(Duration.ofSeconds(seconds));
    }

    @Override
    public String applicationId() {
        return RollupsTopology.APPLICATION_ID;
    }

    @Override
    public Topology topology(StreamsSettings settings) {
        return RollupsTopology.build(settings.serdeConfig(), grace);
    }

    @Override
    public Map<String, ?> overrides() {
        return Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, RollupsTopology.COMMIT_INTERVAL.toMillis());
    }
}
