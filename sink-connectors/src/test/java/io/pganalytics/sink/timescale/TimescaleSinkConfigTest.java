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
        props.put("connection.url", "jdbc:postgresql://127.0.0.1:5432/metrics");
        props.put("schema.registry.url", "http://127.0.0.1:8081");
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

        assertThat(config.connectionUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/metrics");
        assertThat(config.connectionUser()).isNull();
        assertThat(config.connectionPassword()).isNull();
        assertThat(config.tableName()).isEqualTo("database_metrics");
        assertThat(config.batchMaxRows()).isEqualTo(1000);
    }

    @Test
    void theDeserializerReadsGeneratedClassesFromTheConfiguredRegistry() {
        assertThat(TimescaleSinkConfig.from(minimal()).deserializerConfig()).containsOnly(
                Map.entry("schema.registry.url", "http://127.0.0.1:8081"),
                Map.entry("specific.avro.reader", true));
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
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("connection.url", "jdbc:postgresql:")))
                .hasMessageStartingWith("connection.url: ");
    }

    @Test
    void theRegistryUrlIsRequiredAndMustBeHttp() {
        Map<String, String> props = minimal();
        props.remove("schema.registry.url");
        assertThatThrownBy(() -> TimescaleSinkConfig.from(props)).hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("schema.registry.url", "registry:8081")))
                .hasMessageStartingWith("schema.registry.url: expected comma-separated http(s)://host:port URLs");
        assertThat(TimescaleSinkConfig.from(with("schema.registry.url", "http://a:8081, https://b:8081"))
                .schemaRegistryUrl()).isEqualTo("http://a:8081, https://b:8081");
    }

    @Test
    void aTableNameThatWouldNeedQuotingIsRejected() {
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("table.name", "metrics; DROP TABLE users")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("table.name: expected a lower-case SQL identifier");
        assertThat(TimescaleSinkConfig.from(with("table.name", "metrics.db")).tableName()).isEqualTo("metrics.db");
    }

    @Test
    void batchMaxRowsIsBoundedByPostgresqlsParameterLimit() {
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("batch.max.rows", "0")))
                .hasMessageStartingWith("batch.max.rows: expected 1..1598");
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("batch.max.rows", "5000")))
                .hasMessageStartingWith("batch.max.rows: expected 1..1598");
        assertThatThrownBy(() -> TimescaleSinkConfig.from(with("batch.max.rows", "many")))
                .hasMessageContaining("batch.max.rows");
        assertThat(TimescaleSinkConfig.from(with("batch.max.rows", "1598")).batchMaxRows()).isEqualTo(1598);
    }

    @Test
    void thePasswordNeverAppearsInTheConfigurationsText() {
        Map<String, String> props = with("connection.password", "s3cret");
        props.put("connection.url", "jdbc:postgresql://db:5432/metrics?sslmode=require&password=s3cret");
        TimescaleSinkConfig config = TimescaleSinkConfig.from(props);

        assertThat(config.connectionPassword().value()).isEqualTo("s3cret");
        assertThat(config.toString()).doesNotContain("s3cret").contains("jdbc:postgresql://db:5432/metrics?…");
        assertThat(config.redactedConnectionUrl()).isEqualTo("jdbc:postgresql://db:5432/metrics?…");
    }

    @Test
    void connectValidatesEveryKeyAgainstTheDefinition() {
        var results = TimescaleSinkConfig.CONFIG_DEF.validate(with("table.name", "Bad-Name"));
        var tableName = results.stream().filter(v -> v.name().equals("table.name")).findFirst().orElseThrow();

        assertThat(tableName.errorMessages()).singleElement().asString().startsWith("table.name: ");
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
}
