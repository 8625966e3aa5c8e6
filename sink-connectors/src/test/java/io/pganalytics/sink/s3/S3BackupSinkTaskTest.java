package io.pganalytics.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.SeekableByteArrayInput;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backup task's rotation, naming, commit and retry rules, over an in-memory store and registry. */
class S3BackupSinkTaskTest {

    private static final String TOPIC = "pga.metrics.test";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final Schema SCHEMA = SchemaBuilder.record("Sample").namespace("io.pganalytics.test").fields()
            .requiredString("targetId").requiredLong("n").endRecord();
    /** 2026-11-22T10:00:00Z: windows of 60 s start on the minute. */
    private static final long T0 = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();

    private final String scope = "backup-" + UUID.randomUUID();
    private InMemoryObjectStore store;
    private AvroSerializer<GenericRecord> serializer;

    @BeforeEach
    void setUp() {
        store = new InMemoryObjectStore();
        serializer = new AvroSerializer<>();
        serializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope), false);
    }

    @AfterEach
    void tearDown() {
        InMemorySchemaRegistry.drop(scope);
    }

    @Test
    void objectsRotateByCountAndByRecordTimeWindowAndAreNamedByTheirFirstRecord() throws Exception {
        S3BackupSinkTask task = startedTask(new TestSinkTaskContext(true), 3);
        List<SinkRecord> records = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            records.add(record(i, T0 + i * 1000L)); // window 10:00
        }
        records.add(record(5, T0 + 61_000)); // window 10:01: rotates
        records.add(record(6, T0 + 3_600_000)); // next hour
        task.put(records);

        assertThat(store.objects.keySet()).containsExactly(
                "backups/" + TOPIC + "/dt=2026-11-22/hour=10/" + TOPIC + "+0+0.avro",
                "backups/" + TOPIC + "/dt=2026-11-22/hour=10/" + TOPIC + "+0+3.avro",
                "backups/" + TOPIC + "/dt=2026-11-22/hour=10/" + TOPIC + "+0+5.avro");
        InMemoryObjectStore.Stored first = store.objects.get("backups/" + TOPIC + "/dt=2026-11-22/hour=10/" + TOPIC + "+0+0.avro");
        assertThat(first.metadata()).containsEntry(BackupFormat.META_RECORD_COUNT, "3")
                .containsEntry(BackupFormat.META_FIRST_OFFSET, "0")
                .containsEntry(BackupFormat.META_LAST_OFFSET, "2")
                .containsEntry(BackupFormat.META_NEXT_OFFSET, "3")
                .containsEntry(BackupFormat.META_MIN_TIMESTAMP, Long.toString(T0))
                .containsEntry(BackupFormat.META_MAX_TIMESTAMP, Long.toString(T0 + 2000))
                .containsEntry(BackupFormat.META_SHA256, PartitionBackup.sha256(first.content()));
        List<GenericRecord> read = read(first.content());
        assertThat(read).extracting(r -> r.get(BackupFormat.OFFSET)).containsExactly(0L, 1L, 2L);
        assertThat(read.get(1).get(BackupFormat.TIMESTAMP)).isEqualTo(T0 + 1000);
        assertThat(read.get(1).get(BackupFormat.KEY).toString()).isEqualTo("collector/target-1");
        GenericRecord value = (GenericRecord) read.get(1).get(BackupFormat.VALUE);
        assertThat(value.getSchema()).isEqualTo(SCHEMA);
        assertThat(value.get("n")).isEqualTo(1L);
    }

    @Test
    void onlyOffsetsOfUploadedObjectsAreCommitted() {
        S3BackupSinkTask task = startedTask(new TestSinkTaskContext(true), 3);
        task.put(List.of(record(0, T0), record(1, T0 + 1)));
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(2)))).isEmpty();

        task.put(List.of(record(2, T0 + 2), record(3, T0 + 3)));
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(4))))
                .containsExactly(Map.entry(P0, new OffsetAndMetadata(3)));
    }

    @Test
    void replayFromTheCommittedOffsetRewritesTheSameObjectsByteForByte() {
        List<SinkRecord> records = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            records.add(record(i, T0 + i * 7_000L));
        }
        S3BackupSinkTask first = startedTask(new TestSinkTaskContext(true), 4);
        first.put(records);
        Map<String, InMemoryObjectStore.Stored> before = Map.copyOf(store.objects);
        store.objects.clear();

        // A new task, as after a crash before the commit: the same records again, in other batches.
        S3BackupSinkTask second = startedTask(new TestSinkTaskContext(true), 4);
        second.put(records.subList(0, 3));
        second.put(records.subList(3, 10));

        assertThat(store.objects.keySet()).isEqualTo(before.keySet());
        before.forEach((key, stored) -> assertThat(store.objects.get(key).content()).as(key).isEqualTo(stored.content()));
    }

    @Test
    void aFailedUploadIsRetriedWithBackoffAndTheRedeliveredBatchIsNotBackedUpTwice() throws Exception {
        TestSinkTaskContext context = new TestSinkTaskContext(true);
        S3BackupSinkTask task = startedTask(context, 2);
        List<SinkRecord> batch = List.of(record(0, T0), record(1, T0 + 1), record(2, T0 + 2), record(3, T0 + 3),
                record(4, T0 + 4));
        store.failNext = 1;

        assertThatThrownBy(() -> task.put(batch)).isInstanceOf(RetriableException.class);
        assertThat(context.timeoutMs).isEqualTo(50);
        assertThat(task.preCommit(Map.of())).isEmpty();
        store.failNext = 1;
        assertThatThrownBy(() -> task.put(batch)).isInstanceOf(RetriableException.class);
        assertThat(context.timeoutMs).isEqualTo(100);
        task.put(batch); // Connect hands the same batch again

        assertThat(store.objects).hasSize(2);
        long records = 0;
        for (InMemoryObjectStore.Stored stored : store.objects.values()) {
            records += read(stored.content()).size();
        }
        assertThat(records).isEqualTo(4); // the fifth waits in the open object
        assertThat(task.preCommit(Map.of())).containsExactly(Map.entry(P0, new OffsetAndMetadata(4)));
    }

    @Test
    void anUndecodableValueGoesToTheDeadLetterQueueAndTheOthersAreBackedUp() throws Exception {
        TestSinkTaskContext context = new TestSinkTaskContext(true);
        S3BackupSinkTask task = startedTask(context, 2);
        SinkRecord garbage = new SinkRecord(TOPIC, 0, null, "k", null, "garbage".getBytes(), 1, T0, TimestampType.CREATE_TIME);
        task.put(List.of(record(0, T0), garbage, record(2, T0 + 1), record(3, T0 + 2)));

        assertThat(context.deadLettered).containsExactly(garbage);
        assertThat(store.objects).hasSize(1);
        InMemoryObjectStore.Stored stored = store.objects.values().iterator().next();
        assertThat(read(stored.content())).extracting(r -> r.get(BackupFormat.OFFSET)).containsExactly(0L, 2L);
        assertThat(stored.metadata()).containsEntry(BackupFormat.META_NEXT_OFFSET, "3");
    }

    @Test
    void withoutADeadLetterQueueAnUndecodableValueFailsTheTaskNamingTheRecord() {
        S3BackupSinkTask task = startedTask(new TestSinkTaskContext(false), 2);
        SinkRecord garbage = new SinkRecord(TOPIC, 0, null, "k", null, "garbage".getBytes(), 7, T0, TimestampType.CREATE_TIME);

        assertThatThrownBy(() -> task.put(List.of(garbage))).isInstanceOf(ConnectException.class)
                .hasMessageContaining(TOPIC + "-0@7").hasMessageContaining("magic byte");
    }

    private S3BackupSinkTask startedTask(TestSinkTaskContext context, int flushSize) {
        S3BackupSinkTask task = new S3BackupSinkTask(config -> store,
                config -> AvroSerdeConfig.from(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope)).newClient());
        task.initialize(context);
        task.start(Map.of(S3BackupSinkConfig.BUCKET, "backup", S3BackupSinkConfig.PREFIX, "/backups/",
                S3BackupSinkConfig.SCHEMA_REGISTRY_URL, "mock://" + scope,
                S3BackupSinkConfig.FLUSH_SIZE, Integer.toString(flushSize),
                S3BackupSinkConfig.ROTATE_INTERVAL_MS, "60000",
                S3BackupSinkConfig.RETRY_BACKOFF_MS, "50"));
        task.open(List.of(P0));
        return task;
    }

    private SinkRecord record(long offset, long timestampMs) {
        GenericRecord value = new GenericData.Record(SCHEMA);
        value.put("targetId", "target-" + offset);
        value.put("n", offset);
        byte[] bytes = serializer.serialize(TOPIC, value);
        return new SinkRecord(TOPIC, 0, null, "collector/target-" + offset, null, bytes, offset, timestampMs,
                TimestampType.CREATE_TIME);
    }

    private static List<GenericRecord> read(byte[] content) throws Exception {
        List<GenericRecord> records = new ArrayList<>();
        try (DataFileReader<GenericRecord> reader = new DataFileReader<>(new SeekableByteArrayInput(content),
                new GenericDatumReader<>())) {
            reader.forEach(records::add);
        }
        return records;
    }
}
