package io.pganalytics.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.collector.Collector;
import io.pganalytics.collector.config.ApiRegistration;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.streams.StreamsRole;
import io.pganalytics.streams.rollup.RollupsStreamsRole;
import io.pganalytics.streams.runtime.RunningTopologies;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane end to end, as an operator runs it: real collectors register themselves with a secret over the
 * real API, show online in the list and on the events WebSocket, take targets added by the API, stop and resume on
 * command, and hand their targets to the rest of their group when unregistered.
 */
@EmbeddedStack(registry = true, postgres = true, databases = "pganalytics_control")
@ContractTopics("pga.*")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlPlaneEndToEndIT {

    private static final String TOKEN = "e2e-admin-token-0123456789abcdef";
    private static final String KEYS = SecretBox.generateKey("k1");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<String> TARGETS = List.of("e2e-t1", "e2e-t2", "e2e-t3", "e2e-t4");

    @TempDir
    static Path dir;
    static TestStack stack;
    static ControlPlane plane;
    static ApiServer api;
    static RunningTopologies streams;
    static Collector first;
    static Collector second;
    static String firstId;
    static String secondId;
    static final List<String> events = new CopyOnWriteArrayList<>();
    static WebSocket socket;

    @BeforeAll
    static void start(TestStack testStack) throws Exception {
        stack = testStack;
        EmbeddedPostgres postgres = stack.postgres();
        ControlPlaneConfig control = new ControlPlaneConfig(postgres.jdbcUrl("pganalytics_control"), postgres.user(), null, 4,
                stack.kafka().bootstrapServers(), stack.registry().url(), KEYS, true);
        ControlPlanes.migrate(control);
        plane = ControlPlanes.open(control, "e2e-api");
        api = FleetApi.start(new ApiConfig("127.0.0.1", 0, control.databaseUrl(), control.databaseUser(), null,
                stack.kafka().bootstrapServers()).withSchemaRegistry(stack.registry().url()).withAdminToken(TOKEN), plane);
        streams = new StreamsRole(stack.kafka().bootstrapServers(), stack.registry().url(), dir.resolve("streams"), 1)
                .start(new RollupsStreamsRole());
        socket = HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + TOKEN)
                .buildAsync(URI.create(api.url().replace("http", "ws") + "/api/v1/events"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            events.add(text.toString());
                            text.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).get();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {socket == null ? null : () -> socket.abort(), first, second, streams, api, plane}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    @Order(1)
    void collectorsRegisterThemselvesWithASecretAndShowOnline() throws Exception {
        assertThat(call("POST", "/api/v1/groups", "{\"name\":\"eu\"}").statusCode()).isEqualTo(201);
        HttpResponse<String> secret = call("POST", "/api/v1/registration-secrets", "{\"description\":\"e2e\",\"group\":\"eu\",\"maxUses\":2}");
        assertThat(secret.statusCode()).as(secret.body()).isEqualTo(201);
        String registrationSecret = JSON.readTree(secret.body()).get("secret").asText();

        first = Collector.start(collector("e2e-first", registrationSecret), Map.of());
        second = Collector.start(collector("e2e-second", registrationSecret), Map.of());
        firstId = first.config().collectorId();
        secondId = second.config().collectorId();
        assertThat(firstId).isNotEqualTo(secondId);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode page = json(call("GET", "/api/v1/collectors?group=eu&status=online", null));
            assertThat(page.get("items")).extracting(n -> n.get("id").asText()).contains(firstId, secondId);
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().anyMatch(e -> e.contains(firstId)));
    }

    @Test
    @Order(2)
    void targetsAddedByTheApiAreSampledAndTheirPasswordsStoredOnlyEncrypted() throws Exception {
        EmbeddedPostgres postgres = stack.postgres();
        for (String target : TARGETS) {
            HttpResponse<String> created = call("POST", "/api/v1/targets", "{\"id\":\"" + target + "\",\"url\":\"" + postgres.jdbcUrl("postgres")
                    + "\",\"user\":\"" + postgres.user() + "\",\"password\":\"pw-" + target + "\",\"preset\":\"minimal\",\"group\":\"eu\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(created.body()).doesNotContain("pw-" + target);
        }
        try (Connection c = postgres.dataSource("pganalytics_control").getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, encrypted_password FROM targets WHERE id LIKE 'e2e-%'")) {
            int rows = 0;
            while (rs.next()) {
                rows++;
                assertThat(rs.getString(2)).startsWith("v2:k1:").doesNotContain("pw-");
            }
            assertThat(rows).isEqualTo(TARGETS.size());
        }
        // Within an interval or two of the collectors' heartbeats, the group's two collectors share the four targets.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(healthyTargets(firstId) + healthyTargets(secondId)).isEqualTo(TARGETS.size()));
    }

    @Test
    @Order(3)
    void stopHaltsSamplingIsAcknowledgedAndResumeRestartsIt() throws Exception {
        HttpResponse<String> stop = call("POST", "/api/v1/collectors/" + firstId + "/stop", null);
        assertThat(stop.statusCode()).as(stop.body()).isEqualTo(202);
        String command = json(stop).get("commandId").asText();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(json(call("GET", "/api/v1/commands/" + command, null)).get("status").asText()).isEqualTo("acknowledged"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(json(call("GET", "/api/v1/collectors/" + firstId + "/status", null)).get("state").asText()).isEqualTo("stopped"));
        long produced = first.samplesProduced();
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> first.samplesProduced() == produced);

        HttpResponse<String> resume = call("POST", "/api/v1/collectors/" + firstId + "/resume", null);
        assertThat(resume.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.samplesProduced() > produced);
    }

    @Test
    @Order(4)
    void unregisteringArchivesTheCollectorAndItsTargetsMoveToTheRestOfTheGroup() throws Exception {
        assertThat(call("DELETE", "/api/v1/collectors/" + firstId, null).statusCode()).isIn(200, 204);
        JsonNode archived = json(call("GET", "/api/v1/collectors/archived", null));
        assertThat(archived.get("items")).extracting(n -> n.get("id").asText()).contains(firstId);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(healthyTargets(secondId)).isEqualTo(TARGETS.size()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(json(call("GET", "/api/v1/collectors/" + firstId + "/status", null)).get("state").asText()).isEqualTo("archived"));
    }

    private static int healthyTargets(String collectorId) throws Exception {
        HttpResponse<String> health = call("GET", "/api/v1/collectors/" + collectorId + "/health", null);
        if (health.statusCode() != 200) {
            return 0;
        }
        int healthy = 0;
        for (JsonNode target : json(health).get("targets")) {
            if (TARGETS.contains(target.get("targetId").asText()) && target.get("connected").asBoolean()
                    && !target.get("lastSuccessAt").isNull()) {
                healthy++;
            }
        }
        return healthy;
    }

    private static CollectorConfig collector(String name, String secret) {
        // The id is the registration's: the name stands in until the control plane gives one.
        CollectorConfig config = new CollectorConfig(name, stack.kafka().bootstrapServers(), stack.registry().url(), 1000, 1000, List.of());
        Path spool = dir.resolve(name).resolve("spool");
        return config.withOperations(config.operations().withSpool(spool, config.operations().spoolMaxBytes())
                .withFleet("eu", 6_000, KEYS).withApi(new ApiRegistration(api.url(), secret, name, ApiRegistration.defaultIdentityFile(spool))));
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path)).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(30));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
        return JSON.readTree(response.body());
    }
}
