package io.pganalytics.streams.runtime;

import java.util.Map;
import org.apache.kafka.streams.Topology;

/**
 * One Kafka Streams application of pgAnalytics (ingest, fleet liveness, rollups, alerts): its
 * application id, its topology and the few Kafka Streams settings it needs beyond the shared ones.
 * Each role holds only its own settings; Kafka, the registry, the state directory and replication come
 * from the {@link StreamsSettings} that {@linkplain StreamsSettings#start(TopologyRole) start} it.
 */
public interface TopologyRole {

    /** The application id, and so the consumer group and the prefix of internal topics and state. */
    String applicationId();

    /** The topology, built for the cluster and registry of {@code settings}. */
    Topology topology(StreamsSettings settings);

    /** Kafka Streams settings of this application that replace the shared ones; none by default. */
    default Map<String, ?> overrides() {
        return Map.of();
    }
}
