package io.pganalytics.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry's configuration: its defaults, and errors that name the key to fix. */
class RegistryConfigTest {

    @Test
    void defaultsAreConfluentsExceptTheLoopbackBindAddress() {
        RegistryConfig config = RegistryConfig.of("127.0.0.1:9092");

        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(8081);
        assertThat(config.topic()).isEqualTo("_schemas");
        assertThat(config.startupTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(RegistryConfig.fromProperties(Map.of("kafkastore.bootstrap.servers", "127.0.0.1:9092")))
                .isEqualTo(config);
    }

    @Test
    void propertiesOverrideEveryDefault() {
        RegistryConfig config = RegistryConfig.fromProperties(Map.of(
                "kafkastore.bootstrap.servers", "kafka-1:9092, kafka-2:9092",
                "host", "0.0.0.0",
                "port", "0",
                "kafkastore.topic", "pga._schemas",
                "kafkastore.init.timeout.ms", "1500"));

        assertThat(config).isEqualTo(new RegistryConfig("kafka-1:9092, kafka-2:9092", "0.0.0.0", 0, "pga._schemas",
                Duration.ofMillis(1500)));
    }

    @Test
    void everyInvalidValueIsReportedUnderItsKey() {
        assertInvalid(() -> RegistryConfig.fromProperties(Map.of()), "kafkastore.bootstrap.servers: required");
        assertInvalid(() -> RegistryConfig.of("localhost"), "kafkastore.bootstrap.servers: expected host:port");
        assertInvalid(() -> RegistryConfig.of("a:1,,b:2"), "kafkastore.bootstrap.servers: expected host:port");
        assertInvalid(() -> RegistryConfig.of("k:9092").withHost(" "), "host: required");
        assertInvalid(() -> RegistryConfig.of("k:9092").withPort(65536), "port: expected 0..65535, got 65536");
        assertInvalid(() -> RegistryConfig.of("k:9092").withTopic("no spaces"), "kafkastore.topic: expected");
        assertInvalid(() -> RegistryConfig.of("k:9092").withStartupTimeout(Duration.ZERO),
                "kafkastore.init.timeout.ms: expected a positive duration");
        assertInvalid(() -> RegistryConfig.fromProperties(Map.of("kafkastore.bootstrap.servers", "k:9092",
                "port", "eighty")), "port: expected an integer, got 'eighty'");
        assertInvalid(() -> RegistryConfig.fromProperties(Map.of("kafkastore.bootstrap.servers", "k:9092",
                "kafkastore.topics", "x")), "kafkastore.topics: unknown key");
    }

    @Test
    void theReadmeDocumentsEveryKeyWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"));

        for (RegistryConfig.Key key : RegistryConfig.keys()) {
            String expected = "| `" + key.name() + "` | "
                    + (key.defaultValue() == null ? "(required)" : "`" + key.defaultValue() + "`") + " | "
                    + key.documentation() + " |";
            assertThat(readme).as("README.md row for %s", key.name()).contains(expected);
        }
    }

    private static void assertInvalid(Runnable configure, String message) {
        assertThatThrownBy(configure::run).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }
}
