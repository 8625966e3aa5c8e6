package io.pganalytics.collector.family;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.CustomMetric;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.metrics.CustomSample;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;

/**
 * One user-defined SQL metric: each row of its SELECT becomes one {@code custom} record per declared
 * value column, identified by the metric name, the row's label values and the column.
 */
public final class CustomFamily implements FamilyReader {

    private static final Schema SCHEMA = CustomSample.getClassSchema();

    private final CustomMetric metric;

    public CustomFamily(CustomMetric metric) {
        this.metric = metric;
    }

    @Override
    public String job() {
        return CollectorConfig.CUSTOM_FAMILY + ":" + metric.name();
    }

    @Override
    public String family() {
        return CollectorConfig.CUSTOM_FAMILY;
    }

    @Override
    public Collected read(ReadContext context) throws SQLException {
        int version = context.server().versionNum();
        if (version < metric.minServerVersion()) {
            return Collected.of(family(), List.of()); // by design: the metric is for newer servers only
        }
        List<GenericRecord> samples = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (Statement statement = context.connection().createStatement()) {
            statement.setQueryTimeout(context.config().clientDeadlineSeconds());
            try (ResultSet rs = statement.executeQuery("SELECT statement_timestamp() AS sampled_at, q.* FROM ("
                    + metric.sql().strip().replaceAll(";\\s*$", "") + ") q")) {
                for (String column : columns()) {
                    rs.findColumn(column); // fails naming the column the configuration declares but the SQL lacks
                }
                while (rs.next()) {
                    long sampledAt = ChronoUnit.MICROS.between(java.time.Instant.EPOCH,
                            rs.getObject("sampled_at", OffsetDateTime.class).toInstant());
                    StringBuilder labels = new StringBuilder();
                    for (String label : metric.labels()) {
                        labels.append(labels.length() == 0 ? "" : ",").append(label).append('=').append(rs.getString(label));
                    }
                    if (!seen.add(labels.toString())) {
                        throw new SQLException("custom metric " + metric.name() + ": two rows with labels ["
                                + labels + "]; label columns must identify a row");
                    }
                    add(samples, context, rs, sampledAt, version, labels.toString(), metric.counters(), "counterValue");
                    add(samples, context, rs, sampledAt, version, labels.toString(), metric.gauges(), "gaugeValue");
                }
            }
        }
        return Collected.of(family(), samples);
    }

    private List<String> columns() {
        List<String> columns = new ArrayList<>(metric.labels());
        columns.addAll(metric.counters());
        columns.addAll(metric.gauges());
        return columns;
    }

    private void add(List<GenericRecord> samples, ReadContext context, ResultSet rs, long sampledAt, int version,
                     String labels, List<String> columns, String valueField) throws SQLException {
        for (String column : columns) {
            double value = rs.getDouble(column);
            samples.add(new GenericRecordBuilder(SCHEMA)
                    .set(MetricFamily.COLLECTOR_ID, context.collectorId())
                    .set(MetricFamily.TARGET_ID, context.targetId())
                    .set(MetricFamily.SAMPLED_AT, sampledAt)
                    .set("serverVersionNum", version)
                    .set("metric", metric.name())
                    .set("labelSet", labels)
                    .set("valueName", column)
                    .set(valueField, rs.wasNull() ? null : value)
                    .build());
        }
    }
}
