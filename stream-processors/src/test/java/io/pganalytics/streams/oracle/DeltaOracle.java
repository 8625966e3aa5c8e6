package io.pganalytics.streams.oracle;

import io.pganalytics.schemas.family.MetricFamily;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The metrics records the ingest topology must emit for a sequence of valid raw samples, computed
 * here from the rules as docs/topologies.md states them and with none of the topology's code, so
 * that a test comparing the two catches a mistake in either.
 *
 * <p>Rules, per series (targetId and the series fields), against the last sample that moved the baseline:
 * no baseline yet: {@code first}; {@code sampledAt} not after the baseline's: {@code out-of-order},
 * baseline unchanged; a reset marker differs: {@code reset-changed}; a counter below the baseline's:
 * {@code counter-decreased}; these four carry no deltas, rates or interval. Otherwise
 * {@code delta = value - baseline value} (null when either is null) and {@code rate = delta / interval},
 * the interval in seconds of {@code sampledAt}.
 */
public final class DeltaOracle {

    private final MetricFamily family;
    private final Map<List<Object>, GenericRecord> baselines = new HashMap<>();

    public DeltaOracle(MetricFamily family) {
        this.family = family;
    }

    /** The expected metrics records of {@code raw}, given in the order the topology reads them, in that order. */
    public List<GenericRecord> expected(List<GenericRecord> raw) {
        List<GenericRecord> out = new ArrayList<>(raw.size());
        for (GenericRecord sample : raw) {
            out.add(next(sample));
        }
        return out;
    }

    /** The expected metrics record of the next raw sample. */
    public GenericRecord next(GenericRecord sample) {
        Schema metrics = family.metricsSchema();
        GenericData.Record expected = new GenericData.Record(metrics);
        for (Schema.Field field : family.rawSchema().getFields()) {
            expected.put(field.name(), sample.get(field.name()));
        }
        if (!family.isCumulative()) {
            return expected;
        }
        List<Object> series = new ArrayList<>();
        series.add(sample.get(MetricFamily.TARGET_ID).toString());
        for (String field : family.seriesFields()) {
            series.add(String.valueOf(sample.get(field)));
        }
        GenericRecord before = baselines.get(series);
        long now = (Long) sample.get(MetricFamily.SAMPLED_AT);
        if (before == null) {
            expected.put(MetricFamily.BASELINE, "first");
            baselines.put(series, sample);
            return expected;
        }
        long then = (Long) before.get(MetricFamily.SAMPLED_AT);
        if (now <= then) {
            expected.put(MetricFamily.BASELINE, "out-of-order");
            return expected;
        }
        baselines.put(series, sample);
        for (String reset : family.resetFields()) {
            if (!Objects.equals(before.get(reset), sample.get(reset))) {
                expected.put(MetricFamily.BASELINE, "reset-changed");
                return expected;
            }
        }
        for (String counter : family.counterFields()) {
            Object a = before.get(counter);
            Object b = sample.get(counter);
            if (a != null && b != null && ((Number) b).doubleValue() < ((Number) a).doubleValue()) {
                expected.put(MetricFamily.BASELINE, "counter-decreased");
                return expected;
            }
        }
        double seconds = (now - then) / 1e6;
        expected.put(MetricFamily.INTERVAL_SECONDS, seconds);
        for (String counter : family.counterFields()) {
            Object a = before.get(counter);
            Object b = sample.get(counter);
            if (a == null || b == null) {
                continue;
            }
            if (b instanceof Long value) {
                long delta = value - (Long) a;
                expected.put(counter + MetricFamily.DELTA_SUFFIX, delta);
                expected.put(counter + MetricFamily.RATE_SUFFIX, delta / seconds);
            } else {
                double delta = (Double) b - (Double) a;
                expected.put(counter + MetricFamily.DELTA_SUFFIX, delta);
                expected.put(counter + MetricFamily.RATE_SUFFIX, delta / seconds);
            }
        }
        return expected;
    }
}
