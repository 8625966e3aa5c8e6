package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.sink.timescale.RecordRows.Row;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The task's batching, offsets, retries and dead letters, over an in-memory writer (our own seam). */
class TimescaleSinkTaskTest {

    private static final String SCOPE = "timescale-sink-task-test";
    private static final String TOPIC = Topics.METRICS_DATABASE;
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);

    private final FakeWriter writer = new FakeWriter();
    private final FakeContext context = new FakeContext();
    private final ConnectRecords records = new ConnectRecords(SCOPE);
    private long nextOffset;
    private long nowMillis = 1_000_000;

    /** What Connect does once the backoff has passed: poll, then put() with whatever came (nothing: paused). */
    private void retryNow(TimescaleSinkTask task) {
        nowMillis += 60_000;
        task.put(List.of());
    }

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    private TimescaleSinkTask startedTask(String... keyValues) {
        Map<String, String> props = new HashMap<>(Map.of("name", "sink-under-test",
                "connection.url", "jdbc:postgresql://127.0.0.1:1/unused", "batch.max.rows", "3",
                "batch.linger.ms", "600000"));
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        TimescaleSinkTask task = new TimescaleSinkTask(config -> writer, () -> nowMillis, false);
        task.initialize(context);
        task.start(props);
        task.open(List.of(P0));
        return task;
    }

    private SinkRecord sample(int n) {
        return records.record(TOPIC, 0, nextOffset++, DatabaseSamples.sample("target-a", n));
    }

    private SinkRecord raw(Object value) {
        return new SinkRecord(TOPIC, 0, null, null, null, value, nextOffset++);
    }

    @Test
    void rowsAreHeldUntilTheBatchIsFullThenWrittenWithTheirOffsetsInOneCall() {
        TimescaleSinkTask task = startedTask();

        task.put(List.of(sample(1), sample(2)));
        assertThat(writer.calls).isEmpty();
        assertThat(context.timeoutMillis).as("Connect is asked to come back before the linger ends").isPositive();
        task.put(List.of(sample(3)));

        assertThat(writer.calls).containsExactly(3);
        assertThat(writer.offsets).containsEntry(P0, 3L);
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(3)))).containsEntry(P0, new OffsetAndMetadata(3));
    }

    @Test
    void aBatchThatLingeredLongEnoughIsWrittenWhenConnectComesBack() {
        TimescaleSinkTask task = startedTask("batch.linger.ms", "0");

        task.put(List.of(sample(1)));

        assertThat(writer.calls).containsExactly(1);
    }

    @Test
    void anEmptyPutSaysTheBacklogIsDrainedAndWritesWhatIsHeldAtOnce() {
        TimescaleSinkTask task = startedTask(); // batches of 3, linger of 10 minutes

        task.put(List.of(sample(1), sample(2)));
        assertThat(writer.calls).isEmpty();
        assertThat(context.timeoutMillis).as("while rows are held, Connect polls only briefly")
                .isBetween(1L, TimescaleSinkTask.DRAINED_POLL.toMillis());
        task.put(List.of()); // the poll found nothing more

        assertThat(writer.calls).containsExactly(2);
        assertThat(writer.offsets).containsEntry(P0, 2L);
    }

    @Test
    void aDrainedBacklogWaitsForTheBatchBeingWrittenThenGoesAsOneBatch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        RowWriter gated = new RowWriter() {
            @Override
            public void open() {
            }

            @Override
            public Map<TopicPartition, Long> storedOffsets(Collection<TopicPartition> partitions) {
                return Map.of();
            }

            @Override
            public WriteResult write(List<Row> rows, Map<TopicPartition, Long> offsets, boolean ignoreConflicts)
                    throws SQLException {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new SQLException(e);
                }
                calls.add(rows.size());
                return new WriteResult(rows.size(), 0, false);
            }

            @Override
            public void close() {
            }
        };
        TimescaleSinkTask task = new TimescaleSinkTask(config -> gated, () -> nowMillis, true);
        task.initialize(context);
        task.start(Map.of("name", "sink-under-test", "connection.url", "jdbc:postgresql://127.0.0.1:1/unused",
                "batch.max.rows", "3", "batch.linger.ms", "600000"));
        task.open(List.of(P0));
        try {
            task.put(List.of(sample(1), sample(2), sample(3))); // full: handed to the writer, which is slow
            task.put(List.of(sample(4)));
            task.put(List.of()); // drained, but the writer is busy: keep collecting
            task.put(List.of(sample(5)));
            task.put(List.of());
            assertThat(calls).isEmpty();

            release.countDown();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                task.put(List.of());
                assertThat(calls).containsExactly(3, 2);
            });
            assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(5)))).containsEntry(P0, new OffsetAndMetadata(5));
        } finally {
            task.stop();
        }
    }

    @Test
    void openingAPartitionRewindsToTheOffsetStoredWithTheRowsAndSkipsWhatItCovers() {
        writer.stored.put(P0, 5L);
        TimescaleSinkTask task = startedTask("batch.linger.ms", "0");
        assertThat(context.rewoundTo).containsEntry(P0, 5L);

        nextOffset = 3; // records fetched before the rewind took hold
        task.put(List.of(sample(3), sample(4), sample(5)));

        assertThat(writer.rowsWritten).hasSize(1);
        assertThat(writer.offsets).containsEntry(P0, 6L);
    }

    @Test
    void withoutStoredOffsetsNothingIsRewound() {
        startedTask();

        assertThat(context.rewoundTo).isEmpty();
    }

    @Test
    void aStoreThatIsDownPausesThePartitionsKeepsTheBatchAndRetriesWithGrowingBackoff() {
        TimescaleSinkTask task = startedTask("batch.linger.ms", "0");
        writer.failures.add(new SQLException("Connection refused", "08001"));
        writer.failures.add(new SQLException("Connection refused", "08001"));

        task.put(List.of(sample(1), sample(2)));
        assertThat(context.paused).containsExactly(P0);
        assertThat(context.timeoutMillis).isEqualTo(500);
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(2)))).as("nothing stored, nothing committed").isEmpty();

        context.timeoutMillis = -1;
        task.put(List.of()); // Connect polls the paused partitions: no records, the backoff has not passed
        assertThat(writer.calls).hasSize(1);
        assertThat(context.timeoutMillis).isBetween(1L, 500L);

        retryNow(task);
        assertThat(context.timeoutMillis).isEqualTo(1000);
        retryNow(task);

        assertThat(writer.rowsWritten).hasSize(2);
        assertThat(context.paused).isEmpty();
        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(2)))).containsEntry(P0, new OffsetAndMetadata(2));
    }

    @Test
    void aStoreThatIsDownWhenAPartitionOpensKeepsItPausedUntilItsOffsetsCanBeRead() {
        writer.storedOffsetsFailure = new SQLException("Connection refused", "08001");
        writer.stored.put(P0, 7L);
        TimescaleSinkTask task = startedTask("batch.linger.ms", "0");
        assertThat(context.paused).containsExactly(P0);

        task.put(List.of(sample(1))); // fetched before the pause: dropped, read again after the rewind
        writer.storedOffsetsFailure = null;
        retryNow(task);

        assertThat(context.rewoundTo).containsEntry(P0, 7L);
        assertThat(context.paused).isEmpty();
        assertThat(writer.rowsWritten).isEmpty();
    }

    @Test
    void aRecordThatCanNeverBeStoredGoesToTheDeadLetterQueueAndItsOffsetIsStoredWithTheRest() {
        context.reporter = new FakeReporter();
        TimescaleSinkTask task = startedTask();
        SinkRecord first = sample(1);
        SinkRecord tombstone = raw(null);
        // A collector that sent nanoseconds as microseconds: the year 57862.
        SinkRecord nanoseconds = records.record(TOPIC, 0, nextOffset++, DatabaseSample.newBuilder(DatabaseSamples.sample("t", 0))
                .setSampledAt(Instant.ofEpochSecond(1_763_800_000L * 1000)).build());

        task.put(List.of(first, tombstone, nanoseconds, sample(2), sample(3)));

        assertThat(context.reporter.reported).containsOnlyKeys(tombstone, nanoseconds);
        assertThat(context.reporter.reported.get(nanoseconds)).isInstanceOf(DataException.class)
                .hasMessageContaining("sampled_at").hasMessageContaining("outside the years 1900..9999");
        assertThat(writer.rowsWritten).hasSize(3);
        assertThat(writer.offsets).containsEntry(P0, 5L);
    }

    @Test
    void withoutADeadLetterQueueABadRecordStopsTheTask() {
        TimescaleSinkTask task = startedTask();

        assertThatThrownBy(() -> task.put(List.of(raw(null))))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining(TOPIC + "-0@0")
                .hasMessageContaining("errors.deadletterqueue.topic.name");
    }

    @Test
    void bytesInsteadOfStructsPointAtTheValueConverter() {
        TimescaleSinkTask task = startedTask();

        assertThatThrownBy(() -> task.put(List.of(raw(new byte[] {0, 0, 0, 0, 1}))))
                .isInstanceOf(ConnectException.class)
                .hasMessageStartingWith("value.converter: expected io.pganalytics.schemas.connect.AvroConverter");
    }

    @Test
    void aRowPostgresqlRefusesIsSetAsideAndTheRestOfTheBatchIsStored() {
        context.reporter = new FakeReporter();
        TimescaleSinkTask task = startedTask();
        writer.refusedTarget = "refused";
        SinkRecord first = sample(1);
        SinkRecord refused = records.record(TOPIC, 0, nextOffset++, DatabaseSamples.sample("refused", 2));

        task.put(List.of(first, refused, sample(3)));

        assertThat(context.reporter.reported).containsOnlyKeys(refused);
        assertThat(context.reporter.reported.get(refused)).hasMessageContaining("22003");
        assertThat(writer.rowsWritten).hasSize(2);
        assertThat(writer.offsets).containsEntry(P0, 3L);
    }

    @Test
    void aMisconfiguredStoreStopsTheTask() {
        TimescaleSinkTask task = startedTask("batch.linger.ms", "0");
        writer.failures.add(new SQLException("permission denied for table database_metrics", "42501"));

        assertThatThrownBy(() -> task.put(List.of(sample(1))))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("42501");
    }

    @Test
    void insertIgnoreModeWritesEverythingHeldBeforeConnectCommitsAndNeverRewinds() {
        writer.stored.put(P0, 5L);
        TimescaleSinkTask task = startedTask("write.mode", "insert-ignore", "batch.linger.ms", "600000");

        task.put(List.of(sample(1)));
        Map<TopicPartition, OffsetAndMetadata> committed = task.preCommit(Map.of(P0, new OffsetAndMetadata(1)));

        assertThat(context.rewoundTo).isEmpty();
        assertThat(writer.rowsWritten).as("written before the commit, linger or not").hasSize(1);
        assertThat(committed).containsEntry(P0, new OffsetAndMetadata(1));
    }

    @Test
    void revokedPartitionsForgetWhatTheyHeldIfTheStoreIsDown() {
        TimescaleSinkTask task = startedTask("batch.linger.ms", "0");
        writer.failures.add(new SQLException("Connection refused", "08001"));
        task.put(List.of(sample(1)));

        task.close(List.of(P0));

        assertThat(task.preCommit(Map.of(P0, new OffsetAndMetadata(1)))).isEmpty();
        assertThat(writer.rowsWritten).isEmpty();
    }

    /** Stores rows and offsets in memory; fails on request, all or nothing like the real transaction. */
    private static final class FakeWriter implements RowWriter {
        final List<Row> rowsWritten = new ArrayList<>();
        final Map<TopicPartition, Long> offsets = new HashMap<>();
        final Map<TopicPartition, Long> stored = new HashMap<>();
        final List<Integer> calls = new ArrayList<>();
        final Deque<SQLException> failures = new ArrayDeque<>();
        SQLException storedOffsetsFailure;
        String refusedTarget;
        boolean ignoredConflicts;

        @Override
        public void open() {
        }

        @Override
        public Map<TopicPartition, Long> storedOffsets(Collection<TopicPartition> partitions) throws SQLException {
            if (storedOffsetsFailure != null) {
                throw storedOffsetsFailure;
            }
            Map<TopicPartition, Long> found = new HashMap<>(stored);
            found.keySet().retainAll(partitions);
            return found;
        }

        @Override
        public WriteResult write(List<Row> rows, Map<TopicPartition, Long> nextOffsets, boolean ignoreConflicts)
                throws SQLException {
            calls.add(rows.size());
            ignoredConflicts |= ignoreConflicts;
            if (!failures.isEmpty()) {
                throw failures.poll();
            }
            if (rows.stream().anyMatch(r -> r.values()[1].equals(refusedTarget))) {
                throw new SQLException("ERROR: value out of range", "22003");
            }
            rowsWritten.addAll(rows);
            offsets.putAll(nextOffsets);
            return new WriteResult(rows.size(), 0, false);
        }

        @Override
        public void close() {
        }
    }

    private static final class FakeReporter implements ErrantRecordReporter {
        final Map<SinkRecord, Throwable> reported = new LinkedHashMap<>();

        @Override
        public Future<Void> report(SinkRecord record, Throwable error) {
            reported.put(record, error);
            return CompletableFuture.completedFuture(null);
        }
    }

    private static final class FakeContext implements SinkTaskContext {
        FakeReporter reporter;
        long timeoutMillis = -1;
        final Map<TopicPartition, Long> rewoundTo = new HashMap<>();
        final Set<TopicPartition> paused = new HashSet<>();

        @Override
        public Map<String, String> configs() {
            return Map.of();
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
            rewoundTo.putAll(offsets);
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
            rewoundTo.put(tp, offset);
        }

        @Override
        public void timeout(long timeoutMs) {
            this.timeoutMillis = timeoutMs;
        }

        @Override
        public Set<TopicPartition> assignment() {
            return Set.of(P0);
        }

        @Override
        public void pause(TopicPartition... partitions) {
            paused.addAll(List.of(partitions));
        }

        @Override
        public void resume(TopicPartition... partitions) {
            List.of(partitions).forEach(paused::remove);
        }

        @Override
        public void requestCommit() {
        }

        @Override
        public ErrantRecordReporter errantRecordReporter() {
            return reporter;
        }

        @Override
        public PluginMetrics pluginMetrics() {
            return null;
        }
    }
}
