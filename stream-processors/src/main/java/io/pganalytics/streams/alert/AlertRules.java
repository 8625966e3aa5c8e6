package io.pganalytics.streams.alert;

import io.pganalytics.schemas.alerts.AlertKind;
import io.pganalytics.schemas.alerts.AlertOperator;
import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.streams.rollup.RollupsTopology;
import java.util.Optional;

/** What makes an {@link AlertRule} applicable, and how a rule reads in logs and messages. */
public final class AlertRules {

    private AlertRules() {
    }

    /** Why the rule under {@code key} cannot be evaluated, naming the field; empty when it can. */
    public static Optional<String> problem(String key, AlertRule rule) {
        if (!rule.getId().equals(key)) {
            return Optional.of("id: '" + rule.getId() + "' does not match the record key '" + key + "'");
        }
        Optional<MetricFamily> family = MetricFamilies.byName(rule.getFamily());
        if (family.isEmpty()) {
            return Optional.of("family: no metric family '" + rule.getFamily() + "'");
        }
        if (!RollupsTopology.aggregatedFields(family.get()).contains(rule.getField())) {
            return Optional.of("field: '" + rule.getField() + "' is not a gauge or rate of " + rule.getFamily());
        }
        if (rule.getDurationSeconds() < 0) {
            return Optional.of("durationSeconds: must not be negative, got " + rule.getDurationSeconds());
        }
        if (Double.isNaN(rule.getThreshold())) {
            return Optional.of("threshold: must be a number");
        }
        if (rule.getKind() == AlertKind.ANOMALY && (rule.getWindowSamples() < 2 || rule.getThreshold() <= 0)) {
            return Optional.of("windowSamples and threshold: an anomaly needs at least 2 samples and a positive z-score");
        }
        return Optional.empty();
    }

    /** E.g. {@code database.numbackends ABOVE 100.0 for 60 s}. */
    public static String describe(AlertRule rule) {
        String what = rule.getKind() == AlertKind.ANOMALY ? "z-score of " + rule.getFamily() + "." + rule.getField()
                : rule.getFamily() + "." + rule.getField();
        double threshold = rule.getKind() == AlertKind.ANOMALY && rule.getOperator() == AlertOperator.BELOW
                ? -rule.getThreshold() : rule.getThreshold();
        return what + " " + rule.getOperator() + " " + threshold + " for " + rule.getDurationSeconds() + " s"
                + (rule.getKind() == AlertKind.ANOMALY ? " (over " + rule.getWindowSamples() + " samples)" : "");
    }
}
