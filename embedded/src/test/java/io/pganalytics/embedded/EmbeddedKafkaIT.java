package io.pganalytics.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {

    @TempDir
    static Path dataDir;

    @Test
    void topicsAndRecordsSurviveARestartOnTheSameDirectory() throws Exception {
        Path kafkaDir = dataDir.resolve("kafka");
        int firstPort;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(kafkaDir).start()) {
            firstPort = kafka.port();
            assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + firstPort);
            assertThat(kafkaDir.resolve("meta.properties")).exists();

            kafka.createTopics(new NewTopic("samples", 3, (short) 1));
            // Creating an existing topic again is not an error: callers declare what they need at every start.
            kafka.createTopics(new NewTopic("samples", 3, (short) 1), new NewTopic("rollups", 1, (short) 1));
            produce(kafka, "samples", List.of("a", "b", "c"));
        }

        // Same directory, fixed port this time: the quickstart restarts on the port it used before.
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(kafkaDir).port(firstPort).start()) {
            assertThat(kafka.port()).isEqualTo(firstPort);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get()).contains("samples", "rollups");
            }
            assertThat(consumeAll(kafka, "samples", 3)).containsExactlyInAnyOrder("a", "b", "c");
        }
    }

    @Test
    void consumerGroupsAndTransactionsWorkOnASingleNode() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder()
                .dataDir(Files.createDirectories(dataDir.resolve("kafka-tx")))
                .brokerProperty("log.retention.hours", "1")
                .start()) {
            kafka.createTopics(new NewTopic("tx", 1, (short) 1));
            // Transactions need the transaction-state topic with one replica and min ISR 1; with the broker
            // defaults (3 and 2) initTransactions would time out here.
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-it",
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000"),
                    new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx", "k", "committed"));
                producer.commitTransaction();
            }
            assertThat(consumeAll(kafka, "tx", 1)).containsExactly("committed");
        }
    }

    private static void produce(EmbeddedKafka kafka, String topic, List<String> values) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            values.forEach(v -> producer.send(new ProducerRecord<>(topic, v, v)));
            producer.flush();
        }
    }

    /** Reads through a consumer group, which also proves the offsets topic (group coordinator) comes up. */
    private static List<String> consumeAll(EmbeddedKafka kafka, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(Set.of(topic));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    values.add(record.value());
                }
                return values.size() >= expected;
            });
        }
        return values;
    }
}
