package io.pganalytics.bench;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.ingest.IngestConfig;
import io.pganalytics.streams.ingest.IngestTopology;
import io.pganalytics.streams.rollup.RollupsStreamsRole;
import io.pganalytics.streams.rollup.RollupsTopology;
import io.pganalytics.streams.runtime.StreamsSettings;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

/**
 * Records per second through ingest + rollups (two exactly-once Kafka Streams applications running
 * side by side, as the streams role runs them) against a plain consume-and-produce passthrough of
 * the same records, on the same embedded broker, in one run. Prints a Markdown table for
 * docs/benchmarks.md.
 *
 * <p>Both sides start from the same {@code N} raw records already on their input topic and end when
 * the last one has been consumed and its output committed: for the pipeline, when the rollups
 * application has committed offsets up to the end of {@code pga.metrics.database} after ingest has
 * committed all of {@code pga.raw.database}. Kafka Streams start-up (a rebalance, a few seconds) is
 * inside the pipeline's time, so larger {@code N} favours it.
 *
 * <p>Usage: {@code bench/run-streams [records] [partitions]} (defaults 200000 and 2).
 */
public final class StreamsThroughputBenchmark {

    /**
     * The ingest topology the pipeline runs, with its default configuration. The bench publishes no
     * quota overrides, so broker quotas are never set: the no-op keeps the Admin client out of the run.
     */
    static final Ingest INGEST = new Ingest(IngestTopology.APPLICATION_ID,
            serde -> IngestTopology.build(serde, IngestConfig.defaults(), () -> (collectorId, bytesPerSecond) -> { }));

    /** An ingest topology: its application id and how to build it from the serde configuration. */
    record Ingest(String applicationId, Function<Map<String, ?>, Topology> build) {
    }

    private static final String PASSTHROUGH_IN = "bench.passthrough.in";
    private static final String PASSTHROUGH_OUT = "bench.passthrough.out";

    private StreamsThroughputBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path root = Files.createTempDirectory("pga-streams-bench");
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(root.resolve("kafka")).start();
             EmbeddedRegistry registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0)) {
            List<NewTopic> topics = new ArrayList<>();
            // Every topic of the contract, as production has them: the topologies read every family's topics
            // (only the database family carries records here) and ingest reads pga.quotas as a global table.
            TopicContract.all().forEach(spec -> topics.add(new NewTopic(spec.name(), partitions, (short) 1).configs(spec.configs())));
            for (String topic : List.of(PASSTHROUGH_IN, PASSTHROUGH_OUT)) {
                topics.add(new NewTopic(topic, partitions, (short) 1));
            }
            kafka.createTopics(topics.toArray(NewTopic[]::new));

            System.err.printf("producing %d records to %s and %s%n", records, Topics.RAW_DATABASE, PASSTHROUGH_IN);
            produce(kafka.bootstrapServers(), registry.url(), records);

            long passthroughNanos = passthrough(kafka.bootstrapServers(), records);
            System.err.printf("passthrough: %d records in %d ms%n", records, passthroughNanos / 1_000_000);
            long pipelineNanos = pipeline(kafka.bootstrapServers(), registry.url(), root.resolve("streams"), records);
            System.err.printf("ingest + rollups: %d records in %d ms%n", records, pipelineNanos / 1_000_000);
            long rollupsAloneNanos = rollupsAlone(kafka.bootstrapServers(), registry.url(), root.resolve("streams"));
            System.err.printf("rollups alone: %d records in %d ms%n", records, rollupsAloneNanos / 1_000_000);
            double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();

            double passthroughRate = records / (passthroughNanos / 1e9);
            double pipelineRate = records / (pipelineNanos / 1e9);
            System.out.printf("| what | records | partitions | seconds | records/s | of passthrough |%n");
            System.out.printf("|---|---:|---:|---:|---:|---:|%n");
            System.out.printf("| plain consume-and-produce passthrough | %d | %d | %.1f | %.0f | 100%% |%n", records, partitions,
                    passthroughNanos / 1e9, passthroughRate);
            System.out.printf("| %s + %s (exactly_once_v2) | %d | %d | %.1f | %.0f | %.0f%% |%n", INGEST.applicationId(),
                    RollupsTopology.APPLICATION_ID, records, partitions, pipelineNanos / 1e9, pipelineRate,
                    100 * pipelineRate / passthroughRate);
            double rollupsAloneRate = records / (rollupsAloneNanos / 1e9);
            System.out.printf("| %s alone, on ingest's output afterwards | %d | %d | %.1f | %.0f | %.0f%% |%n",
                    RollupsTopology.APPLICATION_ID, records, partitions, rollupsAloneNanos / 1e9, rollupsAloneRate,
                    100 * rollupsAloneRate / passthroughRate);
            System.out.printf("%nload average (1 min) before %.2f, after %.2f; %d cores; %s%n", loadBefore, loadAfter,
                    Runtime.getRuntime().availableProcessors(), Runtime.version());
        }
    }

    /** The same records, Avro in the wire format, to both input topics: 100 targets × 4 databases, 10 s apart. */
    private static void produce(String bootstrap, String registryUrl, int records) {
        AvroSerializer<DatabaseSample> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl), false);
        Instant start = Instant.parse("2026-11-22T10:00:00Z");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                int series = i % 400;
                String targetId = "t" + series / 4;
                Instant at = start.plusSeconds(10L * (i / 400));
                DatabaseSample sample = DatabaseSample.newBuilder()
                        .setCollectorId("c1").setTargetId(targetId).setSampledAt(at).setServerVersionNum(170006)
                        .setDatid(series % 4).setDatname("db" + series % 4).setNumbackends(i % 97)
                        .setXactCommit(i).setXactRollback(i / 10).setBlksRead(i * 2L).setBlksHit(i * 30L)
                        .setTupReturned(i).setTupFetched(i).setTupInserted(i).setTupUpdated(i).setTupDeleted(i)
                        .setConflicts(0).setTempFiles(0).setTempBytes(0).setDeadlocks(0)
                        .setBlkReadTimeMs(i * 0.5).setBlkWriteTimeMs(i * 0.25).setStatsReset(start.minusSeconds(3600))
                        .build();
                byte[] bytes = avro.serialize(Topics.RAW_DATABASE, sample);
                String key = "c1/" + targetId;
                producer.send(new ProducerRecord<>(Topics.RAW_DATABASE, key, bytes));
                producer.send(new ProducerRecord<>(PASSTHROUGH_IN, key, bytes));
            }
            producer.flush();
        }
    }

    /** A plain consumer and producer copying every record once (at least once, no transactions). */
    private static long passthrough(String bootstrap, int records) {
        long started = System.nanoTime();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "bench-passthrough",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            consumer.subscribe(List.of(PASSTHROUGH_IN));
            int copied = 0;
            while (copied < records) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    producer.send(new ProducerRecord<>(PASSTHROUGH_OUT, record.key(), record.value()));
                    copied++;
                }
            }
            producer.flush();
            consumer.commitSync();
        }
        return System.nanoTime() - started;
    }

    /** Ingest and rollups as two applications in this JVM; done when rollups has committed all of ingest's output. */
    private static long pipeline(String bootstrap, String registryUrl, Path stateDir, int records) throws Exception {
        StreamsSettings settings = new StreamsSettings(bootstrap, registryUrl, stateDir, 1);
        Map<String, String> serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl);
        long started = System.nanoTime();
        KafkaStreams ingest = settings.start(INGEST.applicationId(), INGEST.build().apply(serde), Map.of());
        KafkaStreams rollups = settings.start(new RollupsStreamsRole());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            awaitCommitted(admin, INGEST.applicationId(), Topics.RAW_DATABASE, records);
            System.err.printf("ingest committed all %d records after %d ms%n", records, (System.nanoTime() - started) / 1_000_000);
            Map<TopicPartition, Long> metricsEnd = endOffsets(admin, Topics.METRICS_DATABASE);
            while (!committedReach(admin, RollupsTopology.APPLICATION_ID, metricsEnd)) {
                Thread.sleep(50);
            }
            return System.nanoTime() - started;
        } finally {
            StreamsSettings.stop(rollups);
            StreamsSettings.stop(ingest);
        }
    }

    /** The rollups topology once more, as a fresh application over the metrics ingest already wrote: its own rate. */
    private static long rollupsAlone(String bootstrap, String registryUrl, Path stateDir) throws Exception {
        String applicationId = RollupsTopology.APPLICATION_ID + "-alone";
        Map<String, String> serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl);
        long started = System.nanoTime();
        KafkaStreams rollups = new StreamsSettings(bootstrap, registryUrl, stateDir, 1).start(applicationId,
                RollupsTopology.build(serde), Map.of(org.apache.kafka.streams.StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                        RollupsTopology.COMMIT_INTERVAL.toMillis()));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, Long> metricsEnd = endOffsets(admin, Topics.METRICS_DATABASE);
            while (!committedReach(admin, applicationId, metricsEnd)) {
                Thread.sleep(50);
            }
            return System.nanoTime() - started;
        } finally {
            StreamsSettings.stop(rollups);
        }
    }

    private static void awaitCommitted(Admin admin, String group, String topic, int records) throws Exception {
        Map<TopicPartition, Long> end = endOffsets(admin, topic);
        if (end.values().stream().mapToLong(Long::longValue).sum() != records) {
            throw new IllegalStateException(topic + " holds " + end + ", expected " + records + " records");
        }
        while (!committedReach(admin, group, end)) {
            Thread.sleep(50);
        }
    }

    private static boolean committedReach(Admin admin, String group, Map<TopicPartition, Long> end) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
            OffsetAndMetadata offset = committed.get(partition.getKey());
            if (partition.getValue() > 0 && (offset == null || offset.offset() < partition.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> end = new java.util.HashMap<>();
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> entry
                : admin.listOffsets(request).all().get().entrySet()) {
            end.put(entry.getKey(), entry.getValue().offset());
        }
        return end;
    }
}
