package io.pganalytics.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.AuditEvent;
import io.pganalytics.schemas.audit.ControlChange;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debezium's embedded PostgreSQL connector over the control-plane database ({@code pgoutput}, a publication limited
 * to the outbox and {@link Topics#CONTROL_TABLES}): {@code audit_outbox} rows become {@link AuditEvent}s on
 * {@code pga.audit.events}, every other row change a {@link ControlChange} on {@code pga.control.cdc.<table>}.
 *
 * <p>Nothing is lost: a batch is sent and flushed to Kafka before Debezium may commit its position, so a crash
 * re-delivers (the chain drops an event it has seen by its outbox id). And nothing escapes: a transaction that
 * changed audited tables without writing an outbox row (its session had the V9 triggers off, as a superuser can) is
 * seen by its end marker, and each of its changes becomes an out-of-band event all the same.
 */
public final class OutboxCapture implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxCapture.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Debezium's name for this connector: the prefix of its destinations. */
    static final String PREFIX = "pga_control";
    private static final String OUTBOX = "audit_outbox";
    static final String TRIGGERS_BYPASSED = "unknown: the audit triggers were bypassed";

    private final Producer<String, SpecificRecord> producer;
    private final DebeziumEngine<ChangeEvent<String, String>> engine;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> new Thread(r, "pga-audit-capture"));
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Future<?> running;
    /** How often the change streams tick: the backups' lag behind an idle table, beside the sink's rotate interval. */
    static final long TICK_SECONDS = 5;
    private final java.util.concurrent.ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pga-audit-capture-tick");
        t.setDaemon(true);
        return t;
    });
    private volatile Throwable failure;
    /** The audited-table changes of the transaction in progress, kept until its end marker says whether it wrote an outbox row. */
    private final List<Change> transaction = new ArrayList<>();
    private long transactionId = -1;

    private OutboxCapture(AuditConfig config) {
        Map<String, Object> producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.control().bootstrapServers(),
                ProducerConfig.CLIENT_ID_CONFIG, "pga-audit-capture",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.control().schemaRegistryUrl());
        AvroSerializer<SpecificRecord> values = new AvroSerializer<>();
        values.configure(producerConfig, false);
        this.producer = new KafkaProducer<>(producerConfig, new StringSerializer(), values);
        this.engine = DebeziumEngine.create(Json.class).using(debeziumProperties(config)).notifying(this::handleBatch)
                .using((success, message, error) -> {
                    if (!success) {
                        failure = error != null ? error : new IllegalStateException(message);
                        LOG.error("audit capture stopped: {}", message);
                    }
                    stopped.countDown();
                }).build();
        this.running = runner.submit(engine);
        this.ticker.scheduleAtFixedRate(() -> {
            try {
                tick();
            } catch (RuntimeException e) {
                LOG.warn("audit capture: a tick of the change streams failed: {}", e.getMessage());
            }
        }, TICK_SECONDS, TICK_SECONDS, TimeUnit.SECONDS);
    }

    /** Starts capturing; the position is kept in {@code config.offsetsFile()}, the first start snapshots the tables. */
    public static OutboxCapture start(AuditConfig config) {
        try {
            Files.createDirectories(config.offsetsFile().toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new IllegalStateException(AuditConfig.Keys.OFFSETS_FILE.name() + ": cannot create " + config.offsetsFile().getParent(), e);
        }
        OutboxCapture capture = new OutboxCapture(config);
        LOG.info("audit capture started: {} tables of {} through slot {} and publication {}", Topics.CONTROL_TABLES.size() + 1,
                config.control().databaseUrl(), config.slotName(), config.publicationName());
        return capture;
    }

    /** Why the engine stopped on its own, if it did. */
    public java.util.Optional<Throwable> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    static Properties debeziumProperties(AuditConfig config) {
        URI url = URI.create(config.control().databaseUrl().substring("jdbc:".length()));
        String database = url.getPath().substring(1);
        Properties p = new Properties();
        p.setProperty("name", "pga-audit-capture");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", config.offsetsFile().toAbsolutePath().toString());
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("database.hostname", url.getHost());
        p.setProperty("database.port", Integer.toString(url.getPort() < 0 ? 5432 : url.getPort()));
        p.setProperty("database.user", config.control().databaseUser() == null ? "postgres" : config.control().databaseUser());
        if (config.control().databasePassword() != null) {
            p.setProperty("database.password", config.control().databasePassword());
        }
        p.setProperty("database.dbname", database);
        p.setProperty("topic.prefix", PREFIX);
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slotName());
        p.setProperty("publication.name", config.publicationName());
        p.setProperty("publication.autocreate.mode", "filtered");
        p.setProperty("table.include.list", "public." + OUTBOX + ","
                + Topics.CONTROL_TABLES.stream().map(t -> "public." + t).collect(Collectors.joining(",")));
        p.setProperty("snapshot.mode", "initial");
        // BEGIN and END markers: how a transaction that wrote no outbox row is told apart.
        p.setProperty("provide.transaction.metadata", "true");
        // Small polls: an audit entry within a second of its commit (bench/run-audit).
        p.setProperty("poll.interval.ms", "20");
        p.setProperty("max.batch.size", "2048");
        // The slot advances even while no audited table changes, so the server does not keep WAL for it.
        p.setProperty("heartbeat.interval.ms", "10000");
        p.setProperty("binary.handling.mode", "base64");
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("key.converter.schemas.enable", "false");
        p.setProperty("value.converter.schemas.enable", "false");
        return p;
    }

    private void handleBatch(List<ChangeEvent<String, String>> records, DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer)
            throws InterruptedException {
        try {
            for (ChangeEvent<String, String> record : records) {
                route(record);
            }
            // Everything of the batch in Kafka before Debezium may move its position past it.
            producer.flush();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("audit capture: " + e.getMessage(), e);
        }
        for (ChangeEvent<String, String> record : records) {
            committer.markProcessed(record);
        }
        committer.markBatchFinished();
    }

    private void route(ChangeEvent<String, String> record) throws IOException {
        String destination = record.destination();
        if (record.value() == null || !destination.startsWith(PREFIX + ".")) {
            return; // a tombstone after a delete, or a heartbeat
        }
        JsonNode value = JSON.readTree(record.value());
        if (destination.equals(PREFIX + ".transaction")) {
            transactionMarker(value);
            return;
        }
        String table = destination.substring(destination.lastIndexOf('.') + 1);
        JsonNode source = value.path("source");
        String op = value.path("op").asText();
        long txId = source.path("txId").asLong(-1);
        long lsn = source.path("lsn").asLong();
        Instant committedAt = Instant.ofEpochMilli(source.path("ts_ms").asLong());
        if (table.equals(OUTBOX)) {
            if (op.equals("c") || op.equals("r")) {
                AuditEvent event = event(value.path("after"));
                producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, Long.toString(event.getOutboxId()), event));
            }
            if (txId == transactionId) {
                transaction.clear(); // the transaction declared its changes: they are in the outbox
                transactionId = -2;
            }
            return;
        }
        ControlChange change = new ControlChange(table, op, txId, lsn, commitOrder(source), committedAt, text(value.get("before")),
                text(value.get("after")));
        producer.send(new ProducerRecord<>(Topics.controlChanges(table), record.key(), change));
        if (!op.equals("r") && txId == transactionId) {
            transaction.add(new Change(table, op, txId, lsn, committedAt, record.key()));
        }
    }

    /** The first of Debezium's {@code source.sequence} ({@code ["<last commit LSN>", "<LSN>"]}); 0 when it has none. */
    static long commitOrder(JsonNode source) {
        try {
            JsonNode sequence = JSON.readTree(source.path("sequence").asText("[]"));
            return sequence.isArray() && sequence.size() > 0 && !sequence.get(0).isNull() ? Long.parseLong(sequence.get(0).asText()) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * A tick on every change stream: the backup sink closes an object when a record of a later window arrives, so
     * without ticks the last changes of a table that goes quiet would wait in memory for its next change.
     */
    private void tick() {
        Instant now = Instant.now();
        for (String table : Topics.CONTROL_TABLES) {
            producer.send(new ProducerRecord<>(Topics.controlChanges(table), null,
                    new ControlChange(table, "t", -1L, -1L, 0L, now, null, null)));
        }
    }

    private void transactionMarker(JsonNode marker) {
        String status = marker.path("status").asText();
        long txId = Long.parseLong(marker.path("id").asText("-1:0").split(":")[0]);
        if (status.equals("BEGIN")) {
            transaction.clear();
            transactionId = txId;
        } else if (status.equals("END")) {
            if (txId == transactionId && !transaction.isEmpty()) {
                LOG.warn("audit capture: transaction {} changed {} audited row(s) without an outbox row (its audit triggers were off):"
                        + " recorded out of band", txId, transaction.size());
                for (Change change : transaction) {
                    AuditEvent event = bypassed(change);
                    producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, Long.toString(event.getOutboxId()), event));
                }
            }
            transaction.clear();
            transactionId = -1;
        }
    }

    /** An out-of-band event for a change nobody declared: no row image (it may hold secrets; the CDC topic has it). */
    private static AuditEvent bypassed(Change change) {
        String action = change.table() + "." + switch (change.op()) {
            case "c" -> "insert";
            case "u" -> "update";
            default -> "delete";
        };
        String resourceId = null;
        try {
            JsonNode key = JSON.readTree(change.key());
            resourceId = key.isObject() && key.size() > 0 ? key.elements().next().asText() : null;
        } catch (IOException | RuntimeException e) {
            // a key we cannot read names no row; the event still says what changed
        }
        // Negative ids cannot collide with the outbox's bigserial; the change's WAL position makes them unique.
        return AuditEvent.newBuilder().setOutboxId(-change.lsn()).setTxId(change.txId()).setOccurredAt(change.committedAt())
                .setActor("unknown").setAction(action).setResourceType(change.table()).setResourceId(resourceId)
                .setOutOfBand(true).setDatabaseRole(TRIGGERS_BYPASSED).build();
    }

    private static AuditEvent event(JsonNode row) {
        return AuditEvent.newBuilder()
                .setOutboxId(row.path("id").asLong())
                .setTxId(row.path("tx_id").asLong())
                .setOccurredAt(Instant.parse(row.path("occurred_at").asText()))
                .setActor(row.path("actor").asText())
                .setRole(text(row.get("role")))
                .setAuthMethod(text(row.get("auth_method")))
                .setAction(row.path("action").asText())
                .setResourceType(row.path("resource_type").asText())
                .setResourceId(text(row.get("resource_id")))
                .setBefore(text(row.get("before")))
                .setAfter(text(row.get("after")))
                .setClientIp(text(row.get("client_ip")))
                .setUserAgent(text(row.get("user_agent")))
                .setRequestId(text(row.get("request_id")))
                .setOutOfBand(row.path("out_of_band").asBoolean())
                .setDatabaseRole(row.path("database_role").asText())
                .build();
    }

    /** A JSON value as text: a string as itself (jsonb columns arrive as JSON text), an object as JSON, null as null. */
    private static String text(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return node.isTextual() ? node.asText() : node.toString();
    }

    /**
     * Stops the engine with {@code engine.close()} (never by interrupting it: Debezium commits its position on close,
     * and a killed engine re-delivers more on restart), then the producer.
     */
    @Override
    public void close() {
        try {
            engine.close();
            if (!stopped.await(30, TimeUnit.SECONDS)) {
                LOG.warn("audit capture did not stop within 30 s");
            }
        } catch (IOException e) {
            LOG.warn("audit capture: closing the engine failed: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ticker.shutdownNow();
            runner.shutdown();
            running.cancel(false);
            producer.close();
        }
    }

    private record Change(String table, String op, long txId, long lsn, Instant committedAt, String key) {
    }
}
