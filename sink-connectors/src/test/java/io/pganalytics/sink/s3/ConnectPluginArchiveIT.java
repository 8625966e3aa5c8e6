package io.pganalytics.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.embedded.EmbeddedS3;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The plugin archive as a user deploys it: unzipped into a plugin.path directory of a Connect worker that runs in its
 * own JVM, with this module's classes removed from its class path and plugin discovery by scanning (not the
 * service-loader shortcut the embedded worker uses). The S3 backup sink loaded from the archive then backs up a topic.
 */
@EmbeddedStack(registry = true, s3 = true)
@ContractTopics(value = ConnectPluginArchiveIT.TOPIC, partitions = 1)
class ConnectPluginArchiveIT {

    static final String TOPIC = "pga.metrics.database";
    private static final String BUCKET = "plugin-it";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    static Path dir;
    static Path archive;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static EmbeddedS3 s3;
    @AutoClose
    static S3Client client;
    static Process worker;
    static Path workerLog;
    static String restUrl;

    @BeforeAll
    static void start(TestStack stack) throws Exception {
        archive = Path.of(System.getProperty("connect.plugin.archive", "target/pganalytics-connect.zip"));
        assertThat(archive).as("run through Maven: the archive is built at package").exists();
        kafka = stack.kafka();
        registry = stack.registry();
        s3 = stack.s3();
        client = S3Client.builder().endpointOverride(URI.create(s3.endpoint())).region(Region.of(s3.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .forcePathStyle(true).build();
        client.createBucket(b -> b.bucket(BUCKET));
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.destroy();
            if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                worker.destroyForcibly();
            }
        }
    }

    @Test
    void theArchiveHoldsAManifestAndOurJarsButNotTheWorkersOwn() throws IOException {
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            List<String> names = zip.stream().map(ZipEntry::getName).toList();
            String root = names.get(0).substring(0, names.get(0).indexOf('/') + 1);
            assertThat(root).startsWith("pganalytics-connect-");
            assertThat(names).contains(root + "manifest.json")
                    .anyMatch(n -> n.matches(".*/lib/sink-connectors-.*\\.jar"))
                    .anyMatch(n -> n.matches(".*/lib/schemas-.*\\.jar"))
                    .anyMatch(n -> n.matches(".*/lib/s3-.*\\.jar"))
                    .anyMatch(n -> n.matches(".*/lib/postgresql-.*\\.jar"))
                    .noneMatch(n -> n.matches(".*/lib/(connect-api|kafka-clients|connect-runtime|slf4j-api)-.*\\.jar"));
            try (InputStream manifest = zip.getInputStream(zip.getEntry(root + "manifest.json"))) {
                String text = new String(manifest.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(text).contains("\"name\": \"pganalytics-connect\"").doesNotContain("${");
            }
        }
    }

    @Test
    void aWorkerInAnotherJvmLoadsTheBackupSinkFromThePluginPathAndItBacksUpATopic() throws Exception {
        Path plugins = dir.resolve("plugins");
        unzip(archive, plugins);
        startWorker(plugins);

        HttpClient http = HttpClient.newHttpClient();
        String pluginsJson = await().atMost(TIMEOUT).ignoreExceptions().until(
                () -> get(http, restUrl + "/connector-plugins"), body -> body.contains("S3BackupSinkConnector"));
        assertThat(pluginsJson).contains("io.pganalytics.sink.s3.S3BackupSinkConnector")
                .contains("io.pganalytics.sink.timescale.TimescaleSinkConnector");
        assertThat(Files.readString(workerLog)).contains("Loading plugin from: " + plugins.toRealPath());

        produce(List.of(Instant.parse("2026-11-20T10:00:00Z"), Instant.parse("2026-11-20T10:00:01Z"),
                Instant.parse("2026-11-20T11:00:00Z")));
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(restUrl + "/connectors/backup/config"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(connectorJson())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isIn(200, 201);

        String expected = "plugin/" + TOPIC + "/dt=2026-11-20/hour=10/" + TOPIC + "+0+0.avro";
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            String status = get(http, restUrl + "/connectors/backup/status");
            assertThat(status).doesNotContain("FAILED");
            assertThat(client.listObjectsV2(b -> b.bucket(BUCKET).prefix("plugin/")).contents())
                    .anyMatch(o -> o.key().equals(expected));
        });
    }

    private static void startWorker(Path plugins) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        restUrl = "http://127.0.0.1:" + port;
        Path properties = dir.resolve("worker.properties");
        Files.writeString(properties, String.join("\n",
                "bootstrap.servers=" + kafka.bootstrapServers(),
                "group.id=plugin-it",
                "config.storage.topic=plugin-it-configs",
                "offset.storage.topic=plugin-it-offsets",
                "status.storage.topic=plugin-it-status",
                "config.storage.replication.factor=1",
                "offset.storage.replication.factor=1",
                "status.storage.replication.factor=1",
                "offset.storage.partitions=1",
                "key.converter=org.apache.kafka.connect.storage.StringConverter",
                "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
                "listeners=http://127.0.0.1:" + port,
                "rest.advertised.host.name=127.0.0.1",
                "plugin.path=" + plugins.toRealPath(),
                // Scan plugin.path like a worker that has never heard of us; no service-loader shortcut.
                "plugin.discovery=only_scan",
                "offset.flush.interval.ms=1000",
                "scheduled.rebalance.max.delay.ms=0") + "\n");
        Path logback = dir.resolve("logback.xml");
        Files.writeString(logback, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="org.apache.kafka.connect.runtime.isolation" level="INFO"/>
                  <logger name="io.pganalytics" level="INFO"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        String ownClasses = Path.of("target", "classes").toAbsolutePath().normalize().toString();
        String ownTestClasses = Path.of("target", "test-classes").toAbsolutePath().normalize().toString();
        List<String> classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> {
                    String normalized = Path.of(entry).toAbsolutePath().normalize().toString();
                    return !normalized.equals(ownClasses) && !normalized.equals(ownTestClasses)
                            && !normalized.contains("sink-connectors-");
                })
                .toList();
        assertThat(classPath).as("the worker's class path").isNotEmpty()
                .noneMatch(entry -> entry.endsWith("sink-connectors/target/classes"));
        workerLog = dir.resolve("worker.log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-Dlogback.configurationFile=" + logback, "-cp", String.join(File.pathSeparator, classPath),
                "org.apache.kafka.connect.cli.ConnectDistributed", properties.toString()));
        worker = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(workerLog.toFile()).start();
    }

    private static String connectorJson() {
        Map<String, String> config = Map.ofEntries(
                Map.entry("connector.class", "io.pganalytics.sink.s3.S3BackupSinkConnector"),
                Map.entry("tasks.max", "1"),
                Map.entry("topics", TOPIC),
                Map.entry("s3.bucket.name", BUCKET),
                Map.entry("s3.prefix", "plugin"),
                Map.entry("s3.endpoint", s3.endpoint()),
                Map.entry("s3.region", s3.region()),
                Map.entry("s3.path.style.access.enabled", "true"),
                Map.entry("aws.access.key.id", s3.accessKey()),
                Map.entry("aws.secret.access.key", s3.secretKey()),
                Map.entry("schema.registry.url", registry.url()),
                Map.entry("rotate.interval.ms", "3600000"));
        return config.entrySet().stream().map(e -> "\"" + e.getKey() + "\": \"" + e.getValue() + "\"")
                .collect(Collectors.joining(", ", "{", "}"));
    }

    private static void produce(List<Instant> times) {
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()))) {
            int n = 0;
            for (Instant time : times) {
                producer.send(new ProducerRecord<>(TOPIC, null, time.toEpochMilli(), "collector-1/db-a",
                        BackupSamples.database("db-a", n++)));
            }
            producer.flush();
        }
    }

    private static String get(HttpClient http, String url) throws Exception {
        if (!worker.isAlive()) {
            throw new AssertionError("the worker exited with " + worker.exitValue() + ":\n" + tail(workerLog));
        }
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static void unzip(Path zip, Path target) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (ZipEntry entry : file.stream().toList()) {
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new IOException("entry outside the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (InputStream in = file.getInputStream(entry)) {
                        Files.copy(in, out);
                    }
                }
            }
        }
    }
}
