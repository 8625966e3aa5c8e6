package io.pganalytics.bench;

import io.pganalytics.collector.Collector;
import io.pganalytics.collector.targets.TargetSession;
import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.contract.TopicContract;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The collector at fleet scale: hundreds of targets (databases spread over a few embedded
 * PostgreSQL servers), the standard preset, the collector alone in a forked JVM so that its process
 * CPU (JIT and GC included) is measured apart from Kafka, the registry and PostgreSQL.
 *
 * <p>Reports collector CPU per target-cycle, heap per 1,000 targets (used heap after a full GC with
 * the targets, minus with none), threads, the targets one core holds at a 60 s interval derived from
 * them, and the CPU the PostgreSQL servers spent meanwhile (postmaster and backends, from /proc).
 *
 * <p>Every target reads server-wide views (pg_stat_database sizes every database of its server,
 * pg_stat_activity lists every session), so a target's cost grows with the databases and sessions
 * of the server it sits on: 25 databases per server keeps a target close to a real, modest server.
 *
 * <p>Usage: {@code bench/run-fleet [targets] [servers] [intervalMs] [intervals] [workers]} (default
 * 400 16 6000 30 8): the window is {@code intervals} base intervals, 30 so that every family of the
 * standard preset (the slowest are read every 30) counts in its share.
 */
public final class FleetBenchmark {

    private static final String COLLECTOR_ROLE = "pga_collector";

    private FleetBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int targets = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int servers = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        long intervalMs = args.length > 2 ? Long.parseLong(args[2]) : 6000;
        int intervals = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        int workers = args.length > 4 ? Integer.parseInt(args[4]) : 8;
        Path dir = Files.createTempDirectory("pga-fleet-bench");
        List<EmbeddedPostgres> postgres = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).start()) {
            kafka.createTopics(TopicContract.all().stream().map(t -> new NewTopic(t.name(), 1, (short) 1).configs(t.configs()))
                    .toArray(NewTopic[]::new));
            try (EmbeddedRegistry registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0)) {
                Properties config = new Properties();
                config.setProperty(CollectorConfig.ID, "fleet-bench");
                config.setProperty(CollectorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
                config.setProperty(CollectorConfig.SCHEMA_REGISTRY_URL, registry.url());
                config.setProperty(CollectorConfig.INTERVAL_MS, Long.toString(intervalMs));
                config.setProperty(CollectorConfig.PRESET, "standard");
                config.setProperty(CollectorConfig.WORKERS, Integer.toString(workers));
                config.setProperty(CollectorConfig.SPOOL_DIR, dir.resolve("spool").toString());
                long start = System.nanoTime();
                for (int s = 0; s < servers; s++) {
                    EmbeddedPostgres server = EmbeddedPostgres.builder().dataDir(dir.resolve("postgres-" + s))
                            .serverConfig("max_connections", Integer.toString(targets / servers + 60))
                            // Only the collector's queries: no autovacuum worker visiting every database.
                            .serverConfig("autovacuum", "off")
                            .start();
                    postgres.add(server);
                    prepare(server);
                }
                for (int i = 0; i < targets; i++) {
                    EmbeddedPostgres server = postgres.get(i % servers);
                    String db = "target_" + i;
                    server.createDatabaseIfMissing(db);
                    String prefix = "collector.targets[" + i + "].";
                    config.setProperty(prefix + "id", db);
                    config.setProperty(prefix + "url", server.jdbcUrl(db));
                    config.setProperty(prefix + "user", COLLECTOR_ROLE);
                    config.setProperty(prefix + "databases", db);
                }
                System.out.printf("%d databases on %d servers ready in %d s%n", targets, servers,
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
                roundTrips(postgres.get(0), config, intervalMs);
                Path file = dir.resolve("collector.properties");
                try (Writer out = Files.newBufferedWriter(file)) {
                    config.store(out, "fleet benchmark");
                }
                runChild(file, postgres, intervalMs, intervals);
            }
        } finally {
            for (EmbeddedPostgres server : postgres) {
                server.close();
            }
        }
    }

    /**
     * The standard preset's every-cycle families of one target read as one round trip and one by
     * one, alternately: client CPU (this thread's) and wall time per cycle.
     */
    private static void roundTrips(EmbeddedPostgres server, Properties properties, long intervalMs) throws Exception {
        List<String> families = List.of("server", "database", "activity", "locks", "replication");
        CollectorConfig config = CollectorConfig.from(properties, Map.of()).withTargets(List.of());
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int rounds = 300;
        try (TargetSession session = new TargetSession(new Target("round-trips", server.jdbcUrl("target_0"), COLLECTOR_ROLE,
                null, null, Map.of(), List.of("target_0")), config, Catalog.load())) {
            long[][] cost = new long[2][2]; // [together, one by one][cpu ns, wall ns]
            for (int round = -100; round < rounds; round++) { // 100 rounds of warm-up
                for (int mode = 0; mode < 2; mode++) {
                    long cpu = threads.getCurrentThreadCpuTime();
                    long wall = System.nanoTime();
                    if (mode == 0) {
                        if (session.collectTogether(families).size() != families.size()) {
                            throw new IllegalStateException("the batch failed");
                        }
                    } else {
                        for (String family : families) {
                            session.collect(family);
                        }
                    }
                    if (round >= 0) {
                        cost[mode][0] += threads.getCurrentThreadCpuTime() - cpu;
                        cost[mode][1] += System.nanoTime() - wall;
                    }
                }
            }
            System.out.printf("%n| %s, %d rounds | client CPU per cycle | wall time per cycle |%n|---|---|---|%n", families, rounds);
            System.out.printf("| one round trip | %.2f ms | %.2f ms |%n", cost[0][0] / 1e6 / rounds, cost[0][1] / 1e6 / rounds);
            System.out.printf("| one by one | %.2f ms | %.2f ms |%n%n", cost[1][0] / 1e6 / rounds, cost[1][1] / 1e6 / rounds);
        }
    }

    /**
     * Installs pg_stat_statements in template1 so every database has it, gives it 200 statements to
     * report, and a collector role whose own queries pg_stat_statements does not track: otherwise
     * every target would see the collector's queries of every other target's database change every
     * cycle, a workload no real server has.
     */
    private static void prepare(EmbeddedPostgres server) throws Exception {
        try (Connection c = server.dataSource("template1").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        }
        try (Connection c = server.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            s.execute("CREATE ROLE " + COLLECTOR_ROLE + " LOGIN IN ROLE pg_monitor");
            s.execute("ALTER ROLE " + COLLECTOR_ROLE + " SET pg_stat_statements.track = 'none'");
            StringBuilder columns = new StringBuilder("1");
            for (int i = 0; i < 200; i++) {
                s.executeQuery("SELECT " + columns).close(); // one more column, one more queryid
                columns.append(", 1");
            }
        }
    }

    private static void runChild(Path config, List<EmbeddedPostgres> postgres, long intervalMs, int intervals) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-Xmx2g", "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), config.toString(), Long.toString(intervalMs), Integer.toString(intervals))
                .redirectErrorStream(true).start();
        Map<String, String> results = new HashMap<>();
        long[] pgCpuAt = new long[2];
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.equals("WINDOW-START")) {
                    pgCpuAt[0] = postgresCpuTicks(postgres);
                } else if (line.equals("WINDOW-END")) {
                    pgCpuAt[1] = postgresCpuTicks(postgres);
                } else if (line.startsWith("RESULT ")) {
                    String[] kv = line.substring(7).split("=", 2);
                    results.put(kv[0], kv[1]);
                    System.out.println(line);
                } else if (line.contains("WARN") || line.contains("ERROR") || line.startsWith("FLEET")) {
                    System.out.println("child: " + line);
                }
            }
        }
        if (child.waitFor() != 0) {
            throw new IllegalStateException("collector JVM exited with " + child.exitValue());
        }
        double ticksPerSecond = clockTicksPerSecond();
        double pgCpuMs = (pgCpuAt[1] - pgCpuAt[0]) * 1000.0 / ticksPerSecond;
        long cycles = Long.parseLong(results.get("cycles"));
        double cpuMsPerCycle = Double.parseDouble(results.get("collectorCpuMs")) / cycles;
        int targets = Integer.parseInt(results.get("targets"));
        double heapMbPer1000 = Double.parseDouble(results.get("heapBytesPerTarget")) * 1000 / (1 << 20);
        System.out.printf("%n| targets | servers | interval | window | target-cycles run | skipped | collector CPU per target-cycle "
                + "| PostgreSQL CPU per target-cycle | heap per 1,000 targets | threads (end / peak) | targets per core at 60 s |%n");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        System.out.printf("| %d | %d | %d ms | %d intervals | %d | %s | %.2f ms | %.2f ms | %.0f MB | %s / %s | %,.0f |%n",
                targets, postgres.size(), intervalMs, intervals, cycles, results.get("skipped"), cpuMsPerCycle, pgCpuMs / cycles,
                heapMbPer1000, results.get("threads"), results.get("peakThreads"), 60_000 / cpuMsPerCycle);
    }

    /** utime + stime of every server's postmaster and live backends, plus cutime + cstime of exited ones. */
    private static long postgresCpuTicks(List<EmbeddedPostgres> postgres) throws Exception {
        long ticks = 0;
        List<Long> postmasters = new ArrayList<>();
        for (EmbeddedPostgres server : postgres) {
            postmasters.add(Long.parseLong(Files.readAllLines(server.dataDir().resolve("postmaster.pid")).get(0).trim()));
        }
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String[] stat;
                try {
                    String text = Files.readString(proc.resolve("stat"));
                    stat = text.substring(text.lastIndexOf(')') + 2).split(" "); // fields from 3 (state) on
                } catch (java.io.IOException gone) {
                    continue;
                }
                long pid = Long.parseLong(name);
                long ppid = Long.parseLong(stat[1]);
                long cpu = Long.parseLong(stat[11]) + Long.parseLong(stat[12]); // utime, stime
                if (postmasters.contains(pid)) {
                    ticks += cpu + Long.parseLong(stat[13]) + Long.parseLong(stat[14]); // + cutime, cstime
                } else if (postmasters.contains(ppid)) {
                    ticks += cpu;
                }
            }
        }
        return ticks;
    }

    private static double clockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
            try (Reader in = new InputStreamReader(getconf.getInputStream(), StandardCharsets.UTF_8)) {
                return Double.parseDouble(new BufferedReader(in).readLine().trim());
            }
        } catch (Exception e) {
            return 100;
        }
    }

    /** The collector's JVM: nothing in it but the collector and this measurement. */
    public static final class Child {

        private Child() {
        }

        public static void main(String[] args) throws Exception {
            Properties file = new Properties();
            try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
                file.load(in);
            }
            long intervalMs = Long.parseLong(args[1]);
            int intervals = Integer.parseInt(args[2]);
            CollectorConfig config = CollectorConfig.from(file, Map.of());
            List<Target> targets = config.targets();
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            // Started with no target, then given them one by one as the fleet's consumer would.
            try (Collector collector = Collector.start(config.withTargets(List.of()), Map.of())) {
                long heapEmpty = usedHeapAfterGc(memory);
                long added = System.nanoTime();
                targets.forEach(collector::addTarget);
                System.out.println("FLEET " + targets.size() + " targets added in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - added) + " ms");
                // Warm-up: every target connected and through its first cycle (which reads every
                // family), then two more intervals for the JIT.
                long deadline = System.currentTimeMillis() + 20 * intervalMs + 120_000;
                while (collector.status().stream().anyMatch(s -> s.lastCycleMillis() < 0) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(500);
                }
                Thread.sleep(2 * intervalMs);
                long connected = collector.status().stream().filter(s -> s.connected()).count();
                System.out.println("FLEET connected " + connected + " of " + targets.size());
                System.out.println("WINDOW-START");
                long cpu0 = os.getProcessCpuTime();
                long cycles0 = collector.cyclesRun();
                long skipped0 = collector.cyclesSkipped();
                long produced0 = collector.samplesProduced();
                Thread.sleep(intervals * intervalMs);
                long cpu1 = os.getProcessCpuTime();
                long cycles1 = collector.cyclesRun();
                System.out.println("WINDOW-END");
                long heapFull = usedHeapAfterGc(memory);
                System.out.println("RESULT targets=" + targets.size());
                System.out.println("RESULT cycles=" + (cycles1 - cycles0));
                System.out.println("RESULT skipped=" + (collector.cyclesSkipped() - skipped0));
                System.out.println("RESULT samples=" + (collector.samplesProduced() - produced0));
                System.out.println("RESULT failed=" + collector.samplesFailed());
                System.out.println("RESULT collectorCpuMs=" + (cpu1 - cpu0) / 1e6);
                System.out.println("RESULT heapEmptyMb=" + heapEmpty / (1 << 20));
                System.out.println("RESULT heapFullMb=" + heapFull / (1 << 20));
                System.out.println("RESULT heapBytesPerTarget=" + (double) (heapFull - heapEmpty) / targets.size());
                System.out.println("RESULT threads=" + threads.getThreadCount());
                System.out.println("RESULT peakThreads=" + threads.getPeakThreadCount());
            }
        }

        private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
            return memory.getHeapMemoryUsage().getUsed();
        }
    }
}
