package io.pganalytics.schemas.fleet;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.metrics.CustomSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rules the fleet's records follow beyond their Avro types, checked by whoever writes them (fleet-admin)
 * and by the collector that reads them, so that a record a writer accepts is one a collector can use. Each
 * problem is an {@link InvalidValue} whose path is the record's field, e.g. {@code familyIntervalMillis.tables}.
 */
public final class FleetRules {

    /** The shortest interval a family may be read at, when it is not 0 (off). */
    public static final long MIN_INTERVAL_MILLIS = 1000;
    /** The URL scheme of every target. */
    public static final String URL_PREFIX = "jdbc:postgresql://";

    /** Custom metrics are scheduled by their own definitions: a family override does not apply to them. */
    private static final String CUSTOM_FAMILY = CustomSample.getClassSchema().getProp(MetricFamily.FAMILY_PROPERTY);

    private FleetRules() {
    }

    /**
     * Checks everything of a target record but its password: id, URL, preset, family intervals, databases.
     *
     * @throws InvalidValue with every problem found, each at its field
     */
    public static void checkTarget(FleetTarget record) {
        checkTarget(record.getTargetId(), record.getUrl(), record.getPreset(), record.getFamilyIntervalMillis(),
                record.getDatabases());
    }

    /**
     * Checks the fields of a target as {@link #checkTarget(FleetTarget)} does; {@code preset} may be null (the
     * collector's own).
     *
     * @throws InvalidValue with every problem found, each at its field
     */
    public static void checkTarget(String targetId, String url, String preset, Map<String, Long> familyIntervalMillis,
                                   List<String> databases) {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        collect(problems, () -> checkTargetId(targetId));
        if (url == null || !url.startsWith(URL_PREFIX)) {
            problems.add(new InvalidValue.Problem("url", "expected " + URL_PREFIX + "host:port/db, got '" + url + "'"));
        }
        if (preset != null) {
            collect(problems, () -> FleetVocabulary.preset(preset));
        }
        collect(problems, () -> checkFamilyIntervals(familyIntervalMillis));
        if (databases != null && databases.stream().anyMatch(d -> d == null || d.isBlank())) {
            problems.add(new InvalidValue.Problem("databases", "an empty database name"));
        }
        InvalidValue.throwIfAny(problems);
    }

    /**
     * Checks a target id as it is used in record keys.
     *
     * @throws InvalidValue at {@code targetId} when it is blank or holds a '/'
     */
    public static void checkTargetId(String targetId) {
        checkKeyPart("targetId", targetId);
    }

    /**
     * Checks a collector id as it is used in record keys.
     *
     * @throws InvalidValue at {@code collectorId} when it is blank or holds a '/'
     */
    public static void checkCollectorId(String collectorId) {
        checkKeyPart("collectorId", collectorId);
    }

    /**
     * Checks family interval overrides (a target's or a collector's): known families, 0 (off) or at least
     * {@link #MIN_INTERVAL_MILLIS}.
     *
     * @throws InvalidValue with one problem per bad family, at {@code familyIntervalMillis.<family>}
     */
    public static void checkFamilyIntervals(Map<String, Long> intervals) {
        if (intervals == null) {
            return;
        }
        List<InvalidValue.Problem> problems = new ArrayList<>();
        intervals.forEach((family, millis) -> {
            String path = "familyIntervalMillis." + family;
            if (!overridableFamilies().contains(family)) {
                problems.add(new InvalidValue.Problem(path, "unknown family (known: " + String.join(", ", overridableFamilies()) + ")"));
            } else if (millis == null || (millis != 0 && millis < MIN_INTERVAL_MILLIS)) {
                problems.add(new InvalidValue.Problem(path, "must be 0 (off) or at least " + MIN_INTERVAL_MILLIS + " ms, got " + millis));
            }
        });
        InvalidValue.throwIfAny(problems);
    }

    /** The families whose interval can be overridden, in the contract's order: every one but custom. */
    public static List<String> overridableFamilies() {
        return MetricFamilies.all().stream().map(MetricFamily::name).filter(name -> !name.equals(CUSTOM_FAMILY)).toList();
    }

    /** Record keys are {@code <collectorId>/<targetId>}: neither part may be blank or hold the separator. */
    private static void checkKeyPart(String path, String value) {
        if (value == null || value.isBlank() || value.contains("/")) {
            throw new InvalidValue(path, "required, without '/', got '" + value + "'");
        }
    }

    private static void collect(List<InvalidValue.Problem> problems, Runnable check) {
        try {
            check.run();
        } catch (InvalidValue e) {
            problems.addAll(e.problems());
        }
    }
}
