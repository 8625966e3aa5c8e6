package io.pganalytics.collector.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Commands and desired state reach their collector only, on a real broker, and every command is acknowledged. */
@EmbeddedStack(registry = true)
@ContractTopics(value = "pga.fleet.*", partitions = 2)
class ControlChannelIT {

    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    @AutoClose
    static KafkaProducer<String, GenericContainer> producer;
    @AutoClose
    static KafkaConsumer<String, FleetEvent> events;
    static final List<FleetEvent> seen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        AvroSerializer<GenericContainer> values = new AvroSerializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), values);
        AvroDeserializer<FleetEvent> eventValues = new AvroDeserializer<>();
        eventValues.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        events = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "control-it", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), eventValues);
        events.subscribe(List.of(Topics.FLEET_EVENTS));
    }

    /** What the channel asked the collector to do, in order. */
    static final class Recorded implements FleetController {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public void pause() {
            calls.add("pause");
        }

        @Override
        public void resume() {
            calls.add("resume");
        }

        @Override
        public void restart() {
            calls.add("restart");
        }

        @Override
        public void collectNow() {
            calls.add("collectNow");
        }

        @Override
        public void reconfigure(Map<String, Long> familyIntervalMillis) {
            calls.add("reconfigure " + new java.util.TreeMap<>(familyIntervalMillis));
        }

        @Override
        public void setLogLevel(String level) {
            if ("ERROR".equals(level)) {
                throw new IllegalStateException("log level ERROR refused by this test");
            }
            calls.add("logLevel " + level);
        }

        @Override
        public void setArchived(boolean archived) {
            calls.add(archived ? "archive" : "unarchive");
        }
    }

    private static ControlChannel open(String collectorId, FleetController controller) {
        CollectorConfig config = new CollectorConfig(collectorId, kafka.bootstrapServers(), registry.url(), 1000, 1000, List.of());
        return ControlChannel.start(config, controller, Map.of());
    }

    private static String send(String collectorId, CommandType type) {
        String id = UUID.randomUUID().toString();
        producer.send(new ProducerRecord<>(Topics.FLEET_CONTROL, collectorId, FleetCommand.newBuilder().setCommandId(id)
                .setCollectorId(collectorId).setCommand(type).setIssuedAt(Instant.now()).setIssuedBy("it").build()));
        producer.flush();
        return id;
    }

    private static void desire(String collectorId, DesiredState state, String level, Map<String, Long> intervals) {
        producer.send(new ProducerRecord<>(Topics.FLEET_CONFIG, collectorId, FleetConfig.newBuilder().setCollectorId(collectorId)
                .setState(state).setLogLevel(level).setFamilyIntervalMillis(intervals).setUpdatedAt(Instant.now()).build()));
        producer.flush();
    }

    private static FleetEvent ackOf(String commandId) {
        List<FleetEvent> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            events.poll(Duration.ofMillis(100)).forEach(r -> seen.add(r.value()));
            found.clear();
            seen.stream().filter(e -> commandId.equals(e.getCommandId())).forEach(found::add);
            assertThat(found).isNotEmpty();
        });
        return found.get(0);
    }

    private static void awaitEvent(String collectorId, String kind, String to, String reasonPart) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            events.poll(Duration.ofMillis(100)).forEach(r -> seen.add(r.value()));
            assertThat(seen).anySatisfy(e -> {
                assertThat(e.getCollectorId()).isEqualTo(collectorId);
                assertThat(e.getKind()).isEqualTo(kind);
                assertThat(e.getTo()).isEqualTo(to);
                assertThat(e.getReason()).contains(reasonPart);
            });
        });
    }

    @Test
    void everyCommandReachesItsCollectorOnlyAndIsAcknowledgedWithItsOutcome() {
        Recorded a = new Recorded();
        Recorded b = new Recorded();
        try (ControlChannel channelA = open("ca", a); ControlChannel channelB = open("cb", b)) {
            String stopA = send("ca", CommandType.STOP);
            String collectB = send("cb", CommandType.COLLECT_NOW);
            String resumeA = send("ca", CommandType.RESUME);
            String restartB = send("cb", CommandType.RESTART);
            String unknownA = send("ca", CommandType.UNKNOWN);

            for (String id : List.of(stopA, resumeA)) {
                FleetEvent ack = ackOf(id);
                assertThat(ack.getCollectorId()).isEqualTo("ca");
                assertThat(ack.getKind()).isEqualTo("command");
                assertThat(ack.getTo()).isEqualTo("done");
            }
            assertThat(ackOf(stopA).getFrom()).isEqualTo("stop");
            assertThat(ackOf(collectB).getFrom()).isEqualTo("collect-now");
            assertThat(ackOf(collectB).getCollectorId()).isEqualTo("cb");
            assertThat(ackOf(restartB).getTo()).isEqualTo("done");
            FleetEvent rejected = ackOf(unknownA);
            assertThat(rejected.getTo()).isEqualTo("rejected");
            assertThat(rejected.getReason()).contains("does not know");

            assertThat(a.calls).containsExactly("pause", "resume");
            assertThat(b.calls).containsExactly("collectNow", "restart");
        }
    }

    @Test
    void anUnreadableCommandIsRejectedAndTheChannelGoesOn() {
        Recorded a = new Recorded();
        try (ControlChannel channel = open("garbled", a);
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(Topics.FLEET_CONTROL, "garbled", new byte[] {0, 0, 0, 0, 99, 1, 2}));
            raw.flush();
            awaitEvent("garbled", "command", "rejected", "unreadable command at pga.fleet.control");
            String stop = send("garbled", CommandType.STOP);
            assertThat(ackOf(stop).getTo()).isEqualTo("done");
            assertThat(a.calls).containsExactly("pause");
        }
    }

    @Test
    void desiredStateIsAppliedAtStartAndOnEveryChange() {
        desire("cfg", DesiredState.STOPPED, "debug", Map.of());
        Recorded a = new Recorded();
        try (ControlChannel channel = open("cfg", a)) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(a.calls).containsExactly("pause", "logLevel DEBUG"));
            desire("cfg", DesiredState.RUNNING, "debug", Map.of("tables", 600_000L));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(a.calls)
                    .containsExactly("pause", "logLevel DEBUG", "resume", "reconfigure {tables=600000}"));
            String reconfigure = send("cfg", CommandType.RECONFIGURE);
            assertThat(ackOf(reconfigure).getTo()).isEqualTo("done");
            assertThat(a.calls).endsWith("logLevel DEBUG", "reconfigure {tables=600000}");

            desire("cfg", DesiredState.RUNNING, "error", Map.of("tables", 600_000L));
            awaitEvent("cfg", "config", "failed", "log level ERROR refused by this test");
            desire("cfg", DesiredState.RUNNING, "info", Map.of("no_such_family", 1000L));
            awaitEvent("cfg", "config", "failed", "unknown family");
        }
    }

    @Test
    void aCommandSentWhileTheCollectorIsDownIsExecutedWhenItComesBack() {
        Recorded first = new Recorded();
        try (ControlChannel channel = open("away", first)) {
            assertThat(ackOf(send("away", CommandType.STOP)).getTo()).isEqualTo("done");
        }
        String whileDown = send("away", CommandType.RESUME);
        Recorded again = new Recorded();
        try (ControlChannel channel = open("away", again)) {
            FleetEvent ack = ackOf(whileDown);
            assertThat(ack.getTo()).isEqualTo("done");
            assertThat(again.calls).containsExactly("resume");
        }
        assertThat(first.calls).containsExactly("pause");
    }
}
