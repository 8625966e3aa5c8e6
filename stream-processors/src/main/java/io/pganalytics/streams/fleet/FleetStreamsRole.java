package io.pganalytics.streams.fleet;

import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.runtime.TopologyRole;
import java.time.Duration;
import org.apache.kafka.streams.Topology;

/**
 * The fleet-liveness role: runs {@link FleetLivenessTopology} as application
 * {@value FleetLivenessTopology#APPLICATION_ID}.
 *
 * @param punctuateEvery how often silent collectors are looked for
 */
public record FleetStreamsRole(Duration punctuateEvery) implements TopologyRole {

    public FleetStreamsRole {
        if (punctuateEvery.isNegative() || punctuateEvery.isZero()) {
            throw new IllegalArgumentException("punctuateEvery: expected a positive duration, got " + punctuateEvery);
        }
    }

    /** The role looking for silent collectors every {@link FleetLivenessTopology#DEFAULT_PUNCTUATE_EVERY}. */
    public FleetStreamsRole() {
        this(FleetLivenessTopology.DEFAULT_PUNCTUATE_EVERY);
    }

    @Override
    public String applicationId() {
        return FleetLivenessTopology.APPLICATION_ID;
    }

    @Override
    public Topology topology(StreamsSettings settings) {
        return FleetLivenessTopology.build(settings.serdeConfig(), punctuateEvery);
    }
}
