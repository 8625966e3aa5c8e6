package io.pganalytics.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.targets.TargetStatus;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorIT {

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static EmbeddedPostgres postgres;
    static Collector collector;
    static int closedPort;
    static ServerSocket silent;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        kafka.createTopics(TopicContract.all().stream().map(t -> new NewTopic(t.name(), 2, (short) 1).configs(t.configs()))
                .toArray(NewTopic[]::new));
        registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
        postgres = EmbeddedPostgres.builder().dataDir(dataDir.resolve("postgres")).start();
        try (var c = postgres.dataSource("postgres").getConnection(); var s = c.createStatement()) {
            s.execute("CREATE EXTENSION pg_stat_statements");
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort(); // nothing listens here once the socket closes
        }
        // Accepts connections and never answers: a hung server, the worst kind of target.
        silent = new ServerSocket(0);
        List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept());
                } catch (java.io.IOException closed) {
                    return;
                }
            }
        }, "silent-server");
        acceptor.setDaemon(true);
        acceptor.start();
        collector = Collector.start(new CollectorConfig("it", kafka.bootstrapServers(), registry.url(), 1000, 1000, List.of(
                new Target("pg", postgres.jdbcUrl("postgres"), postgres.user(), null),
                new Target("down", "jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres", "nobody", "secret"),
                new Target("hung", "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/postgres", "nobody", "s3cr3t-pw")))
                .withOperations(CollectorConfig.Operations.defaults("it").withSpool(dataDir.resolve("spool"), 16 << 20)),
                Map.of());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {collector, silent, postgres, registry, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    static <V> KafkaConsumer<String, V> consumer() {
        AvroDeserializer<V> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "collector-it-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), values);
    }

    @Test
    void samplesEveryDatabaseKeyedByCollectorAndTarget() {
        List<ConsumerRecord<String, DatabaseSample>> seen = new ArrayList<>();
        try (KafkaConsumer<String, DatabaseSample> consumer = consumer()) {
            consumer.subscribe(List.of(Topics.RAW_DATABASE));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                assertThat(seen).anySatisfy(r -> assertThat(r.value().getDatname()).isEqualTo("postgres"));
                assertThat(seen.stream().map(r -> r.value().getSampledAt()).distinct().count()).isGreaterThanOrEqualTo(2);
            });
        }
        ConsumerRecord<String, DatabaseSample> record = seen.stream()
                .filter(r -> "postgres".equals(r.value().getDatname())).findFirst().orElseThrow();
        assertThat(record.key()).isEqualTo("it/pg");
        DatabaseSample sample = record.value();
        assertThat(sample.getCollectorId()).isEqualTo("it");
        assertThat(sample.getTargetId()).isEqualTo("pg");
        assertThat(sample.getServerVersionNum()).isBetween(170000, 179999);
        assertThat(sample.getXactCommit()).isPositive();
        assertThat(sample.getSessions()).as("session counters exist from PostgreSQL 14").isNotNull();
        assertThat(sample.getParallelWorkersLaunched()).as("parallel worker counters exist from 18").isNull();
        assertThat(seen).allSatisfy(r -> assertThat(r.key()).isEqualTo("it/pg"));
    }

    @Test
    void heartbeatReportsHealthyAndFailingTargets() {
        try (KafkaConsumer<String, Heartbeat> consumer = consumer()) {
            consumer.subscribe(List.of(Topics.FLEET_HEARTBEATS));
            List<Heartbeat> heartbeats = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> heartbeats.add(r.value()));
                assertThat(heartbeats).anySatisfy(h -> {
                    assertThat(h.getCollectorId()).isEqualTo("it");
                    assertThat(h.getTargetsConfigured()).isEqualTo(3);
                    assertThat(h.getTargetsHealthy()).isEqualTo(1);
                    assertThat(h.getSamplesProduced()).isPositive();
                    assertThat(h.getSamplesFailed()).isPositive();
                });
            });
        }
    }

    @Test
    void unreachableAndHungTargetsDelayNoOtherAndTheirStatusSaysWhy() {
        // While "hung" holds connection attempts for seconds, "pg" keeps its 1 s cadence.
        java.util.Set<Object> cycles = new java.util.HashSet<>();
        try (KafkaConsumer<String, DatabaseSample> consumer = consumer()) {
            consumer.subscribe(List.of(Topics.RAW_DATABASE));
            long from = System.currentTimeMillis();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getSampledAt().toEpochMilli() > from) {
                        cycles.add(r.value().getSampledAt());
                    }
                });
                assertThat(cycles).hasSizeGreaterThanOrEqualTo(5);
            });
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TargetStatus down = collector.status().stream().filter(s -> s.targetId().equals("down")).findFirst().orElseThrow();
            assertThat(down.connected()).isFalse();
            assertThat(down.failingFamilies()).containsKey("database");
            assertThat(down.failingFamilies().values()).allSatisfy(reason -> assertThat(reason).startsWith("cannot connect: "));
            assertThat(down.error()).contains("refused");
            TargetStatus hung = collector.status().stream().filter(s -> s.targetId().equals("hung")).findFirst().orElseThrow();
            assertThat(hung.error()).isNotNull().doesNotContain("s3cr3t-pw");
        });
        assertThat(collector.status().stream().filter(s -> s.targetId().equals("pg")).findFirst().orElseThrow()
                .failingFamilies()).isEmpty();
    }
}
