package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedConnect;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink on the real components: a KRaft broker, our schema registry, PostgreSQL 17 and a distributed Connect
 * worker, all in this JVM. Started once for the class; the tests run in order because each builds on the rows the
 * previous ones stored (a replay and a redelivery are only meaningful over rows already there).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TimescaleSinkIT {

    private static final String CONNECTOR = "timescale-sink-it";
    /** The consumer group Connect gives a sink connector's tasks. */
    private static final String CONNECTOR_GROUP = "connect-" + CONNECTOR;
    private static final String TOPIC = Topics.METRICS_DATABASE;
    private static final String DLQ = Topics.DLQ;
    private static final String DATABASE = "metrics";
    private static final String TABLE = "database_metrics";
    /** Trust authentication ignores it; the test output is checked for it never being logged. */
    private static final String PASSWORD = "it-password-never-logged";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Four targets, ten samples each: keys spread the targets over the topic's three partitions. */
    private static final List<DatabaseSample> SAMPLES = IntStream.range(0, 40)
            .mapToObj(i -> DatabaseSamples.sample("it-target-" + i % 4, i / 4))
            .toList();

    @TempDir
    static Path dataDir;

    private static CompletableFuture<EmbeddedPostgres> postgresStart;
    private static EmbeddedPostgres postgres;
    private static EmbeddedKafka kafka;
    private static EmbeddedRegistry registry;
    private static EmbeddedConnect connect;
    private static Admin admin;
    private static DataSource metrics;

    @BeforeAll
    static void startInfrastructure() {
        // PostgreSQL needs nothing from Kafka: start it alongside.
        postgresStart = CompletableFuture.supplyAsync(
                () -> EmbeddedPostgres.builder().dataDir(dataDir.resolve("postgres")).start());
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        kafka.createTopics(new NewTopic(TOPIC, 3, (short) 1), new NewTopic(DLQ, 1, (short) 1));
        registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
        connect = EmbeddedConnect.builder()
                .bootstrapServers(kafka.bootstrapServers())
                // Committed offsets are how the replay and redelivery tests see that the sink has read everything.
                .workerProperty("offset.flush.interval.ms", "200")
                .start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
        postgres = postgresStart.join();
        postgres.createDatabaseIfMissing(DATABASE);
        metrics = postgres.dataSource(DATABASE);
        putConnector();
    }

    @AfterAll
    static void stopInfrastructure() {
        // Connect before Kafka: a worker whose broker is gone blocks on shutdown.
        if (connect != null) {
            connect.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (postgresStart != null) {
            postgresStart.thenAccept(EmbeddedPostgres::close).join();
        }
    }

    /** The configuration the quickstart passes too; README.md documents each key. */
    private static Map<String, String> connectorConfig() {
        return Map.ofEntries(
                Map.entry("connector.class", TimescaleSinkConnector.class.getName()),
                // Two tasks over three partitions: both create the table at once, which the advisory lock serialises.
                Map.entry("tasks.max", "2"),
                Map.entry("topics", TOPIC),
                Map.entry("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
                Map.entry("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"),
                Map.entry("connection.url", postgres.jdbcUrl(DATABASE)),
                Map.entry("connection.user", postgres.user()),
                Map.entry("connection.password", PASSWORD),
                Map.entry("schema.registry.url", registry.url()),
                Map.entry("table.name", TABLE),
                Map.entry("batch.max.rows", "16"),
                Map.entry("errors.tolerance", "all"),
                Map.entry("errors.deadletterqueue.topic.name", DLQ),
                Map.entry("errors.deadletterqueue.topic.replication.factor", "1"),
                Map.entry("errors.deadletterqueue.context.headers.enable", "true"));
    }

    private static void putConnector() {
        connect.putConnector(CONNECTOR, connectorConfig());
    }

    @Test
    @Order(1)
    void producedSamplesArriveAsRowsWithEveryColumnIntact() throws SQLException {
        produce(SAMPLES);

        awaitRowCount(SAMPLES.size());
        DatabaseSample expected = SAMPLES.get(13); // it-target-1, its sample 3
        try (Connection c = metrics.getConnection();
             PreparedStatement query = c.prepareStatement(
                     "SELECT * FROM " + TABLE + " WHERE target_id = ? AND datid = ? AND sampled_at = ?")) {
            query.setString(1, expected.getTargetId());
            query.setLong(2, expected.getDatid());
            query.setObject(3, OffsetDateTime.ofInstant(expected.getSampledAt(), ZoneOffset.UTC));
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as("the row of " + expected.getTargetId()).isTrue();
                assertThat(row.getString("collector_id")).isEqualTo("collector-1");
                assertThat(row.getString("target_id")).isEqualTo("it-target-1");
                assertThat(instant(row, "sampled_at")).isEqualTo(Instant.parse("2026-11-22T10:00:03.123456Z"));
                assertThat(row.getInt("server_version_num")).isEqualTo(170006);
                assertThat(row.getLong("datid")).isEqualTo(16384);
                assertThat(row.getString("datname")).isEqualTo("app");
                assertThat(row.getInt("numbackends")).isEqualTo(6);
                assertThat(row.getLong("xact_commit")).isEqualTo(1_000_003L);
                assertThat(row.getLong("xact_rollback")).isEqualTo(7);
                assertThat(row.getLong("blks_read")).isEqualTo(5_000_000_000L);
                assertThat(row.getLong("blks_hit")).isEqualTo(9_000_000_003L);
                assertThat(row.getLong("tup_returned")).isEqualTo(11);
                assertThat(row.getLong("tup_fetched")).isEqualTo(12);
                assertThat(row.getLong("tup_inserted")).isEqualTo(13);
                assertThat(row.getLong("tup_updated")).isEqualTo(14);
                assertThat(row.getLong("tup_deleted")).isEqualTo(15);
                assertThat(row.getLong("conflicts")).isZero();
                assertThat(row.getLong("temp_files")).isEqualTo(2);
                assertThat(row.getLong("temp_bytes")).isEqualTo(16_384);
                assertThat(row.getLong("deadlocks")).isEqualTo(1);
                assertThat(row.getObject("checksum_failures")).isNull();
                assertThat(row.getObject("checksum_last_failure")).isNull();
                assertThat(row.getDouble("blk_read_time_ms")).isEqualTo(12.5);
                assertThat(row.getDouble("blk_write_time_ms")).isEqualTo(0.25);
                assertThat(row.getDouble("session_time_ms")).isEqualTo(86_400_000.75);
                assertThat(row.getDouble("active_time_ms")).isEqualTo(3_600_000.5);
                assertThat(row.getObject("idle_in_transaction_time_ms")).isEqualTo(0.0);
                assertThat(row.getLong("sessions")).isEqualTo(103);
                assertThat(row.getObject("sessions_abandoned")).isEqualTo(0L);
                assertThat(row.getLong("sessions_fatal")).isEqualTo(1);
                assertThat(row.getLong("sessions_killed")).isEqualTo(2);
                assertThat(row.getObject("parallel_workers_to_launch")).isNull();
                assertThat(row.getObject("parallel_workers_launched")).isNull();
                assertThat(instant(row, "stats_reset")).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
                assertThat(row.getObject("size_bytes")).isNull(); // not set by the test sample
                assertThat(row.getObject("confl_active_logicalslot")).isNull();
                assertThat(row.getMetaData().getColumnCount()).isEqualTo(41);
                assertThat(row.next()).isFalse();
            }
        }
    }

    @Test
    @Order(2)
    void replayingTheTopicFromOffsetZeroLeavesTheTableUnchanged() throws Exception {
        long before = awaitRowCount(SAMPLES.size());

        connect.deleteConnector(CONNECTOR);
        // The group can be deleted only once the deleted connector's consumers have left it.
        await().atMost(TIMEOUT).until(TimescaleSinkIT::deleteConnectorGroup);
        assertThat(admin.listConsumerGroupOffsets(CONNECTOR_GROUP).partitionsToOffsetAndMetadata().get()).isEmpty();
        putConnector();

        awaitConsumedToTheEnd();
        assertThat(rowCount()).isEqualTo(before);
        // The re-created tasks count from zero: every sample went through them again and was found stored.
        assertThat(taskMetric("rows-already-stored-total")).isEqualTo(SAMPLES.size());
        assertThat(taskMetric("rows-written-total")).isZero();
    }

    @Test
    @Order(3)
    void redeliveredRecordsLeaveTheTableUnchanged() throws Exception {
        long before = awaitRowCount(SAMPLES.size());

        produce(SAMPLES);

        awaitConsumedToTheEnd();
        assertThat(rowCount()).isEqualTo(before);
        assertThat(taskMetric("rows-already-stored-total")).isEqualTo(2L * SAMPLES.size());
    }

    @Test
    @Order(4)
    void aMalformedValueGoesToTheDeadLetterQueueAndTheRecordsAfterItStillArrive() throws Exception {
        long before = awaitRowCount(SAMPLES.size());
        String key = "collector-1/it-target-dlq";
        byte[] malformed = "{\"datid\": 1}".getBytes(StandardCharsets.UTF_8);
        List<DatabaseSample> after = IntStream.range(0, 5).mapToObj(n -> DatabaseSamples.sample("it-target-dlq", n)).toList();

        // Same key, so the same partition: the good samples come after the bad one.
        produceBytes(key, malformed);
        produce(after);

        awaitRowCount(before + after.size());
        ConsumerRecord<byte[], byte[]> dead = firstRecordOf(DLQ);
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo(key);
        assertThat(dead.value()).isEqualTo(malformed);
        Map<String, String> headers = headers(dead);
        assertThat(headers).containsEntry("__connect.errors.topic", TOPIC)
                .containsEntry("__connect.errors.connector.name", CONNECTOR)
                .containsEntry("__connect.errors.exception.class.name", "org.apache.kafka.connect.errors.DataException");
        assertThat(headers.get("__connect.errors.exception.message")).contains("magic byte");
        assertThat(connect.taskStates(CONNECTOR)).containsOnly("RUNNING");
        assertThat(taskMetric("records-dead-lettered-total")).isEqualTo(1);
    }

    private static void produce(List<DatabaseSample> samples) {
        try (KafkaProducer<String, DatabaseSample> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", registry.url()))) {
            for (DatabaseSample sample : samples) {
                producer.send(new ProducerRecord<>(TOPIC, sample.getCollectorId() + "/" + sample.getTargetId(), sample));
            }
            producer.flush();
        }
    }

    private static void produceBytes(String key, byte[] value) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(TOPIC, key.getBytes(StandardCharsets.UTF_8), value));
            producer.flush();
        }
    }

    private static long rowCount() throws SQLException {
        try (Connection c = metrics.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Awaits the count, failing at once with Connect's stack trace if a task died instead. */
    private static long awaitRowCount(long expected) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertTasksAlive();
            return tableExists() && rowCount() == expected;
        });
        return expected;
    }

    private static boolean tableExists() throws SQLException {
        try (Connection c = metrics.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** The connector's group has committed, for every partition of the topic, the partition's end offset. */
    private static void awaitConsumedToTheEnd() {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertTasksAlive();
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(CONNECTOR_GROUP).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, 3).boxed()
                    .collect(Collectors.toMap(p -> new TopicPartition(TOPIC, p), p -> OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get().entrySet().stream().allMatch(end -> {
                OffsetAndMetadata offset = committed.get(end.getKey());
                long endOffset = end.getValue().offset();
                return endOffset == 0 ? offset == null || offset.offset() == 0 : offset != null && offset.offset() == endOffset;
            });
        });
    }

    private static void assertTasksAlive() {
        EmbeddedConnect.ConnectorStatus status = connect.status(CONNECTOR);
        for (EmbeddedConnect.TaskStatus task : status.tasks()) {
            assertThat(task.state()).as("task %d of %s: %s", task.id(), CONNECTOR, task.trace()).isNotEqualTo("FAILED");
        }
    }

    private static boolean deleteConnectorGroup() throws InterruptedException {
        try {
            admin.deleteConsumerGroups(List.of(CONNECTOR_GROUP)).all().get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return true;
            }
            if (e.getCause() instanceof GroupNotEmptyException) {
                return false;
            }
            throw new AssertionError("cannot delete group " + CONNECTOR_GROUP, e.getCause());
        }
    }

    private static ConsumerRecord<byte[], byte[]> firstRecordOf(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            return await().atMost(TIMEOUT).until(
                    () -> {
                        var records = consumer.poll(Duration.ofMillis(100));
                        return records.isEmpty() ? null : records.iterator().next();
                    },
                    record -> record != null);
        }
    }

    private static Map<String, String> headers(ConsumerRecord<?, ?> record) {
        return StreamSupport.stream(record.headers().spliterator(), false)
                .collect(Collectors.toMap(Header::key, h -> new String(h.value(), StandardCharsets.UTF_8),
                        (first, second) -> first));
    }

    /** The sum over the connector's tasks of one of the sink's plugin metrics, as the worker exposes them in JMX. */
    private static long taskMetric(String name) throws JMException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        long sum = 0;
        for (ObjectName task : server.queryNames(new ObjectName("kafka.connect:type=plugins,connector=" + CONNECTOR + ",*"), null)) {
            sum += ((Number) server.getAttribute(task, name)).longValue();
        }
        return sum;
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        return row.getObject(column, OffsetDateTime.class).toInstant();
    }
}
