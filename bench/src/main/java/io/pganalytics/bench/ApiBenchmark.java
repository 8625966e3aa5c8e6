package io.pganalytics.bench;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.platform.Main;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.Topics;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The API under load as the issue asks: 10,000 collectors and 50,000 targets in the control plane, a page of 50
 * collectors with several filter mixes asked at a constant rate by an open-model load ({@link OpenLoad}), side by
 * side with {@code /api/v1/version} (no database, no auth) on the same server, so that what the page costs shows
 * apart from what Javalin, Jetty and the client cost.
 *
 * <p>The stack is the real one: embedded PostgreSQL (the control plane, migrated by fleet-admin's {@code ControlPlanes.migrate}, what {@code pganalytics migrate} runs),
 * Kafka and the registry (the projection), and the API as its own process ({@code pganalytics api --config}),
 * so the load generator's allocation and GC are not the server's. After the run, pg_stat_statements shows what the
 * page's queries cost in PostgreSQL itself.
 *
 * <p>Usage: {@code bench/run-api [ratePerSecond] [seconds] [versionRatePerSecond] [warmupSeconds]}
 * (default 1000 60 100 40).
 */
public final class ApiBenchmark {

    static final String DATABASE = "pganalytics_control";
    private static final int COLLECTORS = 10_000;
    private static final int TARGETS = 50_000;

    /**
     * The control plane filled like a mid-sized fleet, deterministically (setseed): 40 groups of skewed size
     * (group-00 is the biggest; 5% of collectors in none), versions 60/25/10/5% over four releases, live status
     * online 80%, degraded 8%, offline 7%, unknown 5%, 3% archived, tags prod/staging plus pci (20%) and
     * replica (30%), a team and tier label each; five targets per collector's host, 95% enabled, grouped like
     * the collectors. Random values are drawn in a sub-select so that every column of a row sees the same ones.
     */
    static final String SEED = """
            SELECT setseed(0.14);
            INSERT INTO collector_groups (name, description, created_at)
            SELECT format('group-%s', lpad(g::text, 2, '0')), format('bench group %s', g), now()
            FROM generate_series(0, 39) AS g;
            INSERT INTO collectors (id, name, hostname, version, group_name, tags, labels, lifecycle, live_status,
                                    last_heartbeat_at, registered_at, archived_at, token_hash, updated_at)
            SELECT 'c-' || substr(md5('collector-' || n), 1, 12),
                   format('pg-%s-%s', (ARRAY['eu-west', 'us-east', 'ap-south', 'eu-central'])[1 + n % 4], n),
                   format('db%s.%s.example.net', n, (ARRAY['eu-west', 'us-east', 'ap-south', 'eu-central'])[1 + n % 4]),
                   CASE WHEN r1 < 0.60 THEN '1.4.2' WHEN r1 < 0.85 THEN '1.4.1' WHEN r1 < 0.95 THEN '1.3.9'
                        ELSE '1.5.0-rc1' END,
                   CASE WHEN r2 < 0.05 THEN NULL ELSE format('group-%s', lpad(floor(40 * r3 * r3)::int::text, 2, '0')) END,
                   array_remove(ARRAY[CASE WHEN r4 < 0.7 THEN 'prod' ELSE 'staging' END,
                                      CASE WHEN r5 < 0.2 THEN 'pci' END,
                                      CASE WHEN r6 < 0.3 THEN 'replica' END], NULL),
                   jsonb_build_object('team', (ARRAY['payments', 'search', 'core', 'billing', 'ml'])[1 + n % 5],
                                      'tier', CASE WHEN r4 < 0.7 THEN 'gold' ELSE 'bronze' END),
                   CASE WHEN r7 < 0.03 THEN 'archived' ELSE 'active' END,
                   CASE WHEN r7 < 0.03 THEN 'offline' WHEN r8 < 0.80 THEN 'online' WHEN r8 < 0.88 THEN 'degraded'
                        WHEN r8 < 0.95 THEN 'offline' ELSE 'unknown' END,
                   CASE WHEN r8 < 0.88 THEN now() - r9 * interval '30 seconds' ELSE now() - r9 * interval '3 days' END,
                   now() - n * interval '5 minutes',
                   CASE WHEN r7 < 0.03 THEN now() - r9 * interval '30 days' END,
                   sha256(convert_to('bench-token-' || n, 'UTF8')),
                   now()
            FROM (SELECT n, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6, random() r7,
                         random() r8, random() r9
                  FROM generate_series(1, :collectors) AS n) AS drawn;
            INSERT INTO targets (id, url, username, preset, family_interval_millis, databases, enabled, group_name,
                                 created_at, updated_at)
            SELECT format('t-%s', n),
                   format('jdbc:postgresql://db%s.example.net:5432/app_%s', 1 + (n - 1) / 5, n % 5),
                   'pga_collector',
                   (ARRAY['standard', 'standard', 'minimal', 'full'])[1 + n % 4],
                   CASE WHEN r1 < 0.1 THEN '{"statements": 60000}'::jsonb ELSE '{}'::jsonb END,
                   ARRAY[format('app_%s', n % 5)],
                   r2 < 0.95,
                   CASE WHEN r3 < 0.05 THEN NULL ELSE format('group-%s', lpad(floor(40 * r4 * r4)::int::text, 2, '0')) END,
                   now() - n * interval '1 minute', now()
            FROM (SELECT n, random() r1, random() r2, random() r3, random() r4 FROM generate_series(1, :targets) AS n) AS drawn;
            """;

    /** The filter mixes of the page, each a label of its own in the results. */
    static final List<OpenLoad.Request> PAGES = List.of(
            new OpenLoad.Request("page", "/api/v1/collectors?limit=50"),
            new OpenLoad.Request("status", "/api/v1/collectors?limit=50&status=degraded"),
            new OpenLoad.Request("group+tag", "/api/v1/collectors?limit=50&group=group-07&tag=pci"),
            new OpenLoad.Request("version+sort", "/api/v1/collectors?limit=50&version=1.3.9&sort=-lastHeartbeatAt"),
            new OpenLoad.Request("search", "/api/v1/collectors?limit=50&search=eu-west-12"));

    private ApiBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int versionRate = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int warmupSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 40;
        Path dir = Files.createTempDirectory("pga-api-bench");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().dataDir(dir.resolve("postgres"))
                     .serverConfig("max_connections", "100").start();
             EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).start()) {
            postgres.createDatabaseIfMissing(DATABASE);
            kafka.createTopics(TopicContract.all().stream().map(t -> new NewTopic(t.name(), 1, (short) 1).configs(t.configs()))
                    .toArray(NewTopic[]::new));
            try (EmbeddedRegistry registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0)) {
                String token = "bench-" + randomBase64(24);
                int port = freePort();
                Path apiConfig = dir.resolve("api.properties");
                Files.writeString(apiConfig, String.join("\n",
                        "api.host=127.0.0.1",
                        "api.port=" + port,
                        "control.database.url=" + postgres.jdbcUrl(DATABASE),
                        "control.database.user=" + postgres.user(),
                        "kafka.bootstrap.servers=" + kafka.bootstrapServers(),
                        "schema.registry.url=" + registry.url(),
                        "api.admin.token=" + token, ""));
                long start = System.nanoTime();
                // The database half of `pganalytics migrate` (the topics are created above, one partition each).
                ControlPlanes.migrate(ControlPlaneConfig.from(Map.of(
                        ControlPlaneConfig.Keys.DATABASE_URL.name(), postgres.jdbcUrl(DATABASE),
                        ControlPlaneConfig.Keys.DATABASE_USER.name(), postgres.user(),
                        ControlPlaneConfig.Keys.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers(),
                        ControlPlaneConfig.Keys.SCHEMA_REGISTRY_URL.name(), registry.url()), Map.of()));
                seed(postgres);
                System.out.printf("control plane migrated and seeded with %,d collectors and %,d targets in %d s%n",
                        COLLECTORS, TARGETS, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
                Process api = launchApi(apiConfig, dir.resolve("api.log").toFile());
                // The API must not outlive the bench, however the bench ends.
                Runtime.getRuntime().addShutdownHook(new Thread(api::destroyForcibly));
                try {
                    String url = "http://127.0.0.1:" + port;
                    awaitReady(url, api, dir.resolve("api.log"));
                    awaitProjection(postgres, kafka);
                    measure(url, "Bearer " + token, rate, versionRate, seconds, warmupSeconds);
                    statements(postgres);
                } finally {
                    api.destroy();
                    if (!api.waitFor(20, TimeUnit.SECONDS)) {
                        api.destroyForcibly().waitFor();
                    }
                }
            }
        }
    }

    private static void seed(EmbeddedPostgres postgres) throws Exception {
        try (Connection connection = postgres.dataSource(DATABASE).getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute(SEED.replace(":collectors", Integer.toString(COLLECTORS))
                    .replace(":targets", Integer.toString(TARGETS)));
            // A fleet that has lived a while has been vacuumed and analysed (VACUUM cannot run in the seed's transaction).
            for (String table : List.of("collector_groups", "collectors", "targets")) {
                statement.execute("VACUUM ANALYZE " + table);
            }
            // The server preloads pg_stat_statements; the view lives where the extension is created.
            statement.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            statement.execute("SELECT pg_stat_statements_reset()");
        }
    }

    /**
     * The seed went into the tables, not through the control plane, so the API's projection reconciles it at start:
     * 60,000 entities published to Kafka. That is a one-off; the measurement is of the steady state after it, so this
     * waits until the compacted topics hold every row and the outbox is empty.
     */
    private static void awaitProjection(EmbeddedPostgres postgres, EmbeddedKafka kafka) throws Exception {
        long start = System.nanoTime();
        long lastPrint = -5;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            while (true) {
                long targets = endOffset(admin, Topics.FLEET_TARGETS);
                long collectors = endOffset(admin, Topics.FLEET_CONFIG);
                long pending = count(postgres, "SELECT count(*) FROM projection_outbox");
                long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                if (targets >= TARGETS && collectors >= COLLECTORS && pending == 0) {
                    System.out.printf("projection caught up: %,d targets and %,d collectors on their topics in %d s%n",
                            targets, collectors, elapsed);
                    return;
                }
                if (elapsed - lastPrint >= 5) {
                    System.out.printf("projection: %,d of %,d targets and %,d of %,d collectors published, %,d in the outbox (%d s)%n",
                            targets, TARGETS, collectors, COLLECTORS, pending, elapsed);
                    lastPrint = elapsed;
                }
                if (elapsed > 300) {
                    throw new IllegalStateException("the projection did not catch up in 300 s");
                }
                Thread.sleep(500);
            }
        }
    }

    private static long endOffset(Admin admin, String topic) throws Exception {
        return admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest())).all().get()
                .values().stream().mapToLong(ListOffsetsResultInfo::offset).sum();
    }

    private static long count(EmbeddedPostgres postgres, String sql) throws Exception {
        try (Connection connection = postgres.dataSource(DATABASE).getConnection();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void measure(String url, String authorization, int rate, int versionRate, int seconds,
                                int warmupSeconds) throws Exception {
        List<OpenLoad.Stream> streams = new ArrayList<>();
        streams.add(new OpenLoad.Stream("collectors", rate, PAGES));
        if (versionRate > 0) {
            streams.add(new OpenLoad.Stream("version", versionRate,
                    List.of(new OpenLoad.Request("version", "/api/v1/version"))));
        }
        try (OpenLoad load = new OpenLoad(url, authorization)) {
            if (warmupSeconds > 0) {
                // A ramp, 25% to 100% of the rates: a cold JIT at the full rate builds a queue the measurement would inherit.
                System.out.printf("warm-up: %d s ramping to the rates (discarded)%n", warmupSeconds);
                for (int step = 1; step <= 4; step++) {
                    int percent = 25 * step;
                    load.run(streams.stream().map(st -> new OpenLoad.Stream(st.name(), Math.max(1, st.ratePerSecond() * percent / 100),
                            st.requests())).toList(), Math.max(1, warmupSeconds / 4), 5, false);
                }
            }
            System.out.printf("measuring: GET /api/v1/collectors?limit=50&<filters> at %d/s (round robin over %d mixes)"
                    + " and GET /api/v1/version at %d/s for %d s%n", rate, PAGES.size(), versionRate, seconds);
            List<OpenLoad.Result> results = load.run(streams, seconds, 5, true);
            Histogram pages = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            long pageSent = 0;
            long pageErrors = 0;
            System.out.printf("%n| request | sent | errors | achieved/s | p50 | p99 | p99.9 | max |%n|---|---|---|---|---|---|---|---|%n");
            for (OpenLoad.Result result : results) {
                row(result.label(), result.latencyNanos(), result.sent(), result.errors(), result.achievedPerSecond());
                if (!result.label().equals("version")) {
                    pages.add(result.latencyNanos());
                    pageSent += result.sent();
                    pageErrors += result.errors();
                }
            }
            row("**all collector pages**", pages, pageSent, pageErrors, (pages.getTotalCount() - pageErrors) / (double) seconds);
            results.stream().filter(r -> r.firstError() != null)
                    .forEach(r -> System.out.printf("first error of %s: %s%n", r.label(), r.firstError()));
            double p99Ms = pages.getValueAtPercentile(99) / 1e6;
            System.out.printf("%ntarget p99 <= 10 ms, no errors: %s (p99 %.2f ms, %d errors)%n",
                    p99Ms <= 10 && pageErrors == 0 ? "MET" : "MISSED", p99Ms, pageErrors);
        }
    }

    private static void row(String label, Histogram h, long sent, long errors, double achieved) {
        System.out.printf("| %s | %,d | %d | %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f ms |%n", label, sent, errors, achieved,
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6,
                h.getMaxValue() / 1e6);
    }

    /** What PostgreSQL spent on the API's statements during the whole load (warm-up included). */
    private static void statements(EmbeddedPostgres postgres) throws Exception {
        try (Connection connection = postgres.dataSource(DATABASE).getConnection();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("""
                     SELECT calls, round(mean_exec_time::numeric, 3) AS mean_ms, round(max_exec_time::numeric, 2) AS max_ms,
                            round(total_exec_time::numeric) AS total_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
                     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                     ORDER BY total_exec_time DESC LIMIT 8""")) {
            System.out.printf("%nPostgreSQL, top statements by total time (pg_stat_statements):%n"
                    + "| calls | mean | max | total | statement |%n|---|---|---|---|---|%n");
            while (rs.next()) {
                System.out.printf("| %,d | %s ms | %s ms | %s ms | `%s` |%n", rs.getLong("calls"), rs.getString("mean_ms"),
                        rs.getString("max_ms"), rs.getString("total_ms"), rs.getString("query"));
            }
        }
    }

    /** The API as an operator runs it, in a JVM of its own; JFR on request ({@code PGA_BENCH_JFR=file.jfr}). */
    private static Process launchApi(Path config, File log) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-XX:+UseG1GC"));
        String jfr = System.getenv("PGA_BENCH_JFR");
        if (jfr != null && !jfr.isBlank()) {
            command.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "api", "--config", config.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    }

    private static void awaitReady(String url, Process api, Path log) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!api.isAlive()) {
                throw new IllegalStateException("pganalytics api exited with " + api.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (client.send(HttpRequest.newBuilder(URI.create(url + "/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("pganalytics api not ready in 90 s:\n" + Files.readString(log));
    }

    /** The bench's PostgreSQL and Kafka data (a few hundred MB) do not outlive it. */
    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }

    private static String randomBase64(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
