package io.pganalytics.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.audit.AuditConfig;
import io.pganalytics.audit.AuditRole;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedS3;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.CheckpointKeys;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.sink.s3.BackupFormat;
import io.pganalytics.sink.s3.S3BackupSinkConfig;
import io.pganalytics.sink.s3.S3Connection;
import io.pganalytics.streams.audit.AuditChainStreamsRole;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The point-in-time recovery drill of issue 16: a thousand changes through the API while the capture, the
 * chain, the audit role and the (encrypted) S3 backup sink run; {@code pganalytics restore --control-plane --at T}
 * into an empty database; the recovered tables equal a dump taken at T, the trail up to T verifies, and the RPO and
 * recovery time are reported.
 */
@EmbeddedStack(registry = true, postgres = true, databases = {"pganalytics_control", "recovered"}, connect = true,
        connectSettings = "offset.flush.interval.ms=500", s3 = true)
@ContractTopics({"pga.audit.*", "pga.control.*", "pga.fleet.*", "pga.alert-rules"})
class ControlPlaneRecoveryIT {

    private static final String BUCKET = "pga-recovery";
    private static final String RING = SecretBox.generateKey("k1");
    private static final String TOKEN = "recovery-admin-token-0123456789";
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static TestStack stack;
    static ControlPlane plane;
    static KafkaStreams chain;
    static AuditRole audit;
    static io.pganalytics.api.ApiServer api;

    @BeforeAll
    static void start(TestStack testStack) throws Exception {
        stack = testStack;
        EmbeddedPostgres postgres = stack.postgres();
        EmbeddedS3 s3 = stack.s3();
        try (S3Client client = connection(s3).newClient()) {
            client.createBucket(b -> b.bucket(BUCKET));
        }
        ControlPlaneConfig control = config("pganalytics_control");
        ControlPlanes.migrate(control);
        ControlPlanes.migrate(config("recovered"));
        plane = ControlPlanes.open(control, "recovery-it");
        CheckpointKeys.write(CheckpointKeys.generate(), dir.resolve("audit-checkpoint.key"), dir.resolve("audit-checkpoint.pub"));
        chain = new StreamsSettings(stack.kafka().bootstrapServers(), stack.registry().url(), dir.resolve("streams"), 1)
                .start(new AuditChainStreamsRole());
        audit = AuditRole.start(new AuditConfig(control, dir.resolve("offsets.dat"), "pga_audit", "pga_audit",
                dir.resolve("audit-checkpoint.key"), 100, Duration.ofMinutes(5), BUCKET, connection(s3)));
        Map<String, String> backup = new LinkedHashMap<>();
        backup.put("connector.class", "io.pganalytics.sink.s3.S3BackupSinkConnector");
        backup.put("tasks.max", "1");
        backup.put("topics.regex", "pga\\.(audit\\.log|control\\.cdc\\..*)");
        backup.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        backup.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        backup.put(S3BackupSinkConfig.BUCKET, BUCKET);
        backup.put(S3BackupSinkConfig.SCHEMA_REGISTRY_URL, stack.registry().url());
        backup.put(S3BackupSinkConfig.ROTATE_INTERVAL_MS, "1000");
        backup.put(S3Connection.ENDPOINT, s3.endpoint());
        backup.put(S3Connection.REGION, s3.region());
        backup.put(S3Connection.PATH_STYLE, "true");
        backup.put(S3Connection.ACCESS_KEY_ID, s3.accessKey());
        backup.put(S3Connection.SECRET_ACCESS_KEY, s3.secretKey());
        backup.put(S3Connection.ENCRYPTION_KEYS, RING);
        stack.connect().putConnector("recovery-backup", backup);
        api = io.pganalytics.api.fleet.FleetApi.start(new io.pganalytics.api.ApiConfig("127.0.0.1", 0, control.databaseUrl(),
                control.databaseUser(), null, stack.kafka().bootstrapServers()).withSchemaRegistry(stack.registry().url())
                .withAdminToken(TOKEN).withRateLimits(new io.pganalytics.api.auth.RateLimitSettings(1_000_000, 1_000_000, 100_000,
                        List.of())), plane);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {api, audit, chain == null ? null : () -> StreamsSettings.stop(chain), plane}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void theControlPlaneRecoveredAtAnInstantEqualsADumpTakenThenAndItsTrailVerifies() throws Exception {
        changes(0, 500);
        Instant at = Instant.now();
        Map<String, List<String>> dumpAtT = dump("pganalytics_control");
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(at.plusMillis(5)));
        changes(500, 1000);
        Map<String, List<String>> dumpAtEnd = dump("pganalytics_control");
        assertThat(dumpAtEnd).isNotEqualTo(dumpAtT);

        // Every change stream's backup reaches past T (the capture ticks every stream, the sink rotates every second).
        try (S3Client client = connection(stack.s3()).newClient()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> Topics.CONTROL_TABLES.stream().allMatch(table ->
                    client.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(Topics.controlChanges(table) + "/")).contents().stream()
                            .map(o -> client.headObject(h -> h.bucket(BUCKET).key(o.key())).metadata().get(BackupFormat.META_MAX_TIMESTAMP))
                            .filter(java.util.Objects::nonNull)
                            .anyMatch(max -> Long.parseLong(max.trim()) > at.toEpochMilli() + 1000)));
        }

        Path config = dir.resolve("restore.properties");
        EmbeddedS3 s3 = stack.s3();
        Files.writeString(config, String.join("\n",
                "s3.endpoint=" + s3.endpoint(), "s3.region=" + s3.region(), "s3.path.style.access.enabled=true",
                "aws.access.key.id=" + s3.accessKey(), "aws.secret.access.key=" + s3.secretKey(), "s3.encryption.keys=" + RING,
                "schema.registry.url=" + stack.registry().url(), "kafka.bootstrap.servers=" + stack.kafka().bootstrapServers(),
                "connection.url=" + stack.postgres().jdbcUrl("recovered"), "connection.user=" + stack.postgres().user(), ""));
        CommandRun run = CommandRun.of("restore", "--from", "s3://" + BUCKET, "--control-plane", "--at", at.toString(),
                "--public-key", dir.resolve("audit-checkpoint.pub").toString(), "--config", config.toString());
        assertThat(run.exitCode()).as(run.err() + run.out()).isZero();
        assertThat(run.out()).contains("Recovered the control plane as of " + at).contains("RPO at " + at + ": 0 s")
                .contains("signatures verified");
        Matcher took = Pattern.compile("in (\\d+) ms").matcher(run.out());
        assertThat(took.find()).isTrue();
        System.out.println("PITR drill: " + run.out().lines().filter(l -> l.startsWith("Recovered") || l.startsWith("RPO")
                || l.startsWith("Audit")).reduce((a, b) -> a + " | " + b).orElse(""));

        assertThat(dump("recovered")).isEqualTo(dumpAtT);

        // A plain restore of every topic at the bucket's root reads past the checkpoints lying beside the backups.
        List<String> backedUp = new ArrayList<>(List.of(Topics.AUDIT_LOG));
        Topics.CONTROL_TABLES.forEach(table -> backedUp.add(Topics.controlChanges(table)));
        stack.kafka().createTopics(backedUp.stream().map(t -> new org.apache.kafka.clients.admin.NewTopic("copy." + t, 1, (short) 1))
                .toArray(org.apache.kafka.clients.admin.NewTopic[]::new));
        CommandRun copy = CommandRun.of("restore", "--from", "s3://" + BUCKET, "--to-kafka", "--topic-prefix", "copy.",
                "--config", config.toString());
        assertThat(copy.exitCode()).as(copy.err()).isZero();
    }

    /** A mix of what operators do, over HTTP: groups, users and their roles, targets with passwords, logins, deletions. */
    private static void changes(int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            switch (i % 5) {
                case 0 -> call("POST", "/api/v1/groups", "{\"name\":\"g" + i + "\",\"description\":\"group " + i + "\"}", 201);
                case 1 -> call("POST", "/api/v1/users", "{\"name\":\"u" + i + "\",\"role\":\"viewer\",\"password\":\"a long enough password "
                        + i + "\"}", 201);
                case 2 -> call("PUT", "/api/v1/users/u" + (i - 1) + "/role", "{\"role\":\"" + (i % 2 == 0 ? "user" : "auditor") + "\"}", 200);
                case 3 -> call("POST", "/api/v1/targets", "{\"id\":\"t" + i + "\",\"url\":\"jdbc:postgresql://db" + i + ":5432/app\","
                        + "\"user\":\"monitor\",\"password\":\"secret-" + i + "\",\"group\":\"g" + (i - 3) + "\"}", 201);
                default -> {
                    if (i % 10 == 4) {
                        login("u" + (i - 3), "a long enough password " + (i - 3));
                    } else {
                        call("DELETE", "/api/v1/targets/t" + (i - 6), null, 204);
                    }
                }
            }
        }
    }

    private static void call(String method, String path, String body, int expected) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url() + path)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody() : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        var response = HTTP.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expected);
    }

    private static void login(String name, String password) throws Exception {
        var response = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url() + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"password\":\"" + password + "\"}"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    /** Every control-plane table's rows as JSON (generated columns aside), in key order. */
    private static Map<String, List<String>> dump(String database) throws Exception {
        Map<String, List<String>> dump = new LinkedHashMap<>();
        try (Connection c = stack.postgres().dataSource(database).getConnection(); Statement s = c.createStatement()) {
            for (String table : Topics.CONTROL_TABLES) {
                List<String> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("SELECT (to_jsonb(t) - 'search_text')::text FROM " + table + " t ORDER BY 1")) {
                    while (rs.next()) {
                        rows.add(rs.getString(1));
                    }
                }
                dump.put(table, rows);
            }
        }
        return dump;
    }

    private static ControlPlaneConfig config(String database) {
        return new ControlPlaneConfig(stack.postgres().jdbcUrl(database), stack.postgres().user(), null, 4,
                stack.kafka().bootstrapServers(), stack.registry().url(), RING, true);
    }

    private static S3Connection connection(EmbeddedS3 s3) {
        return new S3Connection(s3.endpoint(), s3.region(), true, s3.accessKey(), new Password(s3.secretKey()));
    }
}
