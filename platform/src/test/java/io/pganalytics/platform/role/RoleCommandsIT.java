package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.platform.Main;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.contract.TopicContract;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import org.junit.jupiter.api.io.TempDir;

/**
 * The role commands as an operator runs them: separate processes configured by file and environment,
 * against real Kafka and PostgreSQL, stopped with TERM and exiting 0.
 */
class RoleCommandsIT {

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedPostgres postgres;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        // Every topic of the contract, as an operator creates them: the streams apps need all of theirs
        // (ingest reads every pga.raw.<family> and the pga.quotas global table).
        kafka.createTopics(TopicContract.all().stream()
                .map(topic -> new NewTopic(topic.name(), 1, (short) 1).configs(topic.configs()))
                .toArray(NewTopic[]::new));
        postgres = EmbeddedPostgres.builder().dataDir(dataDir.resolve("postgres")).start();
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void registryCollectorAndStreamsRunAsProcessesAndStopCleanlyOnTerm() throws Exception {
        int registryPort = freePort();
        Path registryConfig = dataDir.resolve("registry.properties");
        Files.writeString(registryConfig, "port=" + registryPort + "\n");
        Process registry = launch(Map.of("PGA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", kafka.bootstrapServers()),
                "registry", "--config", registryConfig.toString());
        Process collector = null;
        Process streams = null;
        try {
            String registryUrl = "http://127.0.0.1:" + registryPort;
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create(registryUrl + "/subjects")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

            Path collectorConfig = dataDir.resolve("collector.properties");
            Files.writeString(collectorConfig, String.join("\n",
                    "collector.id=roles-it",
                    "kafka.bootstrap.servers=" + kafka.bootstrapServers(),
                    "schema.registry.url=" + registryUrl,
                    "collector.interval.ms=1000",
                    "collector.spool.dir=" + dataDir.resolve("spool"),
                    "collector.targets[0].id=pg",
                    "collector.targets[0].url=" + postgres.jdbcUrl("postgres"), ""));
            collector = launch(Map.of("PGA_COLLECTOR_TARGETS_0_USER", postgres.user()),
                    "collector", "--config", collectorConfig.toString());
            streams = launch(Map.of(
                    "PGA_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                    "PGA_SCHEMA_REGISTRY_URL", registryUrl,
                    "PGA_STREAMS_STATE_DIR", dataDir.resolve("streams").toString(),
                    "PGA_STREAMS_REPLICATION_FACTOR", "1"), "streams");

            // Samples that went collector -> raw -> streams -> metrics, exactly once.
            List<ConsumerRecord<String, byte[]>> samples = new ArrayList<>();
            try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "roles-it",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(Topics.METRICS_DATABASE));
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(samples::add);
                    assertThat(samples).isNotEmpty();
                });
            }
            assertThat(samples.get(0).key()).isEqualTo("roles-it/pg");

            // kill -9: the next run finds the spool not closed, replays what it holds, and its heartbeat says so.
            collector.destroyForcibly();
            assertThat(collector.waitFor(20, TimeUnit.SECONDS)).isTrue();
            long restartedAt = System.currentTimeMillis();
            collector = launch(Map.of("PGA_COLLECTOR_TARGETS_0_USER", postgres.user()),
                    "collector", "--config", collectorConfig.toString());
            AvroDeserializer<Heartbeat> heartbeats = new AvroDeserializer<>();
            heartbeats.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl, AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
            try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "roles-it-heartbeats",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(Topics.FLEET_HEARTBEATS));
                List<Heartbeat> afterRestart = new ArrayList<>();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                        Heartbeat h = heartbeats.deserialize(r.topic(), r.value());
                        if (h.getStartedAt().toEpochMilli() >= restartedAt) {
                            afterRestart.add(h);
                        }
                    });
                    assertThat(afterRestart).isNotEmpty();
                });
                assertThat(afterRestart.get(0).getPreviousShutdown()).hasToString("unclean");
            }

            assertStopsCleanly(streams);
            assertStopsCleanly(collector);
            assertStopsCleanly(registry);
        } finally {
            for (Process process : new Process[] {streams, collector, registry}) {
                if (process != null) {
                    process.destroyForcibly();
                }
            }
        }
    }

    private static void assertStopsCleanly(Process process) throws InterruptedException {
        process.destroy(); // SIGTERM, as a service manager stops it
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("exited within 20 s").isTrue();
        assertThat(process.exitValue()).isZero();
    }

    private static Process launch(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        File log = dataDir.resolve(args[0] + ".log").toFile();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log);
        builder.environment().putAll(env);
        return builder.start();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
