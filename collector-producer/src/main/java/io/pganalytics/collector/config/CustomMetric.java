package io.pganalytics.collector.config;

import java.util.List;
import java.util.Objects;

/**
 * A metric defined by the user in SQL, produced to the {@code custom} family: each row gives one
 * record per value column, identified by the metric name and the row's label values.
 *
 * @param name             {@code collector.custom[N].name}: lower case, digits, {@code _}
 * @param sql              {@code collector.custom[N].sql}: one SELECT, run on the target's main database
 * @param intervalMillis   {@code collector.custom[N].interval.ms}; 0 means the base interval
 * @param labels           {@code collector.custom[N].labels}: columns that identify a row (text)
 * @param counters         {@code collector.custom[N].counters}: cumulative numeric columns
 * @param gauges           {@code collector.custom[N].gauges}: instantaneous numeric columns
 * @param minServerVersion {@code collector.custom[N].min.server.version}: server_version_num below which
 *                         the metric is skipped (0: any)
 */
public record CustomMetric(String name, String sql, long intervalMillis, List<String> labels, List<String> counters,
                           List<String> gauges, int minServerVersion) {

    public CustomMetric {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sql, "sql");
        labels = List.copyOf(labels);
        counters = List.copyOf(counters);
        gauges = List.copyOf(gauges);
    }
}
