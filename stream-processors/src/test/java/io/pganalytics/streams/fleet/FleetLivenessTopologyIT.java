package io.pganalytics.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CollectorStatus;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

/** The fleet topology on a real broker: a collector that stops sending is reported OFFLINE, exactly once. */
@EmbeddedStack(registry = true)
@ContractTopics(value = {Topics.FLEET_HEARTBEATS, Topics.FLEET_STATUS, Topics.FLEET_EVENTS}, partitions = 2)
@ContractTopics(value = Topics.DLQ, partitions = 1)
class FleetLivenessTopologyIT {

    private static final long INTERVAL_MILLIS = 1_000;

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static KafkaStreams streams;
    static ScheduledExecutorService collectors;
    /** Closed after {@link #stop()} has stopped the collectors that send with it. */
    @AutoClose
    static KafkaProducer<String, Heartbeat> producer;

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        streams = new StreamsSettings(kafka.bootstrapServers(), registry.url(), dataDir.resolve("streams"), 1)
                .start(new FleetStreamsRole(Duration.ofMillis(500)));
        AvroSerializer<Heartbeat> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), avro);
        collectors = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterAll
    static void stop() {
        if (collectors != null) {
            collectors.shutdownNow();
        }
        if (streams != null) {
            StreamsSettings.stop(streams);
        }
    }

    @Test
    void collectorThatStopsSendingHeartbeatsGoesOfflineWhileTheOtherStaysOnline() throws Exception {
        AtomicBoolean c2Alive = new AtomicBoolean(true);
        collectors.scheduleAtFixedRate(() -> {
            producer.send(new ProducerRecord<>(Topics.FLEET_HEARTBEATS, "c1", Heartbeats.of("c1", INTERVAL_MILLIS, 2, 2)));
            if (c2Alive.get()) {
                producer.send(new ProducerRecord<>(Topics.FLEET_HEARTBEATS, "c2", Heartbeats.of("c2", INTERVAL_MILLIS, 1, 1)));
            }
        }, 0, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);

        Map<String, FleetStatus> latest = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), this.<FleetStatus>avro())) {
            consumer.subscribe(List.of(Topics.FLEET_STATUS));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> latest.put(r.key(), r.value()));
                assertThat(latest).containsKeys("c1", "c2");
                assertThat(latest.values()).extracting(FleetStatus::getStatus).containsOnly(CollectorStatus.ONLINE);
            });

            c2Alive.set(false);
            long stoppedAt = System.nanoTime();
            // Three intervals of silence, plus one punctuation, one commit and the heartbeat in flight.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> latest.put(r.key(), r.value()));
                assertThat(latest.get("c2").getStatus()).isEqualTo(CollectorStatus.OFFLINE);
            });
            assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isGreaterThanOrEqualTo(Duration.ofMillis(2 * INTERVAL_MILLIS));
            assertThat(latest.get("c1").getStatus()).isEqualTo(CollectorStatus.ONLINE);
        }

        List<FleetEvent> c2Events = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), this.<FleetEvent>avro())) {
            consumer.subscribe(List.of(Topics.FLEET_EVENTS));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.key().equals("c2")) {
                        c2Events.add(r.value());
                    }
                });
                assertThat(c2Events).extracting(e -> e.getFrom() + "->" + e.getTo()).containsExactly("null->ONLINE", "ONLINE->OFFLINE");
            });
        }
    }

    private <T> AvroDeserializer<T> avro() {
        AvroDeserializer<T> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        return values;
    }

    private static Map<String, Object> consumerConfig() {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "fleet-it-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                // Only what the exactly-once transactions committed.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }
}
