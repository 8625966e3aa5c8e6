package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.platform.Main;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API's HA as the issue asks for it: two replicas ({@code pganalytics api --config}, separate JVMs) on one
 * control-plane database behind Debian's haproxy, a client loop of writes each with its own Idempotency-Key and
 * retried with the same key, and one replica killed with SIGKILL in the middle of it. No request is lost, none is
 * applied twice, a retried key answers what it answered first, and the other replica takes over within 2 s.
 *
 * <p>haproxy is installed by the set-up ({@code apt-get install -y haproxy}) when it is not there; where that cannot
 * be done (not root, no package source) the test is skipped with a message saying so, never passed.
 */
@EmbeddedStack(postgres = true, registry = true)
@ContractTopics(value = "pga.*", partitions = 1)
class ApiReplicasBehindHaproxyIT {

    private static final String DATABASE = "pganalytics_control";
    private static final int WRITES = 240;
    private static final int KILL_AFTER_SUCCESSES = 80;
    private static final int CLIENTS = 4;
    private static final Duration MAX_FAILOVER_GAP = Duration.ofSeconds(2);

    @TempDir
    static Path dir;
    static EmbeddedPostgres postgres;
    static String token;
    static String balancerUrl;
    static final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
    static Process victim;
    static Process survivor;
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start(TestStack stack) throws Exception {
        // Every process this class starts dies with the test JVM, even if JUnit never reaches @AfterAll.
        Runtime.getRuntime().addShutdownHook(new Thread(ApiReplicasBehindHaproxyIT::stopAll));
        String haproxy = haproxyOrSkip();
        postgres = stack.postgres();
        EmbeddedKafka kafka = stack.kafka();
        EmbeddedRegistry registry = stack.registry();
        postgres.createDatabaseIfMissing(DATABASE);
        token = "ha-it-" + randomBase64(24);
        ControlPlanes.migrate(ControlPlaneConfig.from(Map.of(
                ControlPlaneConfig.Keys.DATABASE_URL.name(), postgres.jdbcUrl(DATABASE),
                ControlPlaneConfig.Keys.DATABASE_USER.name(), postgres.user(),
                ControlPlaneConfig.Keys.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers(),
                ControlPlaneConfig.Keys.SCHEMA_REGISTRY_URL.name(), registry.url()), Map.of()));
        String control = String.join("\n",
                "control.database.url=" + postgres.jdbcUrl(DATABASE),
                "control.database.user=" + postgres.user(),
                "kafka.bootstrap.servers=" + kafka.bootstrapServers(),
                "schema.registry.url=" + registry.url(), "");

        int[] ports = {freePort(), freePort()};
        List<Process> replicas = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            Path config = Files.writeString(dir.resolve("api-" + i + ".properties"), control + String.join("\n",
                    "api.host=127.0.0.1", "api.port=" + ports[i], "api.admin.token=" + token, ""));
            replicas.add(launch(dir.resolve("api-" + i + ".log").toFile(), javaCommand("api", "--config", config.toString())));
        }
        for (int i = 0; i < ports.length; i++) {
            awaitReady("http://127.0.0.1:" + ports[i], replicas.get(i), dir.resolve("api-" + i + ".log"));
        }
        victim = replicas.get(0);
        survivor = replicas.get(1);

        int balancerPort = freePort();
        Path haproxyConfig = Files.writeString(dir.resolve("haproxy.cfg"), haproxyConfig(balancerPort, ports));
        Process check = new ProcessBuilder(haproxy, "-c", "-f", haproxyConfig.toString()).redirectErrorStream(true).start();
        String checkOutput = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor()).as("haproxy -c: %s", checkOutput).isZero();
        Process balancer = launch(dir.resolve("haproxy.log").toFile(), List.of(haproxy, "-db", "-f", haproxyConfig.toString()));
        balancerUrl = "http://127.0.0.1:" + balancerPort;
        awaitReady(balancerUrl, balancer, dir.resolve("haproxy.log"));
    }

    @AfterAll
    static void stop() {
        stopAll();
    }

    @Test
    void writesWithIdempotencyKeysSurviveSigkillOfOneReplicaExactlyOnceWithinTwoSeconds() throws Exception {
        List<Write> writes = new ArrayList<>();
        for (int i = 0; i < WRITES; i++) {
            String id = String.format("ha-%03d", i);
            writes.add(new Write(id, UUID.randomUUID().toString(), String.format(
                    "{\"id\": \"%s\", \"url\": \"jdbc:postgresql://db%d.example.net:5432/app\", \"user\": \"pga_collector\"}",
                    id, i)));
        }
        AtomicInteger next = new AtomicInteger();
        AtomicInteger successes = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < WRITES; i = next.getAndIncrement()) {
                    writes.get(i).sendUntilAnswered();
                    successes.incrementAndGet();
                }
                return null;
            }));
        }
        long killedAt;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> successes.get() >= KILL_AFTER_SUCCESSES);
            killedAt = System.nanoTime();
            victim.destroyForcibly();
            // 128 + 9: the JVM died of SIGKILL, not of a shutdown that drained its requests.
            assertThat(victim.waitFor()).as("exit status of the killed replica").isEqualTo(128 + 9);
            for (Future<?> running : clients) {
                running.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(writes).allSatisfy(w -> assertThat(w.answer.status()).as("%s: %s", w.id, w.attempts).isEqualTo(201));
        long lastBefore = writes.stream().mapToLong(w -> w.answeredAt).filter(t -> t < killedAt).max().orElseThrow();
        long firstAfter = writes.stream().mapToLong(w -> w.answeredAt).filter(t -> t > killedAt).min().orElseThrow();
        Duration gap = Duration.ofNanos(firstAfter - lastBefore);
        List<Write> retried = writes.stream().filter(w -> w.attempts.size() > 1).toList();
        System.out.printf("failover gap %d ms; %d of %d writes retried by the client: %s%n", gap.toMillis(), retried.size(),
                WRITES, retried.stream().map(w -> w.id + " " + w.attempts).toList());
        assertThat(gap).as("last success before the kill to first success after").isLessThanOrEqualTo(MAX_FAILOVER_GAP);

        // None applied twice, none lost: each target once in the table, each key stored once.
        assertThat(countWhere("SELECT count(*) FROM targets WHERE id LIKE 'ha-%'")).isEqualTo(WRITES);
        assertThat(countWhere("SELECT count(DISTINCT id) FROM targets WHERE id LIKE 'ha-%'")).isEqualTo(WRITES);
        assertThat(countWhere("SELECT count(*) FROM idempotency_keys WHERE key IN ("
                + String.join(",", writes.stream().map(w -> "'" + w.key + "'").toList()) + ")")).isEqualTo(WRITES);
        // Every key asked again, with its body, answers what it answered first (through the surviving replica):
        // a replay, not a second create (which would be 409 target_exists).
        for (Write write : writes) {
            assertThat(write.send()).as("replay of %s", write.id).isEqualTo(write.answer);
        }
        assertThat(survivor.isAlive()).isTrue();
    }

    /** One create with its key; retried with the same key and body on a connection error or a 5xx. */
    static final class Write {
        final String id;
        final String key;
        final String body;
        final List<String> attempts = Collections.synchronizedList(new ArrayList<>());
        volatile Answer answer;
        volatile long answeredAt;

        Write(String id, String key, String body) {
            this.id = id;
            this.key = key;
            this.body = body;
        }

        void sendUntilAnswered() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    Answer got = send();
                    attempts.add(Integer.toString(got.status()));
                    if (got.status() < 500) {
                        answer = got;
                        answeredAt = System.nanoTime();
                        return;
                    }
                } catch (IOException e) {
                    attempts.add(e.getClass().getSimpleName());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(id + " got no answer in 30 s: " + attempts);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // a client's back-off, not a wait for the test
            }
        }

        Answer send() throws IOException {
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(balancerUrl + "/api/v1/targets"))
                        .timeout(Duration.ofSeconds(5))
                        .header("Authorization", "Bearer " + token)
                        .header("Idempotency-Key", key)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                return new Answer(response.statusCode(), response.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    record Answer(int status, String body) {
    }

    /**
     * Health checks on /ready every 200 ms, down after 2 failures, up after 2 successes; a connection refused by a
     * dead replica is retried (3 times) on the other one ({@code option redispatch}), so most clients never see it.
     */
    static String haproxyConfig(int port, int[] replicaPorts) {
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < replicaPorts.length; i++) {
            servers.append(String.format("    server api-%d 127.0.0.1:%d check%n", i, replicaPorts[i]));
        }
        return String.format("""
                global
                    maxconn 512

                defaults
                    mode http
                    timeout connect 1s
                    timeout client 30s
                    timeout server 10s
                    retries 3
                    option redispatch 1
                    retry-on conn-failure empty-response response-timeout

                frontend api
                    bind 127.0.0.1:%d
                    default_backend replicas

                backend replicas
                    balance roundrobin
                    option httpchk GET /ready
                    http-check expect status 200
                    default-server inter 200ms fastinter 100ms downinter 500ms fall 2 rise 2
                %s""", port, servers);
    }

    /** haproxy from the PATH (or /usr/sbin, where Debian puts it), installed with apt-get when root; else skip. */
    private static String haproxyOrSkip() throws Exception {
        Optional<Path> found = findHaproxy();
        if (found.isPresent()) {
            return found.get().toString();
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            Assumptions.abort("skipped: haproxy is not installed and this test runs as "
                    + System.getProperty("user.name") + ", not root, so it cannot apt-get install it;"
                    + " install Debian's haproxy package (apt-get install haproxy) to run this test");
        }
        String output = aptGet("install", "-y", "haproxy");
        if (findHaproxy().isEmpty()) {
            output = aptGet("update") + aptGet("install", "-y", "haproxy");
        }
        if (findHaproxy().isEmpty()) {
            Assumptions.abort("skipped: haproxy is not installed and apt-get could not install it: "
                    + output.lines().reduce((a, b) -> b).orElse("(no output)"));
        }
        return findHaproxy().orElseThrow().toString();
    }

    private static Optional<Path> findHaproxy() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/sbin");
        return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, "haproxy")).filter(Files::isExecutable).findFirst();
    }

    private static String aptGet(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("apt-get", "-q"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        try {
            Process apt = builder.start();
            String output = new String(apt.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            apt.waitFor(5, TimeUnit.MINUTES);
            return output;
        } catch (IOException e) {
            return "apt-get cannot run: " + e.getMessage();
        }
    }

    private static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static Process launch(File log, List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        processes.add(process);
        return process;
    }

    private static void awaitReady(String url, Process process, Path log) {
        // A process that exits fails at once with its log; a refused connection is only "not yet".
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError(url + " exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                return client.send(HttpRequest.newBuilder(URI.create(url + "/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static long countWhere(String sql) throws Exception {
        try (Connection connection = postgres.dataSource(DATABASE).getConnection();
             PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet rs = statement.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void stopAll() {
        synchronized (processes) {
            processes.forEach(Process::destroy);
            for (Process process : processes) {
                try {
                    if (!process.waitFor(15, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
            processes.clear();
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
