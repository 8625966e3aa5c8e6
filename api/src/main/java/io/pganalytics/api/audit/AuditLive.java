package io.pganalytics.api.audit;

import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.events.EventHub;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.routes.RouteTable;
import io.pganalytics.api.views.LiveEvent;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.AuditEntry;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/audit/live}: the audit trail's new entries by WebSocket, for auditors and admins, as the chain's
 * writer commits them to {@code pga.audit.log} (read committed, from the end: what is older is in {@code GET
 * /api/v1/audit}). Each message is {@code {"type":"audit-entry","at":…,"data":{seq, hash, prevHash, event}}}.
 */
public final class AuditLive implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLive.class);
    private static final TopicPartition LOG_PARTITION = new TopicPartition(Topics.AUDIT_LOG, 0);

    private final EventHub hub = new EventHub(StrictJson.MAPPER, EventHub.DEFAULT_QUEUE);
    private final KafkaConsumer<String, AuditEntry> consumer;
    private final Thread reader;
    private volatile long lastSeq;
    private volatile boolean running = true;

    public AuditLive(String bootstrapServers, String schemaRegistryUrl) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "pga-api-audit-live",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl,
                AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
        AvroDeserializer<AuditEntry> values = new AvroDeserializer<>();
        values.configure(props, false);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
        this.reader = new Thread(this::read, "pga-api-audit-live");
        reader.setDaemon(true);
        reader.start();
    }

    public void register(RouteTable table) {
        table.ws("/api/v1/audit/live", Access.atLeast(Role.AUDITOR), "WebSocket of the audit trail's new entries", ctx -> {
                }, hub.handlers(() -> Long.toString(lastSeq), (client, resume) -> client.close(1008,
                        "resume is not offered here: read GET /api/v1/audit?cursor= for what came before")));
    }

    private void read() {
        try {
            // No group: every replica's clients see every entry, from the moment the replica started.
            consumer.assign(List.of(LOG_PARTITION));
            consumer.seekToEnd(List.of(LOG_PARTITION));
            while (running) {
                for (ConsumerRecord<String, AuditEntry> record : consumer.poll(Duration.ofMillis(500))) {
                    AuditEntry entry = record.value();
                    if (entry != null) {
                        lastSeq = entry.getSeq();
                        hub.publish(event(entry));
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.warn("the audit trail's live reader stopped: {}", e.getMessage());
        } finally {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    private static LiveEvent event(AuditEntry entry) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("seq", entry.getSeq());
        data.put("hash", entry.getHash());
        data.put("prevHash", entry.getPrevHash());
        Object event;
        try {
            event = StrictJson.MAPPER.readTree(entry.getEvent());
        } catch (IOException e) {
            event = entry.getEvent();
        }
        data.put("event", event);
        Instant at = AuditChain.ofMicros(StrictJson.MAPPER.valueToTree(event).path("occurredAtMicros").asLong());
        return new LiveEvent("audit-entry", null, null, at.toString(), data, Long.toString(entry.getSeq()));
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        hub.close();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
