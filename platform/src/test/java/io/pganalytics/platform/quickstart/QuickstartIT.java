package io.pganalytics.platform.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.collector.config.Preset;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.platform.CommandRun;
import io.pganalytics.sink.s3.BackupFormat;
import io.pganalytics.sink.s3.S3Connection;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.types.Password;
import software.amazon.awssdk.services.s3.S3Client;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on the real embedded components, as {@code pganalytics quickstart} runs it:
 * PostgreSQL → collector → Kafka → stream processors → Connect sink → metrics table.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuickstartIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String SINK_GROUP = "connect-" + QuickstartStack.SINK_CONNECTOR;
    private static final String STREAMS_GROUP = "pga-streams-ingest";

    @TempDir
    static Path dataDir;
    static QuickstartOptions options;
    static QuickstartStack stack;

    @BeforeAll
    static void start() throws Exception {
        options = new QuickstartOptions(dataDir, freePort(), freePort(), freePort(), freePort(), freePort(), freePort(),
                freePort(), Duration.ofSeconds(1), 20);
        stack = QuickstartStack.start(options);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void healthIsUpAndDemoDatabaseRowsArriveAndGrow() throws Exception {
        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(stack.api().url() + "/api/v1/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);

        await().atMost(WAIT).until(() -> demoRows() >= 1);
        long first = demoRows();
        await().atMost(WAIT).until(() -> demoRows() > first);
        assertThat(queryLong("SELECT max(xact_commit) FROM database_metrics WHERE datname = 'demo'")).isPositive();
    }

    @Test
    @Order(2)
    void theBannerShowsTheCollectorsEndpointAndFleetCommandsThatWork() throws Exception {
        String banner = QuickstartCommand.banner(stack, Duration.ofSeconds(1));
        int port = stack.collector().httpPort();
        assertThat(port).isPositive();
        assertThat(banner).contains("http://127.0.0.1:" + port + "/metrics",
                "./pganalytics fleet status --bootstrap-servers " + stack.kafka().bootstrapServers(),
                "cat " + stack.fleetKeysFile().toAbsolutePath().normalize());
        // The `fleet targets put` example is two shell lines joined by a backslash, as a user pastes it.
        assertThat(banner).containsPattern("fleet targets put .* \\\\\n\\s+--id mydb");
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void theBannersFirstLoginSignsInAndItsTokenCallsTheApi() throws Exception {
        String banner = QuickstartCommand.banner(stack, Duration.ofSeconds(1));
        String password = stack.firstAdminPassword().orElseThrow();
        assertThat(banner).contains("login admin / " + password);
        // the banner's login line, as a user runs it: the JSON body and the URL it prints
        java.util.regex.Matcher login = java.util.regex.Pattern
                .compile("-d '(\\{[^']+})' \\\\\n\\s+(http://\\S+/api/v1/auth/login)").matcher(banner);
        assertThat(login.find()).as(banner).isTrue();
        HttpResponse<String> signedIn = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(login.group(2)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(login.group(1))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
        // the sed of the banner takes the token out of the answer as it is laid out
        java.util.regex.Matcher token = java.util.regex.Pattern.compile(".*\"accessToken\":\"([^\"]+)\".*").matcher(signedIn.body());
        assertThat(token.matches()).isTrue();
        java.util.regex.Matcher curl = java.util.regex.Pattern
                .compile("curl -H \"Authorization: Bearer \\$TOKEN\" (http://\\S+)").matcher(banner);
        assertThat(curl.find()).as(banner).isTrue();
        assertThat(curl.group(1)).isEqualTo(stack.api().url() + "/api/v1/collectors");
        HttpResponse<String> collectors = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(curl.group(1)))
                .header("Authorization", "Bearer " + token.group(1)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(collectors.statusCode()).as(collectors.body()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(collectors.body()).path("items").isArray()).isTrue();
        // the collector's own view answers with the access token, and 401 without it
        String status = stack.api().url() + "/api/v1/collectors/" + QuickstartStack.COLLECTOR_ID + "/status";
        await().atMost(WAIT).until(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(status))
                .header("Authorization", "Bearer " + token.group(1)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode() == 200);
        assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(status)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        // the password is nowhere in the data directory but as its hash in the database
        try (var files = java.nio.file.Files.walk(stack.options().dataDir().resolve("spool").getParent(), 1)) {
            for (java.nio.file.Path file : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                assertThat(new String(java.nio.file.Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1)).as(file.toString()).doesNotContain(password);
            }
        }
        // the first admin's creation is in the audit trail, which the banner's verify command finds intact
        await().atMost(WAIT).until(() -> new ObjectMapper().readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(stack.api().url() + "/api/v1/audit?action=user.create&resourceId=admin"))
                .header("Authorization", "Bearer " + token.group(1)).build(), HttpResponse.BodyHandlers.ofString()).body())
                .path("items").size() == 1);
        java.util.regex.Matcher verify = java.util.regex.Pattern.compile("pganalytics audit verify (--config \\S+) (--public-key \\S+)")
                .matcher(banner);
        assertThat(verify.find()).as(banner).isTrue();
        CommandRun verified = CommandRun.of("audit", "verify", "--config", verify.group(1).substring("--config ".length()),
                "--public-key", verify.group(2).substring("--public-key ".length()));
        assertThat(verified.exitCode()).as(verified.err()).isZero();
        assertThat(verified.out()).startsWith("intact: ");
    }

    @Test
    @Order(2)
    void theCollectorIsReportedOnlineByTheFleetTopology() {
        AvroDeserializer<FleetStatus> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, stack.registry().url(),
                AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        List<FleetStatus> statuses = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "quickstart-it-fleet",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), values)) {
            consumer.subscribe(List.of(Topics.FLEET_STATUS));
            await().atMost(WAIT).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> statuses.add(r.value()));
                assertThat(statuses).anySatisfy(status -> {
                    assertThat(status.getCollectorId()).isEqualTo(QuickstartStack.COLLECTOR_ID);
                    assertThat(status.getStatus().name()).isEqualTo("ONLINE");
                });
            });
        }
    }

    @Test
    @Order(2)
    void everyStandardPresetFamilyHasRecordsAndQueryTextsAppearOncePerQueryid() {
        AvroDeserializer<GenericRecord> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, stack.registry().url()), false);
        String key = QuickstartStack.COLLECTOR_ID + "/" + QuickstartStack.TARGET_ID;
        Map<String, Integer> perFamily = new HashMap<>();
        Map<String, Integer> texts = new HashMap<>();
        java.util.Set<Object> statementCycles = new java.util.HashSet<>();
        List<String> topics = new ArrayList<>();
        Preset.STANDARD.multiples().keySet().forEach(family -> topics.add(Topics.raw(family)));
        topics.add(Topics.RAW_QUERY_TEXTS);
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "quickstart-it-families",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), values)) {
            consumer.subscribe(topics);
            await().atMost(WAIT).untilAsserted(() -> {
                for (ConsumerRecord<String, GenericRecord> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(Topics.RAW_QUERY_TEXTS)) {
                        texts.merge(r.key(), 1, Integer::sum);
                        continue;
                    }
                    assertThat(r.key()).isEqualTo(key);
                    String family = r.value().getSchema().getObjectProp("pga.family").toString();
                    perFamily.merge(family, 1, Integer::sum);
                    if (family.equals("statements")) {
                        statementCycles.add(r.value().get("sampledAt"));
                    }
                }
                assertThat(perFamily.keySet()).containsAll(Preset.STANDARD.multiples().keySet());
                assertThat(statementCycles).as("statements cycles seen").hasSizeGreaterThanOrEqualTo(3);
            });
        }
        assertThat(texts).isNotEmpty();
        assertThat(texts).allSatisfy((queryKey, count) -> {
            assertThat(queryKey).startsWith(QuickstartStack.TARGET_ID + "/");
            assertThat(count).as("texts of %s", queryKey).isEqualTo(1);
        });
    }

    @Test
    @Order(2)
    void everyDashboardQueryRunsAgainstTheMetricsTable() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("..", "dashboards", "databases.json").toFile());
        List<String> queries = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> panel.path("targets").forEach(t -> queries.add(t.path("rawSql").asText())));
        dashboard.path("templating").path("list").forEach(variable -> queries.add(variable.path("query").asText()));
        assertThat(queries).hasSizeGreaterThan(5);
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(QuickstartStack.METRICS_DATABASE),
                stack.postgres().user(), null)) {
            for (String query : queries) {
                // Grafana's macros, expanded as Grafana would for the last hour and one target.
                String sql = query.replaceAll("\\$__timeFilter\\((\\w+)\\)", "$1 > now() - interval '1 hour'")
                        .replace("$target", "'" + QuickstartStack.TARGET_ID + "'");
                try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                    assertThat(rs.next()).as("rows from %s", sql).isTrue();
                }
            }
        }
    }

    @Test
    @Order(2)
    void theDataTopicsAreBackedUpToS3AndRestoreReplaysThemToKafka() throws Exception {
        S3Connection connection = new S3Connection(stack.s3().endpoint(), stack.s3().region(), true,
                stack.s3().accessKey(), new Password(stack.s3().secretKey()));
        try (S3Client client = connection.newClient()) {
            await().atMost(Duration.ofSeconds(90)).until(() -> client.listObjectsV2Paginator(b -> b
                            .bucket(QuickstartStack.BACKUP_BUCKET)).contents().stream()
                    .map(o -> BackupFormat.parse(o.key()).map(BackupFormat.ObjectName::topic).orElse("?"))
                    .collect(java.util.stream.Collectors.toSet())
                    .containsAll(List.of(Topics.RAW_DATABASE, Topics.METRICS_DATABASE)));
            // client-side encryption is on: what the store holds is ciphertext, sealed with the fleet's key ring
            String any = client.listObjectsV2Paginator(b -> b.bucket(QuickstartStack.BACKUP_BUCKET)).contents().stream()
                    .map(o -> o.key()).filter(k -> BackupFormat.parse(k).isPresent()).findFirst().orElseThrow();
            assertThat(client.headObject(b -> b.bucket(QuickstartStack.BACKUP_BUCKET).key(any)).metadata())
                    .containsEntry(io.pganalytics.sink.s3.BackupEncryption.META_ENCRYPTION, io.pganalytics.sink.s3.BackupEncryption.SCHEME);
        }

        String restored = "restored." + Topics.METRICS_DATABASE;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(restored, 6, (short) 1))).all().get();
        }
        Path config = dataDir.resolve("restore.properties");
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(stack.s3ConnectionConfig());
        properties.put("kafka.bootstrap.servers", stack.kafka().bootstrapServers());
        properties.put("schema.registry.url", stack.registry().url());
        try (var writer = java.nio.file.Files.newBufferedWriter(config)) {
            properties.store(writer, null);
        }
        CommandRun run = CommandRun.of("restore", "--from", "s3://" + QuickstartStack.BACKUP_BUCKET,
                "--topics", Topics.METRICS_DATABASE, "--to-kafka", "--topic-prefix", "restored.", "--config", config.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        java.util.regex.Matcher count = java.util.regex.Pattern.compile("Restored (\\d+) records").matcher(run.out());
        assertThat(count.find()).as(run.out()).isTrue();
        long restoredRecords = Long.parseLong(count.group(1));
        assertThat(restoredRecords).isPositive();
        assertThat(run.err()).contains("restore: 100%");

        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "quickstart-it-restored",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(restored));
            await().atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= restoredRecords;
            });
        }
        assertThat(records).hasSize((int) restoredRecords);
    }

    @Test
    @Order(3)
    void malformedRecordLandsInTheDeadLetterTopicAndThePipelineKeepsFlowing() throws Exception {
        String key = QuickstartStack.COLLECTOR_ID + "/" + QuickstartStack.TARGET_ID;
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafka().bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.RAW_DATABASE, key, "garbage".getBytes(StandardCharsets.UTF_8))).get();
        }
        List<ConsumerRecord<String, byte[]>> dead = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "quickstart-it-dlq",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.DLQ));
            await().atMost(WAIT).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(dead::add);
                assertThat(dead).anySatisfy(r -> assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("garbage"));
            });
        }
        long before = demoRows();
        await().atMost(WAIT).until(() -> demoRows() > before);
    }

    @Test
    @Order(4)
    void sinkRestartAndReplayFromOffsetZeroLeaveTheRowCountUnchanged() throws Exception {
        stack.collector().close(); // no new samples, so the count can settle
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers()))) {
            await().atMost(WAIT).until(() -> caughtUp(admin, STREAMS_GROUP, Topics.RAW_DATABASE)
                    && sinkCaughtUp(Topics.METRICS_DATABASE));
            long settled = rows();
            assertThat(settled).isPositive();

            stack.connect().deleteConnector(QuickstartStack.SINK_CONNECTOR);
            await().atMost(WAIT).until(() -> !stack.connect().connectors().contains(QuickstartStack.SINK_CONNECTOR));
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                admin.deleteConsumerGroups(List.of(SINK_GROUP)).all().get();
                return true;
            });
            stack.connect().putConnector(QuickstartStack.SINK_CONNECTOR, stack.sinkConfig());

            // The re-created connector has no committed offsets: its tasks rewind to the offsets stored with the rows.
            await().atMost(WAIT).until(() -> sinkCaughtUp(Topics.METRICS_DATABASE));
            assertThat(rows()).isEqualTo(settled);
        }
    }

    @Test
    @Order(5)
    void restartWithTheSameDataDirContinuesWithoutDuplicates() throws Exception {
        long before = rows();
        int schemaId = SchemaRegistryClient.forUrl(stack.registry().url()).latest(Topics.valueSubject(Topics.RAW_DATABASE)).id();
        stack.close();

        stack = QuickstartStack.start(options);

        assertThat(SchemaRegistryClient.forUrl(stack.registry().url()).latest(Topics.valueSubject(Topics.RAW_DATABASE)).id()).isEqualTo(schemaId);
        assertThat(rows()).isGreaterThanOrEqualTo(before);
        await().atMost(WAIT).until(() -> rows() > before);
        assertThat(queryLong("SELECT count(*) - count(DISTINCT (target_id, datid, sampled_at)) FROM database_metrics")).isZero();
    }

    /**
     * Whether a group has committed past the last data record of every partition. Not the end
     * offset: a transactional topic ends with a commit marker, which a sink never commits past.
     */
    private static boolean caughtUp(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (var last : nextAfterLastRecord(topic).entrySet()) {
            OffsetAndMetadata offset = committed.get(last.getKey());
            if (offset == null || offset.offset() < last.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the sink has stored every record of the topic. It keeps its offsets in the metrics database, in the
     * same transaction as the rows (Connect's group offsets follow, and are not committed after a rewind alone).
     */
    private static boolean sinkCaughtUp(String topic) throws Exception {
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(QuickstartStack.METRICS_DATABASE),
                stack.postgres().user(), null);
             PreparedStatement q = c.prepareStatement("SELECT kafka_partition, next_offset FROM pga_sink_offsets "
                     + "WHERE connector = ? AND topic = ?")) {
            q.setString(1, QuickstartStack.SINK_CONNECTOR);
            q.setString(2, topic);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    stored.put(new TopicPartition(topic, rs.getInt(1)), rs.getLong(2));
                }
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return false; // the sink has not created its offsets table yet
            }
            throw e;
        }
        return nextAfterLastRecord(topic).entrySet().stream()
                .allMatch(last -> stored.getOrDefault(last.getKey(), 0L) >= last.getValue());
    }

    /** For each partition holding records, the offset just after its last committed record. */
    private static Map<TopicPartition, Long> nextAfterLastRecord(String topic) {
        Map<TopicPartition, Long> next = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            for (TopicPartition partition : partitions) {
                long end = ends.get(partition);
                if (end == 0) {
                    continue;
                }
                // The last records sit within the last few offsets; transaction markers are in between.
                consumer.seek(partition, Math.max(0, end - 100));
            }
            while (partitions.stream().anyMatch(p -> ends.get(p) > 0 && consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    next.merge(new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
                }
            }
        }
        return next;
    }

    private static long demoRows() throws SQLException {
        return queryLong("SELECT count(*) FROM database_metrics WHERE datname = 'demo'");
    }

    private static long rows() throws SQLException {
        return queryLong("SELECT count(*) FROM database_metrics");
    }

    private static long queryLong(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(QuickstartStack.METRICS_DATABASE),
                stack.postgres().user(), null);
             ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return 0; // the sink has not created its table yet
            }
            throw e;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
