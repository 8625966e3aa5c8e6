package io.pganalytics.streams.alert;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.runtime.TopologyRole;
import java.time.Duration;
import org.apache.kafka.streams.Topology;

/**
 * The alerts role: runs {@link AlertsTopology} over every metric family as application
 * {@value AlertsTopology#APPLICATION_ID}.
 *
 * @param sweepEvery how often alerts of deleted rules are resolved
 */
public record AlertsStreamsRole(Duration sweepEvery) implements TopologyRole {

    public AlertsStreamsRole {
        if (sweepEvery.isNegative() || sweepEvery.isZero()) {
            throw new IllegalArgumentException("sweepEvery: expected a positive duration, got " + sweepEvery);
        }
    }

    /** The role sweeping every {@link AlertsTopology#DEFAULT_SWEEP_EVERY}. */
    public AlertsStreamsRole() {
        this(AlertsTopology.DEFAULT_SWEEP_EVERY);
    }

    @Override
    public String applicationId() {
        return AlertsTopology.APPLICATION_ID;
    }

    @Override
    public Topology topology(StreamsSettings settings) {
        return AlertsTopology.build(settings.serdeConfig(), sweepEvery, MetricFamilies.all());
    }
}
