package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The task's routing of records and failures, over an in-memory writer and an in-memory registry. */
class TimescaleSinkTaskTest {

    private static final String REGISTRY_SCOPE = "timescale-sink-task-test";
    private static final String TOPIC = Topics.METRICS_DATABASE;

    private final FakeWriter writer = new FakeWriter();
    private final FakeContext context = new FakeContext();
    private final AvroSerializer<DatabaseSample> serializer = new AvroSerializer<>();
    private long nextOffset;

    TimescaleSinkTaskTest() {
        serializer.configure(Map.of("schema.registry.url", "mock://" + REGISTRY_SCOPE), false);
    }

    @AfterEach
    void forgetRegistry() {
        InMemorySchemaRegistry.drop(REGISTRY_SCOPE);
    }

    private TimescaleSinkTask startedTask() {
        TimescaleSinkTask task = new TimescaleSinkTask(config -> writer);
        task.initialize(context);
        task.start(Map.of(
                "connection.url", "jdbc:postgresql://127.0.0.1:1/unused",
                "schema.registry.url", "mock://" + REGISTRY_SCOPE));
        return task;
    }

    private SinkRecord record(Object value) {
        return new SinkRecord(TOPIC, 0, null, "collector-1/target-a", null, value, nextOffset++);
    }

    private SinkRecord record(DatabaseSample sample) {
        return record(serializer.serialize(TOPIC, sample));
    }

    @Test
    void decodedSamplesAreWrittenInOneCall() {
        TimescaleSinkTask task = startedTask();

        task.put(List.of(record(DatabaseSamples.sample("target-a", 1)), record(DatabaseSamples.sample("target-a", 2))));

        assertThat(writer.calls).containsExactly(2);
        assertThat(writer.stored).hasSize(2);
        assertThat(writer.opened).isTrue();
    }

    @Test
    void anUndecodableRecordGoesToTheDeadLetterQueueAndTheRestAreWritten() {
        context.reporter = new FakeReporter();
        TimescaleSinkTask task = startedTask();
        SinkRecord garbage = record("not wire format".getBytes(StandardCharsets.UTF_8));
        SinkRecord tombstone = record((Object) null);

        task.put(List.of(record(DatabaseSamples.sample("target-a", 1)), garbage, tombstone,
                record(DatabaseSamples.sample("target-a", 2))));

        assertThat(context.reporter.reported).containsOnlyKeys(garbage, tombstone);
        assertThat(context.reporter.reported.get(garbage)).isInstanceOf(DataException.class)
                .hasMessageContaining("magic byte");
        assertThat(writer.stored).hasSize(2);
    }

    @Test
    void anUnknownSchemaIdIsBadInputNotAnOutage() {
        context.reporter = new FakeReporter();
        TimescaleSinkTask task = startedTask();
        SinkRecord unknownId = record(new byte[] {0, 0, 0, 0x7f, 0x7f, 2, 4});

        task.put(List.of(unknownId));

        assertThat(context.reporter.reported).containsOnlyKeys(unknownId);
    }

    @Test
    void withoutADeadLetterQueueAnUndecodableRecordStopsTheTaskLoudly() {
        TimescaleSinkTask task = startedTask();

        assertThatThrownBy(() -> task.put(List.of(record(new byte[] {1, 2, 3}))))
                .isInstanceOf(ConnectException.class)
                .isNotInstanceOf(RetriableException.class)
                .hasMessageContaining(TOPIC + "-0@0")
                .hasMessageContaining("errors.deadletterqueue.topic.name");
        assertThat(writer.calls).isEmpty();
    }

    @Test
    void valuesThatAreNotBytesPointAtTheValueConverter() {
        context.reporter = new FakeReporter();
        TimescaleSinkTask task = startedTask();

        assertThatThrownBy(() -> task.put(List.of(record("{\"json\": true}"))))
                .isInstanceOf(ConnectException.class)
                .hasMessageStartingWith("value.converter: expected org.apache.kafka.connect.converters.ByteArrayConverter");
    }

    @Test
    void aLostConnectionMakesConnectRetryTheBatchWithGrowingBackoff() {
        TimescaleSinkTask task = startedTask();
        List<SinkRecord> batch = List.of(record(DatabaseSamples.sample("target-a", 1)));
        writer.failures.add(new SQLException("An I/O error occurred while sending to the backend.", "08006"));
        writer.failures.add(new SQLException("Connection refused", "08001"));

        assertThatThrownBy(() -> task.put(batch)).isInstanceOf(RetriableException.class).hasMessageContaining("08006");
        assertThat(context.timeoutMillis).isEqualTo(500);
        assertThatThrownBy(() -> task.put(batch)).isInstanceOf(RetriableException.class);
        assertThat(context.timeoutMillis).isEqualTo(1000);
        task.put(batch);

        assertThat(writer.stored).hasSize(1);
    }

    @Test
    void aBatchRetriedAfterAnOutageDeadLettersItsBadRecordOnce() {
        context.reporter = new FakeReporter();
        TimescaleSinkTask task = startedTask();
        SinkRecord garbage = record(new byte[] {9, 9, 9});
        List<SinkRecord> batch = List.of(garbage, record(DatabaseSamples.sample("target-a", 1)));
        writer.failures.add(new SQLException("Connection refused", "08001"));

        assertThatThrownBy(() -> task.put(batch)).isInstanceOf(RetriableException.class);
        assertThat(context.reporter.reported).isEmpty();
        task.put(batch);

        assertThat(context.reporter.reported).containsOnlyKeys(garbage);
        assertThat(context.reporter.count).isEqualTo(1);
        assertThat(writer.stored).hasSize(1);
    }

    @Test
    void aRowPostgresqlRefusesIsSetAsideAndTheRestOfTheBatchIsStored() {
        context.reporter = new FakeReporter();
        TimescaleSinkTask task = startedTask();
        SinkRecord refused = record(DatabaseSamples.sample("refused", 2));
        writer.refusedTarget = "refused";

        task.put(List.of(record(DatabaseSamples.sample("target-a", 1)), refused, record(DatabaseSamples.sample("target-a", 3))));

        assertThat(context.reporter.reported).containsOnlyKeys(refused);
        assertThat(context.reporter.reported.get(refused)).hasMessageContaining("22003");
        assertThat(writer.stored).hasSize(2);
    }

    @Test
    void aMisconfiguredStoreStopsTheTask() {
        TimescaleSinkTask task = startedTask();
        writer.failures.add(new SQLException("permission denied for table database_metrics", "42501"));

        assertThatThrownBy(() -> task.put(List.of(record(DatabaseSamples.sample("target-a", 1)))))
                .isInstanceOf(ConnectException.class)
                .isNotInstanceOf(RetriableException.class)
                .hasMessageContaining("42501");
    }

    @Test
    void anUnreachableStoreAtStartIsRetriedWithTheFirstBatchButWrongCredentialsFailTheStart() {
        writer.openFailure = new SQLException("Connection refused", "08001");
        TimescaleSinkTask task = startedTask();
        task.put(List.of(record(DatabaseSamples.sample("target-a", 1))));
        assertThat(writer.stored).hasSize(1);

        writer.openFailure = new SQLException("password authentication failed for user \"sink\"", "28P01");
        TimescaleSinkTask second = new TimescaleSinkTask(config -> writer);
        second.initialize(context);
        assertThatThrownBy(() -> second.start(Map.of(
                "connection.url", "jdbc:postgresql://127.0.0.1:1/unused",
                "schema.registry.url", "mock://" + REGISTRY_SCOPE)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("password authentication failed");
    }

    /** Stores samples by their natural key, like the table; fails on request. */
    private static final class FakeWriter implements MetricsWriter {
        final Set<List<Object>> stored = new HashSet<>();
        final List<Integer> calls = new ArrayList<>();
        final Deque<SQLException> failures = new ArrayDeque<>();
        SQLException openFailure;
        String refusedTarget;
        boolean opened;

        @Override
        public void open() throws SQLException {
            if (openFailure != null) {
                throw openFailure;
            }
            opened = true;
        }

        @Override
        public int write(List<DatabaseSample> samples) throws SQLException {
            calls.add(samples.size());
            if (!failures.isEmpty()) {
                throw failures.poll();
            }
            if (samples.stream().anyMatch(s -> s.getTargetId().equals(refusedTarget))) {
                throw new SQLException("ERROR: value out of range", "22003");
            }
            int inserted = 0;
            for (DatabaseSample s : samples) {
                inserted += stored.add(List.of(s.getTargetId(), s.getDatid(), s.getSampledAt())) ? 1 : 0;
            }
            return inserted;
        }

        @Override
        public void close() {
        }
    }

    private static final class FakeReporter implements ErrantRecordReporter {
        final Map<SinkRecord, Throwable> reported = new LinkedHashMap<>();
        int count;

        @Override
        public Future<Void> report(SinkRecord record, Throwable error) {
            count++;
            reported.put(record, error);
            return CompletableFuture.completedFuture(null);
        }
    }

    private static final class FakeContext implements SinkTaskContext {
        FakeReporter reporter;
        long timeoutMillis = -1;

        @Override
        public Map<String, String> configs() {
            return Map.of();
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
        }

        @Override
        public void timeout(long timeoutMs) {
            this.timeoutMillis = timeoutMs;
        }

        @Override
        public Set<TopicPartition> assignment() {
            return Set.of();
        }

        @Override
        public void pause(TopicPartition... partitions) {
        }

        @Override
        public void resume(TopicPartition... partitions) {
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
