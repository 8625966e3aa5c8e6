package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch written because the backlog was drained, then the Connect worker killed with SIGKILL before Connect
 * committed any consumer offset: the worker that takes over rewinds to the offsets stored with the rows and stores
 * every record exactly once, reading none of them twice. The workers run in other JVMs (this module's classes on
 * their class path), so the kill is a real one: no {@code stop()}, no {@code close()}, no last commit.
 */
@EmbeddedStack(registry = true, postgres = true, databases = TimescaleSinkCrashIT.DATABASE)
class TimescaleSinkCrashIT {

    static final String DATABASE = "crash";
    private static final String CONNECTOR = "crash-sink";
    private static final String TOPIC = Topics.METRICS_DATABASE;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    static Path dir;
    private static EmbeddedKafka kafka;
    private static EmbeddedRegistry registry;
    private static EmbeddedPostgres postgres;
    @AutoClose
    private static Admin admin;
    @AutoClose
    private static KafkaProducer<String, DatabaseSample> producer;
    private static Process worker;
    private static int produced;

    @BeforeAll
    static void start(TestStack stack) {
        kafka = stack.kafka();
        registry = stack.registry();
        postgres = stack.postgres();
        kafka.createTopics(new NewTopic(TOPIC, 2, (short) 1));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", registry.url()));
    }

    @AfterAll
    static void stopWorker() throws InterruptedException {
        if (worker != null && worker.isAlive()) {
            worker.destroy();
            if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                worker.destroyForcibly();
            }
        }
    }

    @Test
    void rowsWrittenBecauseTheBacklogDrainedAreStoredOnceAfterTheWorkerIsKilled() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Worker first = startWorker("first");
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> get(http, first.restUrl() + "/connectors"), body -> body.startsWith("["));
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(first.restUrl() + "/connectors/" + CONNECTOR + "/config"))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(connectorJson()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isIn(200, 201);

        produce(7);
        // 7 rows, a batch of 10,000 and a linger of ten minutes: only a drained backlog writes them this soon.
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(storedOffsetSum()).isEqualTo(7));
        assertThat(rowCount()).isEqualTo(7);
        assertThat(admin.listConsumerGroupOffsets("connect-" + CONNECTOR).partitionsToOffsetAndMetadata().get())
                .as("Connect has committed no consumer offset: the kill loses them all")
                .allSatisfy((tp, offset) -> assertThat(offset).isNull());

        long killedAt = System.nanoTime();
        worker.destroyForcibly();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        produce(5);
        Worker second = startWorker("second");

        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(storedOffsetSum()).isEqualTo(12));
        assertThat(rowCount()).isEqualTo(12);
        System.out.printf("the second worker stored the rest %d ms after the first was killed%n",
                (System.nanoTime() - killedAt) / 1_000_000);
        String log = Files.readString(second.log());
        assertThat(log).contains("resuming from the offsets stored with the rows")
                .as("nothing stored was read and written again").doesNotContain("met rows stored already")
                .doesNotContain("ERROR");
    }

    private record Worker(String restUrl, Path log) {
    }

    private static Worker startWorker(String name) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path properties = dir.resolve(name + ".properties");
        Files.writeString(properties, String.join("\n",
                "bootstrap.servers=" + kafka.bootstrapServers(),
                "group.id=crash-it",
                "config.storage.topic=crash-it-configs",
                "offset.storage.topic=crash-it-offsets",
                "status.storage.topic=crash-it-status",
                "config.storage.replication.factor=1",
                "offset.storage.replication.factor=1",
                "status.storage.replication.factor=1",
                "offset.storage.partitions=1",
                "key.converter=org.apache.kafka.connect.storage.StringConverter",
                "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
                "listeners=http://127.0.0.1:" + port,
                "rest.advertised.host.name=127.0.0.1",
                "plugin.discovery=service_load",
                // Connect itself never commits consumer offsets in this test: only those stored with the rows exist.
                "offset.flush.interval.ms=600000",
                // The killed worker's share is handed over as soon as its session expires: a rebalance waits for
                // a member that never rejoins up to rebalance.timeout.ms (Connect's default, 60 s).
                "scheduled.rebalance.max.delay.ms=0",
                "session.timeout.ms=6000",
                "heartbeat.interval.ms=2000",
                "rebalance.timeout.ms=10000",
                // Likewise the killed task's consumer in the connector's group (the consumer default is 45 s).
                "consumer.session.timeout.ms=6000",
                "consumer.heartbeat.interval.ms=2000") + "\n");
        Path logback = dir.resolve("logback.xml");
        Files.writeString(logback, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="io.pganalytics" level="INFO"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        Path log = dir.resolve(name + ".log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.connect.cli.ConnectDistributed", properties.toString());
        assertThat(System.getProperty("java.class.path").split(File.pathSeparator)).as("the worker's class path")
                .anyMatch(entry -> entry.endsWith("sink-connectors/target/classes"));
        worker = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Worker("http://127.0.0.1:" + port, log);
    }

    private static String connectorJson() {
        return """
                {"connector.class": "%s", "tasks.max": "1", "topics": "%s",
                 "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                 "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
                 "schema.registry.url": "%s", "connection.url": "%s", "connection.user": "%s",
                 "batch.max.rows": "10000", "batch.linger.ms": "600000"}
                """.formatted(TimescaleSinkConnector.class.getName(), TOPIC, registry.url(), postgres.jdbcUrl(DATABASE),
                postgres.user());
    }

    private static void produce(int count) {
        for (int i = 0; i < count; i++) {
            DatabaseSample s = DatabaseSamples.sample("crash-target-" + produced % 3, produced++);
            producer.send(new ProducerRecord<>(TOPIC, s.getCollectorId() + "/" + s.getTargetId(), s));
        }
        producer.flush();
    }

    private static String get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static Connection metrics() throws SQLException {
        return DriverManager.getConnection(postgres.jdbcUrl(DATABASE), postgres.user(), null);
    }

    private static long storedOffsetSum() throws SQLException {
        try (Connection c = metrics(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT coalesce(sum(next_offset), 0) FROM pga_sink_offsets WHERE connector = '" + CONNECTOR + "'")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return 0;
            }
            throw e;
        }
    }

    private static long rowCount() throws SQLException {
        try (Connection c = metrics(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM database_metrics")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
