package io.pganalytics.streams.audit;

import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.runtime.TopologyRole;
import org.apache.kafka.streams.Topology;

/** The audit chain's role: runs {@link AuditChainTopology} as application {@value AuditChainTopology#APPLICATION_ID}. */
public record AuditChainStreamsRole() implements TopologyRole {

    @Override
    public String applicationId() {
        return AuditChainTopology.APPLICATION_ID;
    }

    @Override
    public Topology topology(StreamsSettings settings) {
        return AuditChainTopology.build(settings.serdeConfig());
    }
}
