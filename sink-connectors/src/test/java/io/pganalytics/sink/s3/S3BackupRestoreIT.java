package io.pganalytics.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedConnect;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.embedded.EmbeddedS3;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.sink.s3.restore.Restore;
import io.pganalytics.sink.s3.restore.RestoreConfig;
import io.pganalytics.sink.s3.restore.RestoreException;
import io.pganalytics.sink.s3.restore.RestoreProgress;
import io.pganalytics.sink.s3.restore.RestoreReport;
import io.pganalytics.sink.s3.restore.RestoreRequest;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.SeekableByteArrayInput;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Backup and restore on the real components, all in this JVM: a KRaft broker, our registry, a distributed Connect
 * worker running the S3 backup sink and the metrics-store sink, s3proxy and PostgreSQL 17. Three topics are backed
 * up; the tests run in order, each building on the backup the first one waited for.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EmbeddedStack(registry = true, postgres = true, databases = S3BackupRestoreIT.DATABASE, connect = true,
        connectSettings = "offset.flush.interval.ms=500", s3 = true)
class S3BackupRestoreIT {

    private static final String BACKUP_CONNECTOR = "s3-backup-it";
    private static final String BACKUP_GROUP = "connect-" + BACKUP_CONNECTOR;
    private static final String METRICS_CONNECTOR = "timescale-it";
    private static final String BUCKET = "pganalytics-backup";
    private static final String PREFIX = "it";
    static final String DATABASE = "metrics";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    /** Every object of this test is encrypted client-side: each restore below reads ciphertext. */
    private static final String RING = io.pganalytics.schemas.secret.SecretBox.generateKey("k1");

    private static final String RAW = Topics.RAW_DATABASE;
    private static final String METRICS = Topics.METRICS_DATABASE;
    private static final String HEARTBEATS = Topics.FLEET_HEARTBEATS;
    private static final Map<String, Integer> PARTITIONS = Map.of(RAW, 1, METRICS, 2, HEARTBEATS, 1);
    private static final int SAMPLES_PER_TARGET = 15;
    private static final List<String> TARGETS = List.of("db-a", "db-b", "db-c", "db-d");
    /** Far after the samples: starts a new window in each partition, so that every sample's object is uploaded. */
    private static final Instant SENTINEL_TIME = BackupSamples.T0.plus(Duration.ofDays(1));

    private static EmbeddedPostgres postgres;
    private static EmbeddedKafka kafka;
    private static EmbeddedRegistry registry;
    private static EmbeddedS3 s3;
    private static EmbeddedConnect connect;
    @AutoClose
    private static Admin admin;
    @AutoClose
    private static S3Client client;
    private static DataSource metrics;
    /** What was produced (sentinels excluded): topic-partition → offset → record. */
    private static final Map<TopicPartition, Map<Long, Produced>> produced = new HashMap<>();
    /** The offset of each partition's sentinel: what the backup sink must have committed once all else is uploaded. */
    private static final Map<TopicPartition, Long> sentinels = new HashMap<>();

    record Produced(String key, long timestamp, GenericContainer value) {
    }

    @BeforeAll
    static void startInfrastructure(TestStack stack) throws Exception {
        postgres = stack.postgres();
        kafka = stack.kafka();
        registry = stack.registry();
        s3 = stack.s3();
        connect = stack.connect();
        kafka.createTopics(PARTITIONS.entrySet().stream()
                .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1)).toArray(NewTopic[]::new));
        client = S3Client.builder().endpointOverride(URI.create(s3.endpoint())).region(Region.of(s3.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .forcePathStyle(true).build();
        client.createBucket(b -> b.bucket(BUCKET));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
        metrics = postgres.dataSource(DATABASE);
        produceAll();
        connect.putConnector(BACKUP_CONNECTOR, backupConfig());
        connect.putConnector(METRICS_CONNECTOR, metricsConfig());
    }

    @Test
    @Order(1)
    void everyRecordOfTheThreeTopicsIsInExactlyOneObjectNamedByPartitionAndStartOffset() throws Exception {
        awaitBackupCommittedUpToTheSentinels();

        Map<String, byte[]> objects = objects();
        assertThat(objects).isNotEmpty();
        Map<TopicPartition, List<Long>> backedUp = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (Map.Entry<String, byte[]> object : objects.entrySet()) {
            BackupFormat.ObjectName name = BackupFormat.parse(object.getKey()).orElseThrow();
            List<GenericRecord> records = read(object.getValue());
            assertThat(records).isNotEmpty().hasSizeLessThanOrEqualTo(7);
            assertThat(records.get(0).get(BackupFormat.OFFSET)).isEqualTo(name.startOffset());
            Instant first = Instant.ofEpochMilli((Long) records.get(0).get(BackupFormat.TIMESTAMP));
            assertThat(object.getKey()).isEqualTo(BackupFormat.objectKey(PREFIX, name.topic(), name.partition(),
                    name.startOffset(), first.toEpochMilli()));
            assertThat(object.getKey()).startsWith(PREFIX + "/" + name.topic() + "/dt="
                    + BackupSamples.T0.toString().substring(0, 10) + "/hour=" + BackupSamples.T0.toString().substring(11, 13) + "/");
            TopicPartition tp = new TopicPartition(name.topic(), name.partition());
            for (GenericRecord record : records) {
                long offset = (Long) record.get(BackupFormat.OFFSET);
                backedUp.computeIfAbsent(tp, p -> new ArrayList<>()).add(offset);
                Produced original = produced.get(tp).get(offset);
                assertThat(record.get(BackupFormat.KEY).toString()).isEqualTo(original.key());
                assertThat(record.get(BackupFormat.TIMESTAMP)).isEqualTo(original.timestamp());
                assertThat(record.get(BackupFormat.VALUE).toString()).isEqualTo(original.value().toString());
            }
        }
        for (Map.Entry<TopicPartition, Map<Long, Produced>> partition : produced.entrySet()) {
            assertThat(backedUp.get(partition.getKey())).as(partition.getKey().toString())
                    .containsExactlyInAnyOrderElementsOf(partition.getValue().keySet());
        }
        assertThat(backedUp.keySet()).hasSize(4);
    }

    @Test
    @Order(2)
    void replayingFromOffsetZeroAfterATaskRestartRewritesTheSameObjectsAndNoOthers() throws Exception {
        Map<String, byte[]> before = objects();

        connect.deleteConnector(BACKUP_CONNECTOR);
        await().atMost(TIMEOUT).until(S3BackupRestoreIT::deleteBackupGroup);
        connect.putConnector(BACKUP_CONNECTOR, backupConfig());
        awaitBackupCommittedUpToTheSentinels();

        Map<String, byte[]> after = objects();
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((key, content) -> assertThat(after.get(key)).as(key).isEqualTo(content));
    }

    @Test
    @Order(3)
    void droppedMetricsTableIsRestoredForATimeRangeWithTheOriginalRows() throws Exception {
        int rows = TARGETS.size() * SAMPLES_PER_TARGET + PARTITIONS.get(METRICS);
        await().atMost(TIMEOUT).until(() -> tableExists() && count("SELECT count(*) FROM database_metrics") == rows);
        Instant hour = BackupSamples.T0.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        Instant from = hour.plus(Duration.ofMinutes(3));
        Instant to = hour.plus(Duration.ofMinutes(11));
        List<Map<String, Object>> originals = rowsBetween(from, to);
        assertThat(originals).hasSize(TARGETS.size() * 8);

        connect.deleteConnector(METRICS_CONNECTOR);
        try (Connection c = metrics.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE database_metrics");
        }

        List<long[]> progress = new ArrayList<>();
        RestoreReport report = new Restore(restoreConfig()).run(new RestoreRequest(BUCKET, PREFIX, List.of(), from, to,
                RestoreRequest.Target.DATABASE, ""), recording(progress));

        assertThat(report.recordsRestored()).isEqualTo(originals.size());
        assertThat(report.restoredPerTopic()).containsOnlyKeys(METRICS);
        assertThat(rowsBetween(from, to)).isEqualTo(originals);
        assertThat(count("SELECT count(*) FROM database_metrics")).isEqualTo(originals.size());
        assertThat(progress).isNotEmpty();
        assertThat(progress.get(progress.size() - 1)[2]).isEqualTo(originals.size());

        // Restoring again changes nothing: the sink skips rows already stored.
        new Restore(restoreConfig()).run(new RestoreRequest(BUCKET, PREFIX, List.of(METRICS), from, to,
                RestoreRequest.Target.DATABASE, ""), RestoreProgress.NONE);
        assertThat(rowsBetween(from, to)).isEqualTo(originals);
    }

    @Test
    @Order(4)
    void restoreToKafkaReproducesEveryBackedUpRecordWithItsKeyTimestampAndValue() throws Exception {
        for (Map.Entry<String, Integer> topic : PARTITIONS.entrySet()) {
            kafka.createTopics(new NewTopic("restored." + topic.getKey(), topic.getValue(), (short) 1));
        }
        long expected = produced.values().stream().mapToLong(Map::size).sum();

        RestoreReport report = new Restore(restoreConfig()).run(new RestoreRequest(BUCKET, PREFIX, List.of(), null,
                null, RestoreRequest.Target.KAFKA, "restored."), RestoreProgress.NONE);

        assertThat(report.recordsRestored()).isEqualTo(expected);
        assertThat(report.recordsRead()).isEqualTo(expected);
        for (String topic : PARTITIONS.keySet()) {
            List<Produced> originals = produced.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
                    .flatMap(e -> e.getValue().values().stream()).toList();
            List<ConsumerRecord<String, Object>> restored = consumeAll("restored." + topic, originals.size());
            assertThat(restored).hasSize(originals.size());
            Set<String> restoredAsText = new HashSet<>();
            restored.forEach(r -> restoredAsText.add(r.key() + "|" + r.timestamp() + "|" + r.value()));
            Set<String> originalAsText = new HashSet<>();
            originals.forEach(o -> originalAsText.add(o.key() + "|" + o.timestamp() + "|" + o.value()));
            assertThat(restoredAsText).isEqualTo(originalAsText);
        }
    }

    @Test
    @Order(5)
    void aCorruptObjectIsNamedAndFailsTheRestoreBeforeAnythingIsWritten() throws Exception {
        String victim = objects().keySet().stream().filter(k -> k.contains("/" + HEARTBEATS + "/")).findFirst().orElseThrow();
        ResponseBytes<GetObjectResponse> original = client.getObjectAsBytes(b -> b.bucket(BUCKET).key(victim));
        byte[] corrupt = original.asByteArray().clone();
        corrupt[corrupt.length / 2] ^= 0x5a;
        client.putObject(b -> b.bucket(BUCKET).key(victim).metadata(original.response().metadata()),
                RequestBody.fromBytes(corrupt));
        try {
            assertThatThrownBy(() -> new Restore(restoreConfig()).run(new RestoreRequest(BUCKET, PREFIX, List.of(),
                    null, null, RestoreRequest.Target.KAFKA, "corrupt."), RestoreProgress.NONE))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("corrupt object " + victim);
            assertThat(admin.listTopics().names().get()).noneMatch(t -> t.startsWith("corrupt."));
        } finally {
            client.putObject(b -> b.bucket(BUCKET).key(victim).metadata(original.response().metadata()),
                    RequestBody.fromBytes(original.asByteArray()));
        }
    }

    @Test
    @Order(6)
    void aMissingObjectInTheMiddleOfAPartitionIsNamedAndFailsTheRestore() {
        List<String> raw = objects().keySet().stream().filter(k -> k.contains("/" + RAW + "/"))
                .sorted((a, b) -> Long.compare(BackupFormat.parse(a).orElseThrow().startOffset(),
                        BackupFormat.parse(b).orElseThrow().startOffset()))
                .toList();
        assertThat(raw).hasSizeGreaterThan(2);
        String missing = raw.get(1);
        BackupFormat.ObjectName name = BackupFormat.parse(missing).orElseThrow();
        client.deleteObject(b -> b.bucket(BUCKET).key(missing));

        assertThatThrownBy(() -> new Restore(restoreConfig()).run(new RestoreRequest(BUCKET, PREFIX, List.of(RAW),
                null, null, RestoreRequest.Target.KAFKA, "missing."), RestoreProgress.NONE))
                .isInstanceOf(RestoreException.class)
                .hasMessageContaining("missing object " + BackupFormat.fileName(RAW, 0, name.startOffset()));
    }

    @Test
    @Order(7)
    void whileTheStoreIsDownNothingIsCommittedAndOnceBackEveryRecordIsUploadedOnce(TestStack stack) throws Exception {
        TopicPartition heartbeats = new TopicPartition(HEARTBEATS, 0);
        long committedBefore = committed(heartbeats);
        long oldSentinel = sentinels.get(heartbeats); // backed up now that later records close its window
        s3.close();
        try (KafkaProducer<String, GenericContainer> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()))) {
            // Three more windows after the old sentinel's, then a new sentinel.
            for (int n = 0; n < 12; n++) {
                send(producer, HEARTBEATS, 0, "collector-3", SENTINEL_TIME.plus(Duration.ofMinutes(n * 2L)),
                        BackupSamples.heartbeat("collector-3", n), false);
            }
            send(producer, HEARTBEATS, 0, "sentinel", SENTINEL_TIME.plus(Duration.ofHours(2)),
                    BackupSamples.heartbeat("sentinel", 1), true);
        }
        // The task keeps failing to upload (and says so) without failing, and commits nothing new.
        await().atMost(TIMEOUT).until(() -> taskMetric("upload-failures-total") > 0);
        assertThat(connect.taskStates(BACKUP_CONNECTOR)).doesNotContain("FAILED");
        assertThat(committed(heartbeats)).isEqualTo(committedBefore);

        s3 = stack.restartS3(); // on its blobs and port
        awaitBackupCommittedUpToTheSentinels();

        List<Long> offsets = new ArrayList<>();
        for (Map.Entry<String, byte[]> object : objects().entrySet()) {
            if (object.getKey().contains("/" + HEARTBEATS + "/")) {
                read(object.getValue()).forEach(r -> offsets.add((Long) r.get(BackupFormat.OFFSET)));
            }
        }
        List<Long> expected = new ArrayList<>(produced.get(heartbeats).keySet());
        expected.add(oldSentinel);
        assertThat(offsets).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    @Order(8)
    void aMissingBucketOrAWrongSecretFailsTheTaskWithAMessageSayingWhatToFix() {
        Map<String, String> noBucket = new LinkedHashMap<>(backupConfig());
        noBucket.put(S3BackupSinkConfig.BUCKET, "no-such-bucket");
        connect.putConnector("s3-backup-no-bucket", noBucket);
        Map<String, String> wrongSecret = new LinkedHashMap<>(backupConfig());
        wrongSecret.put(S3Connection.SECRET_ACCESS_KEY, "not-the-secret-at-all");
        connect.putConnector("s3-backup-wrong-secret", wrongSecret);
        try {
            await().atMost(TIMEOUT).until(() -> connect.taskStates("s3-backup-no-bucket").contains("FAILED")
                    && connect.taskStates("s3-backup-wrong-secret").contains("FAILED"));
            assertThat(connect.status("s3-backup-no-bucket").tasks().get(0).trace())
                    .contains("cannot reach bucket s3://no-such-bucket").contains("404").contains("does the bucket exist?");
            assertThat(connect.status("s3-backup-wrong-secret").tasks().get(0).trace())
                    .contains("403").contains("check aws.access.key.id and aws.secret.access.key")
                    .doesNotContain("not-the-secret-at-all");
        } finally {
            connect.deleteConnector("s3-backup-no-bucket");
            connect.deleteConnector("s3-backup-wrong-secret");
        }
    }

    // --- the data ----------------------------------------------------------------------------------------------

    @Test
    @Order(9)
    void anEncryptedBackupWithoutItsKeyOrWithAnotherFailsTheRestoreNamingTheKey() {
        // The topics whose objects the earlier tests left whole (one of RAW's was deleted on purpose).
        RestoreRequest all = new RestoreRequest(BUCKET, PREFIX, List.of(METRICS, HEARTBEATS), null, null, RestoreRequest.Target.KAFKA,
                "nokey.");
        assertThatThrownBy(() -> new Restore(restoreConfig(null)).run(all, RestoreProgress.NONE))
                .isInstanceOf(RestoreException.class).hasMessageContaining("is encrypted (data key sealed with key 'k1')")
                .hasMessageContaining(S3Connection.ENCRYPTION_KEYS);
        assertThatThrownBy(() -> new Restore(restoreConfig(io.pganalytics.schemas.secret.SecretBox.generateKey("k9"))).run(all,
                RestoreProgress.NONE))
                .isInstanceOf(RestoreException.class).hasMessageContaining("sealed with key 'k1', which " + S3Connection.ENCRYPTION_KEYS
                        + " does not have (it has k9)");
        assertThatThrownBy(() -> new Restore(restoreConfig(io.pganalytics.schemas.secret.SecretBox.generateKey("k1"))).run(all,
                RestoreProgress.NONE))
                .isInstanceOf(RestoreException.class).hasMessageContaining("does not open with key 'k1'");
    }

    @Test
    @Order(10)
    void rotatingTheRingRewrapsEveryDataKeyAndTheOldKeyCanThenGo() throws Exception {
        String k2 = io.pganalytics.schemas.secret.SecretBox.generateKey("k2");
        Map<String, String> before = new TreeMap<>();
        for (S3Object object : client.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(PREFIX + "/")).contents()) {
            before.put(object.key(), object.eTag());
        }
        io.pganalytics.sink.s3.restore.Rewrap.Report report = new io.pganalytics.sink.s3.restore.Rewrap(
                restoreConfig(k2 + "," + RING).s3()).run(BUCKET, PREFIX + "/");
        assertThat(report.examined()).isEqualTo(before.size());
        assertThat(report.rewrapped()).isEqualTo(before.size());
        for (String key : before.keySet()) {
            var head = client.headObject(b -> b.bucket(BUCKET).key(key));
            assertThat(head.metadata()).containsEntry(BackupEncryption.META_KEY_ID, "k2");
            assertThat(head.eTag()).as("the data is not re-encrypted").isEqualTo(before.get(key));
        }
        for (Map.Entry<String, Integer> topic : PARTITIONS.entrySet()) {
            kafka.createTopics(new NewTopic("rewrapped." + topic.getKey(), topic.getValue(), (short) 1));
        }
        RestoreReport restored = new Restore(restoreConfig(k2)).run(new RestoreRequest(BUCKET, PREFIX, List.of(METRICS, HEARTBEATS),
                null, null, RestoreRequest.Target.KAFKA, "rewrapped."), RestoreProgress.NONE);
        assertThat(restored.recordsRestored()).isEqualTo(restored.recordsRead()).isGreaterThanOrEqualTo(produced.entrySet().stream()
                .filter(e -> !e.getKey().topic().equals(RAW)).mapToLong(e -> e.getValue().size()).sum());
        assertThat(new io.pganalytics.sink.s3.restore.Rewrap(restoreConfig(k2).s3()).run(BUCKET, PREFIX + "/").current())
                .isEqualTo(before.size());
    }

    private static void produceAll() throws Exception {
        try (KafkaProducer<String, GenericContainer> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()))) {
            for (int n = 0; n < SAMPLES_PER_TARGET; n++) {
                for (String target : TARGETS) {
                    DatabaseSample sample = BackupSamples.database(target, n);
                    String key = "collector-1/" + target;
                    send(producer, RAW, null, key, sample.getSampledAt(), sample, false);
                    send(producer, METRICS, null, key, sample.getSampledAt(), sample, false);
                }
                for (String collector : List.of("collector-1", "collector-2")) {
                    send(producer, HEARTBEATS, null, collector, BackupSamples.sampledAt(n),
                            BackupSamples.heartbeat(collector, n), false);
                }
            }
            for (Map.Entry<String, Integer> topic : PARTITIONS.entrySet()) {
                for (int p = 0; p < topic.getValue(); p++) {
                    GenericContainer value = topic.getKey().equals(HEARTBEATS) ? BackupSamples.heartbeat("sentinel", 0)
                            : BackupSamples.database("sentinel-" + p, 24 * 60);
                    send(producer, topic.getKey(), p, "sentinel", SENTINEL_TIME, value, true);
                }
            }
        }
    }

    private static void send(KafkaProducer<String, GenericContainer> producer, String topic, Integer partition,
                             String key, Instant time, GenericContainer value, boolean sentinel) throws Exception {
        long timestamp = time.toEpochMilli();
        RecordMetadata metadata = producer.send(new ProducerRecord<>(topic, partition, timestamp, key, value)).get();
        TopicPartition tp = new TopicPartition(topic, metadata.partition());
        if (sentinel) {
            sentinels.put(tp, metadata.offset());
        } else {
            produced.computeIfAbsent(tp, p -> new TreeMap<>()).put(metadata.offset(),
                    new Produced(key, timestamp, asGeneric(value)));
        }
    }

    /** The value as a consumer without the generated classes sees it (timestamps as numbers), for comparisons. */
    private static GenericContainer asGeneric(GenericContainer value) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(bytes, null);
        new org.apache.avro.specific.SpecificDatumWriter<GenericContainer>(value.getSchema()).write(value, encoder);
        encoder.flush();
        return new GenericDatumReader<GenericRecord>(value.getSchema()).read(null,
                org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    }

    private static Map<String, String> backupConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", S3BackupSinkConnector.class.getName());
        config.put("tasks.max", "2");
        config.put("topics", String.join(",", PARTITIONS.keySet()));
        config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put(S3BackupSinkConfig.BUCKET, BUCKET);
        config.put(S3BackupSinkConfig.PREFIX, PREFIX);
        config.put(S3Connection.ENDPOINT, s3.endpoint());
        config.put(S3Connection.REGION, s3.region());
        config.put(S3Connection.PATH_STYLE, "true");
        config.put(S3Connection.ACCESS_KEY_ID, s3.accessKey());
        config.put(S3Connection.SECRET_ACCESS_KEY, s3.secretKey());
        config.put(S3Connection.ENCRYPTION_KEYS, RING);
        config.put(S3BackupSinkConfig.SCHEMA_REGISTRY_URL, registry.url());
        config.put(S3BackupSinkConfig.FLUSH_SIZE, "7");
        config.put(S3BackupSinkConfig.ROTATE_INTERVAL_MS, "300000");
        config.put(S3BackupSinkConfig.RETRY_BACKOFF_MS, "200");
        return config;
    }

    private static Map<String, String> metricsConfig() {
        return Map.of(
                "connector.class", "io.pganalytics.sink.timescale.TimescaleSinkConnector",
                "tasks.max", "1",
                "topics", METRICS,
                "key.converter", "org.apache.kafka.connect.storage.StringConverter",
                "value.converter", "io.pganalytics.schemas.connect.AvroConverter",
                "value.converter.schema.registry.url", registry.url(),
                "connection.url", postgres.jdbcUrl(DATABASE),
                "connection.user", postgres.user());
    }

    private static RestoreConfig restoreConfig() {
        return restoreConfig(RING);
    }

    /** The restore's configuration with the ring {@code ring}, or none when null. */
    private static RestoreConfig restoreConfig(String ring) {
        Map<String, String> config = new HashMap<>(Map.of(
                S3Connection.ENDPOINT, s3.endpoint(),
                S3Connection.REGION, s3.region(),
                S3Connection.PATH_STYLE, "true",
                S3Connection.ACCESS_KEY_ID, s3.accessKey(),
                S3Connection.SECRET_ACCESS_KEY, s3.secretKey(),
                RestoreConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                RestoreConfig.SCHEMA_REGISTRY_URL, registry.url(),
                RestoreConfig.CONNECTION_URL, postgres.jdbcUrl(DATABASE),
                RestoreConfig.CONNECTION_USER, postgres.user()));
        if (ring != null) {
            config.put(S3Connection.ENCRYPTION_KEYS, ring);
        }
        return RestoreConfig.from(config);
    }

    private static RestoreProgress recording(List<long[]> progress) {
        return new RestoreProgress() {
            @Override
            public void planned(int objects, long records) {
            }

            @Override
            public void advanced(int objectsDone, long recordsRead, long recordsRestored) {
                progress.add(new long[] {objectsDone, recordsRead, recordsRestored});
            }
        };
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private static void awaitBackupCommittedUpToTheSentinels() {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (EmbeddedConnect.TaskStatus task : connect.status(BACKUP_CONNECTOR).tasks()) {
                assertThat(task.state()).as("task %d: %s", task.id(), task.trace()).isNotEqualTo("FAILED");
            }
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(BACKUP_GROUP).partitionsToOffsetAndMetadata().get();
            return sentinels.entrySet().stream().allMatch(s -> committed.get(s.getKey()) != null
                    && committed.get(s.getKey()).offset() == s.getValue());
        });
    }

    private static long committed(TopicPartition partition) throws Exception {
        OffsetAndMetadata offset = admin.listConsumerGroupOffsets(BACKUP_GROUP).partitionsToOffsetAndMetadata().get()
                .get(partition);
        return offset == null ? -1 : offset.offset();
    }

    /** The sum over the backup connector's tasks of one of its plugin metrics, as the worker exposes them in JMX. */
    private static long taskMetric(String name) throws javax.management.JMException {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        long sum = 0;
        for (javax.management.ObjectName task : server.queryNames(new javax.management.ObjectName(
                "kafka.connect:type=plugins,connector=" + BACKUP_CONNECTOR + ",*"), null)) {
            sum += ((Number) server.getAttribute(task, name)).longValue();
        }
        return sum;
    }

    private static boolean deleteBackupGroup() throws InterruptedException {
        try {
            admin.deleteConsumerGroups(List.of(BACKUP_GROUP)).all().get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return true;
            }
            if (e.getCause() instanceof GroupNotEmptyException) {
                return false;
            }
            throw new AssertionError("cannot delete group " + BACKUP_GROUP, e.getCause());
        }
    }

    /** Every object's plaintext, after checking that what the store holds is ciphertext. */
    private static Map<String, byte[]> objects() {
        Map<String, byte[]> objects = new TreeMap<>();
        BackupEncryption ring = BackupEncryption.of(RING);
        for (S3Object object : client.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(PREFIX + "/")).contents()) {
            ResponseBytes<GetObjectResponse> stored = client.getObjectAsBytes(b -> b.bucket(BUCKET).key(object.key()));
            byte[] content = stored.asByteArray();
            assertThat(stored.response().metadata()).containsEntry(BackupEncryption.META_ENCRYPTION, BackupEncryption.SCHEME)
                    .containsEntry(BackupEncryption.META_KEY_ID, "k1");
            // An Avro container file starts with "Obj" 0x01; a thief reading the bucket sees none.
            assertThat(new String(content, 0, 3, java.nio.charset.StandardCharsets.ISO_8859_1)).isNotEqualTo("Obj");
            objects.put(object.key(), BackupEncryption.open(ring, object.key(), content, stored.response().metadata()));
        }
        return objects;
    }

    private static List<GenericRecord> read(byte[] content) throws Exception {
        List<GenericRecord> records = new ArrayList<>();
        try (DataFileReader<GenericRecord> reader = new DataFileReader<>(new SeekableByteArrayInput(content),
                new GenericDatumReader<>())) {
            reader.forEach(records::add);
        }
        return records;
    }

    private static List<ConsumerRecord<String, Object>> consumeAll(String topic, int expected) {
        List<ConsumerRecord<String, Object>> records = new ArrayList<>();
        AvroDeserializer<Object> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), values)) {
            consumer.assign(IntStream.range(0, PARTITIONS.get(topic.substring(topic.indexOf('.') + 1)))
                    .mapToObj(p -> new TopicPartition(topic, p)).toList());
            await().atMost(TIMEOUT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        return records;
    }

    private static boolean tableExists() throws SQLException {
        try (Connection c = metrics.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('database_metrics') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = metrics.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<Map<String, Object>> rowsBetween(Instant from, Instant to) throws SQLException {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Connection c = metrics.getConnection(); PreparedStatement query = c.prepareStatement(
                "SELECT * FROM database_metrics WHERE sampled_at >= ? AND sampled_at < ? ORDER BY target_id, sampled_at")) {
            query.setTimestamp(1, Timestamp.from(from));
            query.setTimestamp(2, Timestamp.from(to));
            try (ResultSet rs = query.executeQuery()) {
                ResultSetMetaData meta = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        row.put(meta.getColumnName(i), rs.getObject(i));
                    }
                    rows.add(row);
                }
            }
        }
        return rows;
    }
}
