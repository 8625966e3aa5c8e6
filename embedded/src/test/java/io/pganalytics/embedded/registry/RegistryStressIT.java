package io.pganalytics.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of schemas registered concurrently through three registry instances on one topic, with the leader
 * stopped twice in the middle (and a fresh instance joining each time), while other threads keep every core busy:
 * the registry's concurrency guarantees (docs/schema-registry.md) checked end to end.
 *
 * <ul>
 *   <li>every registration is answered 200: no 5xx, no connection closed without an answer by an instance that
 *       stays up (a client moves on to another instance only when the one it used is being stopped);</li>
 *   <li>ids are unique (two different schemas never share one) and stable (the same schema, registered again
 *       through any instance and under another subject, gets the id it got the first time);</li>
 *   <li>each subject's versions are 1..n without a gap, and every instance, including one started afterwards
 *       from the topic alone, answers every subject, version and id the same.</li>
 * </ul>
 *
 * <p>{@code -Dpga.registry.stress.schemas=N} changes the number of distinct schemas (default 2,400).
 */
class RegistryStressIT {

    private static final int SUBJECTS = 24;
    private static final int SCHEMAS = Integer.getInteger("pga.registry.stress.schemas", 2_400);
    private static final int CLIENTS = 12;
    private static final String TOPIC = "stress-schemas";
    private static final String GROUP = "stress-registry";

    @TempDir
    static Path dataDir;

    private static EmbeddedKafka kafka;
    private static final List<SchemaRegistryServer> instances = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).port(0).start();
    }

    @AfterAll
    static void stopEverything() {
        instances.forEach(SchemaRegistryServer::close);
        if (kafka != null) {
            kafka.close();
        }
    }

    private static SchemaRegistryServer startInstance() {
        SchemaRegistryServer server = SchemaRegistryServer.start(RegistryConfig.of(kafka.bootstrapServers())
                .withPort(0).withTopic(TOPIC).withGroupId(GROUP));
        instances.add(server);
        return server;
    }

    /** One registration to make: the schema {@code schema} under {@code subject}. */
    private record Task(String subject, int schema) {
    }

    /** What a registration was answered; {@code repeat} when it registered a schema a second time. */
    private record Registered(String subject, int schema, int id, boolean repeat) {
    }

    @Test
    void idsStayUniqueAndStableAndVersionsGapFreeAcrossTwoLeaderChangesUnderCpuContention() throws Exception {
        for (int i = 0; i < 3; i++) {
            startInstance();
        }
        Client setup = new Client();
        assertThat(setup.send(instances.get(0).url(), "PUT", "/config", "{\"compatibility\": \"NONE\"}").status())
                .isEqualTo(200);

        // Subjects 2k and 2k+1 hold the same schemas, so one id must serve both; the tasks are shuffled, so the
        // two registrations of one schema race each other through different instances.
        List<Task> tasks = new ArrayList<>();
        for (int schema = 0; schema < SCHEMAS; schema++) {
            int pair = schema % (SUBJECTS / 2);
            tasks.add(new Task("stress-" + (2 * pair) + "-value", schema));
            if (schema % 4 == 0) {
                tasks.add(new Task("stress-" + (2 * pair + 1) + "-value", schema));
            }
        }
        Collections.shuffle(tasks, new java.util.Random(42));
        Queue<Task> queue = new ConcurrentLinkedQueue<>(tasks);
        Queue<Registered> answers = new ConcurrentLinkedQueue<>();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger done = new AtomicInteger();
        Map<String, Boolean> stopping = new ConcurrentHashMap<>();

        AtomicBoolean burning = new AtomicBoolean(true);
        List<Thread> burners = IntStream.range(0, Runtime.getRuntime().availableProcessors())
                .mapToObj(i -> burner(burning)).toList();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        long started = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(clients.submit(() -> register(queue, answers, failures, done, stopping)));
            }
            for (double fraction : new double[] {0.35, 0.7}) {
                await().atMost(Duration.ofMinutes(5)).until(() -> done.get() >= tasks.size() * fraction
                        || !failures.isEmpty());
                SchemaRegistryServer leader = await().atMost(Duration.ofSeconds(30)).until(() -> instances.stream()
                        .filter(SchemaRegistryServer::isLeader).findFirst(), java.util.Optional::isPresent).get();
                startInstance();
                stopping.put(leader.url(), true);
                leader.close();
                instances.remove(leader);
            }
            for (Future<?> client : running) {
                client.get(10, TimeUnit.MINUTES);
            }
        } finally {
            burning.set(false);
            clients.shutdownNow();
            for (Thread burner : burners) {
                burner.join();
            }
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        assertThat(failures).as("answers other than 200 (after %d s)", seconds).isEmpty();
        assertThat(answers.stream().filter(answer -> !answer.repeat())).hasSize(tasks.size());

        // Unique and stable: one id per schema, one schema per id.
        Map<Integer, Integer> idOfSchema = new HashMap<>();
        Map<Integer, Integer> schemaOfId = new HashMap<>();
        for (Registered answer : answers) {
            Integer known = idOfSchema.putIfAbsent(answer.schema(), answer.id());
            assertThat(known == null ? answer.id() : known).as("id of schema %d", answer.schema()).isEqualTo(answer.id());
            Integer other = schemaOfId.putIfAbsent(answer.id(), answer.schema());
            assertThat(other == null ? answer.schema() : other).as("schema of id %d", answer.id())
                    .isEqualTo(answer.schema());
        }
        assertThat(idOfSchema).hasSize(SCHEMAS);

        // Every instance, and one started now from the topic alone, answers the same.
        startInstance();
        Map<String, List<Integer>> schemasOfSubject = answers.stream().collect(Collectors.groupingBy(
                Registered::subject, Collectors.mapping(Registered::schema, Collectors.toList())));
        Client check = new Client();
        for (SchemaRegistryServer instance : instances) {
            String url = instance.url();
            // A follower reads a write a few milliseconds after the leader answered it.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(check.send(url, "GET",
                    "/schemas/ids/" + idOfSchema.get(SCHEMAS - 1), null).status()).isEqualTo(200));
            for (Map.Entry<String, List<Integer>> subject : schemasOfSubject.entrySet()) {
                int distinct = (int) subject.getValue().stream().distinct().count();
                JsonNode versions = check.send(url, "GET", "/subjects/" + subject.getKey() + "/versions", null)
                        .ok().json();
                assertThat(versions.toString()).as("%s on %s", subject.getKey(), url)
                        .isEqualTo(IntStream.rangeClosed(1, distinct).boxed().toList().toString().replace(" ", ""));
                Map<Integer, Integer> idsServed = new HashMap<>();
                for (int version = 1; version <= distinct; version++) {
                    JsonNode served = check.send(url, "GET", "/subjects/" + subject.getKey() + "/versions/"
                            + version, null).ok().json();
                    idsServed.put(served.path("id").asInt(), version);
                }
                assertThat(idsServed.keySet()).as("ids under %s on %s", subject.getKey(), url)
                        .containsExactlyInAnyOrderElementsOf(subject.getValue().stream().distinct()
                                .map(idOfSchema::get).toList());
            }
            for (Map.Entry<Integer, Integer> schema : idOfSchema.entrySet()) {
                JsonNode served = check.send(url, "GET", "/schemas/ids/" + schema.getValue(), null).ok().json();
                assertThat(served.path("schema").asText()).as("schema of id %d on %s", schema.getValue(), url)
                        .contains("\"S" + schema.getKey() + "\"");
            }
        }
    }

    private static void register(Queue<Task> queue, Queue<Registered> answers, Queue<String> failures,
                                 AtomicInteger done, Map<String, Boolean> stopping) {
        Client client = new Client();
        List<Registered> mine = new ArrayList<>();
        Task task;
        while (failures.isEmpty() && (task = queue.poll()) != null) {
            Registered registered = registerSomewhere(client, task.subject(), task.schema(), failures, stopping);
            if (registered == null) {
                return;
            }
            answers.add(registered);
            mine.add(registered);
            done.incrementAndGet();
            // One in five: register an earlier schema again, through whichever instance, and expect its id back.
            if (ThreadLocalRandom.current().nextInt(5) == 0) {
                Registered earlier = mine.get(ThreadLocalRandom.current().nextInt(mine.size()));
                Registered again = registerSomewhere(client, earlier.subject(), earlier.schema(), failures, stopping);
                if (again == null) {
                    return;
                }
                if (again.id() != earlier.id()) {
                    failures.add("schema " + earlier.schema() + " under " + earlier.subject() + " got id "
                            + earlier.id() + ", then " + again.id());
                }
                answers.add(new Registered(earlier.subject(), earlier.schema(), again.id(), true));
            }
        }
    }

    /**
     * Registers through a random live instance. Only an instance being stopped may fail to answer (its client then
     * tries another, as a client given several registry URLs does); every answer must be 200.
     */
    private static Registered registerSomewhere(Client client, String subject, int schema, Queue<String> failures,
                                                Map<String, Boolean> stopping) {
        String body = RegistryHttp.body(RegistryHttp.record("S" + schema, "{\"name\": \"n" + schema
                + "\", \"type\": \"int\"}"));
        for (int attempt = 0; attempt < 20; attempt++) {
            List<SchemaRegistryServer> live = List.copyOf(instances);
            String url = live.get(ThreadLocalRandom.current().nextInt(live.size())).url();
            Answer answer;
            try {
                answer = client.send(url, "POST", "/subjects/" + subject + "/versions", body);
            } catch (IOException e) {
                if (stopping.containsKey(url)) {
                    continue;
                }
                failures.add("POST " + url + " " + subject + " schema " + schema + ": no answer (" + e + ")");
                return null;
            }
            if (answer.status() != 200) {
                failures.add("POST " + url + " " + subject + " schema " + schema + ": " + answer.status() + " "
                        + answer.body());
                return null;
            }
            return new Registered(subject, schema, answer.json().path("id").asInt(), false);
        }
        failures.add("no instance answered " + subject + " schema " + schema + " in 20 attempts");
        return null;
    }

    private static Thread burner(AtomicBoolean burning) {
        Thread thread = new Thread(() -> {
            long sink = 0;
            while (burning.get()) {
                for (int i = 0; i < 100_000; i++) {
                    sink += i * 31L ^ sink;
                }
            }
            if (sink == 42) {
                System.out.print("");
            }
        }, "cpu-burner");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private record Answer(int status, String body) {
        JsonNode json() {
            try {
                return RegistryHttp.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        Answer ok() {
            assertThat(status).as(body).isEqualTo(200);
            return this;
        }
    }

    /** Raw HTTP as a Confluent client speaks it; an IOException means no answer came. */
    private static final class Client {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        Answer send(String url, String method, String path, String body) throws IOException {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                    .timeout(Duration.ofSeconds(60))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                request.header("Content-Type", RegistryHttp.V1);
            }
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                return new Answer(response.statusCode(), response.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }
}
