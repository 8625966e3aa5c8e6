package io.pganalytics.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.config.Field;
import io.pganalytics.config.InvalidValue;
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
    void clusterAuthenticationAndTlsKeysAreReadAndNeverShown(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        Path keystore = Files.writeString(dir.resolve("registry.p12"), "not really a key store");
        PasswordHash hash = PasswordHash.of("p4ss-word".toCharArray());
        RegistryConfig config = RegistryConfig.fromProperties(Map.of(
                "kafkastore.bootstrap.servers", "k:9092",
                "schema.registry.group.id", "registries",
                "leader.eligibility", "false",
                "host.name", "registry-1.internal",
                "request.max.bytes", "65536",
                "authentication.method", "basic",
                "authentication.basic.users", "alice=" + hash,
                "ssl.keystore.location", keystore.toString(),
                "ssl.keystore.password", "store-secret"));

        assertThat(config.groupId()).isEqualTo("registries");
        assertThat(config.leaderEligible()).isFalse();
        assertThat(config.advertisedHost()).isEqualTo("registry-1.internal");
        assertThat(config.requestMaxBytes()).isEqualTo(65536);
        assertThat(config.basicAuthUsers().get("alice").matches("p4ss-word".toCharArray())).isTrue();
        assertThat(config.basicAuthUsers().get("alice").matches("wrong".toCharArray())).isFalse();
        assertThat(config.tls().keystore()).isEqualTo(keystore);
        assertThat(config.tls().keyPassword()).isEqualTo("store-secret");
        assertThat(config.toString()).doesNotContain("store-secret").doesNotContain(hash.toString());
    }

    @Test
    void securityMistakesAreReportedUnderTheirKeyWithoutEchoingSecrets() {
        Map<String, String> base = Map.of("kafkastore.bootstrap.servers", "k:9092");
        assertInvalid(() -> RegistryConfig.fromProperties(with(base, "authentication.method", "BASIC")),
                "authentication.basic.users: required when authentication.method is BASIC");
        assertInvalid(() -> RegistryConfig.fromProperties(with(base, "authentication.method", "LDAP")),
                "authentication.method: expected NONE or BASIC");
        assertThatThrownBy(() -> RegistryConfig.fromProperties(with(with(base, "authentication.method", "BASIC"),
                "authentication.basic.users", "alice=plain-password")))
                .isInstanceOf(InvalidValue.class)
                .hasMessageStartingWith("authentication.basic.users: user alice")
                .message().doesNotContain("plain-password");
        assertInvalid(() -> RegistryConfig.fromProperties(with(base, "ssl.keystore.location", "/no/such.p12")),
                "ssl.keystore.location: expected a readable file");
        assertInvalid(() -> RegistryConfig.fromProperties(with(base, "leader.eligibility", "maybe")),
                "leader.eligibility: expected true or false");
        assertInvalid(() -> RegistryConfig.fromProperties(with(base, "request.max.bytes", "10")),
                "request.max.bytes: expected at least 1024");
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> copy = new java.util.HashMap<>(base);
        copy.put(key, value);
        return copy;
    }

    @Test
    void theReadmeDocumentsEveryKeyWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"));

        for (Field<?> key : RegistryConfig.FIELDS.fields()) {
            String expected = "| `" + key.name() + "` | "
                    + (key.required() ? "(required)"
                            : key.defaultValue() == null ? "(none)" : "`" + key.defaultShown() + "`") + " | "
                    + key.documentation() + " |";
            assertThat(readme).as("README.md row for %s", key.name()).contains(expected);
        }
    }

    private static void assertInvalid(Runnable configure, String message) {
        assertThatThrownBy(configure::run).isInstanceOf(InvalidValue.class).hasMessageStartingWith(message);
    }
}
