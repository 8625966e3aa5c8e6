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
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The sink on the real components: a KRaft broker, our schema registry, PostgreSQL 17 and a distributed Connect
 * worker, all in this JVM, values taken as bytes and decoded by the sink itself (the quickstart's configuration; the
 * {@code AvroConverter} path is the restore tool's, proven by {@code S3BackupRestoreIT}). Started once for the class;
 * the tests run in order, each on the rows the previous ones stored, and each ends with every record of the topic
 * stored exactly once. The linger is ten minutes: every batch here is written because it was full or because the
 * backlog was drained.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EmbeddedStack(registry = true, postgres = true, databases = TimescaleSinkIT.DATABASE, connect = true,
        connectSettings = "offset.flush.interval.ms=500")
class TimescaleSinkIT {

    private static final String CONNECTOR = "timescale-sink-it";
    /** The consumer group Connect gives a sink connector's tasks. */
    private static final String CONNECTOR_GROUP = "connect-" + CONNECTOR;
    private static final String TOPIC = Topics.METRICS_DATABASE;
    private static final int PARTITIONS = 3;
    private static final String DLQ = Topics.DLQ;
    static final String DATABASE = "metrics";
    private static final String TABLE = "database_metrics";
    /** Trust authentication ignores it; the test output is checked for it never being logged. */
    private static final String PASSWORD = "it-password-never-logged";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private static EmbeddedPostgres postgres;
    private static int postgresPort;
    private static EmbeddedKafka kafka;
    private static EmbeddedRegistry registry;
    private static EmbeddedConnect connect;
    @AutoClose
    private static Admin admin;
    @AutoClose
    private static KafkaProducer<String, DatabaseSample> producer;
    /** Samples produced so far, numbered per target: each has its own natural key. */
    private static final AtomicInteger produced = new AtomicInteger();

    @BeforeAll
    static void startInfrastructure(TestStack stack) {
        postgres = stack.postgres();
        postgresPort = postgres.port();
        kafka = stack.kafka();
        registry = stack.registry();
        connect = stack.connect();
        kafka.createTopics(new NewTopic(TOPIC, PARTITIONS, (short) 1), new NewTopic(DLQ, 1, (short) 1));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                ProducerConfig.LINGER_MS_CONFIG, 5,
                "schema.registry.url", registry.url()));
        connect.putConnector(CONNECTOR, connectorConfig());
    }

    /** The configuration the quickstart passes too; README.md documents each key. */
    private static Map<String, String> connectorConfig() {
        return Map.ofEntries(
                Map.entry("connector.class", TimescaleSinkConnector.class.getName()),
                // Two tasks over three partitions: both create the table at once, which the advisory lock serialises.
                Map.entry("tasks.max", "2"),
                Map.entry("topics.regex", "pga\\.(metrics|rollups)\\..*"),
                Map.entry("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
                Map.entry("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"),
                Map.entry("schema.registry.url", registry.url()),
                Map.entry("connection.url", "jdbc:postgresql://127.0.0.1:" + postgresPort + "/" + DATABASE),
                Map.entry("connection.user", postgres.user()),
                Map.entry("connection.password", PASSWORD),
                Map.entry("batch.max.rows", "2000"),
                Map.entry("batch.linger.ms", "600000"),
                Map.entry("errors.tolerance", "all"),
                Map.entry("errors.deadletterqueue.topic.name", DLQ),
                Map.entry("errors.deadletterqueue.topic.replication.factor", "1"),
                Map.entry("errors.deadletterqueue.context.headers.enable", "true"));
    }

    @Test
    @Order(1)
    void producedSamplesArriveAsRowsWithEveryColumnIntact() throws SQLException {
        produceSamples(40);

        awaitEverythingStored();
        try (Connection c = metrics(); PreparedStatement query = c.prepareStatement(
                "SELECT * FROM " + TABLE + " WHERE target_id = ? AND sampled_at = ?")) {
            DatabaseSample expected = sample(13);
            query.setString(1, expected.getTargetId());
            query.setObject(2, OffsetDateTime.ofInstant(expected.getSampledAt(), ZoneOffset.UTC));
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as("the row of sample 13").isTrue();
                assertThat(row.getString("collector_id")).isEqualTo("collector-1");
                assertThat(row.getString("target_id")).isEqualTo("it-target-1");
                assertThat(row.getObject("sampled_at", OffsetDateTime.class).toInstant())
                        .isEqualTo(DatabaseSamples.FIRST_SAMPLE_AT.plusSeconds(13));
                assertThat(row.getInt("server_version_num")).isEqualTo(170006);
                assertThat(row.getLong("datid")).isEqualTo(16384);
                assertThat(row.getString("datname")).isEqualTo("app");
                assertThat(row.getLong("xact_commit")).isEqualTo(1_000_013L);
                assertThat(row.getLong("blks_read")).isEqualTo(5_000_000_000L);
                assertThat(row.getObject("checksum_failures")).isNull();
                assertThat(row.getDouble("session_time_ms")).isEqualTo(86_400_000.75);
                assertThat(row.getObject("sessions_abandoned")).isEqualTo(0L);
                assertThat(row.getObject("stats_reset", OffsetDateTime.class).toInstant())
                        .isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
                // one column per field of DatabaseSample: the 34 of v1 and the 7 optional ones added since
                assertThat(row.getMetaData().getColumnCount()).isEqualTo(DatabaseSample.getClassSchema().getFields().size()).isEqualTo(41);
                assertThat(row.next()).isFalse();
            }
        }
    }

    @Test
    @Order(2)
    void aConnectorRecreatedWithItsConsumerGroupDeletedResumesFromTheOffsetsStoredWithTheRows() throws Exception {
        recreateConnector(false);
        produceSamples(10);

        awaitEverythingStored();
        // The new tasks rewound to the stored offsets: nothing was read twice, so nothing met a stored row. (Awaited:
        // the writer thread commits a batch a moment before the task thread counts it.)
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(taskMetric("rows-written-total")).isEqualTo(10));
        assertThat(taskMetric("copy-conflict-fallbacks-total")).isZero();
        assertThat(taskMetric("rows-already-stored-total")).isZero();
    }

    @Test
    @Order(3)
    void aReplayFromOffsetZeroWithoutStoredOffsetsLeavesExactlyOneRowPerRecord() throws Exception {
        long before = rowCount();
        recreateConnector(true);

        awaitEverythingStored();
        assertThat(rowCount()).isEqualTo(before);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(taskMetric("rows-already-stored-total")).isEqualTo(before));
        assertThat(taskMetric("copy-conflict-fallbacks-total")).isPositive();
        assertThat(taskMetric("rows-written-total")).isZero();
    }

    @Test
    @Order(4)
    void aTaskKilledMidBatchLosesNothingAndStoresNothingTwice() throws Exception {
        AtomicBoolean killed = new AtomicBoolean();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            while (!killed.get()) {
                produceSamples(500);
            }
        });
        // Kill the task's transaction while it is open (COPY sent, offsets not yet committed), then the task itself.
        long retriesBefore = taskMetric("store-retries-total");
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(5)).until(() -> terminateSinkInTransaction() > 0);
        // The lost transaction is a failure to retry, not a reason to stop.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertTasksAlive();
            assertThat(taskMetric("store-retries-total")).isGreaterThan(retriesBefore);
        });
        connect.deleteConnector(CONNECTOR);
        killed.set(true);
        load.join();
        connect.putConnector(CONNECTOR, connectorConfig());

        awaitEverythingStored();
    }

    @Test
    @Order(5)
    void recordsThatCanNeverBeStoredGoToTheDeadLetterQueueAndTheRestArrive() throws Exception {
        long dlqBefore = endOffset(new TopicPartition(DLQ, 0));
        String key = "collector-1/it-target-0";
        // A collector sending nanoseconds as microseconds: sampled_at in the year 57862.
        DatabaseSample nanoseconds = DatabaseSample.newBuilder(sample(produced.get() + 1000))
                .setSampledAt(Instant.ofEpochSecond(1_763_800_000L * 1000)).build();
        producer.send(new ProducerRecord<>(TOPIC, 0, key, nanoseconds)).get();
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(TOPIC, 0, key.getBytes(StandardCharsets.UTF_8),
                    "{\"datid\": 1}".getBytes(StandardCharsets.UTF_8))).get();
        }
        // A good sample after them on the same partition, and more elsewhere.
        producer.send(new ProducerRecord<>(TOPIC, 0, key, sample(produced.getAndIncrement()))).get();
        produceSamples(5);

        awaitEverythingStored(2);
        List<ConsumerRecord<byte[], byte[]>> dead = recordsOf(new TopicPartition(DLQ, 0), dlqBefore, 2);
        assertThat(dead).extracting(r -> headers(r).get("__connect.errors.exception.message"))
                .anySatisfy(m -> assertThat(m).contains("sampled_at").contains("outside the years 1900..9999"))
                .anySatisfy(m -> assertThat(m).contains("magic byte"));
        assertThat(dead).allSatisfy(r -> assertThat(headers(r)).containsEntry("__connect.errors.topic", TOPIC));
        assertThat(connect.taskStates(CONNECTOR)).containsOnly("RUNNING");
    }

    @Test
    @Order(6)
    void postgresqlDownForAMinuteUnderLoadLosesNothing(TestStack stack) throws Exception {
        // About 100 samples a second throughout.
        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
        load.scheduleAtFixedRate(() -> produceSamples(20), 0, 200, TimeUnit.MILLISECONDS);
        await().atMost(TIMEOUT).until(() -> rowCount() > 0 && produced.get() > 100);
        long retriesBefore = taskMetric("store-retries-total");

        postgres.close();
        long stoppedAt = System.nanoTime();
        // Down for 60 s: the tasks keep retrying and stay RUNNING all along.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            assertTasksAlive();
            return Duration.ofNanos(System.nanoTime() - stoppedAt).toSeconds() >= 60;
        });
        assertThat(taskMetric("store-retries-total")).isGreaterThan(retriesBefore);
        postgres = stack.restartPostgres(); // on its data directory and port
        await().atMost(TIMEOUT).until(() -> rowCount() > 0 && storedOffsets().values().stream().mapToLong(Long::longValue)
                .sum() > 0);
        load.shutdown();
        assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        awaitEverythingStored();
    }

    // ---- helpers ----

    private static DatabaseSample sample(int n) {
        return DatabaseSamples.sample("it-target-" + n % 4, n);
    }

    private static void produceSamples(int count) {
        for (int i = 0; i < count; i++) {
            DatabaseSample s = sample(produced.getAndIncrement());
            producer.send(new ProducerRecord<>(TOPIC, s.getCollectorId() + "/" + s.getTargetId(), s));
        }
        producer.flush();
    }

    /** Every sample produced is a row, exactly once, and the offsets stored with them reach the end of every partition. */
    private static void awaitEverythingStored() {
        awaitEverythingStored(0);
    }

    private static void awaitEverythingStored(int setAside) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertTasksAlive();
            assertThat(storedOffsets()).isEqualTo(endOffsets());
        });
        try {
            assertThat(rowCount()).isEqualTo(produced.get());
            assertThat(endOffsets().values().stream().mapToLong(Long::longValue).sum())
                    .isEqualTo(produced.get() + setAside + deadLettered);
            deadLettered += setAside;
        } catch (SQLException | ExecutionException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static int deadLettered;

    private static void recreateConnector(boolean forgetStoredOffsets) throws Exception {
        connect.deleteConnector(CONNECTOR);
        // The group can be deleted only once the deleted connector's consumers have left it.
        await().atMost(TIMEOUT).until(TimescaleSinkIT::deleteConnectorGroup);
        if (forgetStoredOffsets) {
            try (Connection c = metrics(); Statement s = c.createStatement()) {
                s.executeUpdate("DELETE FROM pga_sink_offsets WHERE connector = '" + CONNECTOR + "'");
            }
        }
        connect.putConnector(CONNECTOR, connectorConfig());
    }

    /** Terminates the sink's sessions that are inside a transaction; returns how many. */
    private static int terminateSinkInTransaction() throws SQLException {
        try (Connection c = metrics(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '"
                        + MetricsStoreWriter.APPLICATION_NAME + "' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
                        + " AND query NOT LIKE 'SELECT topic, kafka_partition%'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static Connection metrics() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/" + DATABASE, "postgres", null);
    }

    private static long rowCount() throws SQLException {
        try (Connection c = metrics(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return 0;
            }
            throw e;
        }
    }

    private static Map<Integer, Long> storedOffsets() throws SQLException {
        Map<Integer, Long> stored = new HashMap<>();
        try (Connection c = metrics(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT kafka_partition, next_offset FROM pga_sink_offsets WHERE connector = '" + CONNECTOR
                        + "' AND topic = '" + TOPIC + "'")) {
            while (rs.next()) {
                stored.put(rs.getInt(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            if (!"42P01".equals(e.getSQLState())) {
                throw e;
            }
        }
        return stored;
    }

    private static Map<Integer, Long> endOffsets() throws ExecutionException, InterruptedException {
        Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, PARTITIONS).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition(TOPIC, p), p -> OffsetSpec.latest()));
        Map<Integer, Long> ends = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, info) -> {
            if (info.offset() > 0) {
                ends.put(tp.partition(), info.offset());
            }
        });
        return ends;
    }

    private static long endOffset(TopicPartition tp) throws ExecutionException, InterruptedException {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
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

    private static List<ConsumerRecord<byte[], byte[]>> recordsOf(TopicPartition tp, long from, int count) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            List<ConsumerRecord<byte[], byte[]>> records = new java.util.ArrayList<>();
            await().atMost(TIMEOUT).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                return records.size() >= count;
            });
            return records;
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
}
