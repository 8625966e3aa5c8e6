package io.pganalytics.audit;

import io.pganalytics.fleet.admin.AuditTrail;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.AuditEntry;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores {@code pga.audit.log} in {@code audit_log} (only committed entries: read_committed; idempotent by seq, so a
 * redelivery after a crash changes nothing) and signs a checkpoint every {@code checkpointEntries} entries or
 * {@code checkpointInterval}, into the database and, when a bucket is configured, the object store.
 */
public final class AuditLogStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLogStore.class);
    static final String GROUP = "pga-audit-store";

    private final AuditTrail trail;
    private final KafkaConsumer<String, AuditEntry> consumer;
    private final PrivateKey signingKey;
    private final String keyId;
    private final CheckpointStore bucket;
    private final int checkpointEntries;
    private final Duration checkpointInterval;
    private final Clock clock;
    private final Thread thread;
    private volatile boolean running = true;
    private AuditChain.SignedCheckpoint lastCheckpoint;
    private Instant lastCheckpointAt;
    // The stored head as last read, and whether this store appended since: it is the only writer of audit_log, so an
    // idle poll decides from these without a query.
    private Optional<AuditTrail.Head> head = Optional.empty();
    private boolean appendedSinceHead = true;

    /**
     * @param signingKey the checkpoint key, null to sign none
     * @param keyId      its id ({@link AuditChain#keyId} of its public key)
     * @param bucket     where checkpoints go besides the database, null for none
     */
    public AuditLogStore(AuditConfig config, AuditTrail trail, PrivateKey signingKey, String keyId, CheckpointStore bucket, Clock clock) {
        this.trail = trail;
        this.signingKey = signingKey;
        this.keyId = keyId;
        this.bucket = bucket;
        this.checkpointEntries = config.checkpointEntries();
        this.checkpointInterval = config.checkpointInterval();
        this.clock = clock;
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.control().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, "pga-audit-store",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.control().schemaRegistryUrl(),
                AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
        AvroDeserializer<AuditEntry> values = new AvroDeserializer<>();
        values.configure(props, false);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
        List<AuditChain.SignedCheckpoint> stored = trail.checkpoints();
        this.lastCheckpoint = stored.isEmpty() ? null : stored.get(stored.size() - 1);
        this.lastCheckpointAt = lastCheckpoint == null ? clock.instant() : lastCheckpoint.checkpoint().at();
        this.thread = new Thread(this::run, "pga-audit-store");
        thread.setDaemon(true);
    }

    /** Starts storing on its own thread. */
    public AuditLogStore start() {
        thread.start();
        return this;
    }

    private void run() {
        consumer.subscribe(List.of(Topics.AUDIT_LOG));
        try {
            while (running) {
                ConsumerRecords<String, AuditEntry> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    List<AuditEntry> entries = new ArrayList<>(records.count());
                    for (ConsumerRecord<String, AuditEntry> record : records) {
                        if (record.value() != null) {
                            entries.add(record.value());
                        }
                    }
                    trail.append(entries);
                    appendedSinceHead = true;
                    consumer.commitSync();
                }
                checkpointIfDue();
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("audit store stopped: {}", e.getMessage());
        } finally {
            consumer.close();
        }
    }

    /** Signs a checkpoint of the stored head when enough entries or enough time have passed since the last one. */
    private void checkpointIfDue() {
        if (signingKey == null) {
            return;
        }
        if (appendedSinceHead) {
            head = trail.head();
            appendedSinceHead = false;
        }
        long signedSize = lastCheckpoint == null ? 0 : lastCheckpoint.checkpoint().size();
        if (head.isEmpty() || head.get().size() <= signedSize) {
            return;
        }
        // Milliseconds: what every store keeps exactly (timestamptz keeps microseconds; the signed bytes must survive it).
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        boolean due = head.get().size() - signedSize >= checkpointEntries
                || !now.isBefore(lastCheckpointAt.plus(checkpointInterval));
        if (!due) {
            return;
        }
        AuditChain.SignedCheckpoint signed = new AuditChain.Checkpoint(head.get().size(), head.get().hash(), now,
                lastCheckpoint == null ? "" : lastCheckpoint.signature()).sign(signingKey, keyId);
        // The object store first: a checkpoint the database has and the bucket lacks would be one a superuser could forge.
        if (bucket != null) {
            bucket.put(signed);
        }
        trail.storeCheckpoint(signed);
        lastCheckpoint = signed;
        lastCheckpointAt = now;
        LOG.info("audit checkpoint signed: {} entries, head {}", signed.checkpoint().size(), signed.checkpoint().headHash().substring(0, 12));
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
