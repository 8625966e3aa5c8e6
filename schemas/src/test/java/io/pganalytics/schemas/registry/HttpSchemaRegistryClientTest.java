package io.pganalytics.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP client's retry, failover, auth, caching and error handling, against a scripted HTTP peer
 * (the JDK's own server answering canned replies); conformance to the real registry is tested in embedded.
 */
class HttpSchemaRegistryClientTest {

    private static final Schema SCHEMA = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"Sample\",\"namespace\":\"t\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}");

    private HttpServer server;
    private final Deque<Reply> script = new ArrayDeque<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private record Reply(int status, String body) {
    }

    private record Request(String method, String uri, String authorization, String contentType, String body) {
    }

    @BeforeEach
    void startPeer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
    }

    @AfterEach
    void stopPeer() {
        server.stop(0);
    }

    private synchronized void answer(HttpExchange exchange) throws IOException {
        requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                exchange.getRequestHeaders().getFirst("Authorization"), exchange.getRequestHeaders().getFirst("Content-Type"),
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
        Reply reply = script.isEmpty() ? new Reply(500, "{\"error_code\":50001,\"message\":\"script exhausted\"}") : script.poll();
        byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
        exchange.close();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private HttpSchemaRegistryClient client(String userInfo, String... urls) {
        return new HttpSchemaRegistryClient(List.of(urls), userInfo, 3, Duration.ofMillis(1));
    }

    private void reply(int status, String body) {
        script.add(new Reply(status, body));
    }

    @Test
    void serverErrorsAreRetriedWithBackoffUntilOneSucceeds() {
        reply(503, "{\"error_code\":50003,\"message\":\"leader unavailable\"}");
        reply(500, "<html>proxy error</html>");
        reply(200, "{\"id\":7}");

        assertThat(client(null, url()).register("s-value", SCHEMA)).isEqualTo(7);
        assertThat(requests).hasSize(3).allSatisfy(r -> assertThat(r.uri()).isEqualTo("/subjects/s-value/versions"));
        assertThat(requests.get(0).contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        assertThat(requests.get(0).body()).contains("\"schema\"").contains("Sample");
    }

    @Test
    void afterTheLastRetryTheServerErrorIsReported() {
        for (int i = 0; i < 4; i++) {
            reply(503, "{\"error_code\":50003,\"message\":\"leader unavailable\"}");
        }
        assertThatThrownBy(() -> client(null, url()).schemaById(1))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(503);
                    assertThat(e.errorCode()).isEqualTo(50003);
                    assertThat(e).hasMessage("leader unavailable");
                });
        assertThat(requests).hasSize(4);
    }

    @Test
    void aConnectionErrorFailsOverToTheNextUrl() throws IOException {
        String dead;
        try (ServerSocket socket = new ServerSocket(0)) {
            dead = "http://127.0.0.1:" + socket.getLocalPort();
        }
        reply(200, "{\"schema\":" + quoted(SCHEMA.toString()) + "}");

        assertThat(client(null, dead, url()).schemaById(3)).isEqualTo(SCHEMA);
        assertThat(requests).singleElement().extracting(Request::uri).isEqualTo("/schemas/ids/3");
    }

    @Test
    void unreachableRegistryIsReportedAfterRetries() throws IOException {
        String dead;
        try (ServerSocket socket = new ServerSocket(0)) {
            dead = "http://127.0.0.1:" + socket.getLocalPort();
        }
        assertThatThrownBy(() -> client(null, dead).schemaById(1))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(-1))
                .hasMessageContaining("unreachable");
    }

    @Test
    void clientErrorsAreNotRetried() {
        reply(404, "{\"error_code\":40403,\"message\":\"Schema 9 not found\"}");
        assertThatThrownBy(() -> client(null, url()).schemaById(9))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.isNotFound()).isTrue();
                    assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
                });
        assertThat(requests).hasSize(1);
    }

    @Test
    void basicAuthFromUserInfoIsSentOnEveryRequest() {
        reply(500, "");
        reply(200, "{\"id\":1}");
        client("alice:s3cret", url()).register("s-value", SCHEMA);
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        assertThat(requests).hasSize(2).allSatisfy(r -> assertThat(r.authorization()).isEqualTo(expected));
    }

    @Test
    void basicAuthFromTheUrlIsSentAsAHeaderNotInTheRequest() {
        reply(200, "[\"a-value\"]");
        String withUser = url().replace("http://", "http://bob:p%40ss@");
        assertThat(client(null, withUser).subjects()).containsExactly("a-value");
        assertThat(requests.get(0).authorization())
                .isEqualTo("Basic " + Base64.getEncoder().encodeToString("bob:p@ss".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void withoutCredentialsNoAuthorizationHeaderIsSent() {
        reply(200, "[]");
        client(null, url()).subjects();
        assertThat(requests.get(0).authorization()).isNull();
    }

    @Test
    void bothIncompatibleCodesAreRecognised() {
        reply(409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an earlier schema\"}");
        reply(409, "{\"error_code\":40901,\"message\":\"Schema being registered is incompatible\"}");
        reply(409, "");
        HttpSchemaRegistryClient client = client(null, url());
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> client.register("s-value", SCHEMA))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.isIncompatible()).isTrue());
        }
        assertThat(requests).hasSize(3);
    }

    @Test
    void registeredIdsAndFetchedSchemasAreCached() {
        reply(200, "{\"id\":5}");
        HttpSchemaRegistryClient client = client(null, url());
        assertThat(client.register("s-value", SCHEMA)).isEqualTo(5);
        assertThat(client.register("s-value", SCHEMA)).isEqualTo(5);
        assertThat(client.idOf("s-value", SCHEMA)).contains(5);
        assertThat(client.schemaById(5)).isEqualTo(SCHEMA);
        assertThat(requests).hasSize(1);
    }

    @Test
    void lookupOfAnUnknownSchemaIsEmpty() {
        reply(404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        assertThat(client(null, url()).lookup("s-value", SCHEMA)).isEmpty();
        assertThat(requests.get(0).method()).isEqualTo("POST");
        assertThat(requests.get(0).uri()).isEqualTo("/subjects/s-value");
    }

    @Test
    void latestIsAskedEveryTime() {
        String body = "{\"subject\":\"s-value\",\"id\":2,\"version\":3,\"schema\":" + quoted(SCHEMA.toString()) + "}";
        reply(200, body);
        reply(200, body);
        HttpSchemaRegistryClient client = client(null, url());
        assertThat(client.latest("s-value")).isEqualTo(new RegisteredSchema("s-value", 2, 3, SCHEMA));
        client.latest("s-value");
        assertThat(requests).extracting(Request::uri).containsExactly("/subjects/s-value/versions/latest",
                "/subjects/s-value/versions/latest");
    }

    @Test
    void compatibilityCheckPostsToTheCompatibilityResourceAndReadsVerboseMessages() {
        reply(200, "{\"is_compatible\":false,\"messages\":[\"READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1\"]}");
        reply(200, "{\"is_compatible\":true}");
        HttpSchemaRegistryClient client = client(null, url());

        assertThat(client.testCompatibility("s-value", "latest", SCHEMA, true))
                .isEqualTo(new CompatibilityResult(false, List.of("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1")));
        assertThat(client.testCompatibility("my subject", "2", SCHEMA, false)).isEqualTo(new CompatibilityResult(true, List.of()));
        assertThat(requests).extracting(Request::method, Request::uri).containsExactly(
                org.assertj.core.groups.Tuple.tuple("POST", "/compatibility/subjects/s-value/versions/latest?verbose=true"),
                org.assertj.core.groups.Tuple.tuple("POST", "/compatibility/subjects/my%20subject/versions/2"));
    }

    private static String quoted(String json) {
        return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
