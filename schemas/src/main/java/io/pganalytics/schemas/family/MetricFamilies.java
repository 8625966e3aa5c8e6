package io.pganalytics.schemas.family;

import io.pganalytics.schemas.metrics.ActivitySample;
import io.pganalytics.schemas.metrics.ArchiverSample;
import io.pganalytics.schemas.metrics.BgwriterSample;
import io.pganalytics.schemas.metrics.CheckpointerSample;
import io.pganalytics.schemas.metrics.CustomSample;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.metrics.IndexesSample;
import io.pganalytics.schemas.metrics.IoSample;
import io.pganalytics.schemas.metrics.LocksSample;
import io.pganalytics.schemas.metrics.ReplicationSample;
import io.pganalytics.schemas.metrics.ReplicationSlotsSample;
import io.pganalytics.schemas.metrics.ServerSample;
import io.pganalytics.schemas.metrics.SettingsSample;
import io.pganalytics.schemas.metrics.StatementsSample;
import io.pganalytics.schemas.metrics.TablesSample;
import io.pganalytics.schemas.metrics.WalSample;
import io.pganalytics.schemas.metrics.WraparoundSample;
import java.util.List;
import java.util.Optional;

/**
 * Every metric family of the topic contract. A new family is one {@code .avsc} in
 * {@code src/main/avro} (following {@link MetricFamily}'s conventions) and one line here; the topics,
 * the stream processors and the sink's tables follow from it.
 */
public final class MetricFamilies {

    private static final List<MetricFamily> ALL = List.of(
            MetricFamily.of(DatabaseSample.getClassSchema()),
            MetricFamily.of(ServerSample.getClassSchema()),
            MetricFamily.of(WraparoundSample.getClassSchema()),
            MetricFamily.of(BgwriterSample.getClassSchema()),
            MetricFamily.of(CheckpointerSample.getClassSchema()),
            MetricFamily.of(WalSample.getClassSchema()),
            MetricFamily.of(IoSample.getClassSchema()),
            MetricFamily.of(ArchiverSample.getClassSchema()),
            MetricFamily.of(ReplicationSample.getClassSchema()),
            MetricFamily.of(ReplicationSlotsSample.getClassSchema()),
            MetricFamily.of(TablesSample.getClassSchema()),
            MetricFamily.of(IndexesSample.getClassSchema()),
            MetricFamily.of(ActivitySample.getClassSchema()),
            MetricFamily.of(LocksSample.getClassSchema()),
            MetricFamily.of(StatementsSample.getClassSchema()),
            MetricFamily.of(SettingsSample.getClassSchema()),
            MetricFamily.of(CustomSample.getClassSchema()));

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
