package io.pganalytics.api.fleet;

import io.javalin.http.Context;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.api.http.Params;
import io.pganalytics.api.routes.RouteTable;
import io.pganalytics.api.views.FleetViews;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.fleet.TargetReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The routes answered from the {@link FleetViews} (each replica's own, built from Kafka): a collector's status, health,
 * metrics and logs, and the alerts.
 */
final class CollectorViewRoutes {

    private final FleetViews views;

    CollectorViewRoutes(FleetViews views) {
        this.views = views;
    }

    void register(RouteTable table) {
        Access viewer = Access.atLeast(Role.VIEWER);
        table.get("/api/v1/collectors/{id}/status", viewer, "a collector's live status, from its heartbeats", this::status)
                .get("/api/v1/collectors/{id}/health", viewer, "a collector's per-target health, from its latest heartbeat",
                        this::health)
                .get("/api/v1/collectors/{id}/metrics", viewer, "a collector's own figures: uptime, samples, buffer and spool",
                        this::metrics)
                .get("/api/v1/collectors/{id}/logs", viewer,
                        "the WARN+ log lines a collector shipped; ?level=&q=&since=&until=&limit=", this::logs)
                .get("/api/v1/alerts", viewer, "the alerts firing now and the recently resolved; ?state=firing|recent",
                        this::alerts);
    }

    private Heartbeat heartbeat(Context ctx) {
        String id = Params.id(ctx, "id");
        return views.heartbeat(id).orElseThrow(() -> ApiException.notFound("heartbeat of collector", id));
    }

    private void status(Context ctx) {
        String id = Params.id(ctx, "id");
        Heartbeat heartbeat = views.heartbeat(id).orElse(null);
        FleetStatus status = views.status(id).orElse(null);
        if (heartbeat == null && status == null) {
            throw ApiException.notFound("heartbeat of collector", id);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("collectorId", id);
        body.put("status", status == null ? "unknown" : status.getStatus().name().toLowerCase());
        body.put("since", status == null ? null : status.getSince().toString());
        body.put("reason", status == null ? null : status.getReason());
        body.put("lastHeartbeatAt", heartbeat == null ? null : heartbeat.getSentAt().toString());
        body.put("state", heartbeat == null ? null : heartbeat.getState());
        body.put("version", heartbeat == null ? null : heartbeat.getVersion());
        body.put("hostname", heartbeat == null ? null : heartbeat.getHostname());
        body.put("targetsConfigured", heartbeat == null ? null : heartbeat.getTargetsConfigured());
        body.put("targetsHealthy", heartbeat == null ? null : heartbeat.getTargetsHealthy());
        ctx.json(body);
    }

    private void health(Context ctx) {
        Heartbeat heartbeat = heartbeat(ctx);
        List<Map<String, Object>> targets = heartbeat.getTargets().stream().map(CollectorViewRoutes::target).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("collectorId", heartbeat.getCollectorId());
        body.put("healthy", heartbeat.getTargetsHealthy() == heartbeat.getTargetsConfigured());
        body.put("targetsConfigured", heartbeat.getTargetsConfigured());
        body.put("targetsHealthy", heartbeat.getTargetsHealthy());
        body.put("targets", targets);
        body.put("targetsOmitted", heartbeat.getTargetsOmitted());
        body.put("at", heartbeat.getSentAt().toString());
        ctx.json(body);
    }

    private static Map<String, Object> target(TargetReport report) {
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("targetId", report.getTargetId());
        target.put("connected", report.getConnected());
        target.put("lastSuccessAt", report.getLastSuccessAt() == null ? null : report.getLastSuccessAt().toString());
        target.put("lastError", report.getLastError());
        target.put("lastCycleMillis", report.getLastCycleMillis());
        return target;
    }

    private void metrics(Context ctx) {
        Heartbeat heartbeat = heartbeat(ctx);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("collectorId", heartbeat.getCollectorId());
        body.put("at", heartbeat.getSentAt().toString());
        body.put("startedAt", heartbeat.getStartedAt().toString());
        body.put("uptimeMillis", heartbeat.getUptimeMillis());
        body.put("intervalMillis", heartbeat.getIntervalMillis());
        body.put("samplesProduced", heartbeat.getSamplesProduced());
        body.put("samplesFailed", heartbeat.getSamplesFailed());
        body.put("cyclesSkipped", heartbeat.getCyclesSkipped());
        body.put("bufferUsedBytes", heartbeat.getBufferUsedBytes());
        body.put("spoolUsedBytes", heartbeat.getSpoolUsedBytes());
        body.put("spoolCapacityBytes", heartbeat.getSpoolCapacityBytes());
        body.put("spoolPendingRecords", heartbeat.getSpoolPendingRecords());
        Map<String, Long> dropped = new LinkedHashMap<>();
        heartbeat.getDroppedByFamily().forEach((family, count) -> dropped.put(family.toString(), count));
        body.put("droppedByFamily", dropped);
        body.put("previousShutdown", heartbeat.getPreviousShutdown());
        body.put("recoveredRecords", heartbeat.getRecoveredRecords());
        ctx.json(body);
    }

    private void logs(Context ctx) {
        String id = Params.id(ctx, "id");
        String level = Params.text(ctx, "level", 5);
        if (level != null) {
            level = level.toUpperCase();
            if (!FleetVocabulary.LOG_LEVELS.contains(level)) {
                throw ApiException.badRequest("invalid_value", "level: expected one of " + FleetVocabulary.LOG_LEVELS);
            }
        }
        FleetViews.LogQuery query = new FleetViews.LogQuery(level, Params.text(ctx, "q", 200),
                Params.instant(ctx, "since"), Params.instant(ctx, "until"), Params.integer(ctx, "limit", 1, 500, 100));
        ctx.json(Map.of("collectorId", id, "items", views.logs(id, query),
                "retention", "the newest " + FleetViews.LOG_LINES_PER_COLLECTOR + " lines per collector still in "
                        + "pga.fleet.logs"));
    }

    private void alerts(Context ctx) {
        String state = Params.text(ctx, "state", 10);
        if (state != null && !state.equals("firing") && !state.equals("recent")) {
            throw ApiException.badRequest("invalid_value", "state: expected firing or recent");
        }
        Map<String, ?> alerts = views.alerts();
        ctx.json(state == null ? alerts : Map.of(state, alerts.get(state)));
    }
}
