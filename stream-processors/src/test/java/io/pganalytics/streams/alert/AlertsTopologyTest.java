package io.pganalytics.streams.alert;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.alerts.Alert;
import io.pganalytics.schemas.alerts.AlertKind;
import io.pganalytics.schemas.alerts.AlertOperator;
import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.schemas.alerts.AlertState;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.oracle.MetricsRecords;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertsTopologyTest {

    private static final String SCOPE = "alerts-topology-test";
    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final MetricFamily DATABASE = MetricFamilies.byName("database").orElseThrow();
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration SWEEP = Duration.ofSeconds(1);

    private TopologyTestDriver driver;
    private TestInputTopic<String, AlertRule> rules;
    private TestInputTopic<String, byte[]> metrics;
    private AvroSerializer<GenericRecord> avro;
    private TestOutputTopic<String, Alert> alerts;
    private TestOutputTopic<String, byte[]> dlq;

    @TempDir
    Path stateDir;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, AlertsTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(AlertsTopology.build(SERDE, SWEEP, List.of(DATABASE)), props, T0);
        AvroSerde<AlertRule> ruleSerde = AvroSerde.forValues(SERDE);
        AvroSerde<Alert> alertSerde = AvroSerde.forValues(SERDE);
        avro = new AvroSerializer<>();
        avro.configure(SERDE, false);
        rules = driver.createInputTopic(Topics.ALERT_RULES, Serdes.String().serializer(), ruleSerde.serializer());
        metrics = driver.createInputTopic(DATABASE.metricsTopic(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, Serdes.String().deserializer(), alertSerde.deserializer());
        dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
        InMemorySchemaRegistry.drop(SCOPE);
    }

    private static AlertRule.Builder threshold(String id, double threshold, long durationSeconds) {
        return AlertRule.newBuilder().setId(id).setFamily("database").setField("numbackends").setKind(AlertKind.THRESHOLD)
                .setOperator(AlertOperator.ABOVE).setThreshold(threshold).setDurationSeconds(durationSeconds);
    }

    private void sample(String targetId, long datid, long second, int numbackends) {
        GenericRecord record = MetricsRecords.of(DATABASE, "c1", targetId, T0.plusSeconds(second),
                Map.of("datid", datid, "numbackends", numbackends));
        metrics.pipeInput("c1/" + targetId, avro.serialize(DATABASE.metricsTopic(), record));
    }

    @Test
    void thresholdFiresOnceAfterItsDurationStaysFiringWithoutRepeatsAndResolves() {
        rules.pipeInput("too-many-backends", threshold("too-many-backends", 100, 60).build());
        sample("t1", 5, 0, 150);
        sample("t1", 5, 30, 150);
        assertThat(alerts.isEmpty()).as("held 30 s of 60").isTrue();
        sample("t1", 5, 60, 120);
        Alert firing = alerts.readValue();
        assertThat(firing.getState()).isEqualTo(AlertState.FIRING);
        assertThat(firing.getRuleId()).isEqualTo("too-many-backends");
        assertThat(firing.getSeries()).containsExactly(Map.entry("datid", "5"));
        assertThat(firing.getValue()).isEqualTo(120.0);
        assertThat(firing.getThreshold()).isEqualTo(100.0);
        assertThat(firing.getSince()).isEqualTo(T0);
        assertThat(firing.getAt()).isEqualTo(T0.plusSeconds(60));

        sample("t1", 5, 90, 300);
        sample("t1", 5, 120, 200);
        assertThat(alerts.isEmpty()).as("no repeat while firing").isTrue();

        sample("t1", 5, 150, 50);
        Alert resolved = alerts.readValue();
        assertThat(resolved.getState()).isEqualTo(AlertState.RESOLVED);
        assertThat(resolved.getValue()).isEqualTo(50.0);
        assertThat(resolved.getAt()).isEqualTo(T0.plusSeconds(150));
        sample("t1", 5, 180, 40);
        assertThat(alerts.isEmpty()).as("resolved once").isTrue();
    }

    @Test
    void conditionThatBreaksBeforeItsDurationNeverFires() {
        rules.pipeInput("r", threshold("r", 100, 60).build());
        sample("t1", 5, 0, 150);
        sample("t1", 5, 30, 10);
        sample("t1", 5, 60, 150);
        sample("t1", 5, 90, 150);
        assertThat(alerts.isEmpty()).isTrue();
        sample("t1", 5, 120, 150);
        assertThat(alerts.readValue().getSince()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void eachSeriesAlertsOnItsOwnAndTheTargetFilterLimitsTheRule() {
        rules.pipeInput("r", threshold("r", 100, 0).setTargetId("t1").build());
        sample("t1", 5, 0, 150);
        sample("t1", 6, 0, 150);
        sample("t2", 5, 0, 150);
        assertThat(alerts.readValuesToList()).extracting(a -> a.getTargetId() + "/" + a.getSeries().get("datid"))
                .containsExactly("t1/5", "t1/6");
    }

    @Test
    void anomalyFiresOnAZScoreBeyondTheRollingWindowAndResolvesWhenValuesAreNormalAgain() {
        rules.pipeInput("spike", AlertRule.newBuilder().setId("spike").setFamily("database").setField("numbackends")
                .setKind(AlertKind.ANOMALY).setOperator(AlertOperator.ABOVE).setThreshold(3).setWindowSamples(10).build());
        for (int i = 0; i < 10; i++) {
            sample("t1", 5, i * 10L, 10 + (i % 2) * 2);   // mean 11, standard deviation 1
        }
        assertThat(alerts.isEmpty()).isTrue();
        sample("t1", 5, 100, 13);    // z = 2
        assertThat(alerts.isEmpty()).isTrue();
        sample("t1", 5, 110, 40);    // far beyond 3 standard deviations
        Alert firing = alerts.readValue();
        assertThat(firing.getState()).isEqualTo(AlertState.FIRING);
        assertThat(firing.getValue()).as("the z-score").isGreaterThan(3.0);
        sample("t1", 5, 120, 11);
        assertThat(alerts.readValue().getState()).isEqualTo(AlertState.RESOLVED);
    }

    @Test
    void ruleUpdateAppliesToTheNextSampleAndDeletionResolvesItsFiringAlert() {
        rules.pipeInput("r", threshold("r", 100, 0).build());
        sample("t1", 5, 0, 150);
        assertThat(alerts.readValue().getState()).isEqualTo(AlertState.FIRING);

        rules.pipeInput("r", threshold("r", 200, 0).build());
        sample("t1", 5, 30, 150);
        Alert resolved = alerts.readValue();
        assertThat(resolved.getState()).isEqualTo(AlertState.RESOLVED);
        assertThat(resolved.getThreshold()).isEqualTo(200.0);

        sample("t1", 5, 60, 250);
        assertThat(alerts.readValue().getState()).isEqualTo(AlertState.FIRING);
        rules.pipeInput("r", (AlertRule) null);
        driver.advanceWallClockTime(SWEEP.multipliedBy(2));
        Alert deleted = alerts.readValue();
        assertThat(deleted.getState()).isEqualTo(AlertState.RESOLVED);
        assertThat(deleted.getValue()).isNull();
        assertThat(deleted.getField()).isEqualTo("numbackends");
        assertThat(deleted.getMessage()).contains("rule deleted");
        sample("t1", 5, 90, 250);
        driver.advanceWallClockTime(SWEEP.multipliedBy(2));
        assertThat(alerts.isEmpty()).as("a deleted rule is not evaluated and not resolved twice").isTrue();
    }

    @Test
    void ruleOnAFieldTheFamilyDoesNotRollUpIsRefused() {
        rules.pipeInput("bad", threshold("bad", 1, 0).setField("datname").build());
        sample("t1", 5, 0, 150);
        assertThat(alerts.isEmpty()).isTrue();
        assertThat(AlertRules.problem("bad", threshold("bad", 1, 0).setField("datname").build()))
                .hasValueSatisfying(p -> assertThat(p).startsWith("field:"));
    }

    @Test
    void outOfOrderSampleIsNotEvaluatedAgain() {
        rules.pipeInput("r", threshold("r", 100, 0).build());
        sample("t1", 5, 60, 10);
        sample("t1", 5, 30, 500);
        assertThat(alerts.isEmpty()).isTrue();
    }

    @Test
    void undecodableSampleGoesToTheDeadLetters() {
        metrics.pipeInput("c1/t1", new byte[] {1, 2, 3});
        assertThat(new String(dlq.readRecord().headers().lastHeader(DeadLetterHeaders.CHECK).value(), StandardCharsets.UTF_8))
                .isEqualTo("undecodable");
    }
}
