package io.pganalytics.streams.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.Quota;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.DatabaseSamples;
import io.pganalytics.streams.ingest.quota.AdminBrokerQuotas;
import io.pganalytics.streams.ingest.quota.BrokerQuotas;
import io.pganalytics.streams.oracle.DeltaOracle;
import io.pganalytics.streams.oracle.RawSampleGenerator.RawSample;
import io.pganalytics.streams.oracle.RawSampleGenerator;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest role on a real broker and registry, exactly once: killed mid-run and restarted on an
 * empty state directory (so its baselines come back from the changelog), it still emits every metrics
 * record once, each equal to the {@link DeltaOracle}'s; byte-rate quotas reach the broker; the excess
 * over a quota override is dead-lettered and reported as {@code throttled}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EmbeddedStack(registry = true)
// Every family's raw and metrics topics (the role runs every family's sub-topology), 3 partitions each.
@ContractTopics(value = {"pga.raw.*", "pga.metrics.*"}, partitions = 3)
@ContractTopics(value = {Topics.DLQ, Topics.FLEET_EVENTS, Topics.QUOTAS}, partitions = 1)
class IngestTopologyIT {

    private static final Logger LOG = LoggerFactory.getLogger(IngestTopologyIT.class);
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final MetricFamily DATABASE = MetricFamilies.byName("database").orElseThrow();

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static KafkaStreams streams;
    @AutoClose
    static Admin admin;

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    @AfterAll
    static void stop() {
        if (streams != null) {
            StreamsSettings.stop(streams);
        }
    }

    private static KafkaStreams startRole(String stateDir) {
        return new StreamsSettings(kafka.bootstrapServers(), registry.url(), dataDir.resolve(stateDir), 1)
                .start(new IngestStreamsRole());
    }

    @Test
    @Order(1)
    void restartMidRunEmitsEveryMetricsRecordOnceAndAsTheOracleComputesIt() throws Exception {
        Instant start = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        List<RawSample> raw = new RawSampleGenerator(DATABASE, 6L, start, Duration.ofSeconds(10)).generate(2, 3, 4, 30);
        int half = raw.size() / 2;
        byte[] garbage = "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8);

        streams = startRole("streams-1");
        produce(raw.subList(0, half));
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(DATABASE.rawTopic(), "c0/c0-t0", garbage)).get();
        }
        // Stop as soon as something was committed: the rest of the first half is then still to do, or in flight.
        await().atMost(WAIT).until(() -> committed(DATABASE.rawTopic()) > 0);
        StreamsSettings.stop(streams);
        LOG.info("stopped after {} of {} raw records were committed", committed(DATABASE.rawTopic()), raw.size() + 1);

        produce(raw.subList(half, raw.size()));
        // A new state directory: the baselines must come back from the changelog, not from local files.
        streams = startRole("streams-2");
        long rawEnd = endOffsets(DATABASE.rawTopic());
        await().atMost(WAIT).until(() -> committed(DATABASE.rawTopic()) == rawEnd);

        List<ConsumerRecord<String, GenericRecord>> metrics = readAll(DATABASE.metricsTopic(), genericValues());
        Map<String, List<GenericRecord>> actual = byKey(metrics.stream().map(r -> Map.entry(r.key(), r.value())).toList());
        // One oracle over the whole stream in production order, which per key is the partition's order.
        DeltaOracle oracle = new DeltaOracle(DATABASE);
        Map<String, List<GenericRecord>> expected = byKey(raw.stream().map(s -> Map.entry(s.key(), oracle.next(s.value()))).toList());

        assertThat(metrics).as("one metrics record per raw sample: no gap, no duplicate").hasSize(raw.size());
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String key : expected.keySet()) {
            assertThat(actual.get(key).stream().map(Object::toString).toList()).as("key %s", key)
                    .containsExactlyElementsOf(expected.get(key).stream().map(Object::toString).toList());
        }

        List<ConsumerRecord<String, byte[]>> dead = readAll(Topics.DLQ, new ByteArrayDeserializer());
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.value()).isEqualTo(garbage);
            assertThat(header(d, DeadLetterHeaders.CHECK)).isEqualTo("undecodable");
            assertThat(header(d, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(DATABASE.rawTopic());
            assertThat(header(d, DeadLetterHeaders.SOURCE_OFFSET)).isNotBlank();
        });
    }

    @Test
    @Order(2)
    void byteRateOfAQuotaOverrideIsEnforcedByTheBroker() throws Exception {
        if (streams == null) {
            streams = startRole("streams-3");
        }
        AvroSerializer<Quota> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), avro)) {
            producer.send(new ProducerRecord<>(Topics.QUOTAS, "c9",
                    Quota.newBuilder().setCollectorId("c9").setProducerByteRate(65536L).build())).get();
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(brokerQuota("c9")).containsEntry(AdminBrokerQuotas.PRODUCER_BYTE_RATE, 65536.0));

        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), avro)) {
            producer.send(new ProducerRecord<>(Topics.QUOTAS, "c9", null)).get();
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(brokerQuota("c9")).isEmpty());
    }

    @Test
    @Order(3)
    void recordsOverAQuotaOverrideAreDeadLetteredAndTheCollectorIsReportedThrottled() throws Exception {
        if (streams != null) {
            StreamsSettings.stop(streams);
        }
        IngestConfig fastEvents = new IngestConfig(false, Duration.ofMinutes(5), 5000, Duration.ofSeconds(10), 100_000,
                Duration.ofSeconds(1), Duration.ofDays(1));
        streams = new StreamsSettings(kafka.bootstrapServers(), registry.url(), dataDir.resolve("streams-4"), 1)
                .start(new IngestStreamsRole(fastEvents));
        AvroSerializer<Quota> quotaAvro = new AvroSerializer<>();
        quotaAvro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), quotaAvro)) {
            producer.send(new ProducerRecord<>(Topics.QUOTAS, "c7",
                    Quota.newBuilder().setCollectorId("c7").setRecordsPerSecond(1L).build())).get();
        }
        // Let the global store take the override before the samples come: it is read on its own thread.
        // ignoreExceptions: the store cannot be queried until the instance is RUNNING.
        await().atMost(WAIT).ignoreExceptions().until(() -> streams.store(StoreQueryParameters.fromNameAndType(
                IngestTopology.QUOTA_OVERRIDES, QueryableStoreTypes.<String, byte[]>keyValueStore()))
                .get("c7") != null);

        Instant at = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        long windowStart = at.toEpochMilli() - Math.floorMod(at.toEpochMilli(), 10_000);
        AvroSerializer<DatabaseSample> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), avro)) {
            for (int i = 0; i < 30; i++) {   // 30 records in one 10 s window; the quota allows 10
                producer.send(new ProducerRecord<>(DATABASE.rawTopic(), null, windowStart + i, "c7/t1",
                        DatabaseSamples.at("c7", "t1", at.plusSeconds(i)).build()));
            }
        }

        List<ConsumerRecord<String, byte[]>> quota = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            quota.clear();
            readAll(Topics.DLQ, new ByteArrayDeserializer()).stream()
                    .filter(r -> "quota".equals(header(r, DeadLetterHeaders.CHECK))).forEach(quota::add);
            assertThat(quota).hasSize(20);
        });
        assertThat(quota).allSatisfy(r -> assertThat(r.key()).isEqualTo("c7/t1"));

        AvroDeserializer<FleetEvent> events = new AvroDeserializer<>();
        events.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        await().atMost(WAIT).untilAsserted(() -> {
            List<FleetEvent> throttled = readAll(Topics.FLEET_EVENTS, events).stream()
                    .map(ConsumerRecord::value).filter(e -> e.getKind().equals("throttled")).toList();
            assertThat(throttled).isNotEmpty().allSatisfy(e -> {
                assertThat(e.getCollectorId()).isEqualTo("c7");
                assertThat(e.getFamily()).isEqualTo("database");
            });
            assertThat(throttled.stream().mapToLong(e -> e.getExcessRecords()).sum()).isEqualTo(20);
        });
    }

    private static Map<String, Double> brokerQuota(String collectorId) throws Exception {
        Map<ClientQuotaEntity, Map<String, Double>> quotas = admin.describeClientQuotas(ClientQuotaFilter.containsOnly(List.of(
                ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, BrokerQuotas.producerClientId(collectorId)))))
                .entities().get();
        return quotas.values().stream().findFirst().orElse(Map.of());
    }

    private static void produce(List<RawSample> samples) throws Exception {
        AvroSerializer<GenericRecord> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), avro)) {
            for (RawSample sample : samples) {
                producer.send(new ProducerRecord<>(DATABASE.rawTopic(), null, sample.timestampMillis(), sample.key(), sample.value()));
            }
            producer.flush();
        }
    }

    private static long committed(String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(IngestTopology.APPLICATION_ID)
                .partitionsToOffsetAndMetadata().get();
        return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    private static long endOffsets(String topic) {
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Everything committed on {@code topic} up to its last stable offset, read with read_committed. */
    private static <V> List<ConsumerRecord<String, V>> readAll(String topic, Deserializer<V> values) {
        List<ConsumerRecord<String, V>> all = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
        }
        return all;
    }

    private static AvroDeserializer<GenericRecord> genericValues() {
        AvroDeserializer<GenericRecord> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        return values;
    }

    private static Map<String, List<GenericRecord>> byKey(List<Map.Entry<String, GenericRecord>> records) {
        Map<String, List<GenericRecord>> byKey = new LinkedHashMap<>();
        records.forEach(r -> byKey.computeIfAbsent(r.getKey(), k -> new ArrayList<>()).add(r.getValue()));
        return byKey;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static Map<String, Object> consumerConfig() {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "ingest-it-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // Only what the exactly-once transactions committed.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }
}
