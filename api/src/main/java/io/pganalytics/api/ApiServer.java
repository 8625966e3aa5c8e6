package io.pganalytics.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.AdminTokenResolver;
import io.pganalytics.api.auth.PrincipalResolver;
import io.pganalytics.api.health.ComponentHealth;
import io.pganalytics.api.health.DatabaseHealth;
import io.pganalytics.api.health.HealthCheck;
import io.pganalytics.api.health.KafkaHealth;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.api.http.HttpHygiene;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.routes.OpenApiDocument;
import io.pganalytics.api.routes.RouteTable;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.ControlPlane;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API: health, readiness, version, Prometheus {@code /metrics}, the OpenAPI document and whatever routes
 * the caller registers on its {@link RouteTable} (the fleet routes).
 *
 * <p>Every route goes through the table (so it has an access rule and appears in the OpenAPI document); every error,
 * including unknown routes and unexpected failures, answers with {@link ApiError}; an unexpected failure is logged
 * once, on one line, and never shows a stack trace to the client. {@link #close()} drains in-flight requests first.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** The version reported by {@code /api/v1/version}: the jar's, or "dev" when run from classes. */
    public static final String VERSION = versionOf(ApiServer.class);
    /** How long {@link #close()} waits for in-flight requests. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final String scheme;
    private final Javalin app;
    private final List<HealthCheck> checks;
    private final PrometheusMeterRegistry metrics;
    private final RouteTable table;
    private final BooleanSupplier ready;
    private final List<AutoCloseable> resources;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    /** What to serve besides the built-in routes, and what to close with the server. */
    public record Extension(List<PrincipalResolver> resolvers, Consumer<RouteTable> routes, BooleanSupplier ready,
                            List<AutoCloseable> resources, io.pganalytics.api.auth.RequestLimiter limiter) {

        /** An extension without rate limits. */
        public Extension(List<PrincipalResolver> resolvers, Consumer<RouteTable> routes, BooleanSupplier ready,
                         List<AutoCloseable> resources) {
            this(resolvers, routes, ready, resources, null);
        }

        /** No routes but the built-in ones. */
        public static Extension none() {
            return new Extension(List.of(), table -> { }, () -> true, List.of());
        }
    }

    private ApiServer(ApiConfig config, List<HealthCheck> checks, Extension extension) {
        this.checks = checks;
        this.ready = extension.ready();
        this.resources = extension.resources();
        this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        List<PrincipalResolver> resolvers = new ArrayList<>();
        if (config.adminToken() != null) {
            resolvers.add(new AdminTokenResolver(config.adminToken()));
        }
        resolvers.addAll(extension.resolvers());
        this.table = new RouteTable(resolvers, metrics, extension.limiter());
        table.get("/health", Access.open(), "liveness: the process answers and its database and Kafka too", this::health)
                .get("/api/v1/health", Access.open(), "the health of the control-plane database and Kafka", this::health)
                .get("/ready", Access.open(), "readiness: 503 until the views are caught up and the database answers",
                        this::readiness)
                .get("/api/v1/version", Access.open(), "the product's version", ctx -> ctx.json(Map.of(
                        "name", "pgAnalytics",
                        "version", VERSION,
                        "java", Runtime.version().toString())))
                .get("/metrics", Access.open(), "Prometheus metrics", ctx ->
                        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()))
                .get("/api/v1/openapi.json", Access.open(), "this document", ctx ->
                        ctx.json(OpenApiDocument.of(table.routes(), VERSION)));
        extension.routes().accept(table);
        HttpHygiene hygiene = new HttpHygiene(new HashSet<>(config.corsAllowedOrigins()), config.tls());
        this.scheme = config.tls() ? "https" : "http";
        java.security.KeyStore keyStore = config.tls() ? io.pganalytics.api.http.PemKeyStore.load(config.tlsCertificate(), config.tlsKey(),
                ApiConfig.Keys.TLS_CERTIFICATE.name(), ApiConfig.Keys.TLS_KEY.name()) : null;
        long maxBodyBytes = config.maxBodyBytes();
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            // Behind a trusted load balancer the client is who X-Forwarded-For says: what limits and logs see.
            List<String> proxies = config.rateLimits().trustedProxies();
            if (!proxies.isEmpty()) {
                cfg.contextResolver.ip = ctx -> io.pganalytics.api.auth.RequestLimiter.clientAddress(ctx.req().getRemoteAddr(),
                        ctx.header("X-Forwarded-For"), proxies);
            }
            cfg.jetty.host = config.host();
            cfg.jetty.port = config.port();
            if (keyStore != null) {
                // Only HTTPS: with a connector of its own, Javalin adds no plain one.
                cfg.jetty.addConnector((server, http) -> {
                    org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
                    ssl.setKeyStore(keyStore);
                    ssl.setKeyStorePassword(io.pganalytics.api.http.PemKeyStore.PASSWORD);
                    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
                    org.eclipse.jetty.server.HttpConfiguration https = new org.eclipse.jetty.server.HttpConfiguration(http);
                    org.eclipse.jetty.server.SecureRequestCustomizer secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
                    // The certificate names the service, not every address a probe or a load balancer dials.
                    secure.setSniHostCheck(false);
                    https.addCustomizer(secure);
                    org.eclipse.jetty.server.ServerConnector connector = new org.eclipse.jetty.server.ServerConnector(server,
                            new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"),
                            new org.eclipse.jetty.server.HttpConnectionFactory(https));
                    connector.setHost(config.host());
                    connector.setPort(config.port());
                    return connector;
                });
            }
            cfg.http.maxRequestSize = maxBodyBytes;
            cfg.jsonMapper(new JavalinJackson(StrictJson.MAPPER, false));
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new io.pganalytics.api.http.JsonErrorHandler()));
            cfg.jetty.modifyHttpConfiguration(http -> {
                http.setSendServerVersion(false);
                http.setSendXPoweredBy(false);
            });
            cfg.routes.before(ctx -> {
                hygiene.headers(ctx);
                if (draining) {
                    throw new ApiException(503, "unavailable", "the server is shutting down; retry on another replica");
                }
                if (hygiene.preflight(ctx)) {
                    ctx.skipRemainingHandlers();
                    return;
                }
                if (!"websocket".equalsIgnoreCase(ctx.header("Upgrade"))) {
                    inFlight.incrementAndGet();
                    ctx.attribute("pga.counted", Boolean.TRUE);
                }
                HttpHygiene.bodyLimit(ctx, maxBodyBytes);
                hygiene.contentType(ctx);
            });
            cfg.routes.after(ctx -> {
                if (ctx.attribute("pga.counted") != null) {
                    inFlight.decrementAndGet();
                }
            });
            table.installInto(cfg.routes);
            cfg.routes.error(404, "*", ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    ctx.json(new ApiError("not_found", "no route for " + ctx.method() + " " + ctx.path()));
                }
            });
            cfg.routes.error(405, "*", ctx -> ctx.json(new ApiError("method_not_allowed",
                    ctx.method() + " is not allowed on " + ctx.path())));
            cfg.routes.exception(ControlPlane.NotFound.class, (e, ctx) ->
                    ctx.status(404).json(new ApiError("not_found", e.getMessage())));
            cfg.routes.exception(ControlPlane.Conflict.class, (e, ctx) ->
                    ctx.status(e.code().equals("idempotency_key_reused") ? 422 : 409).json(new ApiError(e.code(), e.getMessage())));
            cfg.routes.exception(ControlPlane.NotAuthorized.class, (e, ctx) ->
                    ctx.status(401).json(new ApiError("unauthorized", e.getMessage())));
            cfg.routes.exception(ControlPlane.Unavailable.class, (e, ctx) -> {
                LOG.warn("{} {}: {}", ctx.method(), ctx.path(), e.getMessage());
                ctx.status(503).json(new ApiError("unavailable", e.getMessage()));
            });
            cfg.routes.exception(ApiException.class, (e, ctx) ->
                    ctx.status(e.status()).json(new ApiError(e.code(), e.getMessage())));
            // A value the caller gave that cannot be used: 400, saying which and why, never a stack trace.
            cfg.routes.exception(InvalidValue.class, (e, ctx) ->
                    ctx.status(HttpStatus.BAD_REQUEST).json(ApiError.of(e)));
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> {
                int status = e.getStatus();
                if (status == 404) {
                    ctx.status(404).json(new ApiError("not_found", "no route for " + ctx.method() + " " + ctx.path()));
                    return;
                }
                String code = status == 413 ? "payload_too_large" : status == 415 ? "unsupported_media_type"
                        : status == 405 ? "method_not_allowed" : status < 500 ? "bad_request" : "internal_error";
                ctx.status(status).json(new ApiError(code, e.getMessage()));
            });
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                LOG.warn("{} {} failed: {}", ctx.method(), ctx.path(), e.toString());
                ctx.status(HttpStatus.INTERNAL_SERVER_ERROR)
                        .json(new ApiError("internal_error", "the server could not answer; see its log"));
            });
        });
    }

    /** Starts the API with health checks of its database and Kafka. */
    public static ApiServer start(ApiConfig config) {
        return start(config, defaultChecks(config), Extension.none());
    }

    /** Starts the API with the given health checks; they are closed with the server. */
    public static ApiServer start(ApiConfig config, List<HealthCheck> checks) {
        return start(config, checks, Extension.none());
    }

    /** Starts the API with the given health checks and extra routes; checks and resources are closed with the server. */
    public static ApiServer start(ApiConfig config, List<HealthCheck> checks, Extension extension) {
        ApiServer server = new ApiServer(config, checks, extension);
        server.app.start();
        LOG.info("API listening on {}", server.url());
        return server;
    }

    /** The health checks of a configuration: its control-plane database and Kafka. */
    public static List<HealthCheck> defaultChecks(ApiConfig config) {
        return List.of(new DatabaseHealth(config.databaseUrl(), config.databaseUser(), config.databasePassword()),
                new KafkaHealth(config.bootstrapServers()));
    }

    /** The bound port. */
    public int port() {
        return app.port();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080} ({@code https} with TLS). */
    public String url() {
        return scheme + "://127.0.0.1:" + port();
    }

    /** The routes served, as registered (each with its access rule). */
    public RouteTable routes() {
        return table;
    }

    /** The router itself, for tests that walk what it really serves. */
    Javalin javalin() {
        return app;
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

    private void readiness(Context ctx) {
        boolean viewsReady = ready.getAsBoolean();
        boolean databaseUp = checks.stream().filter(check -> check.name().equals("database"))
                .allMatch(check -> check.check().isUp());
        boolean isReady = viewsReady && databaseUp && !draining;
        ctx.status(isReady ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .json(Map.of("status", isReady ? "READY" : "NOT_READY", "views", viewsReady ? "CAUGHT_UP" : "CATCHING_UP",
                        "database", databaseUp ? "UP" : "DOWN"));
    }

    /** Refuses new requests (503), waits up to 10 s for those in flight, then stops and closes everything. */
    @Override
    public void close() {
        draining = true;
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("API stopping with {} requests still in flight after {}", inFlight.get(), DRAIN_TIMEOUT);
        }
        app.stop();
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", resource, e.toString());
            }
        }
        checks.forEach(HealthCheck::close);
        metrics.close();
    }

    /** How many requests are being answered now. */
    int inFlight() {
        return inFlight.get();
    }

    private static String versionOf(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
