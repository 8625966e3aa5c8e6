package io.pganalytics.collector.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pganalytics.collector.config.ApiRegistration;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.config.InvalidValue;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registration client against an in-process HTTP server that speaks the API's documented contract. */
class CollectorRegistrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "pga_r_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";

    @TempDir
    Path dir;
    private HttpServer server;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresFirst = new AtomicInteger();
    private final AtomicInteger registered = new AtomicInteger();

    @BeforeEach
    void startApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/collectors/register", this::register);
        server.start();
    }

    @AfterEach
    void stopApi() {
        server.stop(0);
    }

    /** The contract: 201 with the collector and a token for the one known secret, 401 for any other, 503 while "starting". */
    private void register(HttpExchange exchange) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        requests.add(body);
        if (failuresFirst.getAndDecrement() > 0) {
            answer(exchange, 503, "{\"error\":\"unavailable\",\"message\":\"the control plane is starting\"}");
        } else if (!"POST".equals(exchange.getRequestMethod())
                || !exchange.getRequestHeaders().getFirst("Content-Type").startsWith("application/json")) {
            answer(exchange, 415, "{\"error\":\"unsupported_media_type\",\"message\":\"expected application/json\"}");
        } else if (!SECRET.equals(body.path("secret").asText())) {
            answer(exchange, 401, "{\"error\":\"unauthorized\",\"message\":\"registration refused\"}");
        } else if (!body.hasNonNull("name") || !body.hasNonNull("hostname") || !body.hasNonNull("version")) {
            answer(exchange, 400, "{\"error\":\"invalid_value\",\"message\":\"name, hostname and version are required\"}");
        } else {
            String id = "c-abcdefghij" + String.format("%02d", registered.incrementAndGet());
            answer(exchange, 201, "{\"collector\":{\"id\":\"" + id + "\",\"name\":" + body.get("name") + ",\"lifecycle\":\"active\"},"
                    + "\"token\":\"pga_c_token" + id + "\"}");
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private ApiRegistration api(String secret) {
        return new ApiRegistration(url(), secret, "db-host-7", dir.resolve("identity.json"));
    }

    @Test
    void firstStartRegistersAndKeepsTheIdentityInAFileOnlyItsOwnerReads() throws IOException {
        CollectorRegistration.Identity identity = CollectorRegistration.identity(api(SECRET), "eu-west", "1.2.3", Duration.ofSeconds(5));

        assertThat(identity.collectorId()).isEqualTo("c-abcdefghij01");
        assertThat(identity.token()).isEqualTo("pga_c_tokenc-abcdefghij01");
        JsonNode sent = requests.get(0);
        assertThat(sent.get("secret").asText()).isEqualTo(SECRET);
        assertThat(sent.get("name").asText()).isEqualTo("db-host-7");
        assertThat(sent.get("hostname").asText()).isEqualTo(ApiRegistration.hostname());
        assertThat(sent.get("version").asText()).isEqualTo("1.2.3");
        assertThat(sent.get("group").asText()).isEqualTo("eu-west");
        Path file = dir.resolve("identity.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(JSON.readTree(file.toFile()).get("collectorId").asText()).isEqualTo("c-abcdefghij01");
        assertThat(dir.resolve("identity.json.tmp")).doesNotExist();
        assertThat(identity.toString()).doesNotContain(identity.token());
    }

    @Test
    void laterStartsUseTheIdentityFileWithoutCallingTheApi() {
        CollectorRegistration.identity(api(SECRET), null, "1.2.3", Duration.ofSeconds(5));

        CollectorRegistration.Identity again = CollectorRegistration.identity(api(null), null, "1.2.4", Duration.ofSeconds(5));

        assertThat(again.collectorId()).isEqualTo("c-abcdefghij01");
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).has("group")).isFalse();
    }

    @Test
    void unknownSecretIsRefusedWithOneLineThatNeverShowsTheSecret() {
        assertThatThrownBy(() -> CollectorRegistration.identity(api("pga_r_wrong"), null, "1.2.3", Duration.ofSeconds(5)))
                .isInstanceOf(InvalidValue.class)
                .hasMessageContaining("registration refused: the secret is unknown, expired, used up or revoked")
                .hasMessageContaining(CollectorConfig.API_REGISTRATION_SECRET)
                .hasMessageNotContaining("pga_r_wrong")
                .hasNoCause();
        assertThat(requests).hasSize(1); // a refusal is not retried
        assertThat(dir.resolve("identity.json")).doesNotExist();
    }

    @Test
    void unavailableApiIsRetriedUntilItAnswers() {
        failuresFirst.set(2);

        CollectorRegistration.Identity identity = CollectorRegistration.identity(api(SECRET), null, "1.2.3", Duration.ofSeconds(30));

        assertThat(identity.collectorId()).isEqualTo("c-abcdefghij01");
        assertThat(requests).hasSize(3);
    }

    @Test
    void unreachableApiGivesUpAfterTheRetryTimeNamingTheUrl() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ApiRegistration nowhere = new ApiRegistration("http://127.0.0.1:" + closedPort, SECRET, "x", dir.resolve("identity.json"));

        assertThatThrownBy(() -> CollectorRegistration.identity(nowhere, null, "1.2.3", Duration.ofSeconds(2)))
                .isInstanceOf(InvalidValue.class)
                .hasMessageContaining(CollectorConfig.API_URL)
                .hasMessageContaining("cannot register with http://127.0.0.1:" + closedPort)
                .hasMessageNotContaining(SECRET);
    }

    @Test
    void missingSecretWithoutIdentityFileIsAConfigurationError() {
        assertThatThrownBy(() -> CollectorRegistration.identity(api(null), null, "1.2.3", Duration.ofSeconds(5)))
                .isInstanceOf(InvalidValue.class)
                .hasMessageContaining(CollectorConfig.API_REGISTRATION_SECRET)
                .hasMessageContaining("no identity file");
        assertThat(requests).isEmpty();
    }

    @Test
    void configuredCollectorRunsUnderTheIdTheApiGave() {
        Properties file = new Properties();
        file.putAll(Map.of("kafka.bootstrap.servers", "localhost:9092", "schema.registry.url", "http://localhost:8081",
                "collector.api.url", url(), "collector.api.registration.secret", SECRET,
                "collector.spool.dir", dir.resolve("spool").toString()));
        CollectorConfig config = CollectorConfig.from(file, Map.of());
        assertThat(config.operations().api().identityFile()).isEqualTo(dir.resolve("identity.json").toAbsolutePath());
        assertThat(config.operations().api().name()).isEqualTo(ApiRegistration.hostname());
        assertThat(config.operations().toString()).doesNotContain(SECRET);

        CollectorConfig registeredConfig = CollectorRegistration.identify(config, "1.2.3", Duration.ofSeconds(5));

        assertThat(registeredConfig.collectorId()).isEqualTo("c-abcdefghij01");
    }

    @Test
    void collectorIdIsRequiredOnlyWithoutTheApi() {
        Properties file = new Properties();
        file.putAll(Map.of("kafka.bootstrap.servers", "localhost:9092", "schema.registry.url", "http://localhost:8081"));

        assertThatThrownBy(() -> CollectorConfig.from(file, Map.of()))
                .isInstanceOf(InvalidValue.class)
                .hasMessageContaining("collector.id: required (or set collector.api.url");
    }
}
