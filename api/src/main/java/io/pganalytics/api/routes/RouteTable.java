package io.pganalytics.api.routes;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Principal;
import io.pganalytics.api.auth.PrincipalResolver;
import io.pganalytics.api.http.ApiException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The only way a route reaches the router: each is registered with its {@link Access} rule, guarded by it (no
 * principal → 401, a role too low → 403), timed per route ({@code pga_api_requests}), and listed for the OpenAPI
 * document, which is therefore built from the same registrations the router serves.
 */
public final class RouteTable {

    /** The context attribute holding the request's {@link Principal} (absent on open routes called without one). */
    public static final String PRINCIPAL = "pga.principal";

    private final List<PrincipalResolver> resolvers;
    private final MeterRegistry meters;
    private final List<ApiRoute> routes = new ArrayList<>();

    private final io.pganalytics.api.auth.RequestLimiter limiter;

    public RouteTable(List<PrincipalResolver> resolvers, MeterRegistry meters) {
        this(resolvers, meters, null);
    }

    /** @param limiter charges each guarded request to its principal's rate limit; null: no limits */
    public RouteTable(List<PrincipalResolver> resolvers, MeterRegistry meters, io.pganalytics.api.auth.RequestLimiter limiter) {
        this.resolvers = List.copyOf(resolvers);
        this.meters = meters;
        this.limiter = limiter;
    }

    public RouteTable get(String path, Access access, String summary, Handler handler) {
        return add(new ApiRoute("GET", path, access, summary, 200, handler));
    }

    public RouteTable post(String path, Access access, String summary, int success, Handler handler) {
        return add(new ApiRoute("POST", path, access, summary, success, handler));
    }

    public RouteTable put(String path, Access access, String summary, Handler handler) {
        return add(new ApiRoute("PUT", path, access, summary, 200, handler));
    }

    public RouteTable delete(String path, Access access, String summary, int success, Handler handler) {
        return add(new ApiRoute("DELETE", path, access, summary, success, handler));
    }

    /** A WebSocket route: {@code upgrade} checks the upgrade request (after the access rule), {@code ws} serves it. */
    public RouteTable ws(String path, Access access, String summary, Handler upgrade,
                         java.util.function.Consumer<io.javalin.websocket.WsConfig> ws) {
        return add(new ApiRoute("GET", path, access, summary, 101, upgrade, ws));
    }

    public RouteTable add(ApiRoute route) {
        for (ApiRoute existing : routes) {
            if (existing.method().equals(route.method()) && existing.path().equals(route.path())) {
                throw new IllegalArgumentException("route registered twice: " + route.method() + " " + route.path());
            }
        }
        routes.add(route);
        return this;
    }

    /** Every registered route, in registration order. */
    public List<ApiRoute> routes() {
        return Collections.unmodifiableList(routes);
    }

    /** Adds every route to the router, each guarded by its rule and carrying it as endpoint metadata. */
    public void installInto(RoutesConfig config) {
        for (ApiRoute route : routes) {
            Timer.Builder timer = Timer.builder("pga_api_requests").description("API requests by route")
                    .tag("method", route.method()).tag("route", route.path());
            Handler guarded = ctx -> {
                authorize(route.access(), ctx);
                long start = System.nanoTime();
                try {
                    route.handler().handle(ctx);
                } finally {
                    timer.tag("status", Integer.toString(ctx.statusCode())).register(meters)
                            .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                }
            };
            if (route.websocket() != null) {
                config.addEndpoint(new Endpoint(HandlerType.WEBSOCKET_BEFORE_UPGRADE, route.path(), ctx -> {
                    authorize(route.access(), ctx);
                    route.handler().handle(ctx);
                }).withMetadata(route.access()));
                config.addWsHandler(io.javalin.websocket.WsHandlerType.WEBSOCKET, route.path(), route.websocket());
                continue;
            }
            config.addEndpoint(new Endpoint(HandlerType.findOrCreate(route.method()), route.path(), guarded)
                    .withMetadata(route.access()));
        }
    }

    /** Who is calling, if any resolver recognises the request's credentials. */
    public Optional<Principal> resolve(Context ctx) {
        for (PrincipalResolver resolver : resolvers) {
            Optional<Principal> principal = resolver.resolve(ctx);
            if (principal.isPresent()) {
                return principal;
            }
        }
        return Optional.empty();
    }

    private void authorize(Access access, Context ctx) {
        Optional<Principal> principal = resolve(ctx);
        principal.ifPresent(p -> ctx.attribute(PRINCIPAL, p));
        if (access.isOpen()) {
            return;
        }
        Principal caller = principal.orElseThrow(ApiException::unauthorized);
        // Charged before the role check: a caller probing routes it may not call spends its budget too.
        if (limiter != null) {
            limiter.charge(caller, ctx);
        }
        if (!access.allows(caller.role())) {
            throw ApiException.forbidden(ctx.method() + " " + ctx.endpoint().path + " needs " + access + ", "
                    + caller.name() + " has role " + caller.role().name().toLowerCase());
        }
    }

    /** The actor of a change made by this request: its principal, in its role, from the client's address. */
    private static final String REQUEST_ID = "pga.request.id";

    public static io.pganalytics.fleet.admin.Actor actor(Context ctx) {
        Principal principal = principal(ctx);
        return new io.pganalytics.fleet.admin.Actor(principal.name(), principal.role().name().toLowerCase(), ctx.ip(),
                principal.method(), userAgent(ctx), requestId(ctx));
    }

    /**
     * The actor of a request nobody is signed in to yet (a login, a refresh, a single sign-on callback): the name it
     * tries, for the audit trail's record of a failed login; {@code anonymous} when it names none.
     */
    public static io.pganalytics.fleet.admin.Actor attempt(Context ctx, String name, String method) {
        String who = name == null || name.isBlank() ? "anonymous" : name.strip();
        return new io.pganalytics.fleet.admin.Actor(who.length() > 128 ? who.substring(0, 128) : who, "anonymous", ctx.ip(),
                method, userAgent(ctx), requestId(ctx));
    }

    /** The request's id: the client's {@code X-Request-Id} when it is a plain token, else one made for it (and answered). */
    public static String requestId(Context ctx) {
        String id = ctx.attribute(REQUEST_ID);
        if (id == null) {
            String given = ctx.header("X-Request-Id");
            id = given != null && io.pganalytics.api.http.Params.ID.matcher(given).matches() ? given : java.util.UUID.randomUUID().toString();
            ctx.attribute(REQUEST_ID, id);
            ctx.header("X-Request-Id", id);
        }
        return id;
    }

    private static String userAgent(Context ctx) {
        String agent = ctx.userAgent();
        return agent == null ? null : agent.length() > 256 ? agent.substring(0, 256) : agent;
    }

    /** The principal of a guarded route's request. */
    public static Principal principal(Context ctx) {
        Principal principal = ctx.attribute(PRINCIPAL);
        if (principal == null) {
            throw ApiException.unauthorized();
        }
        return principal;
    }
}
