package io.pganalytics.schemas.family;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.util.List;
import java.util.Optional;

/**
 * Every metric family of the topic contract. A new family is one {@code .avsc} in
 * {@code src/main/avro} (following {@link MetricFamily}'s conventions) and one line here; the topics,
 * the stream processors and the sink's tables follow from it.
 */
public final class MetricFamilies {

    private static final List<MetricFamily> ALL = List.of(
            MetricFamily.of(DatabaseSample.getClassSchema()));

    private MetricFamilies() {
    }

    /** Every family, in a stable order. */
    public static List<MetricFamily> all() {
        return ALL;
    }

    public static Optional<MetricFamily> byName(String name) {
        return ALL.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** The family whose raw, metrics or rollup topic this is. */
    public static Optional<MetricFamily> byTopic(String topic) {
        return ALL.stream().filter(f -> topic.equals(f.rawTopic()) || topic.equals(f.metricsTopic())
                || topic.startsWith("pga.rollups." + f.name() + ".")).findFirst();
    }
}
