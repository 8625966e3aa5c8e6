package io.pganalytics.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.auth.RateLimitSettings;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.audit.AuditConfig;
import io.pganalytics.audit.AuditRole;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.audit.CheckpointKeys;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.sink.s3.S3Connection;
import io.pganalytics.streams.audit.AuditChainStreamsRole;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail as its users reach it: changes and logins made over the real API, read back by an auditor from
 * {@code GET /api/v1/audit} with filters, reports and a cursor, verified, and exported as CSV and per data subject.
 */
@EmbeddedStack(registry = true, postgres = true, databases = "pganalytics_control")
@ContractTopics({"pga.audit.*", "pga.control.*", "pga.fleet.*", "pga.alert-rules"})
class AuditApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String PASSWORD = "a password long enough";

    @TempDir
    static Path dir;
    static ControlPlane plane;
    static KafkaStreams chain;
    static AuditRole audit;
    static ApiServer api;
    static String admin;
    static String auditor;
    static String viewer;

    @BeforeAll
    static void start(TestStack stack) throws Exception {
        EmbeddedPostgres postgres = stack.postgres();
        ControlPlaneConfig control = new ControlPlaneConfig(postgres.jdbcUrl("pganalytics_control"), postgres.user(), null, 4,
                stack.kafka().bootstrapServers(), stack.registry().url(), SecretBox.generateKey("k1"), true);
        ControlPlanes.migrate(control);
        plane = ControlPlanes.open(control, "audit-api-it");
        Actor setup = Actor.cli("it", "localhost");
        plane.accounts().createUser(setup, new Accounts.NewUser("alice", "admin", PASSWORD));
        plane.accounts().createUser(setup, new Accounts.NewUser("erin", "auditor", PASSWORD));
        plane.accounts().createUser(setup, new Accounts.NewUser("bob", "viewer", PASSWORD));
        CheckpointKeys.write(CheckpointKeys.generate(), dir.resolve("audit-checkpoint.key"), dir.resolve("audit-checkpoint.pub"));
        chain = new StreamsSettings(stack.kafka().bootstrapServers(), stack.registry().url(), dir.resolve("streams"), 1)
                .start(new AuditChainStreamsRole());
        audit = AuditRole.start(new AuditConfig(control, dir.resolve("offsets.dat"), "pga_audit_api", "pga_audit_api",
                dir.resolve("audit-checkpoint.key"), 3, Duration.ofMinutes(5), null, new S3Connection(null, "us-east-1", false, null, null)));
        api = FleetApi.start(new ApiConfig("127.0.0.1", 0, control.databaseUrl(), control.databaseUser(), null,
                stack.kafka().bootstrapServers()).withSchemaRegistry(stack.registry().url())
                .withAuditPublicKey(dir.resolve("audit-checkpoint.pub"))
                // Awaiting entries polls faster than a person reads: the per-user limit is not what is tested here.
                .withRateLimits(new RateLimitSettings(100_000, 100_000, 1_000, java.util.List.of())), plane);
        admin = login("alice");
        auditor = login("erin");
        viewer = login("bob");
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
    void aChangeOverTheApiIsReadBackByAnAuditorWithWhoWhenAndFromWhere() throws Exception {
        HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/groups"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .header("User-Agent", "audit-it/1.0").header("X-Request-Id", "it-request-1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"audited\"}")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        JsonNode entry = awaitOne(auditor, "action=group.create&resourceId=audited");
        JsonNode event = entry.get("event");
        assertThat(entry.get("actor").asText()).isEqualTo("alice");
        assertThat(event.get("role").asText()).isEqualTo("admin");
        assertThat(event.get("authMethod").asText()).isEqualTo("password");
        assertThat(event.get("clientIp").asText()).isEqualTo("127.0.0.1");
        assertThat(event.get("userAgent").asText()).isEqualTo("audit-it/1.0");
        assertThat(event.get("requestId").asText()).isEqualTo("it-request-1");
        assertThat(event.get("outOfBand").asBoolean()).isFalse();
        assertThat(entry.get("hash").asText()).hasSize(64);
    }

    @Test
    void aFailedLoginShowsInTheFailedLoginsReportWithTheNameTried() throws Exception {
        HttpResponse<String> refused = post("/api/v1/auth/login", null, "{\"name\":\"bob\",\"password\":\"not his password\"}");
        assertThat(refused.statusCode()).isEqualTo(401);
        JsonNode entry = awaitOne(auditor, "report=failed-logins");
        assertThat(entry.get("actor").asText()).isEqualTo("bob");
        assertThat(entry.get("action").asText()).isEqualTo("login.failed");
        assertThat(entry.get("event").get("clientIp").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void onlyAuditorsAndAdminsReadTheTrail() throws Exception {
        assertThat(get("/api/v1/audit", viewer).statusCode()).isEqualTo(403);
        assertThat(get("/api/v1/audit/verify", viewer).statusCode()).isEqualTo(403);
        assertThat(post("/api/v1/audit/export", viewer, "{\"subject\":\"bob\"}").statusCode()).isEqualTo(403);
        assertThat(get("/api/v1/audit", null).statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/audit", auditor).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/audit", admin).statusCode()).isEqualTo(200);
    }

    @Test
    void pagesFollowTheCursorNewestFirstWithoutOverlap() throws Exception {
        awaitOne(auditor, "action=user.create&resourceId=bob");
        JsonNode first = JSON.readTree(get("/api/v1/audit?limit=2", auditor).body());
        assertThat(first.get("items")).hasSize(2);
        long newest = first.get("items").get(0).get("seq").asLong();
        assertThat(first.get("items").get(1).get("seq").asLong()).isLessThan(newest);
        JsonNode second = JSON.readTree(get("/api/v1/audit?limit=2&cursor=" + first.get("next").asText(), auditor).body());
        assertThat(second.get("items").get(0).get("seq").asLong()).isLessThan(first.get("items").get(1).get("seq").asLong());
        assertThat(get("/api/v1/audit?report=nonsense", auditor).statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/audit?from=yesterday", auditor).statusCode()).isEqualTo(400);
    }

    @Test
    void theChainVerifiesWithSignedCheckpointsAndTheVerificationIsItselfRecorded() throws Exception {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode result = JSON.readTree(get("/api/v1/audit/verify", auditor).body());
            assertThat(result.get("intact").asBoolean()).as(result.toString()).isTrue();
            assertThat(result.get("checkpoints").asInt()).isPositive();
            assertThat(result.get("signaturesChecked").asBoolean()).isTrue();
        });
        JsonNode verified = awaitOne(auditor, "action=audit.verify");
        assertThat(verified.get("actor").asText()).isEqualTo("erin");
    }

    @Test
    void aDataSubjectExportHoldsEveryEntryAboutThatUserAndIsRecorded() throws Exception {
        awaitOne(auditor, "action=user.create&resourceId=bob");
        HttpResponse<String> json = post("/api/v1/audit/export", auditor, "{\"subject\":\"bob\",\"format\":\"json\"}");
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        JsonNode entries = JSON.readTree(json.body());
        assertThat(entries).isNotEmpty();
        assertThat(entries).anySatisfy(e -> assertThat(e.get("action").asText()).isEqualTo("user.create"));
        assertThat(entries).allSatisfy(e -> assertThat(e.toString()).contains("bob"));
        JsonNode recorded = awaitOne(auditor, "action=audit.export&resourceId=bob");
        assertThat(recorded.get("actor").asText()).isEqualTo("erin");

        Instant from = Instant.now().minus(Duration.ofHours(1));
        Instant to = Instant.now().plus(Duration.ofMinutes(1));
        HttpResponse<String> csv = post("/api/v1/audit/export", auditor,
                "{\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"format\":\"csv\"}");
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        String[] lines = csv.body().split("\n");
        assertThat(lines[0]).isEqualTo("seq,occurred_at,actor,action,resource_type,resource_id,out_of_band,hash,event");
        assertThat(lines.length).isGreaterThan(3);
        assertThat(post("/api/v1/audit/export", auditor, "{\"format\":\"xml\",\"subject\":\"bob\"}").statusCode()).isEqualTo(400);
        assertThat(post("/api/v1/audit/export", auditor, "{\"format\":\"csv\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void newEntriesReachAuditorsOnTheLiveWebSocketAndNobodyElse() throws Exception {
        java.util.List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.net.http.WebSocket socket = HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + auditor)
                .buildAsync(URI.create(api.url().replace("http", "ws") + "/api/v1/audit/live"), new java.net.http.WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket webSocket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            messages.add(text.toString());
                            text.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).get();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> messages.stream().anyMatch(m -> m.contains("\"hello\"")));
            assertThat(post("/api/v1/groups", admin, "{\"name\":\"live\"}").statusCode()).isEqualTo(201);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(messages).anySatisfy(m -> {
                JsonNode message = JSON.readTree(m);
                assertThat(message.get("type").asText()).isEqualTo("audit-entry");
                assertThat(message.get("data").get("event").get("action").asText()).isEqualTo("group.create");
                assertThat(message.get("data").get("event").get("resourceId").asText()).isEqualTo("live");
            }));
        } finally {
            socket.abort();
        }
        java.util.concurrent.CompletableFuture<java.net.http.WebSocket> refused = HTTP.newWebSocketBuilder()
                .header("Authorization", "Bearer " + viewer)
                .buildAsync(URI.create(api.url().replace("http", "ws") + "/api/v1/audit/live"), new java.net.http.WebSocket.Listener() {
                });
        org.assertj.core.api.Assertions.assertThatThrownBy(refused::get).hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class);
        assertThat(((java.net.http.WebSocketHandshakeException) org.assertj.core.api.Assertions.catchThrowable(refused::get).getCause())
                .getResponse().statusCode()).isEqualTo(403);
    }

    // ======== helpers ========

    private static String login(String name) throws Exception {
        HttpResponse<String> response = post("/api/v1/auth/login", null, "{\"name\":\"" + name + "\",\"password\":\"" + PASSWORD + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).get("accessToken").asText();
    }

    private static JsonNode awaitOne(String token, String query) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode items = JSON.readTree(get("/api/v1/audit?" + query, token).body()).get("items");
            found[0] = items != null && !items.isEmpty() ? items.get(0) : null;
            return found[0] != null;
        });
        return found[0];
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    private static HttpResponse<String> post(String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
