package io.pganalytics.streams.audit;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.AuditEntry;
import io.pganalytics.schemas.audit.AuditEvent;
import io.pganalytics.schemas.serde.AvroSerde;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The audit chain's single writer: {@code pga.audit.events} (one partition, in commit order) → {@code pga.audit.log},
 * each event numbered with the next gap-free {@code seq} and hashed onto the one before ({@code AuditChain}).
 *
 * <p>Exactly once: the head of the chain and the set of events already chained live in state stores whose changelogs
 * commit in the same Kafka transaction as the entry written (exactly_once_v2), so a crash mid-transaction neither
 * skips a seq nor writes one twice. Debezium delivers at least once: an event seen again (same outbox id, after a
 * capture restart or a re-snapshot) is dropped, not chained twice. One partition means one task: a second instance
 * of the application stands by and takes over, the broker fencing the one it replaces.
 */
public final class AuditChainTopology {

    /** The application id, and so the consumer group and the prefix of internal topics. */
    public static final String APPLICATION_ID = "pga-streams-audit-chain";
    /** The last entry of the chain, under {@link #HEAD_KEY}. */
    public static final String HEAD_STORE = "audit-chain-head";
    /** Outbox id → seq of every event chained: what drops a redelivery. */
    public static final String CHAINED_STORE = "audit-chained-events";
    static final String HEAD_KEY = "head";

    static final String EVENTS_SOURCE = "audit-events";
    static final String CHAIN = "chain-audit-events";
    static final String TO_LOG = "to-audit-log";

    private AuditChainTopology() {
    }

    public static Topology build(Map<String, ?> serdeConfig) {
        AvroSerde<AuditEvent> events = AvroSerde.forValues(serdeConfig);
        AvroSerde<AuditEntry> entries = AvroSerde.forValues(serdeConfig);
        Topology topology = new Topology();
        topology.addSource(AutoOffsetReset.earliest(), EVENTS_SOURCE, Serdes.String().deserializer(), events.deserializer(),
                Topics.AUDIT_EVENTS);
        topology.addProcessor(CHAIN, ChainAuditEvents::new, EVENTS_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HEAD_STORE), Serdes.String(), entries), CHAIN);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CHAINED_STORE), Serdes.Long(), Serdes.Long()), CHAIN);
        topology.addSink(TO_LOG, Topics.AUDIT_LOG, Serdes.String().serializer(), entries.serializer(), CHAIN);
        return topology;
    }
}
