package io.pganalytics.fleet.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet's administration against a real broker and registry: what it writes is what collectors read, and commands come back acknowledged. */
class KafkaFleetAdminIT {

    private static final String KEYS = SecretBox.generateKey("k1");
    private static final Actor ALICE = Actor.cli("alice", "web1");

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static FleetAdmin admin;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        kafka.createTopics(TopicContract.all().stream()
                .filter(t -> t.name().startsWith("pga.fleet."))
                .map(t -> new NewTopic(t.name(), 2, (short) 1).configs(t.configs()))
                .toArray(NewTopic[]::new));
        registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
        admin = KafkaFleetAdmin.open(new KafkaFleetAdmin.Connection(kafka.bootstrapServers(), registry.url(), SecretBox.parse(KEYS),
                "fleet-admin-it"));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {admin, registry, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private static Map<String, Object> serde() {
        return Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
    }

    private static KafkaConsumer<String, Object> consumer() {
        AvroDeserializer<Object> values = new AvroDeserializer<>();
        values.configure(serde(), false);
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), values);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        return consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    /** The latest value per key of a topic, read to its end; null for a tombstone. */
    private static Map<String, Object> latest(String topic) {
        Map<String, Object> latest = new HashMap<>();
        try (KafkaConsumer<String, Object> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> latest.put(r.key(), r.value()));
                return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
            });
        }
        return latest;
    }

    @Test
    void aTargetIsPutWithItsPasswordEncryptedListedAndRemoved() {
        FleetTarget written = admin.putTarget(ALICE, new TargetSpec("db1", "jdbc:postgresql://db1:5432/postgres", "monitor",
                "s3cret-pw", "Minimal", Map.of("tables", 60_000L), List.of("app", "billing"), true));
        admin.putTarget(ALICE, new TargetSpec("db2", "jdbc:postgresql://db2:5432/postgres", null, null, null, null, null, false));

        FleetTarget db1 = (FleetTarget) latest(Topics.FLEET_TARGETS).get("db1");
        assertThat(db1).isEqualTo(written);
        assertThat(db1.getEncryptedPassword()).startsWith("v1:k1:").doesNotContain("s3cret");
        assertThat(SecretBox.parse(KEYS).decrypt(db1.getEncryptedPassword())).isEqualTo("s3cret-pw");
        assertThat(db1.getPreset()).isEqualTo("minimal");
        assertThat(db1.getFamilyIntervalMillis()).containsExactly(Map.entry("tables", 60_000L));
        assertThat(db1.getDatabases()).containsExactly("app", "billing");

        List<ListedTarget> listed = admin.listTargets();
        assertThat(listed).extracting(ListedTarget::targetId).containsExactlyInAnyOrder("db1", "db2");
        assertThat(listed).filteredOn(t -> t.targetId().equals("db2")).singleElement()
                .isInstanceOfSatisfying(ListedTarget.Target.class, t -> {
                    assertThat(t.record().getEnabled()).isFalse();
                    assertThat(t.record().getEncryptedPassword()).isNull();
                });

        admin.removeTarget(ALICE, "db2");
        Map<String, Object> after = latest(Topics.FLEET_TARGETS);
        assertThat(after).containsKey("db2");
        assertThat(after.get("db2")).as("tombstone").isNull();
        assertThat(admin.listTargets()).extracting(ListedTarget::targetId).containsExactly("db1");
    }

    @Test
    void aDesiredStateIsWrittenForItsCollector() {
        admin.setDesiredState(ALICE, DesiredStateSpec.of("c1", "stopped", "debug", Map.of("tables", 0L, "statements", 60_000L)));

        FleetConfig written = (FleetConfig) latest(Topics.FLEET_CONFIG).get("c1");
        assertThat(written.getState()).isEqualTo(DesiredState.STOPPED);
        assertThat(written.getLogLevel()).isEqualTo("DEBUG");
        assertThat(written.getFamilyIntervalMillis()).containsOnly(Map.entry("tables", 0L), Map.entry("statements", 60_000L));
    }

    @Test
    void aCommandIsAcknowledgedByItsCollectorOrTimesOut() {
        try (Responder stub = Responder.start("stub-1")) {
            CommandResult result = admin.sendCommand(ALICE, CommandRequest.of("stub-1", "collect-now", Duration.ofSeconds(30)));

            assertThat(result).isInstanceOfSatisfying(CommandResult.Acknowledged.class, ack -> {
                assertThat(ack.done()).isTrue();
                assertThat(ack.reason()).isEqualTo("collection started");
            });
            assertThat(stub.received).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo(result.commandId());
                assertThat(command.getCommand()).isEqualTo(CommandType.COLLECT_NOW);
                assertThat(command.getIssuedBy()).isEqualTo("alice (role cli, from cli@web1)");
            });
        }

        CommandResult nobody = admin.sendCommand(ALICE, CommandRequest.of("nobody", "stop", Duration.ofSeconds(1)));
        assertThat(nobody).isInstanceOf(CommandResult.Unacknowledged.class);

        CommandResult sent = admin.sendCommand(ALICE, CommandRequest.of("nobody", "resume", Duration.ZERO));
        assertThat(sent).isInstanceOf(CommandResult.Sent.class);
        FleetCommand onTopic = (FleetCommand) latest(Topics.FLEET_CONTROL).get("nobody");
        assertThat(onTopic.getCommandId()).isEqualTo(sent.commandId());
        assertThat(onTopic.getCommand()).isEqualTo(CommandType.RESUME);
    }

    @Test
    void statusShowsTheLatestHeartbeatOfEachCollector() throws Exception {
        AvroSerializer<GenericContainer> values = new AvroSerializer<>();
        values.configure(serde(), false);
        Instant now = Instant.now();
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), values)) {
            for (String id : List.of("hb-b", "hb-a", "hb-a")) {
                producer.send(new ProducerRecord<>(Topics.FLEET_HEARTBEATS, id, Heartbeat.newBuilder().setCollectorId(id)
                        .setHostname("host").setVersion("0.1.0").setStartedAt(now).setSentAt(now).setIntervalMillis(10_000)
                        .setTargetsConfigured(1).setTargetsHealthy(1).setSamplesProduced(0)
                        .setSamplesFailed(0).build())).get();
            }
        }

        List<Heartbeat> all = admin.status(new StatusQuery(StatusQuery.DEFAULT_SINCE_MINUTES, null));
        assertThat(all).extracting(h -> h.getCollectorId().toString()).containsExactly("hb-a", "hb-b");
        assertThat(admin.status(new StatusQuery(1, "hb-b"))).singleElement().extracting(h -> h.getCollectorId().toString())
                .isEqualTo("hb-b");
        assertThat(admin.status(new StatusQuery(1, "nobody"))).isEmpty();
    }

    /** Stands in for a collector's control channel: acknowledges every command addressed to it as done. */
    static final class Responder implements AutoCloseable {
        final List<FleetCommand> received = new CopyOnWriteArrayList<>();
        private final String collectorId;
        private final KafkaConsumer<String, Object> consumer = consumer();
        private final KafkaProducer<String, GenericContainer> producer;
        private final Thread thread;

        private Responder(String collectorId) {
            this.collectorId = collectorId;
            AvroSerializer<GenericContainer> values = new AvroSerializer<>();
            values.configure(serde(), false);
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                    new StringSerializer(), values);
            List<TopicPartition> partitions = partitions(consumer, Topics.FLEET_CONTROL);
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // at the end now, before any command is sent
            thread = new Thread(this::run, "stub-collector-" + collectorId);
        }

        static Responder start(String collectorId) {
            Responder responder = new Responder(collectorId);
            responder.thread.start();
            return responder;
        }

        private void run() {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                        if (collectorId.equals(r.key()) && r.value() instanceof FleetCommand command) {
                            received.add(command);
                            producer.send(new ProducerRecord<>(Topics.FLEET_EVENTS, collectorId, FleetEvent.newBuilder()
                                    .setCollectorId(collectorId).setAt(Instant.now()).setKind(FleetVocabulary.KIND_COMMAND)
                                    .setFrom(FleetVocabulary.commandName(command.getCommand())).setTo(FleetVocabulary.DONE)
                                    .setReason("collection started").setCommandId(command.getCommandId()).build()));
                        }
                    });
                }
            } catch (WakeupException e) {
                // closing
            }
        }

        @Override
        public void close() {
            consumer.wakeup();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            consumer.close();
            producer.close();
        }
    }
}
