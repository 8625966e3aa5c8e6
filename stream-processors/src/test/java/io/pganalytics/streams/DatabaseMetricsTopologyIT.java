package io.pganalytics.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database topology on a real broker, with exactly-once transactions and a real registry. */
class DatabaseMetricsTopologyIT {

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static KafkaStreams streams;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        kafka.createTopics(new NewTopic(Topics.RAW_DATABASE, 2, (short) 1),
                new NewTopic(Topics.METRICS_DATABASE, 2, (short) 1), new NewTopic(Topics.DLQ, 1, (short) 1));
        registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
        streams = new StreamsRole(kafka.bootstrapServers(), registry.url(), dataDir.resolve("streams"), 1).start();
    }

    @AfterAll
    static void stop() {
        if (streams != null) {
            StreamsRole.stop(streams);
        }
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void validSamplesReachMetricsAndMalformedOnesTheDeadLetterTopic() {
        AvroSerializer<DatabaseSample> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        DatabaseSample first = DatabaseSamples.valid("c1", "t1").build();
        DatabaseSample second = DatabaseSamples.valid("c1", "t1").build();
        try (var producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.RAW_DATABASE, "c1/t1", avro.serialize(Topics.RAW_DATABASE, first)));
            producer.send(new ProducerRecord<>(Topics.RAW_DATABASE, "c1/t1", "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8)));
            producer.send(new ProducerRecord<>(Topics.RAW_DATABASE, "c1/t1", avro.serialize(Topics.RAW_DATABASE, second)));
        }

        AvroDeserializer<DatabaseSample> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        List<DatabaseSample> metrics = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), values)) {
            consumer.subscribe(List.of(Topics.METRICS_DATABASE));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> metrics.add(r.value()));
                assertThat(metrics).containsExactly(first, second);
            });
        }

        List<ConsumerRecord<String, byte[]>> rejected = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.DLQ));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(rejected::add);
                assertThat(rejected).hasSize(1);
            });
        }
        ConsumerRecord<String, byte[]> dead = rejected.get(0);
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("{\"not\":\"avro\"}");
        assertThat(new String(dead.headers().lastHeader(DeadLetterHeaders.CHECK).value(), StandardCharsets.UTF_8))
                .isEqualTo("undecodable");
        assertThat(new String(dead.headers().lastHeader(DeadLetterHeaders.SOURCE_TOPIC).value(), StandardCharsets.UTF_8))
                .isEqualTo(Topics.RAW_DATABASE);
    }

    private static Map<String, Object> consumerConfig() {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "topology-it-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                // Only what the exactly-once transactions committed.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }
}
