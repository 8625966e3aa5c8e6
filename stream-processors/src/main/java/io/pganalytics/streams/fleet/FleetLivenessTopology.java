package io.pganalytics.streams.fleet;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CollectorStatus;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import io.pganalytics.streams.validation.SourceDecoder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * {@code pga.fleet.heartbeats} → the liveness of each collector: {@code pga.fleet.status} and a
 * {@code status-change} on {@code pga.fleet.events} whenever a collector becomes ONLINE, DEGRADED
 * or OFFLINE; undecodable heartbeats go to {@code pga.dlq}.
 *
 * <p>OFFLINE is decided by a wall-clock punctuator, not by the next heartbeat: a dead collector
 * sends nothing, and stream time only advances with input.
 */
public final class FleetLivenessTopology {

    /** The application id, and so the consumer group and the prefix of internal topics. */
    public static final String APPLICATION_ID = "pga-streams-fleet";
    /** The state store of the last status per collector. */
    public static final String STORE = "collector-liveness";
    /** How often silent collectors are looked for unless the role says otherwise. */
    public static final Duration DEFAULT_PUNCTUATE_EVERY = Duration.ofSeconds(5);
    /** A collector is OFFLINE after this many of its heartbeat intervals without a heartbeat. */
    public static final int MISSED_HEARTBEATS = 3;

    private static final String SOURCE = "fleet-heartbeats";
    private static final String PROCESSOR = "judge-liveness";
    private static final String TO_STATUS = "to-status";
    private static final String TO_EVENTS = "to-events";
    private static final String TO_DLQ = "to-dlq";

    private FleetLivenessTopology() {
    }

    /** The topology with the default punctuation interval; {@code serdeConfig} holds {@code schema.registry.url}. */
    public static Topology build(Map<String, ?> serdeConfig) {
        return build(serdeConfig, DEFAULT_PUNCTUATE_EVERY);
    }

    /** The topology, looking for silent collectors every {@code punctuateEvery} of wall-clock time. */
    public static Topology build(Map<String, ?> serdeConfig, Duration punctuateEvery) {
        var client = AvroSerdeConfig.from(serdeConfig).newClient();
        SourceDecoder<Heartbeat> decoder = new SourceDecoder<>(new AvroDeserializer<>(client, true), Topics.FLEET_HEARTBEATS);
        AvroSerde<FleetStatus> statuses = AvroSerde.forValues(serdeConfig);
        AvroSerde<FleetEvent> events = AvroSerde.forValues(serdeConfig);

        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.FLEET_HEARTBEATS);
        topology.addProcessor(PROCESSOR, () -> new JudgeLiveness(decoder, punctuateEvery), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(), statuses),
                PROCESSOR);
        topology.addSink(TO_STATUS, Topics.FLEET_STATUS, Serdes.String().serializer(), statuses.serializer(), PROCESSOR);
        topology.addSink(TO_EVENTS, Topics.FLEET_EVENTS, Serdes.String().serializer(), events.serializer(), PROCESSOR);
        topology.addSink(TO_DLQ, Topics.DLQ, Serdes.String().serializer(), Serdes.ByteArray().serializer(), PROCESSOR);
        return topology;
    }

    /** The status a heartbeat shows: DEGRADED while any configured target is unhealthy. */
    static FleetStatus statusOf(Heartbeat heartbeat, Instant receivedAt, FleetStatus previous) {
        boolean degraded = heartbeat.getTargetsHealthy() < heartbeat.getTargetsConfigured();
        CollectorStatus status = degraded ? CollectorStatus.DEGRADED : CollectorStatus.ONLINE;
        String reason = degraded
                ? (heartbeat.getTargetsConfigured() - heartbeat.getTargetsHealthy()) + " of "
                        + heartbeat.getTargetsConfigured() + " targets unhealthy"
                : "heartbeat received, " + heartbeat.getTargetsHealthy() + " of " + heartbeat.getTargetsConfigured()
                        + " targets healthy";
        boolean unchanged = previous != null && previous.getStatus() == status;
        return FleetStatus.newBuilder()
                .setCollectorId(heartbeat.getCollectorId())
                .setStatus(status)
                .setSince(unchanged ? previous.getSince() : receivedAt)
                .setLastHeartbeatAt(receivedAt)
                .setHeartbeatIntervalMillis(heartbeat.getIntervalMillis())
                .setTargetsConfigured(heartbeat.getTargetsConfigured())
                .setTargetsHealthy(heartbeat.getTargetsHealthy())
                .setVersion(heartbeat.getVersion())
                .setHostname(heartbeat.getHostname())
                .setReason(reason)
                .build();
    }

    /** Why a heartbeat cannot be judged, if it cannot. */
    static CheckFailure checkHeartbeat(String key, Heartbeat heartbeat) {
        if (!heartbeat.getCollectorId().equals(key)) {
            return new CheckFailure("key-mismatch", "key is '" + key + "' but collectorId is '" + heartbeat.getCollectorId() + "'");
        }
        if (heartbeat.getIntervalMillis() <= 0) {
            // A zero interval would declare the collector OFFLINE at every punctuation.
            return new CheckFailure("invalid-interval", "intervalMillis is " + heartbeat.getIntervalMillis());
        }
        return null;
    }

    /** Keeps each collector's status in {@link #STORE} and emits it, with an event, when it changes. */
    static final class JudgeLiveness implements Processor<String, byte[], String, Object> {

        private final SourceDecoder<Heartbeat> decoder;
        private final Duration punctuateEvery;
        private ProcessorContext<String, Object> context;
        private KeyValueStore<String, FleetStatus> store;

        JudgeLiveness(SourceDecoder<Heartbeat> decoder, Duration punctuateEvery) {
            this.decoder = decoder;
            this.punctuateEvery = punctuateEvery;
        }

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            context.schedule(punctuateEvery, PunctuationType.WALL_CLOCK_TIME, this::markSilentCollectorsOffline);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            SourceDecoder.Decoded<Heartbeat> decoded = decoder.decode(record.value());
            CheckFailure failure = decoded.failure() != null ? decoded.failure() : checkHeartbeat(record.key(), decoded.value());
            if (failure != null) {
                DeadLetterHeaders.annotate(record.headers(), failure, APPLICATION_ID, context.recordMetadata());
                context.forward(record, TO_DLQ);
                return;
            }
            // The processor's clock, the punctuator's too: a collector's skewed clock must not decide its liveness.
            long now = context.currentSystemTimeMs();
            FleetStatus previous = store.get(record.key());
            FleetStatus next = statusOf(decoded.value(), Instant.ofEpochMilli(now), previous);
            store.put(record.key(), next);
            if (previous == null || previous.getStatus() != next.getStatus()) {
                emit(record.key(), previous, next, now);
            }
        }

        private void markSilentCollectorsOffline(long now) {
            List<KeyValue<String, FleetStatus>> silent = new ArrayList<>();
            try (KeyValueIterator<String, FleetStatus> all = store.all()) {
                all.forEachRemaining(entry -> {
                    FleetStatus status = entry.value;
                    long silentMillis = now - status.getLastHeartbeatAt().toEpochMilli();
                    // Already OFFLINE collectors are skipped, so the change is emitted once, not every punctuation.
                    if (status.getStatus() != CollectorStatus.OFFLINE
                            && silentMillis > MISSED_HEARTBEATS * status.getHeartbeatIntervalMillis()) {
                        silent.add(KeyValue.pair(entry.key, FleetStatus.newBuilder(status)
                                .setStatus(CollectorStatus.OFFLINE)
                                .setSince(Instant.ofEpochMilli(now))
                                .setReason("no heartbeat for " + silentMillis + " ms (" + MISSED_HEARTBEATS
                                        + " intervals of " + status.getHeartbeatIntervalMillis() + " ms)")
                                .build()));
                    }
                });
            }
            for (KeyValue<String, FleetStatus> offline : silent) {
                FleetStatus previous = store.get(offline.key);
                store.put(offline.key, offline.value);
                emit(offline.key, previous, offline.value, now);
            }
        }

        private void emit(String collectorId, FleetStatus previous, FleetStatus next, long now) {
            context.forward(new Record<String, Object>(collectorId, next, now), TO_STATUS);
            FleetEvent event = FleetEvent.newBuilder()
                    .setCollectorId(collectorId)
                    .setAt(Instant.ofEpochMilli(now))
                    .setKind(FleetVocabulary.KIND_STATUS_CHANGE)
                    .setFrom(previous == null ? null : previous.getStatus().name())
                    .setTo(next.getStatus().name())
                    .setReason(next.getReason())
                    .build();
            context.forward(new Record<String, Object>(collectorId, event, now), TO_EVENTS);
        }
    }
}
