package io.pganalytics.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The REST API over HTTP on a real Javalin server (random port), with the topic replaced by an in-memory writer:
 * paths, bodies, media types and the error shape, without a broker.
 */
class RestApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Javalin server;
    private String url;

    @BeforeEach
    void startServer() {
        RegistryState state = new RegistryState();
        Registry registry = new Registry(state, new InMemoryStoreWriter(state));
        server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = "127.0.0.1";
            config.jetty.port = 0;
            RestApi.configure(config, registry);
        }).start();
        url = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stopServer() {
        server.stop();
    }

    @Test
    void registeredSchemaIsServedByIdSubjectAndVersion() throws Exception {
        Answer registered = post("/subjects/pga.raw.database-value/versions", body(Schemas.V1));
        assertThat(registered.status()).isEqualTo(200);
        assertThat(registered.contentType()).isEqualTo(RestApi.CONTENT_TYPE);
        assertThat(registered.json().toString()).isEqualTo("{\"id\":1}");

        JsonNode byId = get("/schemas/ids/1").json();
        assertThat(byId.size()).isEqualTo(1);
        assertThat(JSON.readTree(byId.path("schema").asText())).isEqualTo(JSON.readTree(Schemas.V1));

        JsonNode latest = get("/subjects/pga.raw.database-value/versions/latest").json();
        assertThat(latest.path("subject").asText()).isEqualTo("pga.raw.database-value");
        assertThat(latest.path("version").asInt()).isEqualTo(1);
        assertThat(latest.path("id").asInt()).isEqualTo(1);
        assertThat(latest.path("schema").asText()).isEqualTo(byId.path("schema").asText());
        assertThat(get("/subjects/pga.raw.database-value/versions/1").json()).isEqualTo(latest);

        Answer raw = get("/subjects/pga.raw.database-value/versions/1/schema");
        assertThat(raw.body()).isEqualTo(byId.path("schema").asText());
        assertThat(get("/schemas/ids/1/schema").body()).isEqualTo(raw.body());

        assertThat(get("/subjects").json().toString()).isEqualTo("[\"pga.raw.database-value\"]");
        assertThat(get("/subjects/pga.raw.database-value/versions").json().toString()).isEqualTo("[1]");
        assertThat(get("/schemas/types").json().toString()).isEqualTo("[\"AVRO\"]");
    }

    @Test
    void lookupFindsTheVersionOrSaysWhichPartIsMissing() throws Exception {
        post("/subjects/s/versions", body(Schemas.V1));

        Answer found = post("/subjects/s", body(Schemas.V1));
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.json().path("subject").asText()).isEqualTo("s");
        assertThat(found.json().path("id").asInt()).isEqualTo(1);
        assertThat(found.json().path("version").asInt()).isEqualTo(1);
        assertThat(found.json().has("schema")).isTrue();

        assertError(post("/subjects/unknown", body(Schemas.V1)), 404, 40401);
        assertError(post("/subjects/s", body(Schemas.OTHER)), 404, 40403);
    }

    @Test
    void incompatibleSchemaIsRefusedWith409() throws Exception {
        post("/subjects/s/versions", body(Schemas.V1));

        Answer refused = post("/subjects/s/versions", body(Schemas.V2_ADDS_REQUIRED));

        assertError(refused, 409, 40901);
        assertThat(refused.json().path("message").asText()).contains("incompatible", "database");
        assertThat(get("/subjects/s/versions").json().toString()).isEqualTo("[1]");
    }

    @Test
    void compatibilityIsReadAndSetGloballyAndPerSubject() throws Exception {
        assertThat(get("/config").json().toString()).isEqualTo("{\"compatibilityLevel\":\"BACKWARD\"}");
        assertThat(put("/config", "{\"compatibility\": \"none\"}").json().toString())
                .isEqualTo("{\"compatibility\":\"NONE\"}");
        assertThat(get("/config").json().path("compatibilityLevel").asText()).isEqualTo("NONE");

        assertError(get("/config/s"), 404, 40408);
        assertThat(get("/config/s?defaultToGlobal=true").json().path("compatibilityLevel").asText())
                .isEqualTo("NONE");
        assertThat(put("/config/s", "{\"compatibility\": \"FULL_TRANSITIVE\"}").status()).isEqualTo(200);
        assertThat(get("/config/s").json().path("compatibilityLevel").asText()).isEqualTo("FULL_TRANSITIVE");

        assertError(put("/config", "{\"compatibility\": \"SIDEWAYS\"}"), 422, 42203);
    }

    @Test
    void unknownThingsAnswer404WithAConfluentErrorCode() throws Exception {
        assertError(get("/schemas/ids/42"), 404, 40403);
        assertError(get("/schemas/ids/forty-two"), 404, 40403);
        assertError(get("/subjects/nope/versions"), 404, 40401);
        assertError(get("/subjects/nope/versions/latest"), 404, 40401);
        post("/subjects/s/versions", body(Schemas.V1));
        assertError(get("/subjects/s/versions/7"), 404, 40402);
        assertError(get("/subjects/s/versions/zero"), 422, 42202);
        assertError(get("/subjects/s/versions/0"), 422, 42202);
        assertError(get("/no/such/route"), 404, 404);
        assertError(send("DELETE", "/schemas/types", null, null), 405, 405);
    }

    @Test
    void badBodiesAreClientErrorsWithAMessageNeverServerErrors() throws Exception {
        assertError(post("/subjects/s/versions", "{\"schema\": "), 400, 400);
        assertError(post("/subjects/s/versions", "not json at all"), 400, 400);
        assertError(post("/subjects/s/versions", "[1, 2]"), 400, 400);
        assertError(post("/subjects/s/versions", ""), 400, 400);
        assertError(post("/subjects/s/versions", "{}"), 422, 42201);
        assertError(post("/subjects/s/versions", "{\"schema\": 42}"), 422, 42201);
        assertError(post("/subjects/s/versions", body("{\"type\": \"record\"}")), 422, 42201);
        assertError(post("/subjects/s/versions", body("{\"type\": \"strin\"}")), 422, 42201);
        assertError(post("/subjects/s/versions",
                "{\"schema\": \"{\\\"type\\\": \\\"string\\\"}\", \"schemaType\": \"PROTOBUF\"}"), 422, 42201);
        assertError(put("/config", "{\"compatibility\": 7}"), 422, 42203);
    }

    @Test
    void requestMediaTypesAreThoseConfluentAccepts() throws Exception {
        for (String accepted : new String[] {"application/vnd.schemaregistry.v1+json",
                "application/vnd.schemaregistry+json", "application/json; charset=utf-8", null}) {
            assertThat(send("POST", "/subjects/s/versions", body(Schemas.V1), accepted).status())
                    .as("Content-Type %s", accepted).isEqualTo(200);
        }
        assertError(send("POST", "/subjects/s/versions", body(Schemas.V1), "text/plain"), 415, 415);
    }

    @Test
    void subjectNamesArePercentDecoded() throws Exception {
        assertThat(post("/subjects/with%20space/versions", body(Schemas.V1)).status()).isEqualTo(200);
        assertThat(get("/subjects").json().get(0).asText()).isEqualTo("with space");
    }

    private static void assertError(Answer answer, int status, int errorCode) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
        assertThat(answer.contentType()).isEqualTo(RestApi.CONTENT_TYPE);
        JsonNode error = answer.json();
        assertThat(error.path("error_code").asInt()).as(answer.body()).isEqualTo(errorCode);
        assertThat(error.path("message").asText()).isNotBlank();
    }

    private static String body(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    record Answer(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private Answer get(String path) throws Exception {
        return send("GET", path, null, null);
    }

    private Answer post(String path, String body) throws Exception {
        return send("POST", path, body, "application/vnd.schemaregistry.v1+json");
    }

    private Answer put(String path, String body) throws Exception {
        return send("PUT", path, body, "application/vnd.schemaregistry.v1+json");
    }

    private Answer send(String method, String path, String body, String contentType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null),
                response.body());
    }
}
