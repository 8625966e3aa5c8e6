package io.pganalytics.api.views;

import io.pganalytics.schemas.alerts.Alert;
import io.pganalytics.schemas.fleet.CollectorLog;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the records of the fleet topics into {@link LiveEvent}s; it remembers each collector's last live status
 * (to tell {@code connected}/{@code disconnected} from another change) and fleet group (from its heartbeats).
 */
final class EventTranslator {

    private final Map<String, String> lastStatus = new HashMap<>();
    private final Map<String, String> groups = new HashMap<>();

    /** The events of one record; {@code position} is the resume position just after it. */
    List<LiveEvent> translate(String topic, Object value, String position) {
        List<LiveEvent> events = new ArrayList<>(2);
        if (value instanceof Heartbeat heartbeat) {
            String id = heartbeat.getCollectorId();
            if (heartbeat.getEffectiveConfig() != null) {
                String group = heartbeat.getEffectiveConfig().getFleetGroup();
                if (group == null) {
                    groups.remove(id);
                } else {
                    groups.put(id, group);
                }
            }
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("state", heartbeat.getState());
            data.put("targetsConfigured", heartbeat.getTargetsConfigured());
            data.put("targetsHealthy", heartbeat.getTargetsHealthy());
            data.put("uptimeMillis", heartbeat.getUptimeMillis());
            data.put("spoolUsedBytes", heartbeat.getSpoolUsedBytes());
            events.add(event("heartbeat", id, heartbeat.getSentAt(), data, position));
        } else if (value instanceof FleetStatus status) {
            String id = status.getCollectorId();
            String now = status.getStatus().name().toLowerCase();
            String before = lastStatus.put(id, now);
            if (!now.equals(before)) {
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("from", before);
                data.put("to", now);
                data.put("reason", status.getReason());
                String type = now.equals("online") && (before == null || before.equals("offline")) ? "connected"
                        : now.equals("offline") ? "disconnected" : "status-changed";
                events.add(event(type, id, status.getSince(), data, position));
            }
        } else if (value instanceof FleetEvent fleet) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("kind", fleet.getKind());
            data.put("from", fleet.getFrom());
            data.put("to", fleet.getTo());
            data.put("reason", fleet.getReason());
            if (fleet.getCommandId() != null) {
                data.put("commandId", fleet.getCommandId());
            }
            String type = switch (fleet.getKind()) {
                case FleetVocabulary.KIND_COMMAND -> "command-acknowledged";
                case FleetVocabulary.KIND_STATUS_CHANGE -> FleetVocabulary.STATE_STOPPED.equals(fleet.getTo()) ? "stopped"
                        : FleetVocabulary.STATE_RUNNING.equals(fleet.getTo()) ? "resumed" : "status-changed";
                default -> "status-changed";
            };
            events.add(event(type, fleet.getCollectorId(), fleet.getAt(), data, position));
            if (FleetVocabulary.KIND_COMMAND.equals(fleet.getKind()) && "restart".equals(fleet.getFrom())
                    && FleetVocabulary.DONE.equals(fleet.getTo())) {
                events.add(event("restarted", fleet.getCollectorId(), fleet.getAt(), data, position));
            }
        } else if (value instanceof CollectorLog log && "ERROR".equals(log.getLevel())) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("logger", log.getLogger());
            data.put("message", log.getMessage());
            events.add(event("error", log.getCollectorId(), log.getAt(), data, position));
        } else if (value instanceof Alert alert) {
            events.add(event("alert", alert.getCollectorId(), null, AlertView.of(alert).asMap(), position));
        }
        return events;
    }

    private LiveEvent event(String type, String collectorId, Instant at, Map<String, Object> data, String position) {
        return new LiveEvent(type, collectorId, groups.get(collectorId), (at == null ? Instant.now() : at).toString(),
                data, position);
    }
}
