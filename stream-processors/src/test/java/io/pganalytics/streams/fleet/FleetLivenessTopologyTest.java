package io.pganalytics.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CollectorStatus;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetLivenessTopologyTest {

    private static final String SCOPE = "fleet-liveness-topology-test";
    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration PUNCTUATE_EVERY = Duration.ofMillis(500);
    private static final long INTERVAL_MILLIS = 1_000;

    private TopologyTestDriver driver;
    private TestInputTopic<String, Heartbeat> heartbeats;
    private TestInputTopic<String, byte[]> heartbeatBytes;
    private TestOutputTopic<String, FleetStatus> status;
    private TestOutputTopic<String, FleetEvent> events;
    private TestOutputTopic<String, byte[]> dlq;

    @TempDir
    Path stateDir;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, FleetLivenessTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(FleetLivenessTopology.build(SERDE, PUNCTUATE_EVERY), props, START);
        AvroSerde<Heartbeat> heartbeatSerde = AvroSerde.forValues(SERDE);
        AvroSerde<FleetStatus> statusSerde = AvroSerde.forValues(SERDE);
        AvroSerde<FleetEvent> eventSerde = AvroSerde.forValues(SERDE);
        heartbeats = driver.createInputTopic(Topics.FLEET_HEARTBEATS, Serdes.String().serializer(), heartbeatSerde.serializer());
        heartbeatBytes = driver.createInputTopic(Topics.FLEET_HEARTBEATS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        status = driver.createOutputTopic(Topics.FLEET_STATUS, Serdes.String().deserializer(), statusSerde.deserializer());
        events = driver.createOutputTopic(Topics.FLEET_EVENTS, Serdes.String().deserializer(), eventSerde.deserializer());
        dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
        InMemorySchemaRegistry.drop(SCOPE);
    }

    @Test
    void firstHealthyHeartbeatMakesTheCollectorOnline() {
        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 2, 2));

        FleetStatus online = status.readKeyValue().value;
        assertThat(online.getStatus()).isEqualTo(CollectorStatus.ONLINE);
        assertThat(online.getSince()).isEqualTo(START);
        assertThat(online.getLastHeartbeatAt()).isEqualTo(START);
        assertThat(online.getHostname()).isEqualTo("host-c1");
        FleetEvent event = events.readValue();
        assertThat(event.getKind()).isEqualTo("status-change");
        assertThat(event.getFrom()).isNull();
        assertThat(event.getTo()).isEqualTo("ONLINE");
        assertThat(status.isEmpty()).isTrue();
        assertThat(events.isEmpty()).isTrue();
    }

    @Test
    void unhealthyTargetMakesTheCollectorDegradedNamingHowMany() {
        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 3, 2));

        FleetStatus degraded = status.readValue();
        assertThat(degraded.getStatus()).isEqualTo(CollectorStatus.DEGRADED);
        assertThat(degraded.getReason()).isEqualTo("1 of 3 targets unhealthy");
        assertThat(events.readValue().getTo()).isEqualTo("DEGRADED");
    }

    @Test
    void unchangedStatusIsNotEmittedAgain() {
        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 2, 2));
        for (int i = 0; i < 5; i++) {
            driver.advanceWallClockTime(Duration.ofMillis(INTERVAL_MILLIS));
            heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 2, 2));
        }

        assertThat(status.readValuesToList()).singleElement().extracting(FleetStatus::getStatus).isEqualTo(CollectorStatus.ONLINE);
        assertThat(events.readValuesToList()).hasSize(1);
        FleetStatus stored = driver.<String, FleetStatus>getKeyValueStore(FleetLivenessTopology.STORE).get("c1");
        assertThat(stored.getSince()).isEqualTo(START);
        assertThat(stored.getLastHeartbeatAt()).isEqualTo(START.plusMillis(5 * INTERVAL_MILLIS));
    }

    @Test
    void silentCollectorGoesOfflineOnceAfterThreeIntervalsWithoutNewInput() {
        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 2, 2));
        status.readValue();
        events.readValue();

        driver.advanceWallClockTime(Duration.ofMillis(3 * INTERVAL_MILLIS)); // exactly three intervals: not yet
        assertThat(status.isEmpty()).isTrue();

        driver.advanceWallClockTime(PUNCTUATE_EVERY);
        FleetStatus offline = status.readValue();
        assertThat(offline.getStatus()).isEqualTo(CollectorStatus.OFFLINE);
        assertThat(offline.getSince()).isEqualTo(START.plusMillis(3 * INTERVAL_MILLIS).plus(PUNCTUATE_EVERY));
        assertThat(offline.getReason()).isEqualTo("no heartbeat for 3500 ms (3 intervals of 1000 ms)");
        FleetEvent event = events.readValue();
        assertThat(event.getFrom()).isEqualTo("ONLINE");
        assertThat(event.getTo()).isEqualTo("OFFLINE");

        driver.advanceWallClockTime(Duration.ofMinutes(1));
        assertThat(status.isEmpty()).isTrue();
        assertThat(events.isEmpty()).isTrue();
    }

    @Test
    void heartbeatAfterOfflineBringsTheCollectorBackWithAnEvent() {
        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 2, 2));
        driver.advanceWallClockTime(Duration.ofSeconds(10));
        status.readValuesToList();
        events.readValuesToList();

        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 2, 1));

        assertThat(status.readValue().getStatus()).isEqualTo(CollectorStatus.DEGRADED);
        FleetEvent back = events.readValue();
        assertThat(back.getFrom()).isEqualTo("OFFLINE");
        assertThat(back.getTo()).isEqualTo("DEGRADED");
    }

    @Test
    void onlyTheSilentCollectorGoesOffline() {
        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 1, 1));
        heartbeats.pipeInput("c2", Heartbeats.of("c2", INTERVAL_MILLIS, 1, 1));
        status.readValuesToList();
        for (int i = 0; i < 8; i++) {
            driver.advanceWallClockTime(PUNCTUATE_EVERY);
            heartbeats.pipeInput("c2", Heartbeats.of("c2", INTERVAL_MILLIS, 1, 1));
        }

        assertThat(status.readKeyValuesToList()).singleElement().satisfies(kv -> {
            assertThat(kv.key).isEqualTo("c1");
            assertThat(kv.value.getStatus()).isEqualTo(CollectorStatus.OFFLINE);
        });
    }

    @Test
    void undecodableHeartbeatGoesToTheDeadLetterTopicWithTheReason() {
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        heartbeatBytes.pipeInput("c1", garbage);
        heartbeats.pipeInput("c1", Heartbeats.of("c1", INTERVAL_MILLIS, 1, 1));

        TestRecord<String, byte[]> rejected = dlq.readRecord();
        assertThat(rejected.key()).isEqualTo("c1");
        assertThat(rejected.value()).isEqualTo(garbage);
        assertThat(header(rejected, DeadLetterHeaders.CHECK)).isEqualTo("undecodable");
        assertThat(header(rejected, DeadLetterHeaders.REASON)).contains("magic byte");
        assertThat(header(rejected, DeadLetterHeaders.PROCESSOR)).isEqualTo("pga-streams-fleet");
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(Topics.FLEET_HEARTBEATS);
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(status.readValue().getStatus()).isEqualTo(CollectorStatus.ONLINE);
    }

    @Test
    void heartbeatUnderAnotherKeyOrWithoutIntervalIsRejected() {
        heartbeats.pipeInput("c2", Heartbeats.of("c1", INTERVAL_MILLIS, 1, 1));
        heartbeats.pipeInput("c1", Heartbeats.of("c1", 0, 1, 1));

        assertThat(dlq.readRecordsToList()).extracting(r -> header(r, DeadLetterHeaders.CHECK))
                .containsExactly("key-mismatch", "invalid-interval");
        assertThat(status.isEmpty()).isTrue();
    }

    @Test
    void topologyNamesReadLikeTheDesign() {
        String description = FleetLivenessTopology.build(SERDE).describe().toString();
        assertThat(description).contains("fleet-heartbeats", "judge-liveness", "stores: [collector-liveness]",
                "to-status", "to-events", "to-dlq");
    }

    private static String header(TestRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header %s", name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
