package io.pganalytics.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.fleet.FleetMembership;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real collectors of one fleet on a real broker, monitoring 60 targets on a real PostgreSQL: the
 * targets are spread by the consumer group over {@code pga.fleet.targets}, fail over when a collector
 * dies, come back when it returns; commands on {@code pga.fleet.control} reach their collector, are
 * acknowledged, and {@code stop} halts sampling within one interval.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EmbeddedStack(registry = true, postgres = true, postgresSettings = "max_connections=200")
@ContractTopics(value = "pga.*", partitions = 1)
@ContractTopics(Topics.FLEET_TARGETS)
class FleetCollectorsIT {

    static final int TARGETS = 60;
    static final long INTERVAL_MS = FleetFixtures.INTERVAL_MS;
    static final long SESSION_TIMEOUT_MS = FleetFixtures.SESSION_TIMEOUT_MS;
    static final String FLEET = "it-fleet";

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static EmbeddedPostgres postgres;
    static KafkaProducer<String, SpecificRecord> producer;
    static final Map<String, Collector> collectors = new ConcurrentHashMap<>();
    /** pga.raw.server samples read back: target id to the collector ids that produced them, with when they were read. */
    static final List<Seen> seen = new CopyOnWriteArrayList<>();
    static final List<FleetEvent> events = new CopyOnWriteArrayList<>();
    static final List<Heartbeat> heartbeats = new CopyOnWriteArrayList<>();
    static volatile boolean reading = true;

    record Seen(String collectorId, String targetId, long readAtMillis) {
    }

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        postgres = stack.postgres();
        producer = FleetFixtures.producer(kafka, registry);
        // Sixty targets on one server: each is its own connection and its own record key, which is what is spread.
        FleetFixtures.putTargets(producer, postgres, TARGETS, target -> target);
        read(Topics.raw("server"), record -> {
            String[] key = record.key().split("/", 2);
            seen.add(new Seen(key[0], key[1], System.currentTimeMillis()));
        }, null);
        read(Topics.FLEET_EVENTS, record -> { }, events);
        read(Topics.FLEET_HEARTBEATS, record -> { }, heartbeats);
    }

    @AfterAll
    static void stop() {
        reading = false;
        collectors.values().forEach(Collector::close);
        if (producer != null) {
            producer.close();
        }
    }

    static CollectorConfig config(String collectorId) {
        return FleetFixtures.collector(collectorId, kafka, registry, dataDir, FLEET, null);
    }

    static Collector startCollector(String collectorId, boolean leavesGroupOnClose) {
        Collector collector = Collector.start(config(collectorId), Map.of(),
                leavesGroupOnClose ? Map.of() : FleetMembership.DO_NOT_LEAVE_GROUP_ON_CLOSE);
        collectors.put(collectorId, collector);
        return collector;
    }

    /** Every target is owned by exactly one of {@code ids}, and each of them owns some. */
    static void assertSpreadOver(String... ids) {
        Set<String> union = new HashSet<>();
        int total = 0;
        for (String id : ids) {
            Set<String> owned = collectors.get(id).targetIds();
            assertThat(owned).as("targets of %s", id).isNotEmpty();
            union.addAll(owned);
            total += owned.size();
        }
        assertThat(union).hasSize(TARGETS);
        assertThat(total).as("targets owned twice").isEqualTo(TARGETS);
    }

    /** Which collectors sampled each target among the samples read after {@code sinceMillis}. */
    static Map<String, Set<String>> samplersSince(long sinceMillis) {
        Map<String, Set<String>> byTarget = new HashMap<>();
        for (Seen s : seen) {
            if (s.readAtMillis() >= sinceMillis) {
                byTarget.computeIfAbsent(s.targetId(), t -> new HashSet<>()).add(s.collectorId());
            }
        }
        return byTarget;
    }

    @Test
    @Order(1)
    void targetsAreSpreadFailedOverAndTakenBack() {
        startCollector("c1", true);
        startCollector("c2", true);
        startCollector("c3", false);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertSpreadOver("c1", "c2", "c3"));

        // Steady state: every target sampled, each by one collector only.
        long steady = System.currentTimeMillis() + 2 * INTERVAL_MS;
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ofMillis(4 * INTERVAL_MS)).untilAsserted(() -> {
            Map<String, Set<String>> samplers = samplersSince(steady);
            assertThat(samplers).hasSize(TARGETS);
            assertThat(samplers.values()).allSatisfy(by -> assertThat(by).hasSize(1));
        });

        // c3 dies: it does not leave the group, so the others take its targets after the session timeout.
        Set<String> orphaned = collectors.get("c3").targetIds();
        long died = System.currentTimeMillis();
        collectors.remove("c3").close();
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> assertSpreadOver("c1", "c2"));
        long tookOverMillis = System.currentTimeMillis() - died;
        assertThat(tookOverMillis).isLessThan(45_000);
        long afterFailover = System.currentTimeMillis() + INTERVAL_MS;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Map<String, Set<String>> samplers = samplersSince(afterFailover);
            assertThat(samplers.keySet()).containsAll(orphaned);
            orphaned.forEach(t -> assertThat(samplers.get(t)).doesNotContain("c3").hasSize(1));
        });

        // c3 comes back and takes a share again.
        startCollector("c3", true);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertSpreadOver("c1", "c2", "c3"));
    }

    @Test
    @Order(2)
    void heartbeatsAndTheEndpointReportWhatEachCollectorOwns() throws Exception {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertSpreadOver("c1", "c2", "c3"));
        Collector c2 = collectors.get("c2");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Set<String> owned = c2.targetIds();
            Heartbeat last = heartbeats.stream().filter(h -> h.getCollectorId().toString().equals("c2"))
                    .reduce((first, second) -> second).orElseThrow();
            assertThat(last.getTargets()).extracting(t -> t.getTargetId().toString()).containsExactlyInAnyOrderElementsOf(owned);
            assertThat(last.getTargetsConfigured()).isEqualTo(owned.size());
            assertThat(last.getTargets()).allSatisfy(t -> {
                assertThat(t.getConnected()).isTrue();
                assertThat(t.getLastError()).isNull();
                assertThat(t.getLastSuccessAt()).isNotNull();
                assertThat(t.getLastCycleMillis()).isNotNull();
            });
            assertThat(last.getEffectiveConfig().getFleetGroup()).hasToString(FLEET);
            assertThat(last.getEffectiveConfig().getPreset()).hasToString("minimal");
            assertThat(last.getState()).hasToString("running");
            assertThat(last.getPreviousShutdown()).hasToString("clean");
            assertThat(last.getSpoolCapacityBytes()).isEqualTo(16L << 20);
        });

        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> health = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + c2.httpPort() + "/health")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"", "\"targets\":" + c2.targetIds().size());
        java.net.http.HttpResponse<String> metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + c2.httpPort() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("pga_collector_targets " + c2.targetIds().size() + ".0",
                "pga_collector_samples_produced_total", "pga_collector_samples_dropped_total{family=\"server\"}", "jvm_memory_used_bytes");
    }

    @Test
    @Order(3)
    void commandsReachTheirCollectorAreAcknowledgedAndStopHaltsSampling() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertSpreadOver("c1", "c2", "c3"));
        Collector c1 = collectors.get("c1");
        String stop = command("c1", CommandType.STOP);
        FleetEvent stopped = ackOf(stop);
        assertThat(stopped.getCollectorId()).hasToString("c1");
        assertThat(stopped.getTo()).hasToString("done");
        assertThat(c1.paused()).isTrue();

        // Within one interval of the acknowledgement c1 samples nothing more, while c2 goes on.
        long quietFrom = System.currentTimeMillis() + INTERVAL_MS;
        AtomicLong c2Before = new AtomicLong(count("c2", quietFrom));
        await().pollDelay(Duration.ofMillis(3 * INTERVAL_MS)).atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(count("c1", quietFrom)).isZero();
            assertThat(count("c2", quietFrom)).isGreaterThan(c2Before.get());
        });
        // Stopped, it still reports: its heartbeat says so.
        await().atMost(Duration.ofSeconds(10)).until(() -> heartbeats.stream()
                .anyMatch(h -> h.getCollectorId().toString().equals("c1") && h.getState().toString().equals("stopped")));

        String resume = command("c1", CommandType.RESUME);
        assertThat(ackOf(resume).getTo()).hasToString("done");
        long resumed = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(20)).until(() -> count("c1", resumed) > 0);

        for (CommandType type : List.of(CommandType.COLLECT_NOW, CommandType.RECONFIGURE, CommandType.RESTART)) {
            String id = command("c2", type);
            FleetEvent ack = ackOf(id);
            assertThat(ack.getCollectorId()).as("%s acknowledged by its collector", type).hasToString("c2");
            assertThat(ack.getTo()).as("%s outcome", type).hasToString("done");
        }
        long afterRestart = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(20)).until(() -> count("c2", afterRestart) > 0);
        // Nobody else acknowledged a command that was not theirs.
        assertThat(events).filteredOn(e -> e.getCommandId() != null && e.getCommandId().toString().equals(stop))
                .extracting(e -> e.getCollectorId().toString()).containsOnly("c1");
    }

    static long count(String collectorId, long sinceMillis) {
        return seen.stream().filter(s -> s.collectorId().equals(collectorId) && s.readAtMillis() >= sinceMillis).count();
    }

    static String command(String collectorId, CommandType type) {
        String id = UUID.randomUUID().toString();
        producer.send(new ProducerRecord<>(Topics.FLEET_CONTROL, collectorId, FleetCommand.newBuilder().setCommandId(id)
                .setCollectorId(collectorId).setCommand(type).setIssuedAt(Instant.now()).setIssuedBy("FleetCollectorsIT").build()));
        producer.flush();
        return id;
    }

    static FleetEvent ackOf(String commandId) {
        List<FleetEvent> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            events.stream().filter(e -> e.getCommandId() != null && e.getCommandId().toString().equals(commandId))
                    .findFirst().ifPresent(found::add);
            return !found.isEmpty();
        });
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static <T> void read(String topic, java.util.function.Consumer<ConsumerRecord<String, byte[]>> onRecord, List<T> values) {
        FleetFixtures.read(kafka, registry, topic, "fleet-it-" + topic, () -> reading, (record, value) -> {
            onRecord.accept(record);
            if (values != null) {
                values.add((T) value);
            }
        });
    }
}
