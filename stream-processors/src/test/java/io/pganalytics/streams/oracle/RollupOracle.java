package io.pganalytics.streams.oracle;

import io.pganalytics.schemas.family.MetricFamily;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * The expected rollups of one partition's metrics records, computed from the definitions alone and
 * sharing no code with the topology: given the records in arrival order, which records are late,
 * which 1-minute and 1-hour windows have closed, and what each must report.
 *
 * <p>Definitions: event time is {@code sampledAt} in milliseconds; stream time is the largest event
 * time seen so far (the current record included); window {@code [start, end)} is closed once
 * {@code end + grace <= stream time}; a record whose 1-minute window is closed is late and counts
 * nowhere. count/min/max/sum/mean/last are over the non-null values of a field (sum in arrival order;
 * last is the value with the latest sampledAt, the later arrival on a tie); an hour's count, min, max
 * are over its minutes, its sum is the sum of its minutes' sums in window order, its last the last
 * of its latest minute. Quantiles are exact here; the sketch's are checked against them.
 */
public final class RollupOracle {

    private static final long MINUTE = 60_000;
    private static final long HOUR = 3_600_000;

    private final MetricFamily family;
    private final List<String> fields;
    private final long graceMillis;
    private long streamTime = Long.MIN_VALUE;
    private int late;
    private final Map<WindowId, Window> minutes = new TreeMap<>();

    public RollupOracle(MetricFamily family, List<String> fields, Duration grace) {
        this.family = family;
        this.fields = fields;
        this.graceMillis = grace.toMillis();
    }

    /** One window's expected content. */
    public record WindowId(long startMillis, String seriesKey) implements Comparable<WindowId> {
        @Override
        public int compareTo(WindowId other) {
            int byStart = Long.compare(startMillis, other.startMillis);
            return byStart != 0 ? byStart : seriesKey.compareTo(other.seriesKey);
        }
    }

    /** Expected aggregates of one field; {@code values} sorted, for exact quantiles. */
    public record Expected(long count, double min, double max, double sum, double mean, double last, double[] sortedValues) {

        /** The exact value at the rank DDSketch uses for quantile q: floor(q × (count − 1)). */
        public double quantile(double q) {
            return sortedValues[(int) Math.floor(q * (count - 1))];
        }
    }

    /** Expected closed windows by id, each with its fields' aggregates. */
    public record Closed(Map<WindowId, Map<String, Expected>> minutes, Map<WindowId, Map<String, Expected>> hours) {
    }

    private static final class Window {
        final Map<String, List<Double>> values = new LinkedHashMap<>();
        final Map<String, Double> last = new LinkedHashMap<>();
        final Map<String, Long> lastAt = new LinkedHashMap<>();
    }

    /** Feeds the next record in arrival order; true when it is late. */
    public boolean accept(GenericRecord record) {
        long sampledAt = Math.floorDiv((Long) record.get(MetricFamily.SAMPLED_AT), 1000L);
        streamTime = Math.max(streamTime, sampledAt);
        long start = Math.floorDiv(sampledAt, MINUTE) * MINUTE;
        if (start + MINUTE + graceMillis <= streamTime) {
            late++;
            return true;
        }
        Window window = minutes.computeIfAbsent(new WindowId(start, seriesKey(record)), id -> new Window());
        Schema schema = record.getSchema();
        for (String field : fields) {
            Object value = schema.getField(field) == null ? null : record.get(field);
            if (value instanceof Number number) {
                double v = number.doubleValue();
                window.values.computeIfAbsent(field, f -> new ArrayList<>()).add(v);
                long at = (Long) record.get(MetricFamily.SAMPLED_AT);
                if (!window.lastAt.containsKey(field) || at >= window.lastAt.get(field)) {
                    window.last.put(field, v);
                    window.lastAt.put(field, at);
                }
            }
        }
        return false;
    }

    public int lateRecords() {
        return late;
    }

    /** The series key the comparison uses: collector/target, then each series field's text. */
    public String seriesKey(GenericRecord record) {
        StringBuilder key = new StringBuilder().append(record.get(MetricFamily.COLLECTOR_ID)).append('/')
                .append(record.get(MetricFamily.TARGET_ID));
        for (String series : family.seriesFields()) {
            key.append('|').append(series).append('=').append(record.get(series));
        }
        return key.toString();
    }

    /** The windows closed by the stream time reached so far, with what each must report. */
    public Closed closed() {
        Map<WindowId, Map<String, Expected>> closedMinutes = new TreeMap<>();
        Map<WindowId, List<Map.Entry<WindowId, Window>>> minutesByHour = new TreeMap<>();
        for (Map.Entry<WindowId, Window> entry : minutes.entrySet()) {
            WindowId id = entry.getKey();
            if (id.startMillis() + MINUTE + graceMillis > streamTime) {
                continue;
            }
            Map<String, Expected> aggregates = new LinkedHashMap<>();
            entry.getValue().values.forEach((field, values) -> {
                double sum = 0;
                for (double v : values) {
                    sum += v;
                }
                double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                aggregates.put(field, new Expected(values.size(), sorted[0], sorted[sorted.length - 1], sum,
                        sum / values.size(), entry.getValue().last.get(field), sorted));
            });
            closedMinutes.put(id, aggregates);
            long hourStart = Math.floorDiv(id.startMillis(), HOUR) * HOUR;
            minutesByHour.computeIfAbsent(new WindowId(hourStart, id.seriesKey()), h -> new ArrayList<>()).add(entry);
        }
        Map<WindowId, Map<String, Expected>> closedHours = new TreeMap<>();
        minutesByHour.forEach((hour, inHour) -> {
            if (hour.startMillis() + HOUR + graceMillis > streamTime) {
                return;
            }
            Map<String, Expected> aggregates = new LinkedHashMap<>();
            for (String field : fields) {
                long count = 0;
                double sum = 0;
                Double last = null;
                List<Double> all = new ArrayList<>();
                for (Map.Entry<WindowId, Window> minute : inHour) {   // in window order (TreeMap)
                    List<Double> values = minute.getValue().values.get(field);
                    if (values == null) {
                        continue;
                    }
                    double minuteSum = 0;
                    for (double v : values) {
                        minuteSum += v;
                    }
                    count += values.size();
                    sum += minuteSum;
                    all.addAll(values);
                    last = minute.getValue().last.get(field);
                }
                if (count > 0) {
                    double[] sorted = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    aggregates.put(field, new Expected(count, sorted[0], sorted[sorted.length - 1], sum, sum / count, last, sorted));
                }
            }
            closedHours.put(hour, aggregates);
        });
        return new Closed(closedMinutes, closedHours);
    }

    @Override
    public String toString() {
        return "RollupOracle[" + family.name() + ", fields " + Arrays.toString(fields.toArray()) + "]";
    }
}
