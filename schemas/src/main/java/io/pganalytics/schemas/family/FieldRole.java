package io.pganalytics.schemas.family;

import java.util.Locale;

/**
 * What a field of a metric family's raw record is, declared in the {@code .avsc} as the field
 * property {@code "pga.role"}. The stream processors compute deltas and rates from it, the rollups
 * aggregate by it, and the sink derives each table's natural key from it: the schema file is the one
 * place that says it.
 */
public enum FieldRole {
    /** {@code collectorId}, {@code targetId}, {@code sampledAt}: present in every family, no property needed. */
    IDENTITY,
    /** Part of what identifies one series within a target (datid, queryid, relid…): the natural key. */
    SERIES,
    /** Cumulative and monotonic until a reset; the processors emit a delta and a per-second rate. */
    COUNTER,
    /** An instantaneous value (sizes, ages, counts of backends); rolled up as is. */
    GAUGE,
    /** A timestamp whose change means the family's counters restarted (stats_reset, postmaster start). */
    RESET,
    /** Descriptive: kept on every record, never aggregated (names, versions, states). */
    LABEL,
    /** Derived on {@code pga.metrics.*}: the change of a counter since the series' previous sample. */
    DELTA,
    /** Derived on {@code pga.metrics.*}: a counter's delta per second of elapsed {@code sampledAt}. */
    RATE;

    /** The field property that carries the role. */
    public static final String PROPERTY = "pga.role";

    /** The role named in an {@code .avsc}, e.g. {@code "counter"}. */
    public static FieldRole parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected one of series, counter, gauge, reset, label; got '" + name + "'");
        }
    }

    /** The lower-case name used in {@code .avsc} files. */
    public String propertyValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
