package io.pganalytics.api.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.routes.ApiRoute;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The fleet API through real HTTP on a real control-plane database, broker and registry. */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics("pga.*")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetApiIT {

    static final String TOKEN = "fleet-api-it-admin-token-0";
    static final String DATABASE = "pganalytics_control";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static EmbeddedPostgres postgres;
    static ControlPlane fleet;
    static ApiServer api;
    static KafkaProducer<String, GenericContainer> producer;

    @BeforeAll
    static void start(TestStack stack) {
        postgres = stack.postgres();
        postgres.createDatabaseIfMissing(DATABASE);
        ControlPlaneConfig control = new ControlPlaneConfig(postgres.jdbcUrl(DATABASE), postgres.user(), null, 4,
                stack.kafka().bootstrapServers(), stack.registry().url(), SecretBox.generateKey("it"), true);
        ControlPlanes.migrate(control);
        fleet = ControlPlanes.open(control, "fleet-api-it");
        api = FleetApi.start(new ApiConfig("127.0.0.1", 0, control.databaseUrl(), postgres.user(), null,
                stack.kafka().bootstrapServers(), TOKEN, List.of(), 64 * 1024, stack.registry().url()), fleet);
        AvroSerializer<GenericContainer> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, stack.registry().url()), false);
        producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafka().bootstrapServers()), new StringSerializer(), avro);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (fleet != null) {
            fleet.close();
        }
        if (producer != null) {
            producer.close();
        }
    }

    static HttpResponse<String> call(String method, String path, String token, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return call(method, path, TOKEN, body, Map.of());
    }

    static JsonNode ok(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    }

    static String secret() throws Exception {
        return ok(call("POST", "/api/v1/registration-secrets", "{\"description\":\"it\",\"maxUses\":100}"), 201)
                .path("secret").asText();
    }

    static JsonNode register(String secret, String name, String group, String tag) throws Exception {
        return ok(call("POST", "/api/v1/collectors/register", null, """
                {"secret":"%s","name":"%s","hostname":"host-%s","version":"0.1.0","group":%s,"tags":["%s"]}
                """.formatted(secret, name, name, group == null ? "null" : "\"" + group + "\"", tag), Map.of()), 201);
    }

    static long count(String table) throws Exception {
        try (Connection connection = postgres.dataSource(DATABASE).getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    @Order(1)
    void aCollectorRegistersWithASecretAndItsTokenIdentifiesIt() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> call("GET", "/ready", null, null, Map.of()).statusCode() == 200);
        ok(call("POST", "/api/v1/groups", "{\"name\":\"eu\",\"description\":\"Europe\"}"), 201);
        JsonNode registration = register(secret(), "alpha", "eu", "prod");
        String id = registration.path("collector").path("id").asText();
        assertThat(id).matches("c-[a-z2-7]{12}");
        assertThat(registration.path("token").asText()).startsWith("pga_c_");
        assertThat(registration.path("collector").path("lifecycle").asText()).isEqualTo("active");
        // a collector token is a principal, but not a viewer
        assertThat(call("GET", "/api/v1/collectors", registration.path("token").asText(), null, Map.of()).statusCode())
                .isEqualTo(403);
        assertThat(call("GET", "/api/v1/collectors", null, null, Map.of()).statusCode()).isEqualTo(401);
        HttpResponse<String> badSecret = call("POST", "/api/v1/collectors/register", null,
                "{\"secret\":\"pga_r_nope\",\"name\":\"x\",\"hostname\":\"h\",\"version\":\"1\"}", Map.of());
        assertThat(badSecret.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(badSecret.body()).path("error").asText()).isEqualTo("unauthorized");
    }

    @Test
    @Order(2)
    void collectorsAreListedFilteredAndPaginatedByCursor() throws Exception {
        String secret = secret();
        register(secret, "beta", "eu", "prod");
        register(secret, "gamma", null, "test");
        register(secret, "delta", "eu", "test");
        JsonNode all = ok(call("GET", "/api/v1/collectors?limit=200", null), 200);
        assertThat(all.path("items").size()).isGreaterThanOrEqualTo(4);
        JsonNode eu = ok(call("GET", "/api/v1/collectors?group=eu&tag=prod", null), 200);
        assertThat(eu.path("items").findValuesAsText("name")).containsExactly("alpha", "beta");
        List<String> names = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = ok(call("GET", "/api/v1/collectors?limit=2&sort=name" + (cursor == null ? "" : "&cursor=" + cursor),
                    null), 200);
            assertThat(page.path("items").size()).isLessThanOrEqualTo(2);
            page.path("items").forEach(item -> names.add(item.path("name").asText()));
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
        } while (cursor != null);
        assertThat(names).isSorted().containsAll(List.of("alpha", "beta", "delta", "gamma")).doesNotHaveDuplicates();
        assertThat(ok(call("GET", "/api/v1/collectors?search=GAM", null), 200).path("items").findValuesAsText("name"))
                .containsExactly("gamma");
        assertThat(call("GET", "/api/v1/collectors?status=asleep", null).statusCode()).isEqualTo(400);
        assertThat(call("GET", "/api/v1/collectors?limit=201", null).statusCode()).isEqualTo(400);
    }

    @Test
    @Order(3)
    void aCommandIsAcceptedWith202AndAcknowledgedWhenTheCollectorsEventArrives() throws Exception {
        String id = register(secret(), "epsilon", "eu", "prod").path("collector").path("id").asText();
        JsonNode accepted = ok(call("POST", "/api/v1/collectors/" + id + "/stop", "{\"timeoutSeconds\":120}"), 202);
        String commandId = accepted.path("commandId").asText();
        assertThat(accepted.path("status").asText()).isEqualTo("pending");
        assertThat(accepted.path("location").asText()).isEqualTo("/api/v1/commands/" + commandId);
        assertThat(ok(call("GET", "/api/v1/commands/" + commandId, null), 200).path("status").asText()).isEqualTo("pending");
        // the collector's acknowledgement, as a collector writes it
        producer.send(new ProducerRecord<>(Topics.FLEET_EVENTS, id, FleetEvent.newBuilder().setCollectorId(id)
                .setAt(Instant.now()).setKind(FleetVocabulary.KIND_COMMAND).setFrom("stop").setTo(FleetVocabulary.DONE)
                .setReason("sampling stopped").setCommandId(commandId).build())).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                ok(call("GET", "/api/v1/commands/" + commandId, null), 200).path("status").asText().equals("acknowledged"));
        JsonNode command = ok(call("GET", "/api/v1/commands/" + commandId, null), 200);
        assertThat(command.path("outcome").asText()).isEqualTo("done");
        assertThat(command.path("issuedBy").asText()).startsWith("admin");
        assertThat(call("POST", "/api/v1/collectors/c-nobody/stop", null).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void aLiveStatusFromPgaFleetStatusIsRecordedSoThatTheListFiltersOnIt() throws Exception {
        String id = register(secret(), "online-one", "eu", "prod").path("collector").path("id").asText();
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        producer.send(new ProducerRecord<>(Topics.FLEET_STATUS, id, io.pganalytics.schemas.fleet.FleetStatus.newBuilder()
                .setCollectorId(id).setStatus(io.pganalytics.schemas.fleet.CollectorStatus.ONLINE).setSince(now)
                .setLastHeartbeatAt(now).setHeartbeatIntervalMillis(15_000).setTargetsConfigured(0).setTargetsHealthy(0)
                .setVersion("0.1.0").setHostname("host").setReason("heartbeat").build())).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> ok(call("GET", "/api/v1/collectors?status=online", null), 200)
                .path("items").findValuesAsText("id").contains(id));
        assertThat(ok(call("GET", "/api/v1/collectors/" + id, null), 200).path("status").asText()).isEqualTo("online");
        assertThat(ok(call("GET", "/api/v1/collectors?status=offline", null), 200).path("items").findValuesAsText("id"))
                .doesNotContain(id);
    }

    @Test
    @Order(4)
    void anIdempotencyKeyReplaysTheSameRequestAndRefusesAnotherWith422() throws Exception {
        long before = count("targets");
        String body = "{\"id\":\"idem-1\",\"url\":\"jdbc:postgresql://db.example:5432/postgres\",\"user\":\"monitor\","
                + "\"password\":\"s3cret-idem\"}";
        HttpResponse<String> first = call("POST", "/api/v1/targets", TOKEN, body, Map.of("Idempotency-Key", "k-1"));
        HttpResponse<String> replay = call("POST", "/api/v1/targets", TOKEN, body, Map.of("Idempotency-Key", "k-1"));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(count("targets")).isEqualTo(before + 1);
        HttpResponse<String> other = call("POST", "/api/v1/targets", TOKEN, body.replace("idem-1", "idem-2"),
                Map.of("Idempotency-Key", "k-1"));
        assertThat(other.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(other.body()).path("error").asText()).isEqualTo("idempotency_key_reused");
        assertThat(count("targets")).isEqualTo(before + 1);
        // without a key, the same create is a conflict
        assertThat(call("POST", "/api/v1/targets", body).statusCode()).isEqualTo(409);
    }

    @Test
    @Order(5)
    void aTargetsPasswordIsNeverAnsweredAndStoredOnlyEncrypted() throws Exception {
        ok(call("POST", "/api/v1/targets", "{\"id\":\"pw-1\",\"url\":\"jdbc:postgresql://db.example:5432/postgres\","
                + "\"user\":\"monitor\",\"password\":\"plain-secret-9\",\"group\":\"eu\"}"), 201);
        String answered = call("GET", "/api/v1/targets/pw-1", null).body() + call("GET", "/api/v1/targets", null).body();
        assertThat(answered).doesNotContain("plain-secret-9").contains("\"passwordSet\":true");
        try (Connection connection = postgres.dataSource(DATABASE).getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT encrypted_password FROM targets WHERE id = 'pw-1'")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).startsWith("v2:").doesNotContain("plain-secret-9");
        }
        ok(call("PUT", "/api/v1/targets/pw-1", "{\"url\":\"jdbc:postgresql://db2.example:5432/postgres\",\"user\":\"monitor\"}"),
                200);
        assertThat(ok(call("GET", "/api/v1/targets/pw-1", null), 200).path("passwordSet").asBoolean()).isTrue();
        ok(call("DELETE", "/api/v1/targets/pw-1", null), 204);
        assertThat(call("GET", "/api/v1/targets/pw-1", null).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(5)
    void testConnectionReportsTheServerOfAnUnsavedAndASavedTarget() throws Exception {
        String url = postgres.jdbcUrl("postgres");
        JsonNode unsaved = ok(call("POST", "/api/v1/targets/test-connection",
                "{\"url\":\"" + url + "\",\"user\":\"" + postgres.user() + "\",\"timeoutSeconds\":10}"), 200);
        assertThat(unsaved.path("reachable").asBoolean()).as(unsaved.toString()).isTrue();
        assertThat(unsaved.path("serverVersionNum").asInt()).isGreaterThanOrEqualTo(130000);
        ok(call("POST", "/api/v1/targets", "{\"id\":\"local\",\"url\":\"" + url + "\",\"user\":\""
                + postgres.user() + "\"}"), 201);
        assertThat(ok(call("POST", "/api/v1/targets/local/test-connection", null), 200).path("reachable").asBoolean()).isTrue();
        JsonNode unreachable = ok(call("POST", "/api/v1/targets/test-connection",
                "{\"url\":\"jdbc:postgresql://127.0.0.1:1/postgres\",\"timeoutSeconds\":2}"), 200);
        assertThat(unreachable.path("reachable").asBoolean()).isFalse();
        assertThat(unreachable.path("error").asText()).isNotBlank();
        assertThat(call("POST", "/api/v1/targets/nope/test-connection", null).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(5)
    void aCsvImportIsValidatedWholeReportedPerRowAndAllOrNothing() throws Exception {
        long before = count("targets");
        String good = "id,url,user,databases\\nimp-1,jdbc:postgresql://a.example:5432/postgres,monitor,app;billing\\n"
                + "imp-2,jdbc:postgresql://b.example:5432/postgres,monitor,\\n";
        JsonNode dry = ok(call("POST", "/api/v1/collectors/bulk-import",
                "{\"kind\":\"targets\",\"csv\":\"" + good + "\",\"dryRun\":true}"), 200);
        assertThat(dry.path("imported").asBoolean()).isFalse();
        assertThat(dry.path("rows").size()).isEqualTo(2);
        assertThat(count("targets")).isEqualTo(before);
        String oneBad = good + "imp-3,postgres://nope,monitor,\\n";
        JsonNode refused = ok(call("POST", "/api/v1/collectors/bulk-import",
                "{\"kind\":\"targets\",\"csv\":\"" + oneBad + "\"}"), 200);
        assertThat(refused.path("imported").asBoolean()).isFalse();
        assertThat(refused.path("rows").get(2).path("problems").size()).isPositive();
        assertThat(count("targets")).isEqualTo(before);
        JsonNode imported = ok(call("POST", "/api/v1/collectors/bulk-import",
                "{\"kind\":\"targets\",\"csv\":\"" + good + "\"}"), 200);
        assertThat(imported.path("imported").asBoolean()).as(imported.toString()).isTrue();
        assertThat(count("targets")).isEqualTo(before + 2);
    }

    @Test
    @Order(6)
    void unregisteringArchivesAndReRegisteringGivesANewToken() throws Exception {
        JsonNode registration = register(secret(), "zeta", "eu", "prod");
        String id = registration.path("collector").path("id").asText();
        assertThat(ok(call("DELETE", "/api/v1/collectors/" + id, null), 200).path("lifecycle").asText()).isEqualTo("archived");
        assertThat(ok(call("GET", "/api/v1/collectors/archived", null), 200).path("items").findValuesAsText("id")).contains(id);
        assertThat(call("POST", "/api/v1/collectors/" + id + "/stop", null).statusCode()).isEqualTo(409);
        JsonNode again = ok(call("POST", "/api/v1/collectors/" + id + "/re-register", null), 200);
        assertThat(again.path("token").asText()).startsWith("pga_c_").isNotEqualTo(registration.path("token").asText());
    }

    @Test
    @Order(7)
    void everyRouteAnswersBadInputWithA4xxInTheErrorShapeAndWritesNothing() throws Exception {
        Map<String, Long> before = new LinkedHashMap<>();
        for (String table : List.of("collectors", "targets", "commands", "alert_rules", "collector_groups",
                "registration_secrets")) {
            before.put(table, count(table));
        }
        String longText = "x".repeat(70 * 1024);
        List<String> bodies = List.of("{", "[]", "\"text\"", "{\"unknownField\":1}", "{\"name\":123,\"id\":[1]}",
                "{\"name\":\"\\ud800\",\"id\":\"\\u0000\"}", "{\"name\":\"\\u202e\\u202d\",\"id\":\"a/b\"}",
                "{\"name\":\"" + longText + "\"}", "{\"id\":\"" + "y".repeat(5000) + "\",\"url\":\"nope\"}");
        for (ApiRoute route : api.routes().routes()) {
            if (route.websocket() != null) {
                continue;
            }
            for (String badId : List.of("bad%20id", "%00", "%E2%80%AE", "a".repeat(200))) {
                String path = route.path().replaceAll("\\{[^}]+}", badId);
                if (!path.equals(route.path())) {
                    HttpResponse<String> response;
                    try {
                        response = call(route.method(), path, route.takesBody() ? "{}" : null);
                    } catch (java.io.IOException e) {
                        throw new AssertionError(route.method() + " " + path + ": " + e, e);
                    }
                    assertFourXx(response, route, path);
                }
            }
            if (route.takesBody()) {
                String path = route.path().replaceAll("\\{[^}]+}", "c-doesnotexist");
                for (String body : bodies) {
                    assertFourXx(call(route.method(), path, body), route, body.length() > 80 ? body.substring(0, 80) : body);
                }
            }
        }
        for (Map.Entry<String, Long> table : before.entrySet()) {
            assertThat(count(table.getKey())).as(table.getKey()).isEqualTo(table.getValue());
        }
    }

    static void assertFourXx(HttpResponse<String> response, ApiRoute route, String input) throws Exception {
        assertThat(response.statusCode()).as(route.method() + " " + route.path() + " with " + input + ": " + response.body())
                .isBetween(400, 499);
        JsonNode error = JSON.readTree(response.body());
        assertThat(error.path("error").asText()).as(response.body()).isNotBlank();
        assertThat(error.path("message").asText()).isNotBlank();
    }

    @Test
    @Order(8)
    void theOpenApiDocumentListsEveryRouteAndEachAnswersARealCall() throws Exception {
        JsonNode document = ok(call("GET", "/api/v1/openapi.json", null, null, Map.of()), 200);
        for (ApiRoute route : api.routes().routes()) {
            assertThat(document.path("paths").path(route.path()).has(route.method().toLowerCase()))
                    .as(route.method() + " " + route.path()).isTrue();
            if (route.websocket() != null) {
                continue;
            }
            String path = route.path().replaceAll("\\{[^}]+}", "c-probe");
            HttpResponse<String> response = call(route.method(), path, route.takesBody() ? "{}" : null);
            // an open route's credential is in its body (login, refresh, registration): {} is refused with 401 there
            List<Integer> refused = route.access().isOpen() ? List.of(403, 405) : List.of(401, 403, 405);
            assertThat(response.statusCode()).as(route.method() + " " + path + ": " + response.body()).isLessThan(500)
                    .isNotIn(refused.toArray(Integer[]::new));
        }
    }
}
