package io.pganalytics.collector.status;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's HTTP endpoint: {@code /metrics} in the Prometheus text format and {@code /health}
 * as JSON, 200 when healthy and 503 otherwise.
 *
 * <p>The JDK's own HTTP server on one thread: a collector is scraped every few seconds by one
 * Prometheus, and a web framework would add more to its heap than the rest of the agent.
 */
public final class CollectorEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CollectorEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;

    private CollectorEndpoint(HttpServer server) {
        this.server = server;
    }

    /**
     * Serves on {@code port} (0: any free port) of every interface.
     *
     * @param health what {@code /health} says now
     */
    public static CollectorEndpoint start(int port, PrometheusMeterRegistry metrics, Supplier<Health> health) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
        server.createContext("/health", exchange -> {
            Health now = health.get();
            respond(exchange, now.up() ? 200 : 503, "application/json", now.json());
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "pga-collector-http");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
        LOG.info("collector endpoint on port {}: /metrics, /health", server.getAddress().getPort());
        return new CollectorEndpoint(server);
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    /**
     * What {@code /health} answers: {@code {"status": "UP"|"DOWN", "details": {...}}}.
     *
     * @param up      whether the collector does its job: sampling (or deliberately stopped) and Kafka
     *                taking what it produces
     * @param details the facts behind it, written as a JSON object by Jackson (the collector's are a
     *                {@link HealthDetails})
     */
    public record Health(boolean up, Object details) {

        String json() {
            try {
                return JSON.writeValueAsString(new Body(up ? "UP" : "DOWN", details));
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The body of {@code /health}. */
    @JsonPropertyOrder({"status", "details"})
    private record Body(String status, Object details) {
    }
}
