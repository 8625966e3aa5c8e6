package io.pganalytics.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CollectorConfigTest {

    private static Properties file(String... keyValues) {
        Properties props = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return props;
    }

    private static final Properties VALID = file(
            "collector.id", "c1",
            "kafka.bootstrap.servers", "127.0.0.1:9092",
            "schema.registry.url", "http://127.0.0.1:8081",
            "collector.targets[0].id", "db1",
            "collector.targets[0].url", "jdbc:postgresql://db1:5432/postgres",
            "collector.targets[0].user", "monitor");

    @Test
    void readsTargetsAndAppliesDefaults() {
        CollectorConfig config = CollectorConfig.from(VALID, Map.of());
        assertThat(config.intervalMillis()).isEqualTo(10_000);
        assertThat(config.targets()).singleElement().satisfies(t -> {
            assertThat(t.id()).isEqualTo("db1");
            assertThat(t.user()).isEqualTo("monitor");
            assertThat(t.password()).isNull();
        });
    }

    @Test
    void environmentOverridesTheFile() {
        CollectorConfig config = CollectorConfig.from(VALID, Map.of(
                "PGA_COLLECTOR_INTERVAL_MS", "5000",
                "PGA_COLLECTOR_TARGETS_0_PASSWORD", "s3cret",
                "PGA_COLLECTOR_TARGETS_1_ID", "db2",
                "PGA_COLLECTOR_TARGETS_1_URL", "jdbc:postgresql://db2:5432/postgres"));
        assertThat(config.intervalMillis()).isEqualTo(5000);
        assertThat(config.targets()).extracting(Target::id).containsExactly("db1", "db2");
        assertThat(config.targets().get(0).password()).isEqualTo("s3cret");
        assertThat(config.targets().get(0).toString()).doesNotContain("s3cret");
    }

    @Test
    void errorsNameTheBadKey() {
        Properties badUrl = new Properties();
        badUrl.putAll(VALID);
        badUrl.setProperty("collector.targets[0].url", "postgres://db1");
        assertThatThrownBy(() -> CollectorConfig.from(badUrl, Map.of()))
                .hasMessageStartingWith("collector.targets[0].url: expected jdbc:postgresql://host:port/db");

        assertThatThrownBy(() -> CollectorConfig.from(VALID, Map.of("PGA_COLLECTOR_INTERVAL_MS", "soon")))
                .hasMessageStartingWith("collector.interval.ms: expected a whole number");

        Properties typo = new Properties();
        typo.putAll(VALID);
        typo.setProperty("collector.intreval.ms", "5");
        assertThatThrownBy(() -> CollectorConfig.from(typo, Map.of()))
                .hasMessageStartingWith("collector.intreval.ms: unknown key");

        assertThatThrownBy(() -> CollectorConfig.from(file("collector.id", "c1"), Map.of()))
                .hasMessageStartingWith("kafka.bootstrap.servers: required");
    }

    @Test
    void envNamesFollowOneRule() {
        assertThat(CollectorConfig.envName("collector.targets[0].password")).isEqualTo("PGA_COLLECTOR_TARGETS_0_PASSWORD");
        assertThat(CollectorConfig.envName("schema.registry.url")).isEqualTo("PGA_SCHEMA_REGISTRY_URL");
    }

    @Test
    void presetChoosesFamiliesAndIntervalsAsMultiplesOfTheBase() {
        CollectorConfig config = CollectorConfig.from(VALID, Map.of());
        Map<String, Long> schedule = config.schedule(config.targets().get(0));
        assertThat(config.preset()).isEqualTo(Preset.STANDARD);
        assertThat(schedule).containsEntry("activity", 10_000L).containsEntry("statements", 30_000L)
                .containsEntry("tables", 300_000L).doesNotContainKey("custom");
        assertThat(CollectorConfig.from(with("collector.preset", "minimal"), Map.of()).schedule(config.targets().get(0)))
                .doesNotContainKeys("statements", "tables", "locks");
    }

    @Test
    void everyIntervalIsOverridablePerFamilyAndPerTarget() {
        Properties props = with("collector.families.tables.interval.ms", "60000");
        props.setProperty("collector.targets[0].families.statements.interval.ms", "15000");
        props.setProperty("collector.targets[0].families.locks.interval.ms", "0");
        props.setProperty("collector.targets[0].preset", "exhaustive");
        CollectorConfig config = CollectorConfig.from(props, Map.of());
        Map<String, Long> schedule = config.schedule(config.targets().get(0));
        assertThat(schedule).containsEntry("tables", 60_000L).containsEntry("statements", 15_000L)
                .containsEntry("wraparound", 60_000L).doesNotContainKey("locks");

        assertThatThrownBy(() -> CollectorConfig.from(with("collector.families.tabels.interval.ms", "1000"), Map.of()))
                .hasMessage("collector.families.tabels.interval.ms: unknown family 'tabels'");
        assertThatThrownBy(() -> CollectorConfig.from(with("collector.preset", "max"), Map.of()))
                .hasMessageStartingWith("collector.preset: expected minimal, standard or exhaustive");
    }

    @Test
    void customMetricsAreDeclaredWithLabelsAndValues() {
        Properties props = with("collector.custom[0].name", "queue_depth");
        props.setProperty("collector.custom[0].sql", "SELECT queue, count(*) AS jobs FROM jobs GROUP BY queue");
        props.setProperty("collector.custom[0].labels", "queue");
        props.setProperty("collector.custom[0].gauges", "jobs");
        props.setProperty("collector.custom[0].min.server.version", "140000");
        CollectorConfig config = CollectorConfig.from(props, Map.of());
        assertThat(config.customMetrics()).singleElement().satisfies(m -> {
            assertThat(m.labels()).containsExactly("queue");
            assertThat(m.gauges()).containsExactly("jobs");
            assertThat(m.minServerVersion()).isEqualTo(140000);
            assertThat(config.customIntervalMillis(m)).isEqualTo(10_000);
        });

        Properties noValues = with("collector.custom[0].name", "x");
        noValues.setProperty("collector.custom[0].sql", "SELECT 1 AS one");
        assertThatThrownBy(() -> CollectorConfig.from(noValues, Map.of()))
                .hasMessage("collector.custom[0].counters: a custom metric needs at least one counter or gauge column");
    }

    @Test
    void everyKeyIsDocumented() throws Exception {
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "configuration.md"));
        assertThat(doc).as("docs/configuration.md shows CollectorConfig.FIELDS' table")
                .contains(CollectorConfig.FIELDS.markdownTable());
    }

    private static Properties with(String key, String value) {
        Properties props = new Properties();
        props.putAll(VALID);
        props.setProperty(key, value);
        return props;
    }
}
