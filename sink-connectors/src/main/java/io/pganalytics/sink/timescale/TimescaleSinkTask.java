package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import io.pganalytics.schemas.serde.AvroDeserializer;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
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
 * One task of {@link TimescaleSinkConnector}: decodes each record's Avro bytes into a {@link DatabaseSample}, sets
 * undecodable records aside through Connect's dead letter queue, and stores each batch in one transaction.
 */
public final class TimescaleSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(TimescaleSinkTask.class);

    private static final Duration FIRST_RETRY_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(30);
    private static final String VALUE_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter";

    private final Function<TimescaleSinkConfig, MetricsWriter> writerFactory;
    private final AtomicLong rowsWritten = new AtomicLong();
    private final AtomicLong rowsAlreadyStored = new AtomicLong();
    private final AtomicLong recordsDeadLettered = new AtomicLong();

    private TimescaleSinkConfig config;
    private AvroDeserializer<Object> deserializer;
    private MetricsWriter writer;
    private ErrantRecordReporter reporter;
    private int consecutiveRetries;

    /** For Connect, which instantiates tasks reflectively. */
    public TimescaleSinkTask() {
        this(DatabaseMetricsWriter::new);
    }

    TimescaleSinkTask(Function<TimescaleSinkConfig, MetricsWriter> writerFactory) {
        this.writerFactory = writerFactory;
    }

    @Override
    public String version() {
        return TimescaleSinkConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        config = TimescaleSinkConfig.from(props);
        deserializer = new AvroDeserializer<>();
        deserializer.configure(config.deserializerConfig(), false);
        reporter = errantRecordReporter();
        registerMetrics();
        writer = writerFactory.apply(config);
        try {
            writer.open();
        } catch (SQLException e) {
            if (SqlFailure.of(e) != SqlFailure.TRANSIENT) {
                writer.close();
                throw new ConnectException("cannot prepare table " + config.tableName() + " at "
                        + config.redactedConnectionUrl() + ": " + e.getMessage(), e);
            }
            // The store may come up after Connect; the first batch retries the connection and the table.
            LOG.warn("Metrics store {} unreachable at start ({}); the first batch will retry",
                    config.redactedConnectionUrl(), e.getMessage());
        }
        LOG.info("Timescale sink task started: table {} at {}, {}", config.tableName(), config.redactedConnectionUrl(),
                reporter != null ? "undecodable records go to the dead letter queue"
                        : "no dead letter queue, an undecodable record fails the task");
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        List<SinkRecord> decoded = new ArrayList<>(records.size());
        List<DatabaseSample> samples = new ArrayList<>(records.size());
        List<Rejected> rejected = new ArrayList<>();
        for (SinkRecord record : records) {
            try {
                samples.add(decode(record));
                decoded.add(record);
            } catch (DataException e) {
                rejected.add(new Rejected(record, e));
            }
        }
        if (reporter == null && !rejected.isEmpty()) {
            deadLetter(rejected.get(0)); // throws: without a DLQ, fail before writing anything of the batch
        }
        rejected.addAll(store(decoded, samples));
        // Reported only once the batch is stored: when decoding or storing fails transiently, Connect hands us the
        // same batch again, and reporting earlier would send its bad records to the dead letter queue twice.
        rejected.forEach(this::deadLetter);
        consecutiveRetries = 0;
    }

    /** Every put() commits its transaction before returning, so any offset Connect commits is already stored. */
    @Override
    public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    }

    @Override
    public void stop() {
        if (writer != null) {
            writer.close();
        }
        if (deserializer != null) {
            deserializer.close();
        }
        LOG.info("Timescale sink task stopped: {} rows written to {}, {} already stored, {} records dead-lettered",
                rowsWritten.get(), config == null ? "?" : config.tableName(), rowsAlreadyStored.get(),
                recordsDeadLettered.get());
    }

    private DatabaseSample decode(SinkRecord record) {
        Object value = record.value();
        if (value == null) {
            throw new DataException("null value (a tombstone): " + record.topic() + " carries DatabaseSample values only");
        }
        if (!(value instanceof byte[] bytes)) {
            throw new ConnectException("value.converter: expected " + VALUE_CONVERTER + " so that values arrive as "
                    + "Confluent wire-format bytes, got values of type " + value.getClass().getName());
        }
        Object decodedValue;
        try {
            decodedValue = deserializer.deserialize(record.topic(), bytes);
        } catch (RuntimeException e) {
            if (e.getCause() instanceof SchemaRegistryException registry && !registry.isNotFound()) {
                if (registry.httpStatus() == -1 || registry.httpStatus() >= 500) {
                    throw retriable("schema registry unavailable: " + registry.getMessage(), e);
                }
                throw new ConnectException("schema registry refused the sink (check " + TimescaleSinkConfig.SCHEMA_REGISTRY_URL
                        + " and its credentials): " + registry.getMessage(), e);
            }
            // Bytes that are not wire format, an unknown schema id, a body that does not match its schema.
            throw new DataException("cannot decode a DatabaseSample: " + e.getMessage(), e);
        }
        if (decodedValue instanceof DatabaseSample sample) {
            return sample;
        }
        throw new DataException("expected a " + DatabaseSample.getClassSchema().getFullName() + ", got "
                + (decodedValue == null ? "null" : describe(decodedValue)));
    }

    /** A record set aside, and why. */
    private record Rejected(SinkRecord record, DataException reason) {
    }

    private static String describe(Object value) {
        return value instanceof org.apache.avro.generic.GenericContainer container
                ? container.getSchema().getFullName() : value.getClass().getName();
    }

    /** Stores the samples; returns the records whose rows PostgreSQL refused, to be dead-lettered. */
    private List<Rejected> store(List<SinkRecord> records, List<DatabaseSample> samples) {
        if (samples.isEmpty()) {
            return List.of();
        }
        try {
            int inserted = writer.write(samples);
            counted(samples.size(), inserted);
            LOG.debug("Wrote {} new rows to {} ({} already stored)", inserted, config.tableName(), samples.size() - inserted);
            return List.of();
        } catch (SQLException e) {
            return switch (SqlFailure.of(e)) {
                case TRANSIENT -> throw retriable("metrics store unavailable (" + e.getSQLState() + "): " + e.getMessage(), e);
                case BAD_DATA -> storeOneByOne(records, samples, e);
                case FATAL -> throw fatal(e);
            };
        }
    }

    /** PostgreSQL refused a value somewhere in the batch: store the rows it accepts, return the others. */
    private List<Rejected> storeOneByOne(List<SinkRecord> records, List<DatabaseSample> samples, SQLException batchFailure) {
        if (reporter == null) {
            throw new ConnectException(config.tableName() + " refused a row (" + batchFailure.getSQLState() + "): "
                    + batchFailure.getMessage() + "; no dead letter queue is configured to set it aside", batchFailure);
        }
        LOG.warn("{} refused a row of a batch of {} ({}); writing the batch row by row", config.tableName(),
                samples.size(), batchFailure.getMessage());
        List<Rejected> refused = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            try {
                counted(1, writer.write(List.of(samples.get(i))));
            } catch (SQLException e) {
                switch (SqlFailure.of(e)) {
                    case TRANSIENT -> throw retriable("metrics store unavailable (" + e.getSQLState() + "): "
                            + e.getMessage(), e);
                    case BAD_DATA -> refused.add(new Rejected(records.get(i), new DataException(config.tableName()
                            + " refused the row (" + e.getSQLState() + "): " + e.getMessage(), e)));
                    case FATAL -> throw fatal(e);
                }
            }
        }
        return refused;
    }

    private ConnectException fatal(SQLException e) {
        return new ConnectException("cannot write to " + config.tableName() + " (" + e.getSQLState() + "): "
                + e.getMessage(), e);
    }

    private void counted(int rows, int inserted) {
        rowsWritten.addAndGet(inserted);
        rowsAlreadyStored.addAndGet(rows - inserted);
    }

    private void deadLetter(Rejected rejected) {
        SinkRecord record = rejected.record();
        DataException reason = rejected.reason();
        recordsDeadLettered.incrementAndGet();
        String where = record.topic() + "-" + record.kafkaPartition() + "@" + record.kafkaOffset();
        if (reporter == null) {
            throw new ConnectException(where + ": " + reason.getMessage() + "; set errors.tolerance=all and "
                    + "errors.deadletterqueue.topic.name to set such records aside instead of stopping", reason);
        }
        LOG.warn("Sent {} to the dead letter queue: {}", where, reason.getMessage());
        // Connect waits for the report to reach the DLQ before it commits this record's offset.
        reporter.report(record, reason);
    }

    /**
     * Connect retries a batch after a RetriableException once the timeout set here has passed; without it, it waits
     * for the next offset commit (a minute by default). Doubling spares a store that is down a retry storm.
     */
    private RetriableException retriable(String message, Exception cause) {
        long backoffMillis = Math.min(FIRST_RETRY_BACKOFF.toMillis() << Math.min(consecutiveRetries, 16),
                MAX_RETRY_BACKOFF.toMillis());
        consecutiveRetries++;
        context.timeout(backoffMillis);
        return new RetriableException(message + "; retrying the batch in " + backoffMillis + " ms", cause);
    }

    private ErrantRecordReporter errantRecordReporter() {
        try {
            return context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            return null; // a worker older than Kafka 2.6 has no dead letter queue for sink tasks
        }
    }

    /** Exposed by the worker (JMX, and whatever reporters it has) with the connector and task as tags. */
    private void registerMetrics() {
        PluginMetrics metrics;
        try {
            metrics = context.pluginMetrics();
        } catch (NoSuchMethodError | AbstractMethodError e) {
            return; // a worker older than Kafka 4.1 gives plugins no metrics
        }
        if (metrics == null) {
            return;
        }
        LinkedHashMap<String, String> tags = new LinkedHashMap<>();
        tags.put("table", config.tableName());
        gauge(metrics, "rows-written-total", "Rows inserted into the table.", tags, rowsWritten);
        gauge(metrics, "rows-already-stored-total", "Samples skipped because their row was already stored "
                + "(replays and redeliveries).", tags, rowsAlreadyStored);
        gauge(metrics, "records-dead-lettered-total", "Records set aside because they could not be decoded or stored.",
                tags, recordsDeadLettered);
    }

    private static void gauge(PluginMetrics metrics, String name, String description,
                              LinkedHashMap<String, String> tags, AtomicLong counter) {
        metrics.addMetric(metrics.metricName(name, description, tags), (Gauge<Long>) (metricConfig, now) -> counter.get());
    }
}
