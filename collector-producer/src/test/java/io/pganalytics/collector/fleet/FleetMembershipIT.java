package io.pganalytics.collector.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three collectors share a fleet's targets through the consumer group over pga.fleet.targets, on a real broker. */
class FleetMembershipIT {

    private static final String KEYS = SecretBox.generateKey("k1");
    private static final int TARGETS = 60;

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static KafkaProducer<String, FleetTarget> producer;

    private final List<FleetMembership> started = new ArrayList<>();

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        kafka.createTopics(TopicContract.all().stream()
                .filter(t -> t.name().startsWith("pga.fleet."))
                .map(t -> new NewTopic(t.name(), t.partitions(), (short) 1).configs(t.configs()))
                .toArray(NewTopic[]::new));
        registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
        AvroSerializer<FleetTarget> values = new AvroSerializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), values);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {producer, registry, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @AfterEach
    void leave() {
        started.forEach(FleetMembership::close);
    }

    /** One collector's view: the targets it was handed, as its Collector would hold them. */
    static final class Recorded implements TargetRegistry {
        final Map<String, Target> targets = new ConcurrentHashMap<>();

        @Override
        public void put(Target target) {
            targets.put(target.id(), target);
        }

        @Override
        public void remove(String targetId) {
            targets.remove(targetId);
        }
    }

    private Recorded join(String collectorId, String group, Map<String, Object> overrides) {
        CollectorConfig config = new CollectorConfig(collectorId, kafka.bootstrapServers(), registry.url(), 1000, 1000, List.of())
                .withOperations(CollectorConfig.Operations.defaults(collectorId).withFleet(group, 6000, KEYS));
        Recorded recorded = new Recorded();
        started.add(FleetMembership.start(config, recorded, overrides));
        return recorded;
    }

    private static FleetTarget target(String id, String password, boolean enabled) {
        return FleetTarget.newBuilder().setTargetId(id).setUrl("jdbc:postgresql://db-" + id + ":5432/postgres")
                .setUser("monitor").setEncryptedPassword(password == null ? null : SecretBox.parse(KEYS).encrypt(password))
                .setPreset("minimal").setFamilyIntervalMillis(Map.of("tables", 60_000L)).setDatabases(List.of("app"))
                .setEnabled(enabled).setUpdatedAt(Instant.now()).build();
    }

    private static void write(String group, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, group + "-t" + i, target(group + "-t" + i, "pw-" + i, true)));
        }
        producer.flush();
    }

    private static Set<String> idsOf(String group, int count) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            ids.add(group + "-t" + i);
        }
        return ids;
    }

    /** Every target of this test (the topic holds the other tests' too) in exactly one of the live collectors' sets. */
    private static void assertSpreadOnceOver(Set<String> expected, Recorded... live) {
        String prefix = expected.iterator().next().substring(0, expected.iterator().next().indexOf('-') + 1);
        List<String> all = new ArrayList<>();
        for (Recorded r : live) {
            r.targets.keySet().stream().filter(id -> id.startsWith(prefix)).forEach(all::add);
        }
        assertThat(all).doesNotHaveDuplicates();
        assertThat(new HashSet<>(all)).isEqualTo(expected);
    }

    @Test
    void targetsAreSpreadOnceAndMoveToTheOthersWhenACollectorDiesAndBackWhenItReturns() throws Exception {
        write("spread", TARGETS);
        Set<String> expected = idsOf("spread", TARGETS);
        Recorded a = join("a", "spread", Map.of());
        Recorded b = join("b", "spread", FleetMembership.DO_NOT_LEAVE_GROUP_ON_CLOSE);
        Recorded c = join("c", "spread", Map.of());

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertSpreadOnceOver(expected, a, b, c);
            assertThat(a.targets).isNotEmpty();
            assertThat(b.targets).isNotEmpty();
            assertThat(c.targets).isNotEmpty();
        });
        Target one = a.targets.values().iterator().next();
        int index = Integer.parseInt(one.id().substring("spread-t".length()));
        assertThat(one.password()).as("decrypted password").isEqualTo("pw-" + index);
        assertThat(one.preset()).isNotNull();
        assertThat(one.intervalMillis()).containsEntry("tables", 60_000L);
        assertThat(one.databases()).containsExactly("app");

        Set<String> ofDead = Set.copyOf(b.targets.keySet());
        started.remove(1).close(); // b dies: it does not leave the group, its session has to expire
        long diedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> assertSpreadOnceOver(expected, a, c));
        assertThat(Duration.ofNanos(System.nanoTime() - diedAt)).isLessThan(Duration.ofSeconds(45));
        assertThat(ofDead).isNotEmpty();

        Recorded back = join("b", "spread", Map.of());
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> {
            assertThat(back.targets).isNotEmpty();
            assertSpreadOnceOver(expected, a, back, c);
        });
    }

    @Test
    void aTombstoneADisabledTargetAndAnUndecryptablePasswordRemoveTheTarget() throws Exception {
        write("changes", 6);
        Recorded only = join("solo", "changes", Map.of());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(only.targets.keySet()).containsAll(idsOf("changes", 6)));

        producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, "changes-t0", null));
        producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, "changes-t1", target("changes-t1", "pw", false)));
        FleetTarget otherKey = FleetTarget.newBuilder(target("changes-t2", null, true))
                .setEncryptedPassword(SecretBox.parse(SecretBox.generateKey("k9")).encrypt("pw")).build();
        producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, "changes-t2", otherKey));
        FleetTarget changed = FleetTarget.newBuilder(target("changes-t3", "new-pw", true)).setUser("other").build();
        producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, "changes-t3", changed));
        producer.flush();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(only.targets.keySet().stream().filter(id -> id.startsWith("changes-")))
                    .containsExactlyInAnyOrder("changes-t3", "changes-t4", "changes-t5");
            assertThat(only.targets.get("changes-t3").user()).isEqualTo("other");
            assertThat(only.targets.get("changes-t3").password()).isEqualTo("new-pw");
        });

        producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, "changes-t1", target("changes-t1", "pw", true)));
        producer.flush();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(only.targets).containsKey("changes-t1"));
    }
}
