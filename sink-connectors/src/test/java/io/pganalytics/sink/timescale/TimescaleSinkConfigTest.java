package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class TimescaleSinkConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> props = new HashMap<>();
        props.put("name", "metrics-sink");
        props.put("connection.url", "jdbc:postgresql://127.0.0.1:5432/metrics");
        return props;
    }

    private static Map<String, String> with(String key, String value) {
        Map<String, String> props = minimal();
        props.put(key, value);
        return props;
    }

    @Test
    void aMinimalConfigurationGetsTheDocumentedDefaults() {
        TimescaleSinkConfig config = TimescaleSinkConfig.from(minimal());

        assertThat(config.connectorName()).isEqualTo("metrics-sink");
        assertThat(config.connectionUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/metrics");
        assertThat(config.connectionUser()).isNull();
        assertThat(config.connectionPassword()).isNull();
        assertThat(config.writeMode()).isEqualTo("copy");
        assertThat(config.ownsOffsets()).isTrue();
        assertThat(config.batchMaxRows()).isEqualTo(10_000);
        assertThat(config.batchLingerMillis()).isEqualTo(1_000);
        assertThat(config.poolSize()).isEqualTo(2);
        assertThat(config.store()).isEqualTo("auto");
        assertThat(config.retentionDays()).isEqualTo(30);
    }

    @Test
    void copyModeNeedsTheConnectorNameThatKeysItsOffsetsButInsertIgnoreDoesNot() {
        Map<String, String> props = minimal();
        props.remove("name");

        assertThatThrownBy(() -> TimescaleSinkConfig.from(props))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("name: required with write.mode=copy");
        props.put("write.mode", "insert-ignore");
        assertThat(TimescaleSinkConfig.from(props).ownsOffsets()).isFalse();
    }

    @Test
    void anUnknownWriteModeOrStoreIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("write.mode", "upsert")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("write.mode");
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("store", "mysql")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("store");
    }

    @Test
    void aMissingConnectionUrlIsRejectedNamingTheKey() {
        Map<String, String> props = minimal();
        props.remove("connection.url");

        assertThatThrownBy(() -> TimescaleSinkConfig.from(props))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("connection.url");
    }

    @Test
    void aUrlThatIsNotPostgresqlIsRejectedWithoutEchoingItsSecrets() {
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("connection.url", "jdbc:mysql://db/m?password=s3cret")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("connection.url: expected jdbc:postgresql://host:port/database")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void batchSizeLingerAndPoolSizeAreBounded() {
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("batch.max.rows", "0"))).hasMessageContaining("batch.max.rows");
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("batch.linger.ms", "-1"))).hasMessageContaining("batch.linger.ms");
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("connection.pool.size", "0")))
                .hasMessageContaining("connection.pool.size");
        assertThat(TimescaleSinkConfig.from(with("batch.max.rows", "50000")).batchMaxRows()).isEqualTo(50_000);
    }

    @Test
    void thePasswordNeverAppearsInTheConfigurationsText() {
        Map<String, String> props = with("connection.password", "s3cret");
        props.put("connection.url", "jdbc:postgresql://db:5432/metrics?sslmode=require&password=s3cret");
        TimescaleSinkConfig config = TimescaleSinkConfig.from(props);

        assertThat(config.connectionPassword().value()).isEqualTo("s3cret");
        assertThat(config.toString()).doesNotContain("s3cret").contains("jdbc:postgresql://db:5432/metrics?…");
    }

    /** The README's configuration table is for users; it must list every key with its real default. */
    @Test
    void theReadmeDocumentsEveryKeyWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        for (ConfigDef.ConfigKey key : TimescaleSinkConfig.CONFIG_DEF.configKeys().values()) {
            String defaultText = key.hasDefault() ? (key.defaultValue == null ? "" : key.defaultValue.toString()) : "required";
            assertThat(readme).as(key.name).containsPattern("\\| `" + key.name.replace(".", "\\.") + "` \\|[^\\n]*"
                    + (defaultText.isEmpty() ? "" : java.util.regex.Pattern.quote(defaultText)));
        }
    }

    /** Connect checks a connector configuration against CONFIG_DEF before it starts it, each error naming its key. */
    @Test
    void connectsValidationReportsEachBadKeyAndHidesThePassword() {
        Map<String, String> props = with("batch.max.rows", "0");
        props.put("connection.password", "s3cret");
        props.remove("connection.url");
        Map<String, org.apache.kafka.common.config.ConfigValue> validated = TimescaleSinkConfig.CONFIG_DEF.validate(props)
                .stream().collect(java.util.stream.Collectors.toMap(org.apache.kafka.common.config.ConfigValue::name,
                        value -> value));

        assertThat(validated.get("batch.max.rows").errorMessages())
                .containsExactly("batch.max.rows: must be 1 to 1000000, got 0");
        assertThat(validated.get("connection.url").errorMessages()).singleElement().asString().contains("connection.url");
        assertThat(validated.get("write.mode").errorMessages()).isEmpty();
        assertThat(TimescaleSinkConfig.CONFIG_DEF.configKeys().get("connection.password").type)
                .isEqualTo(ConfigDef.Type.PASSWORD);
    }
}
