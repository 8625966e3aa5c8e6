package io.pganalytics.streams.rollup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.oracle.MetricsRecords;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollups on a real broker, read with read_committed: windows close once, a late record is
 * dead-lettered, and a restart in the middle neither repeats a window nor forgets stream time.
 */
@EmbeddedStack(registry = true)
// The role runs every family's sub-topology: their (empty) topics must exist too.
@ContractTopics(value = {"pga.metrics.*", "pga.rollups.*", Topics.DLQ}, partitions = 1)
@ContractTopics(value = {"pga.metrics.database", "pga.rollups.database.*"}, partitions = 2)
class RollupsTopologyIT {

    private static final MetricFamily DATABASE = MetricFamilies.byName("database").orElseThrow();
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    @AutoClose
    static KafkaProducer<String, GenericRecord> producer;

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        AvroSerializer<GenericRecord> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), avro);
    }

    private static KafkaStreams startRole() {
        return new StreamsSettings(kafka.bootstrapServers(), registry.url(), dataDir.resolve("streams"), 1)
                .start(new RollupsStreamsRole(Duration.ofSeconds(30)));
    }

    private static void send(long datid, Instant sampledAt, int numbackends) {
        GenericRecord record = MetricsRecords.of(DATABASE, "c1", "t1", sampledAt, Map.of("datid", datid, "numbackends", numbackends));
        producer.send(new ProducerRecord<>(DATABASE.metricsTopic(), "c1/t1", record));
        producer.flush();
    }

    @Test
    void windowsCloseOnceAcrossARestartAndTheLateRecordIsDeadLettered() {
        List<Rollup> minutes = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> dlq = new ArrayList<>();
        try (KafkaConsumer<String, Rollup> rollups = consumer(this.<Rollup>avro());
             KafkaConsumer<String, byte[]> deadLetters = consumer(new ByteArrayDeserializer())) {
            rollups.subscribe(List.of(DATABASE.rollupTopic(Topics.Resolution.ONE_MINUTE)));
            deadLetters.subscribe(List.of(Topics.DLQ));

            KafkaStreams streams = startRole();
            try {
                send(1, T0.plusSeconds(5), 2);
                send(2, T0.plusSeconds(6), 4);
                send(1, T0.plusSeconds(50), 6);
                send(1, T0.plusSeconds(95), 1);   // closes [0, 60) for both series
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    rollups.poll(Duration.ofMillis(200)).forEach(r -> minutes.add(r.value()));
                    assertThat(minutes).hasSize(2);
                });
            } finally {
                StreamsSettings.stop(streams);
            }
            Rollup first = minutes.stream().filter(r -> r.getSeries().get("datid").equals("1")).findFirst().orElseThrow();
            assertThat(first.getMetrics().get("numbackends").getCount()).isEqualTo(2);
            assertThat(first.getMetrics().get("numbackends").getMean()).isEqualTo(4.0);

            send(2, T0.plusSeconds(30), 9);        // late: its window closed before the restart
            send(1, T0.plusSeconds(100), 3);
            send(1, T0.plusSeconds(160), 3);       // closes [60, 120)
            streams = startRole();
            try {
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    rollups.poll(Duration.ofMillis(200)).forEach(r -> minutes.add(r.value()));
                    deadLetters.poll(Duration.ofMillis(200)).forEach(dlq::add);
                    assertThat(minutes).hasSize(3);
                    assertThat(dlq).hasSize(1);
                });
                // Nothing else follows: no window is repeated after the restart.
                rollups.poll(Duration.ofSeconds(2)).forEach(r -> minutes.add(r.value()));
            } finally {
                StreamsSettings.stop(streams);
            }
        }
        assertThat(minutes).extracting(r -> r.getWindowStart() + "/" + r.getSeries().get("datid"))
                .containsExactlyInAnyOrder(T0 + "/1", T0 + "/2", T0.plusSeconds(60) + "/1");
        assertThat(minutes.get(2).getMetrics().get("numbackends").getSum()).isEqualTo(4.0);
        assertThat(new String(dlq.get(0).headers().lastHeader(DeadLetterHeaders.CHECK).value(), StandardCharsets.UTF_8))
                .isEqualTo(RollupsTopology.LATE);
        assertThat(new String(dlq.get(0).headers().lastHeader(DeadLetterHeaders.SOURCE_TOPIC).value(), StandardCharsets.UTF_8))
                .isEqualTo(DATABASE.metricsTopic());
    }

    private <T> AvroDeserializer<T> avro() {
        AvroDeserializer<T> deserializer = new AvroDeserializer<>();
        deserializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        return deserializer;
    }

    private static <V> KafkaConsumer<String, V> consumer(org.apache.kafka.common.serialization.Deserializer<V> values) {
        return new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "rollups-it-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), values);
    }
}
