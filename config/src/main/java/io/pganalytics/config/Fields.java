package io.pganalytics.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys of one role's configuration, in documentation order, and how they are read: from properties (a file),
 * each overridden by its environment variable, unknown keys refused with the nearest known one suggested, every bad
 * value reported at once. {@link #markdownTable()} is what {@code docs/configuration.md} shows.
 */
public final class Fields {

    private final String environmentPrefix;
    private final List<Field<?>> fields;
    private final List<String> openPrefixes;

    private Fields(String environmentPrefix, List<Field<?>> fields, List<String> openPrefixes) {
        this.environmentPrefix = environmentPrefix;
        this.fields = List.copyOf(fields);
        this.openPrefixes = List.copyOf(openPrefixes);
        var names = new java.util.HashSet<String>();
        for (Field<?> field : fields) {
            if (!names.add(field.name())) {
                throw new IllegalStateException(field.name() + " is declared twice");
            }
        }
    }

    /** {@code fields}, overridden by environment variables named {@code environmentPrefix + KEY}, e.g. {@code PGA_}. */
    public static Fields of(String environmentPrefix, List<Field<?>> fields) {
        return new Fields(environmentPrefix, fields, List.of());
    }

    /** {@code fields}, overridden by environment variables named {@code environmentPrefix + KEY}, e.g. {@code PGA_}. */
    public static Fields of(String environmentPrefix, Field<?>... fields) {
        return of(environmentPrefix, List.of(fields));
    }

    /** These fields and {@code more} after them (e.g. a role's own keys and a component's). */
    public Fields and(List<Field<?>> more) {
        List<Field<?>> all = new ArrayList<>(fields);
        all.addAll(more);
        return new Fields(environmentPrefix, all, openPrefixes);
    }

    /** These fields and {@code more}'s after them. */
    public Fields and(Fields more) {
        return and(more.fields).allowing(more.openPrefixes.toArray(String[]::new));
    }

    /**
     * These fields, letting keys under {@code prefixes} through unchecked, for keys that are another system's to
     * check (e.g. {@code kafka.} settings handed to the Kafka client).
     */
    public Fields allowing(String... prefixes) {
        List<String> all = new ArrayList<>(openPrefixes);
        all.addAll(List.of(prefixes));
        return new Fields(environmentPrefix, fields, all);
    }

    public List<Field<?>> fields() {
        return fields;
    }

    public String environmentPrefix() {
        return environmentPrefix;
    }

    /** The declared field of {@code key}, a template's for a concrete key; empty when the key is unknown. */
    public Optional<Field<?>> fieldOf(String key) {
        for (Field<?> field : fields) {
            if (field.name().equals(key)) {
                return Optional.of(field);
            }
        }
        for (Field<?> field : fields) {
            if (field.isTemplate()) {
                Matcher matcher = field.keyPattern().matcher(key);
                if (matcher.matches()) {
                    Object[] parts = new Object[matcher.groupCount()];
                    for (int i = 0; i < parts.length; i++) {
                        parts[i] = matcher.group(i + 1);
                    }
                    return Optional.of(field.at(parts));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Reads {@code properties}, each key overridden by its environment variable in {@code environment}, and checks
     * every value present against its field. All problems, unknown keys included, come in one {@link InvalidValue}.
     */
    public Values read(Map<String, String> properties, Map<String, String> environment) {
        Map<String, String> values = new LinkedHashMap<>();
        properties.forEach((key, value) -> values.put(key.strip(), value.strip()));
        values.putAll(fromEnvironment(environment));
        List<InvalidValue.Problem> problems = new ArrayList<>();
        Map<String, Object> parsed = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String key = entry.getKey();
            Optional<Field<?>> field = fieldOf(key);
            if (field.isEmpty()) {
                if (openPrefixes.stream().noneMatch(key::startsWith)) {
                    problems.add(new InvalidValue.Problem(key, unknownKey(key)));
                }
                continue;
            }
            if (entry.getValue().isEmpty()) {
                continue;
            }
            try {
                parsed.put(key, field.get().parse(entry.getValue()));
            } catch (InvalidValue e) {
                problems.addAll(e.problems());
            }
        }
        for (Field<?> field : fields) {
            if (field.required() && !field.isTemplate() && !parsed.containsKey(field.name())
                    && problems.stream().noneMatch(problem -> problem.path().equals(field.name()))) {
                problems.add(new InvalidValue.Problem(field.name(), "required"
                        + (field.documentation().isEmpty() ? "" : ": " + field.documentation())));
            }
        }
        return new Values(this, values, parsed, problems);
    }

    /** Reads {@code properties} alone, without environment variables. */
    public Values read(Map<String, String> properties) {
        return read(properties, Map.of());
    }

    private Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> found = new LinkedHashMap<>();
        for (Field<?> field : fields) {
            if (!field.isTemplate()) {
                String value = environment.get(field.environmentVariable(environmentPrefix));
                if (value != null) {
                    found.put(field.name(), value);
                }
                continue;
            }
            Pattern pattern = field.environmentPattern(environmentPrefix);
            environment.forEach((variable, value) -> {
                Matcher matcher = pattern.matcher(variable);
                if (matcher.matches()) {
                    Object[] parts = new Object[matcher.groupCount()];
                    for (int i = 0; i < parts.length; i++) {
                        parts[i] = matcher.group(i + 1).toLowerCase(java.util.Locale.ROOT);
                    }
                    found.put(field.at(parts).name(), value);
                }
            });
        }
        return found;
    }

    private String unknownKey(String key) {
        String nearest = null;
        int best = Integer.MAX_VALUE;
        for (Field<?> field : fields) {
            int distance = Distance.between(key, field.name());
            if (distance < best) {
                best = distance;
                nearest = field.name();
            }
        }
        // Beyond a third of the key it is a different key, not a typo of one.
        if (nearest != null && best <= Math.max(2, key.length() / 3)) {
            return "unknown key; did you mean " + nearest + "?";
        }
        return "unknown key; the keys are listed in docs/configuration.md";
    }

    /**
     * The Markdown table of these fields, one row per key in declaration order: key, default, meaning. The
     * documentation of each role in {@code docs/configuration.md} is this table, checked by a test.
     */
    public String markdownTable() {
        StringBuilder table = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
        for (Field<?> field : fields) {
            table.append("| `").append(field.name()).append("` | ").append(field.defaultShown()).append(" | ")
                    .append(field.documentation()).append(" |\n");
        }
        return table.toString();
    }

    /** Edit distance, for suggesting the key a typo meant. */
    private static final class Distance {
        static int between(String a, String b) {
            int[] previous = new int[b.length() + 1];
            int[] current = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                previous[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                current[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                    current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
                }
                int[] swap = previous;
                previous = current;
                current = swap;
            }
            return previous[b.length()];
        }
    }
}
