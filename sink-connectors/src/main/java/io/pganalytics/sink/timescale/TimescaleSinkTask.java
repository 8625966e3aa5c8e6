package io.pganalytics.sink.timescale;

import io.pganalytics.sink.PluginRuntime;
import io.pganalytics.sink.timescale.RowWriter.WriteResult;
import io.pganalytics.sink.timescale.RecordRows.Row;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
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
 * One task of {@link TimescaleSinkConnector}: turns records into rows of their family's table, holds them until the
 * batch is full or has lingered long enough, and writes each batch in one transaction with, in {@code copy} mode, the
 * offsets it consumed. When a partition is assigned it rewinds to the offset stored with the rows, so records that
 * were written before a crash, a rebalance or a consumer-group reset are not written again.
 *
 * <p>Usable outside Connect too (the restore tool): {@code initialize(context)}, {@code start(config)},
 * {@code put(records)}, {@code preCommit(offsets)} (writes what is held), {@code stop()}.
 */
public final class TimescaleSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(TimescaleSinkTask.class);

    private static final Duration FIRST_RETRY_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(30);
    private static final Duration DEAD_LETTER_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REGISTRY_RETRY = Duration.ofSeconds(1);
    /**
     * How long Connect's poll waits for more records while rows are held: an empty {@code put()} after it means the
     * consumer has caught up, and the batch is written. Short, because a poll returns as soon as records arrive.
     */
    static final Duration DRAINED_POLL = Duration.ofMillis(5);
    private static final Duration IN_FLIGHT_CHECK = Duration.ofMillis(200);

    private final Function<TimescaleSinkConfig, RowWriter> writerFactory;
    private final LongSupplier clockMillis;
    private final boolean pipelined;
    /**
     * Writes one batch while the task thread decodes the next: PostgreSQL's COPY and our decoding then use two cores
     * instead of taking turns. At most one batch is in flight; the task waits for it before handing over the next.
     */
    private ExecutorService writerThread;
    private InFlight inFlight;
    private final AtomicLong rowsWritten = new AtomicLong();
    private final AtomicLong rowsAlreadyStored = new AtomicLong();
    private final AtomicLong recordsSkippedAsStored = new AtomicLong();
    private final AtomicLong recordsDeadLettered = new AtomicLong();
    private final AtomicLong conflictFallbacks = new AtomicLong();
    private final AtomicLong storeRetries = new AtomicLong();

    private TimescaleSinkConfig config;
    private RecordRows recordRows;
    private RowWriter writer;
    private ErrantRecordReporter reporter;

    /** Records held for the next batch, with their rows. */
    private final List<Pending> pending = new ArrayList<>();
    private int pendingRows;
    /** Next offset per partition of everything held (rows and records set aside). */
    private final Map<TopicPartition, Long> pendingOffsets = new HashMap<>();
    /** Next offset per partition of what is stored: what preCommit lets Connect commit. */
    private final Map<TopicPartition, Long> storedOffsets = new HashMap<>();
    /** Partitions assigned whose stored offsets could not be read yet (the store was down): paused until then. */
    private final Set<TopicPartition> unresolved = new HashSet<>();
    private final List<Future<Void>> deadLetterWrites = new ArrayList<>();
    private long firstPendingAtMillis;
    private long retryAtMillis;
    private int consecutiveRetries;
    private boolean paused;

    private record Pending(SinkRecord record, List<Row> rows) {
    }

    /** The batch being written, and the offsets it stores. */
    private record InFlight(List<Pending> batch, int rows, Map<TopicPartition, Long> offsets, Future<WriteResult> result) {
    }

    /** For Connect, which instantiates tasks reflectively. */
    public TimescaleSinkTask() {
        this(MetricsStoreWriter::new, System::currentTimeMillis, true);
    }

    /** {@code pipelined=false} writes each batch on the calling thread (tests). */
    TimescaleSinkTask(Function<TimescaleSinkConfig, RowWriter> writerFactory, LongSupplier clockMillis, boolean pipelined) {
        this.writerFactory = writerFactory;
        this.clockMillis = clockMillis;
        this.pipelined = pipelined;
    }

    @Override
    public String version() {
        return TimescaleSinkConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        config = TimescaleSinkConfig.from(props);
        recordRows = new RecordRows(config.schemaRegistryUrl());
        reporter = PluginRuntime.errantRecordReporter(context);
        registerMetrics();
        writer = writerFactory.apply(config);
        if (pipelined) {
            String thread = "pga-sink-writer-" + (config.connectorName() == null ? "task" : config.connectorName());
            writerThread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, thread);
                t.setDaemon(true);
                return t;
            });
        }
        try {
            writer.open();
        } catch (SQLException e) {
            if (SqlFailure.of(e) != SqlFailure.TRANSIENT) {
                writer.close();
                throw new ConnectException("cannot use the metrics store at " + config.redactedConnectionUrl() + " ("
                        + e.getSQLState() + "): " + e.getMessage(), e);
            }
            // The store may come up after Connect; partitions stay paused until their stored offsets can be read.
            LOG.warn("Metrics store {} unreachable at start ({}); retrying with the first batch",
                    config.redactedConnectionUrl(), e.getMessage());
        }
        LOG.info("Timescale sink task started: {} at {}, batches of {} rows or {} ms, {}", config.writeMode(),
                config.redactedConnectionUrl(), config.batchMaxRows(), config.batchLingerMillis(),
                reporter != null ? "records that cannot be stored go to the dead letter queue"
                        : "no dead letter queue, a record that cannot be stored fails the task");
    }

    /** Rewinds each partition to the offset stored with its rows, so nothing stored is written twice. */
    @Override
    public void open(Collection<TopicPartition> partitions) {
        if (!config.ownsOffsets()) {
            return;
        }
        completeInFlight(true);
        unresolved.addAll(partitions);
        resolveStoredOffsets();
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // Best effort: store what is held for partitions we lose, so the next owner need not read it again.
        try {
            completeInFlight(true);
            if (!pending.isEmpty() && retryAtMillis == 0) {
                flush();
                completeInFlight(true);
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not store the held batch before partitions were revoked ({}); the next owner reads "
                    + "it again", e.getMessage());
        }
        Set<TopicPartition> revoked = new HashSet<>(partitions);
        pending.removeIf(p -> {
            boolean drop = revoked.contains(partitionOf(p.record()));
            if (drop) {
                pendingRows -= p.rows().size();
            }
            return drop;
        });
        revoked.forEach(tp -> {
            pendingOffsets.remove(tp);
            storedOffsets.remove(tp);
        });
        unresolved.removeAll(revoked);
        if (pending.isEmpty() && pendingOffsets.isEmpty()) {
            firstPendingAtMillis = 0;
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        completeInFlight(false);
        if (!unresolved.isEmpty()) {
            resolveStoredOffsets();
        }
        long now = clockMillis.getAsLong();
        for (SinkRecord record : records) {
            TopicPartition tp = partitionOf(record);
            if (unresolved.contains(tp)) {
                continue; // fetched before the pause took hold; read again after the rewind
            }
            long offset = record.kafkaOffset();
            Long stored = storedOffsets.get(tp);
            if (stored != null && offset < stored) {
                recordsSkippedAsStored.incrementAndGet();
                continue;
            }
            Long held = pendingOffsets.get(tp);
            if (held != null && offset < held) {
                continue; // held already: Connect delivers a batch again after a RetriableException
            }
            try {
                List<Row> rows = recordRows.rowsOf(record);
                pending.add(new Pending(record, rows));
                pendingRows += rows.size();
            } catch (DataException e) {
                deadLetter(record, e);
            } catch (RetriableException e) {
                // The registry cannot be asked now: Connect delivers this batch again (what is held is skipped).
                LOG.warn("Cannot decode {}-{}@{} now ({}); Connect delivers the batch again in {} ms", record.topic(),
                        record.kafkaPartition(), offset, e.getMessage(), REGISTRY_RETRY.toMillis());
                context.timeout(REGISTRY_RETRY.toMillis());
                throw e;
            }
            pendingOffsets.put(tp, offset + 1);
            if (firstPendingAtMillis == 0) {
                firstPendingAtMillis = now;
            }
        }
        maybeFlush(records.isEmpty());
    }

    /**
     * Writes the held batch when it is full, when the backlog is drained ({@code drained}: Connect's poll found no
     * more records) and the writer is free, when it has lingered {@code batch.linger.ms}, or when it is being
     * retried. So under a flood batches fill up to {@code batch.max.rows}, and otherwise a row waits only for the
     * consumer to find nothing more (at most {@link #DRAINED_POLL} once it has it) and for the batch before it.
     */
    private void maybeFlush(boolean drained) {
        if (pendingOffsets.isEmpty()) {
            if (inFlight != null) {
                // Come back soon to collect the result, even if no record arrives.
                context.timeout(Math.min(IN_FLIGHT_CHECK.toMillis(), Math.max(1, config.batchLingerMillis())));
            }
            return;
        }
        long now = clockMillis.getAsLong();
        if (retryAtMillis > now) {
            context.timeout(retryAtMillis - now);
            return;
        }
        long waited = now - firstPendingAtMillis;
        boolean due = retryAtMillis != 0 || pendingRows >= config.batchMaxRows() || waited >= config.batchLingerMillis()
                || (drained && inFlight == null);
        if (due) {
            flush();
            if (inFlight != null) {
                context.timeout(Math.min(IN_FLIGHT_CHECK.toMillis(), Math.max(1, config.batchLingerMillis())));
            }
            return;
        }
        // Rows are held: poll briefly, so that an empty put() says the backlog is drained; never past the linger.
        context.timeout(Math.max(1, Math.min(DRAINED_POLL.toMillis(), config.batchLingerMillis() - waited)));
    }

    /**
     * Writes everything held now. Outside Connect (the restore tool) this is how a caller makes sure all it put is
     * stored; within Connect, {@link #preCommit} leaves the timing to the batch size and linger.
     */
    @Override
    public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        flush();
        completeInFlight(true);
        if (!pendingOffsets.isEmpty()) {
            throw new org.apache.kafka.connect.errors.RetriableException("metrics store unavailable: " + pending.size()
                    + " records held, retry in " + Math.max(0, retryAtMillis - clockMillis.getAsLong()) + " ms");
        }
    }

    /** Lets Connect commit exactly what is stored. */
    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        completeInFlight(false);
        if (!config.ownsOffsets() && retryAtMillis == 0) {
            flush(); // insert-ignore: nothing is rewound, so write before Connect commits
            completeInFlight(true);
        }
        Map<TopicPartition, OffsetAndMetadata> committable = new HashMap<>();
        storedOffsets.forEach((tp, offset) -> {
            if (currentOffsets.containsKey(tp)) {
                committable.put(tp, new OffsetAndMetadata(offset));
            }
        });
        return committable;
    }

    /** Hands what is held to the writer thread, once the batch before it is stored. */
    private void flush() {
        completeInFlight(true);
        if (pendingOffsets.isEmpty() || retryAtMillis > clockMillis.getAsLong()) {
            return;
        }
        List<Row> rows = new ArrayList<>(pendingRows);
        pending.forEach(p -> rows.addAll(p.rows()));
        awaitDeadLetterWrites(); // the DLQ holds what is set aside before offsets past it are stored
        Map<TopicPartition, Long> offsets = Map.copyOf(pendingOffsets);
        Callable<WriteResult> write = () -> writer.write(rows, offsets, false);
        Future<WriteResult> result;
        if (writerThread == null) {
            FutureTask<WriteResult> now = new FutureTask<>(write);
            now.run();
            result = now;
        } else {
            result = writerThread.submit(write);
        }
        inFlight = new InFlight(new ArrayList<>(pending), pendingRows, offsets, result);
        pending.clear();
        pendingRows = 0;
        pendingOffsets.clear();
        firstPendingAtMillis = 0;
        completeInFlight(false);
    }

    /**
     * Collects the outcome of the batch in flight, waiting for it if {@code wait}. A failed batch goes back in front
     * of what is held, and is retried (store down), written record by record (a refused value) or fails the task.
     */
    private void completeInFlight(boolean wait) {
        if (inFlight == null || (!wait && !inFlight.result().isDone())) {
            return;
        }
        InFlight done = inFlight;
        inFlight = null;
        try {
            WriteResult result = done.result().get();
            stored(result, done.offsets());
        } catch (ExecutionException e) {
            pending.addAll(0, done.batch());
            pendingRows += done.rows();
            done.offsets().forEach((tp, offset) -> pendingOffsets.merge(tp, offset, Math::max));
            if (firstPendingAtMillis == 0) {
                firstPendingAtMillis = clockMillis.getAsLong();
            }
            Throwable cause = e.getCause();
            if (cause instanceof SQLException sql) {
                switch (SqlFailure.of(sql)) {
                    case TRANSIENT -> backOff(sql, pendingRows);
                    case BAD_DATA -> storeOneByOne(sql);
                    case FATAL -> throw fatal(sql);
                }
            } else if (cause instanceof RuntimeException runtime) {
                throw runtime; // an incompatible schema: stop
            } else {
                throw new ConnectException("writing a batch failed: " + cause, cause);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("interrupted while a batch was being written", e);
        }
    }

    private void stored(WriteResult result, Map<TopicPartition, Long> offsets) {
        rowsWritten.addAndGet(result.inserted());
        rowsAlreadyStored.addAndGet(result.alreadyStored());
        if (result.conflictFallback()) {
            conflictFallbacks.incrementAndGet();
        }
        LOG.debug("Stored {} rows ({} already stored) up to {}", result.inserted(), result.alreadyStored(), offsets);
        storedOffsets.putAll(offsets);
        retryAtMillis = 0;
        consecutiveRetries = 0;
        resumeIfPaused();
    }

    /** PostgreSQL refused a value somewhere in the batch: store each record alone and set aside those refused. */
    private void storeOneByOne(SQLException batchFailure) {
        if (reporter == null) {
            throw new ConnectException("the metrics store refused a row (" + batchFailure.getSQLState() + "): "
                    + batchFailure.getMessage() + "; no dead letter queue is configured to set it aside", batchFailure);
        }
        LOG.warn("The metrics store refused a row of a batch of {} records ({}); writing them one by one",
                pending.size(), firstLine(batchFailure.getMessage()));
        int inserted = 0;
        int already = 0;
        for (Pending p : pending) {
            try {
                WriteResult result = writer.write(p.rows(), Map.of(), true);
                inserted += result.inserted();
                already += result.alreadyStored();
            } catch (SQLException e) {
                switch (SqlFailure.of(e)) {
                    case TRANSIENT -> {
                        backOff(e, pendingRows);
                        return;
                    }
                    case BAD_DATA -> deadLetter(p.record(), new DataException("the metrics store refused the row ("
                            + e.getSQLState() + "): " + firstLine(e.getMessage()), e));
                    case FATAL -> throw fatal(e);
                }
            }
        }
        awaitDeadLetterWrites();
        try {
            writer.write(List.of(), Map.copyOf(pendingOffsets), false);
        } catch (SQLException e) {
            if (SqlFailure.of(e) == SqlFailure.TRANSIENT) {
                backOff(e, pendingRows);
                return;
            }
            throw fatal(e);
        }
        stored(new WriteResult(inserted, already, false), Map.copyOf(pendingOffsets));
        pending.clear();
        pendingRows = 0;
        pendingOffsets.clear();
        firstPendingAtMillis = 0;
    }

    /**
     * The store is unreachable: keep the batch, pause every partition (Connect keeps polling, so the task stays in
     * its group) and try again after a backoff doubling from 0.5 s to 30 s. Nothing is lost or committed meanwhile.
     */
    private void backOff(SQLException e, int rows) {
        long backoffMillis = Math.min(FIRST_RETRY_BACKOFF.toMillis() << Math.min(consecutiveRetries, 16),
                MAX_RETRY_BACKOFF.toMillis());
        consecutiveRetries++;
        storeRetries.incrementAndGet();
        retryAtMillis = clockMillis.getAsLong() + backoffMillis;
        context.timeout(backoffMillis);
        pauseAll();
        LOG.warn("Metrics store unavailable ({}: {}); holding {} rows, retry {} in {} ms", e.getSQLState(),
                firstLine(e.getMessage()), rows, consecutiveRetries, backoffMillis);
    }

    /** Reads the stored offsets of newly assigned partitions and rewinds to them; pauses them if the store is down. */
    private void resolveStoredOffsets() {
        completeInFlight(true); // the writer is not shared between threads
        long now = clockMillis.getAsLong();
        if (retryAtMillis > now) {
            pauseAll();
            context.timeout(retryAtMillis - now);
            return;
        }
        try {
            Map<TopicPartition, Long> stored = writer.storedOffsets(unresolved);
            stored.forEach((tp, offset) -> {
                context.offset(tp, offset);
                storedOffsets.put(tp, offset);
            });
            LOG.info("Partitions {}: resuming from the offsets stored with the rows {}", unresolved, stored);
            unresolved.clear();
            if (pendingOffsets.isEmpty()) {
                retryAtMillis = 0;
                consecutiveRetries = 0;
            }
            resumeIfPaused();
        } catch (SQLException e) {
            if (SqlFailure.of(e) != SqlFailure.TRANSIENT) {
                throw fatal(e);
            }
            backOff(e, pendingRows);
        }
    }

    private void pauseAll() {
        if (!paused) {
            Set<TopicPartition> assigned = assignment();
            context.pause(assigned.toArray(TopicPartition[]::new));
            paused = true;
        }
    }

    private void resumeIfPaused() {
        if (paused && unresolved.isEmpty() && retryAtMillis == 0) {
            Set<TopicPartition> assigned = assignment();
            context.resume(assigned.toArray(TopicPartition[]::new));
            paused = false;
        }
    }

    private Set<TopicPartition> assignment() {
        Set<TopicPartition> assigned = context.assignment();
        return assigned == null ? Set.of() : assigned;
    }

    @Override
    public void stop() {
        try {
            completeInFlight(true);
        } catch (RuntimeException e) {
            LOG.warn("The batch being written at stop failed ({}); it is read again at the next start", e.getMessage());
        }
        if (writerThread != null) {
            writerThread.shutdownNow();
        }
        if (writer != null) {
            writer.close();
        }
        LOG.info("Timescale sink task stopped: {} rows written, {} already stored, {} records skipped by the stored "
                        + "offsets, {} dead-lettered, {} conflict fallbacks, {} retries", rowsWritten.get(),
                rowsAlreadyStored.get(), recordsSkippedAsStored.get(), recordsDeadLettered.get(), conflictFallbacks.get(),
                storeRetries.get());
    }

    private ConnectException fatal(SQLException e) {
        return new ConnectException("cannot write to the metrics store (" + e.getSQLState() + "): " + e.getMessage(), e);
    }

    private void deadLetter(SinkRecord record, DataException reason) {
        recordsDeadLettered.incrementAndGet();
        String where = record.topic() + "-" + record.kafkaPartition() + "@" + record.kafkaOffset();
        if (reporter == null) {
            throw new ConnectException(where + ": " + reason.getMessage() + "; set errors.tolerance=all and "
                    + "errors.deadletterqueue.topic.name to set such records aside instead of stopping", reason);
        }
        LOG.warn("Sent {} to the dead letter queue: {}", where, reason.getMessage());
        deadLetterWrites.add(reporter.report(record, reason));
    }

    private void awaitDeadLetterWrites() {
        try {
            for (Future<Void> write : deadLetterWrites) {
                write.get(DEAD_LETTER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new ConnectException("cannot write to the dead letter queue: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("interrupted while writing to the dead letter queue", e);
        }
        deadLetterWrites.clear();
    }

    private static TopicPartition partitionOf(SinkRecord record) {
        return new TopicPartition(record.topic(), record.kafkaPartition());
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }


    /** Exposed by the worker (JMX, and whatever reporters it has) with the connector and task as tags. */
    private void registerMetrics() {
        PluginMetrics metrics = PluginRuntime.pluginMetrics(context);
        if (metrics == null) {
            return;
        }
        LinkedHashMap<String, String> tags = new LinkedHashMap<>();
        gauge(metrics, "rows-written-total", "Rows inserted into the metrics store.", tags, rowsWritten);
        gauge(metrics, "rows-already-stored-total", "Rows skipped by ON CONFLICT DO NOTHING because their key was "
                + "stored already (a replay the stored offsets did not cover, or another writer).", tags, rowsAlreadyStored);
        gauge(metrics, "records-skipped-as-stored-total", "Records not written again because the offsets stored with "
                + "the rows cover them.", tags, recordsSkippedAsStored);
        gauge(metrics, "records-dead-lettered-total", "Records set aside because they can never be stored.", tags,
                recordsDeadLettered);
        gauge(metrics, "copy-conflict-fallbacks-total", "Batches whose COPY met stored rows and were written with "
                + "ON CONFLICT DO NOTHING instead.", tags, conflictFallbacks);
        gauge(metrics, "store-retries-total", "Batches held and retried because the store was unavailable.", tags,
                storeRetries);
    }

    private static void gauge(PluginMetrics metrics, String name, String description,
                              LinkedHashMap<String, String> tags, AtomicLong counter) {
        metrics.addMetric(metrics.metricName(name, description, tags), (Gauge<Long>) (metricConfig, now) -> counter.get());
    }
}
