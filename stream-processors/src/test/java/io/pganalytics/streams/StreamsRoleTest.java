package io.pganalytics.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
