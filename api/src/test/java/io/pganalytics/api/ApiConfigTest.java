package io.pganalytics.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.config.InvalidValue;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiConfigTest {

    private static final Map<String, String> MINIMAL = Map.of("control.database.url", "jdbc:postgresql://db:5432/pga", "schema.registry.url", "http://registry:8081",
            "kafka.bootstrap.servers", "kafka:9092");

    @Test
    void absentKeysTakeTheirDefaultsAndTheEnvironmentOverridesTheFile() {
        ApiConfig config = ApiConfig.from(MINIMAL, Map.of("PGA_API_PORT", "9090", "PGA_CONTROL_DATABASE_PASSWORD", "s3cret"));

        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(9090);
        assertThat(config.databasePassword()).isEqualTo("s3cret");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void everyBadValueIsReportedAtOnceNamingItsKey() {
        assertThatThrownBy(() -> ApiConfig.from(Map.of("api.port", "70000", "control.database.url", "postgres://db",
                "api.prot", "1"), Map.of()))
                .isInstanceOfSatisfying(InvalidValue.class, e -> assertThat(e.problems()).extracting(Object::toString)
                        .containsExactlyInAnyOrder(
                                "api.port: expected 0-65535, got 70000",
                                "control.database.url: expected jdbc:postgresql://host:port/db, got 'postgres://db'",
                                "api.prot: unknown key; did you mean api.port?",
                                "kafka.bootstrap.servers: required: Kafka, `host:port[,host:port]`: where the fleet "
                                        + "topics, the control plane's projection, are",
                                "schema.registry.url: required: the Confluent-compatible schema registry of those topics"));
        assertThatThrownBy(() -> new ApiConfig("127.0.0.1", -1, "jdbc:postgresql://db/pga", null, null, "k:9092"))
                .isInstanceOf(InvalidValue.class).hasMessage("api.port: expected 0-65535, got -1");
    }
}
