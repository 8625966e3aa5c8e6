package io.pganalytics.api.fleet;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.events.EventHub;
import io.pganalytics.api.events.EventsRoute;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.views.FleetViews;
import java.util.ArrayList;
import java.util.List;

/**
 * The fleet-management API in one call: the server with its fleet views (read from Kafka), the events WebSocket and
 * the fleet routes. What {@code pganalytics api}, the quickstart and the end-to-end tests start.
 */
public final class FleetApi {

    private FleetApi() {
    }

    /**
     * Starts the API of {@code config}; the views hand live status and acknowledgements to {@code listener}.
     * Without {@code schema.registry.url} no fleet views are built and their routes are not served.
     */
    public static ApiServer start(ApiConfig config, FleetViews.Listener listener) {
        if (config.schemaRegistryUrl() == null) {
            return ApiServer.start(config);
        }
        EventHub hub = new EventHub(StrictJson.MAPPER, EventHub.DEFAULT_QUEUE);
        FleetViews views = FleetViews.start(config.bootstrapServers(), config.schemaRegistryUrl(), listener, hub::publish);
        List<AutoCloseable> resources = new ArrayList<>(List.of(hub, views));
        EventsRoute events = new EventsRoute(hub, views, config.schemaRegistryUrl());
        CollectorViewRoutes viewRoutes = new CollectorViewRoutes(views);
        return ApiServer.start(config, ApiServer.defaultChecks(config), new ApiServer.Extension(List.of(), table -> {
            viewRoutes.register(table);
            events.register(table);
        }, views::caughtUp, resources));
    }
}
