package io.pganalytics.sink.s3;

import io.pganalytics.sink.PluginRuntime;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task of {@link S3BackupSinkConnector}: buffers each assigned partition's records into Avro container objects
 * ({@link PartitionBackup}), uploads the finished ones, and lets Connect commit only offsets whose records are
 * uploaded.
 */
public final class S3BackupSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(S3BackupSinkTask.class);

    private final Function<S3BackupSinkConfig, ObjectStore> storeFactory;
    private final Function<S3BackupSinkConfig, SchemaRegistryClient> registryFactory;
    private final Map<TopicPartition, PartitionBackup> partitions = new HashMap<>();
    private final Map<Integer, Binding> schemas = new HashMap<>();
    /** Records set aside, reported once the batch's uploads succeed (a retried batch must not report them twice). */
    private final List<Rejected> rejected = new ArrayList<>();
    private final AtomicLong objectsUploaded = new AtomicLong();
    private final AtomicLong recordsUploaded = new AtomicLong();
    private final AtomicLong uploadFailures = new AtomicLong();
    private final AtomicLong recordsDeadLettered = new AtomicLong();

    private S3BackupSinkConfig config;
    private CodecFactory codec;
    private ObjectStore store;
    private SchemaRegistryClient registry;
    private ErrantRecordReporter reporter;
    private int consecutiveFailures;
    private BinaryDecoder decoder;

    /** For Connect, which instantiates tasks reflectively. */
    public S3BackupSinkTask() {
        this(config -> new S3ObjectStore(config.connection(), config.bucket()),
                config -> AvroSerdeConfig.from(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl()))
                        .newClient());
    }

    S3BackupSinkTask(Function<S3BackupSinkConfig, ObjectStore> storeFactory,
                     Function<S3BackupSinkConfig, SchemaRegistryClient> registryFactory) {
        this.storeFactory = storeFactory;
        this.registryFactory = registryFactory;
    }

    @Override
    public String version() {
        return S3BackupSinkConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        config = S3BackupSinkConfig.from(props);
        codec = CodecFactory.fromString(config.codec());
        registry = registryFactory.apply(config);
        reporter = PluginRuntime.errantRecordReporter(context);
        registerMetrics();
        store = storeFactory.apply(config);
        try {
            store.checkBucket();
        } catch (ObjectStore.StoreUnavailable e) {
            // The store may come up after Connect; the first upload retries.
            LOG.warn("S3 backup: {}; the first upload will retry", e.getMessage());
        } catch (ConnectException e) {
            store.close();
            throw e;
        }
        LOG.info("S3 backup task started: {} (flush.size {}, rotate.interval.ms {}, codec {}), {}", config.location(),
                config.flushSize(), config.rotateIntervalMs(), config.codec(),
                reporter != null ? "undecodable records go to the dead letter queue"
                        : "no dead letter queue, an undecodable record fails the task");
    }

    @Override
    public void open(Collection<TopicPartition> assigned) {
        for (TopicPartition partition : assigned) {
            partitions.put(partition, newBackup(partition));
        }
    }

    /** A revoked partition's buffered records are dropped: its next owner reads them again from the committed offset. */
    @Override
    public void close(Collection<TopicPartition> revoked) {
        for (TopicPartition partition : revoked) {
            PartitionBackup dropped = partitions.remove(partition);
            if (dropped != null && dropped.bufferedRecords() > 0) {
                LOG.debug("Dropped {} buffered records of revoked {}", dropped.bufferedRecords(), partition);
            }
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        upload(); // what a failed attempt left finished, before anything new
        for (SinkRecord record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.kafkaPartition());
            PartitionBackup backup = partitions.computeIfAbsent(tp, this::newBackup);
            if (backup.alreadyTaken(record.kafkaOffset())) {
                continue;
            }
            PartitionBackup.Entry entry;
            try {
                entry = entry(record);
            } catch (DataException e) {
                if (reporter == null) {
                    throw new ConnectException(where(record) + ": " + e.getMessage() + "; set errors.tolerance=all and "
                            + "errors.deadletterqueue.topic.name to set such records aside instead of stopping", e);
                }
                rejected.add(new Rejected(record, e));
                backup.skip(record.kafkaOffset());
                continue;
            }
            backup.add(entry);
        }
        upload();
        for (Rejected reject : rejected) {
            recordsDeadLettered.incrementAndGet();
            LOG.warn("Sent {} to the dead letter queue: {}", where(reject.record()), reject.reason().getMessage());
            reporter.report(reject.record(), reject.reason());
        }
        rejected.clear();
    }

    /** Only offsets whose records are in uploaded objects; a partition with nothing uploaded yet commits nothing. */
    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        Map<TopicPartition, OffsetAndMetadata> committable = new LinkedHashMap<>();
        for (PartitionBackup backup : partitions.values()) {
            if (backup.committableOffset() >= 0) {
                committable.put(backup.partition(), new OffsetAndMetadata(backup.committableOffset()));
            }
        }
        return committable;
    }

    @Override
    public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        // Not used: preCommit decides what may be committed.
    }

    @Override
    public void stop() {
        if (store != null) {
            store.close();
        }
        LOG.info("S3 backup task stopped: {} objects ({} records) uploaded to {}, {} upload failures, {} records "
                        + "dead-lettered", objectsUploaded.get(), recordsUploaded.get(),
                config == null ? "?" : config.location(), uploadFailures.get(), recordsDeadLettered.get());
    }

    private PartitionBackup newBackup(TopicPartition partition) {
        return new PartitionBackup(partition, config.prefix(), config.flushSize(), config.rotateIntervalMs(), codec);
    }

    /** Uploads every finished object, oldest first per partition; a failure leaves the rest for the next attempt. */
    private void upload() {
        for (PartitionBackup backup : partitions.values()) {
            while (!backup.finished().isEmpty()) {
                PartitionBackup.FinishedObject object = backup.finished().peekFirst();
                try {
                    store.put(object.key(), object.content(), object.metadata());
                } catch (ObjectStore.StoreUnavailable e) {
                    uploadFailures.incrementAndGet();
                    throw retriable(e);
                }
                backup.uploaded(object);
                consecutiveFailures = 0;
                objectsUploaded.incrementAndGet();
                recordsUploaded.addAndGet(object.records());
                LOG.debug("Uploaded {}: {} records, {} bytes", object.key(), object.records(), object.content().length);
            }
        }
    }

    /**
     * Connect hands the same batch again once the timeout set here has passed; the records already taken are skipped
     * then. Doubling spares a store that is down a retry storm.
     */
    private RetriableException retriable(ObjectStore.StoreUnavailable e) {
        long backoff = Math.min(config.retryBackoffMs() << Math.min(consecutiveFailures, 20),
                S3BackupSinkConfig.MAX_RETRY_BACKOFF_MS);
        consecutiveFailures++;
        LOG.warn("S3 backup: {}; retrying in {} ms", e.getMessage(), backoff);
        context.timeout(backoff);
        return new RetriableException(e.getMessage() + "; retrying in " + backoff + " ms", e);
    }

    private PartitionBackup.Entry entry(SinkRecord record) {
        String key = key(record);
        Long timestamp = record.timestamp() == null || record.timestamp() < 0 ? null : record.timestamp();
        Object value = record.value();
        if (value == null) {
            return new PartitionBackup.Entry(record.kafkaOffset(), timestamp, key, -1, null, null, 0);
        }
        if (!(value instanceof byte[] bytes)) {
            throw new ConnectException("value.converter: expected org.apache.kafka.connect.converters.ByteArrayConverter "
                    + "so that values arrive as Confluent wire-format bytes, got values of type "
                    + value.getClass().getName());
        }
        int id;
        try {
            id = WireFormat.schemaId(bytes);
        } catch (SerializationException e) {
            throw new DataException(e.getMessage(), e);
        }
        Binding binding = binding(record.topic(), id);
        // Decoded once to be sure the backup is readable: a body that does not match its schema would make the
        // whole object unreadable at restore time.
        try {
            decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_BYTES,
                    bytes.length - WireFormat.HEADER_BYTES, decoder);
            binding.reader().read(null, decoder);
            if (!decoder.isEnd()) {
                throw new DataException("value has trailing bytes after its Avro body (schema id " + id + ")");
            }
        } catch (IOException | AvroRuntimeException | ClassCastException | IndexOutOfBoundsException e) {
            throw new DataException("cannot decode Avro (schema id " + id + "): " + e, e);
        }
        return new PartitionBackup.Entry(record.kafkaOffset(), timestamp, key, id, binding.schema(), bytes,
                WireFormat.HEADER_BYTES);
    }

    private Binding binding(String topic, int id) {
        Binding binding = schemas.get(id);
        if (binding != null) {
            return binding;
        }
        Schema schema;
        try {
            schema = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                throw new DataException("unknown schema id " + id + " in the registry", e);
            }
            if (e.httpStatus() == -1 || e.httpStatus() >= 500) {
                context.timeout(config.retryBackoffMs());
                throw new RetriableException("schema registry unavailable: " + e.getMessage(), e);
            }
            throw new ConnectException("schema registry refused the backup sink (check "
                    + S3BackupSinkConfig.SCHEMA_REGISTRY_URL + " and its credentials): " + e.getMessage(), e);
        }
        binding = new Binding(schema, new GenericDatumReader<>(schema, schema, GenericData.get()));
        schemas.put(id, binding);
        LOG.debug("Schema id {} of {} bound", id, topic);
        return binding;
    }

    private static String key(SinkRecord record) {
        Object key = record.key();
        if (key == null) {
            return null;
        }
        if (key instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return key.toString();
    }

    private static String where(SinkRecord record) {
        return record.topic() + "-" + record.kafkaPartition() + "@" + record.kafkaOffset();
    }

    private record Binding(Schema schema, GenericDatumReader<Object> reader) {
    }

    private record Rejected(SinkRecord record, DataException reason) {
    }


    /** Exposed by the worker (JMX, and whatever reporters it has) with the connector and task as tags. */
    private void registerMetrics() {
        PluginMetrics metrics = PluginRuntime.pluginMetrics(context);
        if (metrics == null) {
            return;
        }
        LinkedHashMap<String, String> tags = new LinkedHashMap<>();
        tags.put("bucket", config.bucket());
        gauge(metrics, "objects-uploaded-total", "Backup objects uploaded.", tags, objectsUploaded);
        gauge(metrics, "records-uploaded-total", "Records in uploaded backup objects.", tags, recordsUploaded);
        gauge(metrics, "upload-failures-total", "Uploads that failed and were retried.", tags, uploadFailures);
        gauge(metrics, "records-dead-lettered-total", "Records set aside because they could not be decoded.", tags,
                recordsDeadLettered);
    }

    private static void gauge(PluginMetrics metrics, String name, String description,
                              LinkedHashMap<String, String> tags, AtomicLong counter) {
        metrics.addMetric(metrics.metricName(name, description, tags), (Gauge<Long>) (metricConfig, now) -> counter.get());
    }
}
