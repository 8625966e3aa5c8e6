package io.pganalytics.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pganalytics.api.health.ComponentHealth;
import io.pganalytics.api.health.DatabaseHealth;
import io.pganalytics.api.health.HealthCheck;
import io.pganalytics.api.health.KafkaHealth;
import io.pganalytics.config.InvalidValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API: {@code /api/v1/health}, {@code /api/v1/version} and Prometheus {@code /metrics}.
 *
 * <p>Every error, including unknown routes and unexpected failures, answers with {@link ApiError}; a value the
 * caller gave that cannot be used ({@link InvalidValue}) is a 400 naming each field;
 * an unexpected failure is logged once, on one line, and never shows a stack trace to the client.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** The version reported by {@code /api/v1/version}: the jar's, or "dev" when run from classes. */
    public static final String VERSION = versionOf(ApiServer.class);

    private final Javalin app;
    private final List<HealthCheck> checks;
    private final PrometheusMeterRegistry metrics;

    private ApiServer(ApiConfig config, List<HealthCheck> checks) {
        this.checks = checks;
        this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.jetty.host = config.host();
            cfg.jetty.port = config.port();
            cfg.routes.get("/api/v1/health", this::health);
            cfg.routes.get("/health", this::health);
            cfg.routes.get("/api/v1/version", ctx -> ctx.json(Map.of(
                    "name", "pgAnalytics",
                    "version", VERSION,
                    "java", Runtime.version().toString())));
            cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            cfg.routes.error(404, "*", ctx ->
                    ctx.json(new ApiError("not_found", "no route for " + ctx.method() + " " + ctx.path())));
            // A value the caller gave that cannot be used: 400, saying which and why, never a stack trace.
            cfg.routes.exception(InvalidValue.class, (e, ctx) ->
                    ctx.status(HttpStatus.BAD_REQUEST).json(ApiError.of(e)));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                LOG.warn("{} {} failed: {}", ctx.method(), ctx.path(), e.toString());
                ctx.status(HttpStatus.INTERNAL_SERVER_ERROR)
                        .json(new ApiError("internal_error", "the server could not answer; see its log"));
            });
        });
    }

    /** Starts the API with health checks of its database and Kafka. */
    public static ApiServer start(ApiConfig config) {
        return start(config, List.of(
                new DatabaseHealth(config.databaseUrl(), config.databaseUser(), config.databasePassword()),
                new KafkaHealth(config.bootstrapServers())));
    }

    /** Starts the API with the given health checks; they are closed with the server. */
    public static ApiServer start(ApiConfig config, List<HealthCheck> checks) {
        ApiServer server = new ApiServer(config, checks);
        server.app.start();
        LOG.info("API listening on {}", server.url());
        return server;
    }

    /** The bound port. */
    public int port() {
        return app.port();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    private void health(Context ctx) {
        Map<String, ComponentHealth> components = new LinkedHashMap<>();
        boolean up = true;
        for (HealthCheck check : checks) {
            ComponentHealth health = check.check();
            components.put(check.name(), health);
            up &= health.isUp();
        }
        ctx.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .json(Map.of("status", up ? "UP" : "DOWN", "components", components));
    }

    @Override
    public void close() {
        app.stop();
        checks.forEach(HealthCheck::close);
        metrics.close();
    }

    private static String versionOf(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
