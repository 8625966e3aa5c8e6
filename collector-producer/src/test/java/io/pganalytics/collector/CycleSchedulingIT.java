package io.pganalytics.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Preset;
import io.pganalytics.collector.config.QueryTextMode;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.targets.TargetSession;
import io.pganalytics.collector.targets.TargetStatus;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.SilentServer;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler through the real collector: 50 databases of a real PostgreSQL as 50 targets, plus a
 * server that accepts connections and never answers, on two workers, producing to a real broker.
 */
@EmbeddedStack(registry = true, postgres = true, postgresSettings = "max_connections=200")
@ContractTopics(value = "pga.*", partitions = 1)
class CycleSchedulingIT {

    static final int TARGETS = 50;
    static final long INTERVAL_MS = 2000;

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static EmbeddedPostgres postgres;
    @AutoClose
    static SilentServer silent;
    @AutoClose
    static Collector collector;
    static CollectorConfig config;
    /** Every database sample seen, by target: what the collector produced, read back from Kafka. */
    static final Map<String, List<Instant>> sampled = new ConcurrentHashMap<>();
    static Thread reader;
    static volatile boolean reading = true;

    @BeforeAll
    static void start(TestStack stack) throws Exception {
        kafka = stack.kafka();
        registry = stack.registry();
        postgres = stack.postgres();
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < TARGETS; i++) {
            String db = "t" + i;
            postgres.createDatabaseIfMissing(db);
            targets.add(target(db));
        }
        postgres.createDatabaseIfMissing("extra");
        silent = SilentServer.start();
        targets.add(new Target("hung", "jdbc:postgresql://127.0.0.1:" + silent.port() + "/postgres", "nobody", "pw"));
        config = new CollectorConfig("sched", kafka.bootstrapServers(), registry.url(), INTERVAL_MS, 10_000,
                targets, Preset.STANDARD, Map.of(), 5000, 50, 1, QueryTextMode.NORMALIZED, 1024, List.of(),
                CollectorConfig.Operations.defaults("sched").withWorkers(2));
        config = config.withOperations(new CollectorConfig.Operations(2, 1000, dataDir.resolve("spool"),
                config.operations().spoolMaxBytes(), null, 15_000, null, -1));
        collector = Collector.start(config, Map.of());
        reader = new Thread(CycleSchedulingIT::readSamples, "samples-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static Target target(String db) {
        return new Target(db, postgres.jdbcUrl(db), postgres.user(), null, null, Map.of(), List.of(db));
    }

    static void readSamples() {
        AvroDeserializer<DatabaseSample> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        try (KafkaConsumer<String, DatabaseSample> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "scheduling-it",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), values)) {
            consumer.subscribe(List.of(Topics.RAW_DATABASE));
            while (reading) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    // Each target reads only its own database: one record per cycle.
                    String target = r.key().substring(r.key().indexOf('/') + 1);
                    if (r.value().getDatname() != null && r.value().getDatname().toString().equals(target)) {
                        sampled.computeIfAbsent(target, t -> new CopyOnWriteArrayList<>()).add(r.value().getSampledAt());
                    }
                });
            }
        }
    }

    @AfterAll
    static void stopReading() throws Exception {
        reading = false;
        if (reader != null) {
            reader.join(5000);
        }
    }

    static long samplesSince(String target, Instant from) {
        return sampled.getOrDefault(target, List.of()).stream().filter(at -> at.isAfter(from)).count();
    }

    /** The collector's connections to {@code database}, as the server sees them. */
    static int collectorConnections(String database) throws Exception {
        try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pganalytics-collector'"
                     + " AND datname = '" + database + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void fiftyTargetsKeepTheirCadenceOnTwoWorkersWhileAHungTargetHoldsConnectionAttempts() throws Exception {
        Instant from = Instant.now();
        Duration took;
        double slowdown;
        try (Slowdown machine = Slowdown.start()) {
            // Every target is read at least four times, the hung one notwithstanding.
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(IntStream.range(0, TARGETS)
                    .mapToObj(i -> "t" + i).filter(t -> samplesSince(t, from) < 4).collect(Collectors.toList())).isEmpty());
            took = Duration.between(from, Instant.now());
            slowdown = machine.factor();
        }
        // Twelve intervals on a machine with the CPU for it; on an oversubscribed one (CI beside other builds) every
        // thread waits for a core, so the bound stretches by the share of a core a thread gets right now. A worker
        // held by the hung target's connection attempts (10 s each) would miss rounds whatever the machine.
        // Slow cycles (PostgreSQL itself starved) stretch it too: four rounds of the measured cycle time over both
        // workers, with a margin.
        double meanCycleMillis = collector.status().stream().filter(s -> s.targetId().startsWith("t"))
                .mapToLong(TargetStatus::lastCycleMillis).average().orElse(0);
        long cycleBoundMillis = (long) (1.5 * 4 * TARGETS * meanCycleMillis / 2);
        System.out.printf("four rounds of %d targets in %d ms; machine %.2f times slower than idle; cycles of %.0f ms%n",
                TARGETS, took.toMillis(), slowdown, meanCycleMillis);
        assertThat(took).as("four rounds of 50 targets, the machine %.1f times slower than idle, cycles of %.0f ms",
                        slowdown, meanCycleMillis)
                .isLessThan(Duration.ofMillis(Math.max((long) (INTERVAL_MS * 12 * slowdown), cycleBoundMillis)));
        assertThat(Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("pga-collector-worker")))
                .as("the pool bounds the threads, not the targets").hasSize(2);
        TargetStatus hung = collector.status().stream().filter(s -> s.targetId().equals("hung")).findFirst().orElseThrow();
        assertThat(hung.connected()).isFalse();
        assertThat(hung.error()).isNotNull();
        assertThat(collector.status()).filteredOn(s -> s.targetId().startsWith("t"))
                .allSatisfy(s -> {
                    assertThat(s.connected()).isTrue();
                    assertThat(s.lastCycleMillis()).isNotNegative();
                });
        assertThat(collector.cyclesRun()).isGreaterThan(TARGETS * 4L);
    }

    @Test
    void anAddedTargetIsSampledAndARemovedOneStopsAndClosesItsConnection() throws Exception {
        collector.addTarget(target("extra"));
        assertThat(collector.targetIds()).contains("extra");
        Instant added = Instant.now();
        await().atMost(Duration.ofSeconds(30)).until(() -> samplesSince("extra", added) >= 2);
        assertThat(collectorConnections("extra")).isEqualTo(1);

        assertThat(collector.removeTarget("extra")).isTrue();
        assertThat(collector.targetIds()).doesNotContain("extra").hasSize(TARGETS + 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> collectorConnections("extra") == 0);
        Instant removed = Instant.now();
        await().during(Duration.ofMillis(INTERVAL_MS * 2)).atMost(Duration.ofMillis(INTERVAL_MS * 3))
                .until(() -> samplesSince("extra", removed) == 0);
        assertThat(collectorConnections("t0")).as("the others keep theirs").isEqualTo(1);
    }

    @Test
    void aPausedCollectorSamplesNothingKeepsItsConnectionsAndResumes() throws Exception {
        collector.pause();
        try {
            assertThat(collector.paused()).isTrue();
            // A cycle that started before the pause ends within its deadline; after that, nothing.
            Instant quiet = Instant.now().plusMillis(INTERVAL_MS);
            await().during(Duration.ofMillis(INTERVAL_MS * 3)).atMost(Duration.ofMillis(INTERVAL_MS * 5))
                    .until(() -> IntStream.range(0, TARGETS).allMatch(i -> samplesSince("t" + i, quiet) == 0));
            assertThat(collectorConnections("t0")).isEqualTo(1);

            // Taken before the request: a cycle it starts can be sampled before this thread runs again.
            Instant now = Instant.now();
            int asked = collector.collectNow(); // an operator's explicit request still runs
            assertThat(asked).isEqualTo(collector.targetIds().size());
            await().atMost(Duration.ofSeconds(30)).until(() -> IntStream.range(0, TARGETS).allMatch(i -> samplesSince("t" + i, now) >= 1));
            assertThat(collector.session("t0").status().families().get("wraparound").lastSuccessAt())
                    .as("a family read every 30 intervals was read now too").isAfter(now);
        } finally {
            collector.resume();
        }
        Instant resumed = Instant.now();
        await().atMost(Duration.ofSeconds(30)).until(() -> samplesSince("t1", resumed) >= 2);
    }

    @Test
    void reconfiguredIntervalsApplyToEveryTargetWithoutReconnecting() throws Exception {
        collector.reconfigure(Map.of("wraparound", 0L, "database", 4000L));
        assertThat(collector.session("t2").schedule()).doesNotContainKey("wraparound").containsEntry("database", 4000L);
        assertThat(collector.status()).filteredOn(s -> s.targetId().startsWith("t"))
                .allSatisfy(s -> assertThat(s.families()).doesNotContainKey("wraparound"));
        assertThat(collectorConnections("t2")).isEqualTo(1);
        collector.reconfigure(Map.of());
        assertThat(collector.session("t2").schedule()).containsEntry("wraparound", 30 * INTERVAL_MS).containsEntry("database", INTERVAL_MS);
    }

    @Test
    void restartReconnectsEveryTarget() throws Exception {
        Set<Integer> before = backendPids();
        collector.restart();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Set<Integer> after = backendPids();
            assertThat(after).hasSizeGreaterThanOrEqualTo(TARGETS).doesNotContainAnyElementsOf(before);
        });
    }

    @Test
    void aFamilyThatFailsInTheRoundTripFailsAloneAndTheOthersOfItsCycleAreRead() throws Exception {
        // A view that shadows pg_stat_archiver for this database only: the archiver family's query
        // fails there (no such column), the other families' queries do not.
        postgres.createDatabaseIfMissing("trap");
        try (Connection c = postgres.dataSource("trap").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS trap");
            s.execute("CREATE OR REPLACE VIEW trap.pg_stat_archiver AS SELECT 1 AS nothing");
            s.execute("ALTER DATABASE trap SET search_path = trap, pg_catalog");
        }
        List<String> together = List.of("server", "database", "archiver", "locks");
        try (TargetSession direct = new TargetSession(target("trap"), config,
                io.pganalytics.collector.catalog.Catalog.load())) {
            assertThat(direct.collectTogether(together)).as("the batch fails as a whole; nothing is recorded").isEmpty();
            assertThat(direct.status().families().get("database").lastSuccessAt()).isNull();
        }
        try (TargetSession healthy = new TargetSession(target("t3"), config,
                io.pganalytics.collector.catalog.Catalog.load())) {
            assertThat(healthy.collectTogether(together)).containsOnlyKeys(together)
                    .allSatisfy((family, collected) -> assertThat(collected.samples()).as(family).isNotEmpty());
        }

        Instant added = Instant.now();
        collector.addTarget(target("trap"));
        try {
            // Through the collector's cycle: the batch fails, the families are read one by one.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                TargetStatus trap = collector.session("trap").status();
                // (statements fails too: the search path hides pg_stat_statements; it is not in the batch)
                assertThat(trap.failingFamilies()).containsKey("archiver").doesNotContainKeys("server", "database", "locks");
                assertThat(trap.failingFamilies().get("archiver")).contains("does not exist");
                assertThat(trap.families().get("server").lastSuccessAt()).isAfter(added);
                assertThat(trap.families().get("locks").lastSuccessAt()).isAfter(added);
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> samplesSince("trap", added) >= 1);
        } finally {
            collector.removeTarget("trap");
        }
    }

    static Set<Integer> backendPids() throws Exception {
        try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE application_name = 'pganalytics-collector'"
                     + " AND datname LIKE 't%'")) {
            Set<Integer> pids = new java.util.HashSet<>();
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
            return pids;
        }
    }

    /**
     * How much slower than idle this machine runs threads now: a thread that spins for 20 ms of wall time every
     * 200 ms and counts the CPU time it got. Alone on a core it gets all 20 ms (factor 1); with more runnable threads
     * than cores it gets its share, and the factor is wall time over CPU time (two busy loops beside the build on 2
     * cores: about 2). The meter costs a tenth of a core.
     */
    static final class Slowdown implements AutoCloseable {
        private static final long SPIN_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20);
        private static final long REST_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(180);
        private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        private final java.util.concurrent.atomic.AtomicLong wall = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicLong cpu = new java.util.concurrent.atomic.AtomicLong();
        private final Thread thread = new Thread(this::measure, "slowdown-meter");
        private volatile boolean running = true;

        static Slowdown start() {
            Slowdown meter = new Slowdown();
            meter.thread.setDaemon(true);
            meter.thread.start();
            return meter;
        }

        private void measure() {
            while (running) {
                long wallStart = System.nanoTime();
                long cpuStart = threads.getCurrentThreadCpuTime();
                while (System.nanoTime() - wallStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                }
                cpu.addAndGet(threads.getCurrentThreadCpuTime() - cpuStart);
                wall.addAndGet(System.nanoTime() - wallStart);
                java.util.concurrent.locks.LockSupport.parkNanos(REST_NANOS);
            }
        }

        double factor() {
            return cpu.get() <= 0 ? 1 : Math.max(1, (double) wall.get() / cpu.get());
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
        }
    }
}
