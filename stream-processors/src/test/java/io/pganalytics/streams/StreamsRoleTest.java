package io.pganalytics.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.streams.ingest.IngestConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsRoleTest {

    private static final Map<String, String> MINIMAL = Map.of(
            StreamsRole.BOOTSTRAP_SERVERS, "kafka-1:9092", StreamsRole.SCHEMA_REGISTRY_URL, "http://registry:8081");

    @Test
    void defaultsSuitAProductionCluster() {
        StreamsRole role = StreamsRole.fromProperties(MINIMAL);
        assertThat(role.replicationFactor()).isEqualTo(3);
        assertThat(role.properties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    }

    @Test
    void ingestKeysHaveDefaultsAndCanBeSet() {
        StreamsRole defaults = StreamsRole.fromProperties(MINIMAL);
        assertThat(defaults.ingest()).isEqualTo(IngestConfig.defaults());
        assertThat(defaults.ingest().requireKnownTargets()).isFalse();
        assertThat(defaults.ingest().maxFuture()).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.properties().get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("pga-streams-ingest");

        Map<String, String> props = new HashMap<>(MINIMAL);
        props.put(IngestConfig.REQUIRE_KNOWN_TARGETS, "true");
        props.put(IngestConfig.QUOTA_RECORDS_PER_SECOND, "250");
        props.put(IngestConfig.QUOTA_SERIES_PER_FAMILY, "40");
        IngestConfig ingest = StreamsRole.fromProperties(props).ingest();
        assertThat(ingest.requireKnownTargets()).isTrue();
        assertThat(ingest.recordsPerSecond()).isEqualTo(250);
        assertThat(ingest.seriesPerFamily()).isEqualTo(40);
    }

    @Test
    void ingestErrorsNameTheKey() {
        Map<String, String> props = new HashMap<>(MINIMAL);
        props.put(IngestConfig.REQUIRE_KNOWN_TARGETS, "yes");
        assertThatThrownBy(() -> StreamsRole.fromProperties(props))
                .hasMessage("ingest.require.known.targets: expected true or false, got 'yes'");
        props.put(IngestConfig.REQUIRE_KNOWN_TARGETS, "false");
        props.put(IngestConfig.QUOTA_RECORDS_PER_SECOND, "0");
        assertThatThrownBy(() -> StreamsRole.fromProperties(props))
                .hasMessage("ingest.quota.records.per.second: must be at least 1, got 0");
        props.put(IngestConfig.QUOTA_RECORDS_PER_SECOND, "10");
        props.put(IngestConfig.MAX_FUTURE_SECONDS, "soon");
        assertThatThrownBy(() -> StreamsRole.fromProperties(props))
                .hasMessage("ingest.max.future.seconds: expected a whole number of seconds, got 'soon'");
    }

    @Test
    void errorsNameTheKey() {
        assertThatThrownBy(() -> StreamsRole.fromProperties(Map.of(StreamsRole.SCHEMA_REGISTRY_URL, "http://r:8081")))
                .hasMessageStartingWith("kafka.bootstrap.servers: required");
        assertThatThrownBy(() -> StreamsRole.fromProperties(Map.of(StreamsRole.BOOTSTRAP_SERVERS, "k:9092",
                StreamsRole.SCHEMA_REGISTRY_URL, "http://r:8081", StreamsRole.REPLICATION_FACTOR, "three")))
                .hasMessageStartingWith("streams.replication.factor: expected a whole number");
        assertThatThrownBy(() -> StreamsRole.fromProperties(Map.of(StreamsRole.BOOTSTRAP_SERVERS, "k:9092",
                StreamsRole.SCHEMA_REGISTRY_URL, "http://r:8081", "streams.stat.dir", "/x")))
                .hasMessageStartingWith("streams.stat.dir: unknown key");
    }
}
