package io.pganalytics.streams.ingest;

import io.pganalytics.streams.ingest.quota.AdminBrokerQuotas;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.runtime.TopologyRole;
import org.apache.kafka.streams.Topology;

/**
 * The ingest role: runs {@link IngestTopology} as application {@value IngestTopology#APPLICATION_ID}.
 * Byte-rate quotas of {@code pga.quotas} are applied on the broker through an Admin client of its own.
 *
 * @param config checks, quotas and series of the ingest topology ({@code ingest.*} keys)
 */
public record IngestStreamsRole(IngestConfig config) implements TopologyRole {

    public IngestStreamsRole {
        if (config == null) {
            throw new IllegalArgumentException("ingest: required, e.g. IngestConfig.defaults()");
        }
    }

    /** The role with the default {@link IngestConfig}. */
    public IngestStreamsRole() {
        this(IngestConfig.defaults());
    }

    @Override
    public String applicationId() {
        return IngestTopology.APPLICATION_ID;
    }

    @Override
    public Topology topology(StreamsSettings settings) {
        return IngestTopology.build(settings.serdeConfig(), config, () -> new AdminBrokerQuotas(settings.bootstrapServers()));
    }
}
