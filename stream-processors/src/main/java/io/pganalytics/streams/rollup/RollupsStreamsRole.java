package io.pganalytics.streams.rollup;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
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

    /** The key of {@link #grace()}, declared once. */
    public static final Field<Duration> GRACE = Field.seconds(GRACE_SECONDS).withDefault(RollupsTopology.DEFAULT_GRACE)
            .withCheck(grace -> grace.isNegative() ? "must not be negative, got " + grace.toSeconds() : null)
            .withDoc("seconds a sample may arrive after the end of its 1-minute window and still be rolled up "
                    + "(`pga-streams-rollups`); later ones go to `pga.dlq` as `late`");

    /** The keys this role adds to {@code StreamsRole.FIELDS}. */
    public static final List<Field<?>> FIELDS = List.of(GRACE);

    /** A grace given in code follows the rule of one read from a file. */
    public RollupsStreamsRole {
        GRACE.problemWith(grace).ifPresent(problem -> {
            throw new InvalidValue(problem.path(), problem.reason());
        });
    }

    /** The role with the default grace, {@link RollupsTopology#DEFAULT_GRACE}. */
    public RollupsStreamsRole() {
        this(RollupsTopology.DEFAULT_GRACE);
    }

    /** The role {@code values} (read against fields that include {@link #FIELDS}) describe. */
    public static RollupsStreamsRole from(Values values) {
        Duration grace = values.get(GRACE);
        values.validate();
        return new RollupsStreamsRole(grace);
    }

    /** The role from string properties; keys other than {@link #FIELDS}' are left to the fields they belong to. */
    public static RollupsStreamsRole fromProperties(Map<String, String> properties) {
        return from(Fields.of("PGA_", FIELDS).allowing("").read(properties));
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
