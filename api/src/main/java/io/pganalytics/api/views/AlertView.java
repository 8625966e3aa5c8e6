package io.pganalytics.api.views;

import io.pganalytics.schemas.alerts.Alert;
import java.util.Map;
import java.util.TreeMap;

/** One alert as the API shows it: the latest state of one rule on one series. */
public record AlertView(String ruleId, String family, String field, String collectorId, String targetId,
                        Map<String, String> series, String state, Double value, double threshold, String since,
                        String at, String message) {

    static AlertView of(Alert alert) {
        Map<String, String> series = new TreeMap<>();
        alert.getSeries().forEach((key, value) -> series.put(key.toString(), value.toString()));
        return new AlertView(alert.getRuleId(), alert.getFamily(), alert.getField(), alert.getCollectorId(),
                alert.getTargetId(), series, alert.getState().name().toLowerCase(), alert.getValue(),
                alert.getThreshold(), String.valueOf(alert.getSince()), String.valueOf(alert.getAt()), alert.getMessage());
    }

    /** What identifies the series an alert is about: a later alert of the same key replaces it. */
    String key() {
        return ruleId + "|" + collectorId + "|" + targetId + "|" + series;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> asMap() {
        return io.pganalytics.api.http.StrictJson.MAPPER.convertValue(this, Map.class);
    }
}
