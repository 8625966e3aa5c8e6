package io.pganalytics.streams.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.AuditEntry;
import io.pganalytics.schemas.audit.AuditEvent;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditChainTopologyTest {

    private static final String SCOPE = "audit-chain-topology-test";
    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> events;
    private TestOutputTopic<String, AuditEntry> log;

    @BeforeEach
    void start() {
        driver = driver();
    }

    private TopologyTestDriver driver() {
        Properties props = new Properties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, AuditChainTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        TopologyTestDriver d = new TopologyTestDriver(AuditChainTopology.build(SERDE), props);
        AvroSerde<AuditEvent> in = AvroSerde.forValues(SERDE);
        AvroSerde<AuditEntry> out = AvroSerde.forValues(SERDE);
        events = d.createInputTopic(Topics.AUDIT_EVENTS, Serdes.String().serializer(), in.serializer());
        log = d.createOutputTopic(Topics.AUDIT_LOG, Serdes.String().deserializer(), out.deserializer());
        return d;
    }

    @AfterEach
    void stop() {
        driver.close();
        InMemorySchemaRegistry.drop(SCOPE);
    }

    static AuditEvent event(long outboxId, String action) {
        return AuditEvent.newBuilder().setOutboxId(outboxId).setTxId(700 + outboxId).setOccurredAt(Instant.parse("2026-12-03T10:00:00Z"))
                .setActor("alice").setRole("admin").setAction(action).setResourceType("users").setResourceId("bob")
                .setAfter("{\"name\":\"bob\",\"role\":\"viewer\"}").setOutOfBand(false).setDatabaseRole("pga").build();
    }

    @Test
    void eventsAreNumberedWithoutGapsAndEachHashLinksToTheOneBefore() {
        events.pipeInput("1", event(1, "user.create"));
        events.pipeInput("2", event(2, "user.set-role"));
        events.pipeInput("3", event(3, "user.disable"));
        List<AuditEntry> entries = log.readValuesToList();

        assertThat(entries).extracting(AuditEntry::getSeq).containsExactly(1L, 2L, 3L);
        assertThat(entries.get(0).getPrevHash()).isEqualTo(AuditChain.GENESIS);
        assertThat(entries.get(1).getPrevHash()).isEqualTo(entries.get(0).getHash());
        assertThat(entries.get(2).getPrevHash()).isEqualTo(entries.get(1).getHash());
        assertThat(entries.get(1).getHash()).isEqualTo(AuditChain.hash(2, entries.get(0).getHash(), AuditChain.canonical(event(2, "user.set-role"))));
        assertThat(AuditChain.verify(entries.stream().map(e -> new AuditChain.StoredEntry(e.getSeq(), e.getPrevHash(), e.getHash(),
                e.getEvent())).iterator(), List.of(), null).problem()).isEmpty();
    }

    @Test
    void anEventDeliveredAgainIsNotChainedTwice() {
        events.pipeInput("1", event(1, "user.create"));
        events.pipeInput("1", event(1, "user.create")); // Debezium after a restart, at least once
        events.pipeInput("2", event(2, "user.set-role"));
        assertThat(log.readValuesToList()).extracting(AuditEntry::getSeq).containsExactly(1L, 2L);
    }
}
