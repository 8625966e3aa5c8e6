package io.pganalytics.collector.family;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.catalog.MetricDefinition;
import io.pganalytics.collector.config.CustomMetric;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.Map;

/**
 * Builds a target's {@link FamilyReader}s: the one place that says which family is read by which
 * code. A family registered in {@link #BY_FAMILY} gets its own reader; every other catalog family
 * is read as its catalog definition says ({@link CatalogFamily}).
 */
public final class FamilyReaders {

    /** Builds the reader of one catalog family for one target (readers keep per-target state). */
    @FunctionalInterface
    interface Factory {
        FamilyReader create(MetricDefinition definition, MetricFamily family);
    }

    /** The families that read differently from their catalog query; a new one is registered here. */
    private static final Map<String, Factory> BY_FAMILY = Map.of(
            "statements", StatementsFamily::new,
            "settings", SettingsFamily::new);

    private static final Factory PLAIN = CatalogFamily::new;

    static {
        // A misspelt registration would silently fall back to the plain reader: fail at class load.
        BY_FAMILY.keySet().forEach(name -> MetricFamilies.byName(name).orElseThrow(() ->
                new IllegalStateException("FamilyReaders: " + name + " is not a metric family")));
    }

    private FamilyReaders() {
    }

    /**
     * A new reader of {@code family} for one target.
     *
     * @throws IllegalStateException the catalog has no definition of the family
     */
    public static FamilyReader of(String family, Catalog catalog) {
        MetricDefinition definition = catalog.definition(family).orElseThrow(() ->
                new IllegalStateException("family " + family + " has no catalog definition"));
        MetricFamily metricFamily = MetricFamilies.byName(family).orElseThrow();
        return BY_FAMILY.getOrDefault(family, PLAIN).create(definition, metricFamily);
    }

    /** A new reader of one custom SQL metric for one target. */
    public static FamilyReader of(CustomMetric metric) {
        return new CustomFamily(metric);
    }
}
