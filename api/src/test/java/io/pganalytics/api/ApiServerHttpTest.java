package io.pganalytics.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Principal;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.routes.ApiRoute;
import io.pganalytics.api.routes.RouteTable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP hygiene and the Principal seam, on a real server with no infrastructure behind it. */
class ApiServerHttpTest {

    static final String ADMIN_TOKEN = "test-admin-token-0123456789";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static ApiServer api;

    /** The body a test route reads: strict JSON into a record. */
    record Thing(String name, int size) {
    }

    @BeforeAll
    static void start() {
        ApiConfig config = new ApiConfig("127.0.0.1", 0, "jdbc:postgresql://127.0.0.1:1/none", null, null, "127.0.0.1:1",
                ADMIN_TOKEN, List.of("https://console.example.com"), 4096, null);
        // A test resolver: "Bearer role-<role>" is a principal of that role.
        ApiServer.Extension extension = new ApiServer.Extension(List.of(ctx -> Optional.ofNullable(ctx.header("Authorization"))
                .filter(h -> h.startsWith("Bearer role-"))
                .map(h -> Role.valueOf(h.substring(12).toUpperCase()))
                .map(role -> new Principal("test-" + role.name().toLowerCase(), role, "test"))),
                table -> {
                    for (Role role : Role.values()) {
                        table.get("/test/" + role.name().toLowerCase(), Access.atLeast(role), "needs " + role,
                                ctx -> ctx.json(Map.of("caller", RouteTable.principal(ctx).name())));
                    }
                    table.post("/test/things", Access.atLeast(Role.USER), "reads a thing", 201, ctx ->
                            ctx.status(201).json(StrictJson.body(ctx, Thing.class, null)));
                }, () -> true, List.of());
        api = ApiServer.start(config, List.of(), extension);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    static HttpResponse<String> send(String method, String path, String token, String contentType, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void assertError(HttpResponse<String> response, int status, String code) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("error").asText()).isEqualTo(code);
        assertThat(body.path("message").asText()).isNotBlank();
    }

    @Test
    void everyEndpointTheRouterServesWasRegisteredWithAnAccessRule() {
        // before/after filters are the server's own hygiene, not routes
        List<io.javalin.router.ParsedEndpoint> served = api.javalin().unsafe.internalRouter.allHttpHandlers().stream()
                .filter(parsed -> parsed.endpoint.method.isHttpMethod()).toList();
        Set<String> registered = api.routes().routes().stream().map(r -> r.method() + " " + r.path())
                .collect(Collectors.toSet());
        assertThat(served).isNotEmpty().allSatisfy(parsed -> {
            assertThat(parsed.endpoint.metadata(Access.class)).as(parsed.endpoint.path).isNotNull();
            assertThat(registered).contains(parsed.endpoint.method.name() + " " + parsed.endpoint.path);
        });
        assertThat(served).hasSameSizeAs(registered);
    }

    @Test
    void aRouteCannotBeRegisteredWithoutARule() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ApiRoute("GET", "/x", null, "x", 200, ctx -> { }))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("access rule");
    }

    @Test
    void aGuardedRouteWithoutPrincipalIsRefusedWith401() throws Exception {
        for (Role role : Role.values()) {
            assertError(send("GET", "/test/" + role.name().toLowerCase(), null, null, null), 401, "unauthorized");
            assertError(send("GET", "/test/" + role.name().toLowerCase(), "wrong-token", null, null), 401, "unauthorized");
        }
    }

    @Test
    void eachRuleRefusesEveryRoleThatDoesNotSatisfyItWith403AndAdmitsThoseThatDo() throws Exception {
        for (Role required : Role.values()) {
            for (Role caller : Role.values()) {
                HttpResponse<String> response = send("GET", "/test/" + required.name().toLowerCase(),
                        "role-" + caller.name().toLowerCase(), null, null);
                if (caller.satisfies(required)) {
                    assertThat(response.statusCode()).as(caller + " on " + required).isEqualTo(200);
                } else {
                    assertError(response, 403, "forbidden");
                }
            }
        }
        assertThat(Role.VIEWER.satisfies(Role.USER)).isFalse();
        assertThat(Role.USER.satisfies(Role.ADMIN)).isFalse();
        assertThat(Role.ADMIN.satisfies(Role.COLLECTOR)).isFalse();
        assertThat(Role.COLLECTOR.satisfies(Role.VIEWER)).isFalse();
        assertThat(Role.AUDITOR.satisfies(Role.VIEWER)).isFalse();
    }

    @Test
    void theAdminTokenMakesTheCallerAdmin() throws Exception {
        HttpResponse<String> response = send("GET", "/test/admin", ADMIN_TOKEN, null, null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("caller").asText()).isEqualTo("admin");
        assertError(send("GET", "/test/admin", ADMIN_TOKEN + "x", null, null), 401, "unauthorized");
    }

    @Test
    void theOpenApiDocumentListsExactlyTheRegisteredRoutesAndEachAnswersARealCall() throws Exception {
        HttpResponse<String> response = send("GET", "/api/v1/openapi.json", null, null, null);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode document = JSON.readTree(response.body());
        assertThat(document.path("openapi").asText()).isEqualTo("3.1.0");
        int operations = 0;
        for (var path = document.path("paths").fields(); path.hasNext(); ) {
            var entry = path.next();
            for (var op = entry.getValue().fieldNames(); op.hasNext(); ) {
                String method = op.next().toUpperCase();
                operations++;
                assertThat(api.routes().routes()).anyMatch(r -> r.method().equals(method) && r.path().equals(entry.getKey()));
                String concrete = entry.getKey().replaceAll("\\{[^}]+}", "x1");
                ApiRoute route = api.routes().routes().stream()
                        .filter(r -> r.method().equals(method) && r.path().equals(entry.getKey())).findFirst().orElseThrow();
                String token = route.access().isOpen() ? null
                        : "role-" + route.access().roles().stream().sorted().findFirst().orElseThrow().name().toLowerCase();
                HttpResponse<String> call = send(method, concrete, token, "application/json",
                        method.equals("GET") ? null : "{\"name\":\"a\",\"size\":1}");
                assertThat(call.statusCode()).as(method + " " + concrete + ": " + call.body()).isLessThan(500)
                        .isNotIn(401, 403, 404, 405);
            }
        }
        assertThat(operations).isEqualTo(api.routes().routes().size());
    }

    @Test
    void everyAnswerCarriesTheSecurityHeadersAndNoServerHeader() throws Exception {
        HttpResponse<String> response = send("GET", "/api/v1/version", null, null, null);
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(response.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(response.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        assertThat(response.headers().firstValue("Content-Security-Policy")).get().asString().contains("default-src 'none'");
        assertThat(response.headers().firstValue("Server")).isEmpty();
        assertThat(send("GET", "/nope", null, null, null).headers().firstValue("X-Frame-Options")).hasValue("DENY");
    }

    @Test
    void strictJsonRefusesUnknownFieldsWrongTypesAndMalformedTextNamingTheProblem() throws Exception {
        HttpResponse<String> unknown = send("POST", "/test/things", "role-user", "application/json",
                "{\"name\":\"a\",\"size\":1,\"colour\":\"red\"}");
        assertError(unknown, 400, "invalid_value");
        assertThat(unknown.body()).contains("colour");
        HttpResponse<String> wrongType = send("POST", "/test/things", "role-user", "application/json",
                "{\"name\":\"a\",\"size\":\"big\"}");
        assertError(wrongType, 400, "invalid_value");
        assertThat(wrongType.body()).contains("size");
        assertError(send("POST", "/test/things", "role-user", "application/json", "{\"name\":"), 400, "malformed_json");
        assertError(send("POST", "/test/things", "role-user", "application/json", "{\"name\":\"a\"} {}"), 400,
                "invalid_value");
        assertError(send("POST", "/test/things", "role-user", "application/json",
                "{\"name\":\"a\",\"name\":\"b\",\"size\":1}"), 400, "malformed_json");
        assertError(send("POST", "/test/things", "role-user", "application/json", "[1,2]"), 400, "invalid_value");
        assertError(send("POST", "/test/things", "role-user", "application/json", "null"), 400, "malformed_json");
        HttpResponse<String> ok = send("POST", "/test/things", "role-user", "application/json; charset=utf-8",
                "{\"name\":\"\\u202Eabc\\u0000\",\"size\":1}");
        assertThat(ok.statusCode()).isEqualTo(201);
    }

    @Test
    void aBodyOverTheLimitIs413AndANonJsonBodyIs415() throws Exception {
        assertError(send("POST", "/test/things", "role-user", "application/json",
                "{\"name\":\"" + "a".repeat(5000) + "\",\"size\":1}"), 413, "payload_too_large");
        assertError(send("POST", "/test/things", "role-user", "text/plain", "{\"name\":\"a\",\"size\":1}"), 415,
                "unsupported_media_type");
        assertError(send("POST", "/test/things", "role-user", null, "{\"name\":\"a\",\"size\":1}"), 415,
                "unsupported_media_type");
    }

    @Test
    void corsIsAnsweredOnlyForAllowedOrigins() throws Exception {
        HttpRequest.Builder allowed = HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/version"))
                .header("Origin", "https://console.example.com");
        assertThat(HTTP.send(allowed.build(), HttpResponse.BodyHandlers.ofString()).headers()
                .firstValue("Access-Control-Allow-Origin")).hasValue("https://console.example.com");
        HttpRequest.Builder other = HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/version"))
                .header("Origin", "https://evil.example.com");
        assertThat(HTTP.send(other.build(), HttpResponse.BodyHandlers.ofString()).headers()
                .firstValue("Access-Control-Allow-Origin")).isEmpty();
        HttpResponse<String> preflight = HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/version"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://console.example.com").header("Access-Control-Request-Method", "POST").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).get().asString()
                .contains("Idempotency-Key");
    }

    @Test
    void metricsTimeEachRoute() throws Exception {
        send("GET", "/api/v1/version", null, null, null);
        assertThat(send("GET", "/metrics", null, null, null).body())
                .contains("pga_api_requests_seconds_count{method=\"GET\",route=\"/api/v1/version\",status=\"200\"}");
    }

    @Test
    void closeDrainsTheRequestsInFlight() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ApiServer slow = ApiServer.start(new ApiConfig("127.0.0.1", 0, "jdbc:postgresql://127.0.0.1:1/none", null, null,
                "127.0.0.1:1", ADMIN_TOKEN, List.of(), 4096, null), List.of(), new ApiServer.Extension(List.of(), table ->
                table.get("/slow", Access.open(), "slow", ctx -> {
                    entered.countDown();
                    release.await(10, TimeUnit.SECONDS);
                    ctx.result("done");
                }), () -> true, List.of()));
        CompletableFuture<HttpResponse<String>> inFlight = HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create(slow.url() + "/slow")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(slow::close);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slow.inFlight() == 1);
        release.countDown();
        assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("done");
        closing.get(15, TimeUnit.SECONDS);
    }
}
