package io.pganalytics.fleet.admin;

import io.pganalytics.config.InvalidValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The rows of a bulk import, from parsed JSON or CSV objects to valid requests; every problem of a row at once. */
final class ImportRows {

    private static final Set<String> TARGET_FIELDS = Set.of("id", "url", "user", "password", "preset", "familyIntervalMillis", "databases",
            "enabled", "group");
    private static final Set<String> COLLECTOR_FIELDS = Set.of("id", "name", "hostname", "version", "group", "tags", "labels");

    private ImportRows() {
    }

    /** A collector to pre-register. */
    record CollectorRow(String id, String hostname, String version, ControlPlane.CollectorUpdate update) {
    }

    static String idOf(Map<String, Object> row) {
        return row.get("id") instanceof String id ? id : null;
    }

    static TargetSpec target(Map<String, Object> row) {
        Problems problems = new Problems();
        unknown(problems, row, TARGET_FIELDS);
        String id = text(problems, row, "id");
        String url = text(problems, row, "url");
        String user = text(problems, row, "user");
        String password = text(problems, row, "password");
        String preset = text(problems, row, "preset");
        String group = text(problems, row, "group");
        Object enabledValue = row.getOrDefault("enabled", Boolean.TRUE);
        boolean enabled = true;
        if (enabledValue instanceof Boolean b) {
            enabled = b;
        } else if (enabledValue instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            enabled = Boolean.parseBoolean(s);
        } else {
            problems.add("enabled", "expected true or false");
        }
        Map<String, Long> intervals = new LinkedHashMap<>();
        Object raw = row.get("familyIntervalMillis");
        if (raw instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                if (v instanceof Number n && n.longValue() == n.doubleValue()) {
                    intervals.put(String.valueOf(k), n.longValue());
                } else {
                    problems.add("familyIntervalMillis." + k, "expected a whole number of milliseconds");
                }
            });
        } else if (raw != null) {
            problems.add("familyIntervalMillis", "expected an object of family: milliseconds");
        }
        List<String> databases = texts(problems, row, "databases");
        boolean on = enabled;
        TargetSpec spec = problems.check(() -> new TargetSpec(id, url, user, password, preset, intervals, databases, on, group), null);
        problems.throwIfAny();
        return spec;
    }

    static CollectorRow collector(Map<String, Object> row) {
        Problems problems = new Problems();
        unknown(problems, row, COLLECTOR_FIELDS);
        String id = text(problems, row, "id");
        if (id == null) {
            problems.add("id", "required");
        } else {
            problems.check(() -> ControlPlane.checkId("id", id));
        }
        String hostname = text(problems, row, "hostname");
        String version = text(problems, row, "version");
        problems.check(() -> ControlPlane.Texts.check("hostname", hostname, 255));
        problems.check(() -> ControlPlane.Texts.check("version", version, 64));
        String name = text(problems, row, "name");
        String group = text(problems, row, "group");
        List<String> tags = texts(problems, row, "tags");
        Map<String, String> labels = new LinkedHashMap<>();
        Object raw = row.get("labels");
        if (raw instanceof Map<?, ?> map) {
            map.forEach((k, v) -> labels.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
        } else if (raw != null) {
            problems.add("labels", "expected an object of name: value");
        }
        ControlPlane.CollectorUpdate update = problems.check(() -> new ControlPlane.CollectorUpdate(name == null ? id : name, group, tags, labels), null);
        problems.throwIfAny();
        return new CollectorRow(id, hostname, version, update);
    }

    private static void unknown(Problems problems, Map<String, Object> row, Set<String> known) {
        row.keySet().stream().filter(k -> !known.contains(k)).sorted()
                .forEach(k -> problems.add(k, "unknown field; expected one of " + String.join(", ", known.stream().sorted().toList())));
    }

    private static String text(Problems problems, Map<String, Object> row, String field) {
        Object value = row.get(field);
        if (value == null || value instanceof String s && s.isEmpty() && !field.equals("password")) {
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        problems.add(field, "expected a string");
        return null;
    }

    private static List<String> texts(Problems problems, Map<String, Object> row, String field) {
        Object value = row.get(field);
        if (value == null) {
            return List.of();
        }
        if (value instanceof String s) {
            // CSV: a list is written a;b;c in one cell.
            return s.isBlank() ? List.of() : List.of(s.split(";"));
        }
        if (value instanceof List<?> list && list.stream().allMatch(v -> v instanceof String)) {
            List<String> out = new ArrayList<>();
            list.forEach(v -> out.add((String) v));
            return out;
        }
        problems.add(field, "expected a list of strings");
        return List.of();
    }

}
