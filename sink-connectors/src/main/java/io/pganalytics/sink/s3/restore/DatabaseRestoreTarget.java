package io.pganalytics.sink.s3.restore;

import io.pganalytics.schemas.connect.AvroConverter;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.sink.timescale.TimescaleSinkTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes restored records into the metrics store through the metrics-store sink's own task, driven here as Connect
 * would drive it (initialize, start, open, put, preCommit, close, stop), so that the rows are exactly those the sink writes, with
 * {@code write.mode=insert-ignore}: rows already there are left as they are, and no offsets are stored.
 *
 * <p>A record the task sets aside (its dead letter queue) fails the restore, naming it.
 */
final class DatabaseRestoreTarget implements RestoreTarget {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseRestoreTarget.class);

    /** The metrics-store sink's key for writers that do not own the offsets. */
    static final String WRITE_MODE = "write.mode";
    static final String INSERT_IGNORE = "insert-ignore";
    private static final Duration RETRY_FOR = Duration.ofMinutes(5);

    private final SinkTask task;
    private final Context context;
    private final AvroSerializer<GenericContainer> serializer;
    /** The converter a Connect worker runs the sink with: the task receives the same Structs. */
    private final AvroConverter converter = new AvroConverter();
    private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    private long written;

    DatabaseRestoreTarget(RestoreConfig config, SinkTask task) {
        this.task = task;
        Map<String, String> props = new LinkedHashMap<>(config.sinkOverrides());
        props.put("connection.url", config.connectionUrl());
        if (config.connectionUser() != null) {
            props.put("connection.user", config.connectionUser());
        }
        if (config.connectionPassword() != null) {
            props.put("connection.password", config.connectionPassword().value());
        }
        props.put(WRITE_MODE, INSERT_IGNORE);
        converter.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl()), false);
        this.context = new Context(props);
        AvroSerdeConfig serde = AvroSerdeConfig.from(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl(),
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, true));
        this.serializer = new AvroSerializer<>(serde.newClient(), serde, false);
        task.initialize(context);
        try {
            task.start(props);
        } catch (ConnectException e) {
            throw new RestoreException("the metrics-store sink cannot start: " + e.getMessage(), e);
        }
    }

    DatabaseRestoreTarget(RestoreConfig config) {
        this(config, new TimescaleSinkTask());
    }

    @Override
    public void write(List<BackupEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        List<SinkRecord> records = new ArrayList<>(entries.size());
        for (BackupEntry entry : entries) {
            byte[] value = entry.value() == null ? null
                    : serializer.serializeDatum(entry.topic(), entry.valueSchema(), entry.value());
            SchemaAndValue connect = value == null ? SchemaAndValue.NULL : converter.toConnectData(entry.topic(), value);
            records.add(new SinkRecord(entry.topic(), entry.partition(), Schema.OPTIONAL_STRING_SCHEMA, entry.key(),
                    connect.schema(), connect.value(), entry.offset(), entry.timestampMs(), TimestampType.CREATE_TIME));
            TopicPartition partition = new TopicPartition(entry.topic(), entry.partition());
            offsets.put(partition, new OffsetAndMetadata(entry.offset() + 1));
            if (context.assigned.add(partition)) {
                // As Connect does before the first put() of a partition.
                task.open(List.of(partition));
            }
        }
        long deadline = System.nanoTime() + RETRY_FOR.toNanos();
        while (true) {
            try {
                task.put(records);
                break;
            } catch (RetriableException e) {
                if (System.nanoTime() > deadline) {
                    throw new RestoreException("the metrics store stayed unavailable for " + RETRY_FOR + ": "
                            + e.getMessage(), e);
                }
                long wait = Math.max(100, context.timeoutMs);
                LOG.warn("Metrics store unavailable ({}); retrying in {} ms", e.getMessage(), wait);
                sleep(wait);
            } catch (ConnectException e) {
                throw new RestoreException("the metrics-store sink refused a batch from " + records.get(0).topic() + "-"
                        + records.get(0).kafkaPartition() + "@" + records.get(0).kafkaOffset() + ": " + e.getMessage(), e);
            }
        }
        if (!context.rejected.isEmpty()) {
            throw new RestoreException(List.copyOf(context.rejected));
        }
        written += records.size();
    }

    @Override
    public long finish() {
        // As Connect does before committing offsets; preCommit() flushes unless the task says otherwise.
        task.preCommit(Map.copyOf(offsets));
        if (!context.rejected.isEmpty()) {
            throw new RestoreException(List.copyOf(context.rejected));
        }
        return written;
    }

    @Override
    public void close() {
        try {
            if (!context.assigned.isEmpty()) {
                task.close(Set.copyOf(context.assigned));
            }
        } finally {
            task.stop();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestoreException("interrupted", e);
        }
    }

    /** What Connect would give the task: its configuration, and a dead letter queue that fails the restore. */
    private static final class Context implements SinkTaskContext {
        private final Map<String, String> configs;
        private final List<String> rejected = new ArrayList<>();
        private final Set<TopicPartition> assigned = new java.util.LinkedHashSet<>();
        private long timeoutMs;

        Context(Map<String, String> configs) {
            this.configs = configs;
        }

        @Override
        public Map<String, String> configs() {
            return configs;
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
        }

        @Override
        public void timeout(long timeoutMs) {
            this.timeoutMs = timeoutMs;
        }

        @Override
        public Set<TopicPartition> assignment() {
            return Set.copyOf(assigned);
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
            return new ErrantRecordReporter() {
                @Override
                public Future<Void> report(SinkRecord record, Throwable error) {
                    rejected.add("the metrics-store sink refused " + record.topic() + "-" + record.kafkaPartition() + "@"
                            + record.kafkaOffset() + ": " + error.getMessage());
                    return CompletableFuture.completedFuture(null);
                }
            };
        }

        @Override
        public PluginMetrics pluginMetrics() {
            return null;
        }
    }
}
