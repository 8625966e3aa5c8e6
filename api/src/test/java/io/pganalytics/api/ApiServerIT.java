package io.pganalytics.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.testkit.EmbeddedStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EmbeddedStack(postgres = true)
class ApiServerIT {

    static EmbeddedPostgres postgres;
    @AutoClose
    static ApiServer api;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start(EmbeddedKafka kafka, EmbeddedPostgres postgres) {
        ApiServerIT.postgres = postgres;
        api = ApiServer.start(new ApiConfig("127.0.0.1", 0, postgres.jdbcUrl("postgres"), postgres.user(), null,
                kafka.bootstrapServers()));
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void healthIsUpWhenDatabaseAndKafkaAnswer() throws Exception {
        HttpResponse<String> response = get("/api/v1/health");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("status").asText()).isEqualTo("UP");
        assertThat(body.path("components").path("database").path("status").asText()).isEqualTo("UP");
        assertThat(body.path("components").path("kafka").path("status").asText()).isEqualTo("UP");
    }

    @Test
    @Order(2)
    void versionNamesTheProduct() throws Exception {
        HttpResponse<String> response = get("/api/v1/version");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("name").asText()).isEqualTo("pgAnalytics");
        assertThat(body.path("version").asText()).isNotBlank();
    }

    @Test
    @Order(3)
    void unknownRouteAnswersWithTheErrorShape() throws Exception {
        HttpResponse<String> response = get("/api/v1/nope");
        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("error").asText()).isEqualTo("not_found");
        assertThat(body.path("message").asText()).contains("/api/v1/nope");
    }

    @Test
    @Order(4)
    void metricsAreExposedForPrometheus() throws Exception {
        HttpResponse<String> response = get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("jvm_memory_used_bytes");
    }

    @Test
    @Order(5)
    void healthIs503WhenTheDatabaseIsDown() throws Exception {
        postgres.close();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HttpResponse<String> response = get("/api/v1/health");
            assertThat(response.statusCode()).isEqualTo(503);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("components").path("database").path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("components").path("kafka").path("status").asText()).isEqualTo("UP");
        });
    }
}
