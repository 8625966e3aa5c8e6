package io.pganalytics.api.fleet;

import java.util.List;
import java.util.Map;

/**
 * The JSON bodies of the fleet routes, read strictly (an unknown field is a 400): the API's own shapes, mapped onto
 * the control plane's requests, which check the values.
 */
final class Bodies {

    private Bodies() {
    }

    record Register(String secret, String name, String hostname, String version, String group, List<String> tags,
                    Map<String, String> labels, String id) {
    }

    record CollectorPut(String name, String group, List<String> tags, Map<String, String> labels) {
    }

    record CommandOptions(Integer timeoutSeconds) {
    }

    record BulkAction(List<String> collectorIds, String command, Integer timeoutSeconds) {
    }

    record SecretSpec(String description, String group, Long validForSeconds, Integer maxUses) {
    }

    record GroupSpec(String name, String description) {
    }

    record Target(String id, String url, String user, String password, String preset,
                  Map<String, Long> familyIntervalMillis, List<String> databases, Boolean enabled, String group) {
    }

    record TestConnection(String id, String url, String user, String password, String preset,
                          Map<String, Long> familyIntervalMillis, List<String> databases, Boolean enabled, String group,
                          Integer timeoutSeconds) {
        Target target() {
            return new Target(id == null ? "unsaved" : id, url, user, password, preset, familyIntervalMillis, databases,
                    enabled, group);
        }
    }

    record TestOptions(Integer timeoutSeconds) {
    }

    /** Rows as JSON objects, or {@code csv}: a header line of field names, then one line per row. */
    record BulkImport(String kind, List<Map<String, Object>> rows, String csv, Boolean dryRun) {
    }

    record AlertRule(String id, String family, String field, String kind, String operator, Double threshold,
                     Long durationSeconds, Integer windowSamples, String collectorId, String targetId, String description) {
    }
}
