package io.pganalytics.api.fleet;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.accounts.AccountRoutes;
import io.pganalytics.api.audit.AuditLive;
import io.pganalytics.api.audit.AuditRoutes;
import io.pganalytics.schemas.audit.CheckpointKeys;
import io.pganalytics.api.auth.AccessTokenResolver;
import io.pganalytics.api.auth.CollectorTokenResolver;
import io.pganalytics.api.auth.PrincipalResolver;
import io.pganalytics.api.auth.RequestLimiter;
import io.pganalytics.api.auth.SessionCache;
import io.pganalytics.api.auth.TokenAuthority;
import io.pganalytics.config.InvalidValue;
import java.time.Clock;
import io.pganalytics.api.events.EventHub;
import io.pganalytics.api.events.EventsRoute;
import io.pganalytics.api.health.HealthCheck;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.views.FleetViews;
import io.pganalytics.fleet.admin.ControlPlane;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet-management API in one call: the server with its fleet views (read from Kafka), the events WebSocket,
 * the view routes and the control-plane routes. What {@code pganalytics api}, the quickstart and the end-to-end
 * tests start; the caller keeps ownership of the {@link ControlPlane} (closed after the server).
 */
public final class FleetApi {

    private static final Logger LOG = LoggerFactory.getLogger(FleetApi.class);

    private FleetApi() {
    }

    /** Starts the API of {@code config} on {@code fleet}; the views write live status and acknowledgements to it. */
    public static ApiServer start(ApiConfig config, ControlPlane fleet) {
        return start(config, fleet, ApiServer.defaultChecks(config));
    }

    /** As {@link #start(ApiConfig, ControlPlane)}, with the given health checks. */
    public static ApiServer start(ApiConfig config, ControlPlane fleet, List<HealthCheck> checks) {
        EventHub hub = new EventHub(StrictJson.MAPPER, EventHub.DEFAULT_QUEUE);
        FleetViews views = FleetViews.start(config.bootstrapServers(), config.schemaRegistryUrl(), listener(fleet),
                hub::publish);
        List<AutoCloseable> resources = new ArrayList<>(List.of(hub, views));
        EventsRoute events = new EventsRoute(hub, views, config.schemaRegistryUrl());
        CollectorViewRoutes viewRoutes = new CollectorViewRoutes(views);
        FleetRoutes fleetRoutes = new FleetRoutes(fleet);
        CollectorTokenResolver collectors = new CollectorTokenResolver(token ->
                fleet.authenticateCollector(token).map(ControlPlane.Collector::id));
        List<PrincipalResolver> resolvers = new ArrayList<>(List.of(collectors));
        RequestLimiter limiter = new RequestLimiter(fleet.rateLimits(), config.rateLimits());
        AccountRoutes accountRoutes = null;
        try {
            TokenAuthority.Reloading ring = TokenAuthority.KeyRing.reloading(fleet.accounts()::signingKeys, Clock.systemUTC());
            SessionCache sessions = new SessionCache(fleet.accounts(), ring);
            resources.add(sessions);
            TokenAuthority authority = new TokenAuthority(config.tokens(), ring, Clock.systemUTC());
            resolvers.add(new AccessTokenResolver(authority, sessions));
            accountRoutes = new AccountRoutes(fleet.accounts(), authority, sessions, limiter, config.mfaRequiredRoles(), config.oidc(),
                    config.saml());
        } catch (InvalidValue e) {
            // No key to seal the signing keys with: nobody can sign in, and saying so beats a half-working login.
            LOG.warn("local sign-in is off: {}", e.getMessage());
        }
        AccountRoutes accountsOrNull = accountRoutes;
        AuditRoutes audit = new AuditRoutes(fleet.audit(), auditPublicKey(config));
        AuditLive auditLive = new AuditLive(config.bootstrapServers(), config.schemaRegistryUrl());
        resources.add(auditLive);
        return ApiServer.start(config, checks, new ApiServer.Extension(resolvers, table -> {
            if (accountsOrNull != null) {
                accountsOrNull.register(table);
            }
            fleetRoutes.register(table);
            viewRoutes.register(table);
            events.register(table);
            audit.register(table);
            auditLive.register(table);
        }, () -> views.caughtUp() && fleet.databaseUp(), resources, limiter));
    }

    /** The pinned checkpoint key, read at start: a bad file is a configuration error naming its key. */
    private static java.security.PublicKey auditPublicKey(ApiConfig config) {
        if (config.auditPublicKey() == null) {
            return null;
        }
        try {
            return CheckpointKeys.readPublic(config.auditPublicKey());
        } catch (IllegalArgumentException e) {
            throw new InvalidValue(ApiConfig.Keys.AUDIT_PUBLIC_KEY.name(), e.getMessage());
        }
    }

    /** What the views hand the control plane; a failure is logged and the view goes on (the next change retries). */
    static FleetViews.Listener listener(ControlPlane fleet) {
        return new FleetViews.Listener() {
            @Override
            public void liveStatus(String collectorId, String status, Instant lastHeartbeatAt) {
                try {
                    fleet.recordLiveStatus(collectorId, status, lastHeartbeatAt);
                } catch (RuntimeException e) {
                    LOG.warn("could not record collector {} as {}: {}", collectorId, status, e.getMessage());
                }
            }

            @Override
            public void acknowledged(String commandId, String outcome, String reason, Instant at) {
                try {
                    fleet.recordAcknowledgement(commandId, outcome, reason, at);
                } catch (RuntimeException e) {
                    LOG.warn("could not record the acknowledgement of command {}: {}", commandId, e.getMessage());
                }
            }
        };
    }

    /** The API without a control plane: only the views, their routes and the WebSocket (for tests of the read side). */
    public static ApiServer startViewsOnly(ApiConfig config, FleetViews.Listener listener) {
        EventHub hub = new EventHub(StrictJson.MAPPER, EventHub.DEFAULT_QUEUE);
        FleetViews views = FleetViews.start(config.bootstrapServers(), config.schemaRegistryUrl(), listener, hub::publish);
        EventsRoute events = new EventsRoute(hub, views, config.schemaRegistryUrl());
        CollectorViewRoutes viewRoutes = new CollectorViewRoutes(views);
        return ApiServer.start(config, ApiServer.defaultChecks(config), new ApiServer.Extension(List.of(), table -> {
            viewRoutes.register(table);
            events.register(table);
        }, views::caughtUp, List.of(hub, views)));
    }
}
