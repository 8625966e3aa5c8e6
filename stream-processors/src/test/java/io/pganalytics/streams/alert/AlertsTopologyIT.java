package io.pganalytics.streams.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.alerts.Alert;
import io.pganalytics.schemas.alerts.AlertKind;
import io.pganalytics.schemas.alerts.AlertOperator;
import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.schemas.alerts.AlertState;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.oracle.MetricsRecords;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Alerts on a real broker: a rule published to the compacted topic fires once and resolves once (read_committed). */
@EmbeddedStack(registry = true)
// The role reads every family's metrics topic: their (empty) topics must exist too.
@ContractTopics(value = {"pga.metrics.*", Topics.ALERT_RULES, Topics.DLQ}, partitions = 1)
@ContractTopics(value = {"pga.metrics.database", Topics.ALERTS}, partitions = 2)
class AlertsTopologyIT {

    private static final MetricFamily DATABASE = MetricFamilies.byName("database").orElseThrow();
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    @AutoClose
    static KafkaProducer<String, GenericContainer> producer;
    static KafkaStreams streams;

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        AvroSerializer<GenericContainer> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), avro);
        streams = new StreamsSettings(kafka.bootstrapServers(), registry.url(), dataDir.resolve("streams"), 1)
                .start(new AlertsStreamsRole(Duration.ofSeconds(1)));
    }

    @AfterAll
    static void stop() {
        if (streams != null) {
            StreamsSettings.stop(streams);
        }
    }

    private static void sample(long second, int numbackends) {
        producer.send(new ProducerRecord<>(DATABASE.metricsTopic(), "c1/t1", MetricsRecords.of(DATABASE, "c1", "t1",
                T0.plusSeconds(second), Map.of("datid", 5L, "numbackends", numbackends))));
        producer.flush();
    }

    @Test
    void publishedRuleFiresOnceAndResolvesOnce() {
        producer.send(new ProducerRecord<>(Topics.ALERT_RULES, "backends", AlertRule.newBuilder().setId("backends")
                .setFamily("database").setField("numbackends").setKind(AlertKind.THRESHOLD).setOperator(AlertOperator.ABOVE)
                .setThreshold(100).setDurationSeconds(20).build()));
        producer.flush();
        List<Alert> received = new ArrayList<>();
        AvroDeserializer<Alert> avro = new AvroDeserializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        try (KafkaConsumer<String, Alert> consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "alerts-it",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), avro)) {
            consumer.subscribe(List.of(Topics.ALERTS));
            // The global rule store loads asynchronously: keep sending a breaching sample until the rule fires.
            long[] second = {0};
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                sample(second[0], 150);
                second[0] += 10;
                consumer.poll(Duration.ofMillis(300)).forEach(r -> received.add(r.value()));
                assertThat(received).isNotEmpty();
            });
            sample(second[0] + 10, 150);
            sample(second[0] + 20, 10);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(300)).forEach(r -> received.add(r.value()));
                assertThat(received).hasSize(2);
            });
            consumer.poll(Duration.ofSeconds(2)).forEach(r -> received.add(r.value()));
        }
        assertThat(received).extracting(Alert::getState).containsExactly(AlertState.FIRING, AlertState.RESOLVED);
        assertThat(received.get(0).getAt()).isAfterOrEqualTo(received.get(0).getSince().plusSeconds(20));
    }
}
