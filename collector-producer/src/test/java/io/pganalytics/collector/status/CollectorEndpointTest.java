package io.pganalytics.collector.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CollectorEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(CollectorEndpoint endpoint, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAreServedInThePrometheusFormat() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.counter("pga.collector.samples.produced").increment(42);
        try (CollectorEndpoint endpoint = CollectorEndpoint.start(0, registry, () -> new CollectorEndpoint.Health(true, Map.of()))) {
            HttpResponse<String> response = get(endpoint, "/metrics");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(response.body()).contains("pga_collector_samples_produced_total 42.0");
        }
    }

    @Test
    void healthIs503WhenTheCollectorIsDown() throws Exception {
        AtomicBoolean up = new AtomicBoolean(true);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (CollectorEndpoint endpoint = CollectorEndpoint.start(0, registry,
                () -> new CollectorEndpoint.Health(up.get(), Map.of("kafka", up.get() ? "ok" : "unreachable")))) {
            assertThat(get(endpoint, "/health")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("{\"status\":\"UP\",\"details\":{\"kafka\":\"ok\"}}");
            });
            up.set(false);
            assertThat(get(endpoint, "/health")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).contains("\"status\":\"DOWN\"", "unreachable");
            });
        }
    }

    @Test
    void healthDetailsAreAJsonObjectWithTheCollectorsFactsInOrder() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        HealthDetails details = new HealthDetails("running", 3, 2, "nothing acknowledged for 61 s", 120, 65536);
        try (CollectorEndpoint endpoint = CollectorEndpoint.start(0, registry, () -> new CollectorEndpoint.Health(false, details))) {
            assertThat(get(endpoint, "/health")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
                assertThat(r.body()).isEqualTo("{\"status\":\"DOWN\",\"details\":{\"state\":\"running\",\"targets\":3,"
                        + "\"targetsHealthy\":2,\"kafka\":\"nothing acknowledged for 61 s\",\"spoolPendingRecords\":120,"
                        + "\"spoolUsedBytes\":65536}}");
            });
        }
    }
}
