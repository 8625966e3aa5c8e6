package io.pganalytics.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CollectorLog;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real collectors of one fleet group on a real broker and PostgreSQL, steered by the control plane's topics:
 * archived ({@code DesiredState.ARCHIVED} on {@code pga.fleet.config}) a collector leaves its group and the
 * other takes every target at once; running again, they share them again. And a collector's WARN lines arrive on
 * {@code pga.fleet.logs}.
 */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics(value = "pga.*", partitions = 1)
@ContractTopics(Topics.FLEET_TARGETS)
class CollectorControlPlaneIT {

    static final int TARGETS = 12;
    static final String FLEET = "cp-fleet";
    /** fleet.secret.keys of both collectors; the targets' passwords are sealed with it. */
    static final String KEY_TEXT = SecretBox.generateKey("k1");
    static final SecretBox KEYS = SecretBox.parse(KEY_TEXT);

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static EmbeddedPostgres postgres;
    static KafkaProducer<String, SpecificRecord> producer;
    static Collector a;
    static Collector b;
    static final List<Heartbeat> heartbeats = new CopyOnWriteArrayList<>();
    static final List<ConsumerRecord<String, CollectorLog>> logs = new CopyOnWriteArrayList<>();
    static volatile boolean reading = true;

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        postgres = stack.postgres();
        producer = FleetFixtures.producer(kafka, registry);
        FleetFixtures.putTargets(producer, postgres, TARGETS, target -> target.setGroup(FLEET));
        // Of another group: never monitored by these collectors.
        producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, "elsewhere", target("elsewhere").setGroup("other-fleet").build()));
        producer.flush();
        CollectorControlPlaneIT.<Heartbeat>read(Topics.FLEET_HEARTBEATS, record -> heartbeats.add(record.value()));
        CollectorControlPlaneIT.<CollectorLog>read(Topics.FLEET_LOGS, logs::add);
        a = Collector.start(config("cp-a"), Map.of());
        b = Collector.start(config("cp-b"), Map.of());
    }

    @AfterAll
    static void stop() {
        reading = false;
        for (Collector collector : new Collector[] {a, b}) {
            if (collector != null) {
                collector.close();
            }
        }
        if (producer != null) {
            producer.close();
        }
    }

    static FleetTarget.Builder target(String id) {
        return FleetFixtures.target(id, postgres).setGroup(FLEET);
    }

    static CollectorConfig config(String collectorId) {
        return FleetFixtures.collector(collectorId, kafka, registry, dataDir, FLEET, KEY_TEXT);
    }

    static void desire(String collectorId, DesiredState state) {
        producer.send(new ProducerRecord<>(Topics.FLEET_CONFIG, collectorId, FleetConfig.newBuilder().setCollectorId(collectorId)
                .setState(state).setLogLevel(null).setFamilyIntervalMillis(Map.of()).setUpdatedAt(Instant.now()).build()));
        producer.flush();
    }

    static Set<String> expectedTargets() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < TARGETS; i++) {
            ids.add("db-" + i);
        }
        return ids;
    }

    static void assertShared() {
        Set<String> ofA = a.targetIds();
        Set<String> ofB = b.targetIds();
        assertThat(ofA).as("targets of a").isNotEmpty();
        assertThat(ofB).as("targets of b").isNotEmpty();
        Set<String> union = new HashSet<>(ofA);
        union.addAll(ofB);
        assertThat(union).isEqualTo(expectedTargets());
        assertThat(ofA.size() + ofB.size()).as("targets owned twice").isEqualTo(TARGETS);
    }

    @Test
    void archivedCollectorLeavesItsGroupAtOnceAndRunningAgainSharesTheTargetsAgain() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(CollectorControlPlaneIT::assertShared);

        long archivedAt = System.currentTimeMillis();
        desire("cp-a", DesiredState.ARCHIVED);
        // Promptly: a leaves the group, so b does not wait for a session timeout (10 s) to take a's targets.
        await().atMost(Duration.ofSeconds(8)).untilAsserted(() -> {
            assertThat(b.targetIds()).isEqualTo(expectedTargets());
            assertThat(a.targetIds()).isEmpty();
        });
        assertThat(a.archived()).isTrue();
        assertThat(a.paused()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> heartbeats.stream().anyMatch(h -> h.getCollectorId().toString().equals("cp-a")
                && h.getSentAt().toEpochMilli() >= archivedAt && h.getState().toString().equals("archived")));

        desire("cp-a", DesiredState.RUNNING);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(CollectorControlPlaneIT::assertShared);
        assertThat(a.archived()).isFalse();
        assertThat(a.paused()).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> heartbeats.stream().anyMatch(h -> h.getCollectorId().toString().equals("cp-a")
                && h.getState().toString().equals("running") && h.getSentAt().toEpochMilli() > archivedAt));
    }

    @Test
    void aWarningOfTheCollectorArrivesOnTheLogsTopicWithItsLevelLoggerAndMessage() {
        // A real warning: a target whose password was sealed for another target is refused, and says so.
        producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, "copied", target("copied")
                .setEncryptedPassword(KEYS.encrypt("s3cret-pw", "target:db-0")).build()));
        producer.flush();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(logs).anySatisfy(record -> {
            CollectorLog line = record.value();
            assertThat(record.key()).isIn("cp-a", "cp-b").isEqualTo(line.getCollectorId().toString());
            assertThat(line.getLevel()).hasToString("WARN");
            assertThat(line.getLogger()).hasToString("io.pganalytics.collector.fleet.FleetMembership");
            assertThat(line.getMessage().toString()).startsWith("fleet target copied is not monitored: password: ");
            assertThat(line.getThread()).hasToString("pga-fleet-membership");
        }));
        assertThat(logs).noneSatisfy(record -> assertThat(record.value().getMessage().toString()).contains("s3cret-pw"));
        // The group filter says why once, as information: not shipped.
        assertThat(logs).noneSatisfy(record -> assertThat(record.value().getMessage().toString()).contains("elsewhere"));
    }

    @SuppressWarnings("unchecked")
    static <T> void read(String topic, java.util.function.Consumer<ConsumerRecord<String, T>> onRecord) {
        FleetFixtures.read(kafka, registry, topic, "cp-it-" + topic, () -> reading, (record, value) -> onRecord.accept(
                new ConsumerRecord<>(record.topic(), record.partition(), record.offset(), record.key(), (T) value)));
    }
}
