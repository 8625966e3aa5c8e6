package io.pganalytics.streams.ingest.delta;

import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.streams.ingest.sample.IngestSample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns a cumulative family's raw samples into its metrics records: per series, the delta of every
 * counter since the series' previous sample and its per-second rate (by {@code sampledAt}), kept
 * against the previous sample in the store {@code <family>-counter-baselines}.
 *
 * <p>The rules, which {@code DeltaOracle} restates independently:
 * <ul>
 *   <li>the first sample of a series has no delta, rate or interval; {@code baseline} is {@code first};</li>
 *   <li>a reset marker (stats_reset, postmaster start) that differs from the baseline's, or any counter
 *       below the baseline's, means the counters restarted: no delta, rate or interval, {@code baseline}
 *       {@code reset-changed} (checked first) or {@code counter-decreased}; the sample is the new baseline.
 *       A negative rate is never emitted;</li>
 *   <li>a sample not after the baseline ({@code sampledAt <=} the stored one: a late or repeated sample)
 *       is forwarded without delta, rate or interval, {@code baseline} {@code out-of-order}, and leaves
 *       the baseline where it is, so the next in-order sample still gets a correct delta;</li>
 *   <li>otherwise every counter gets {@code delta = value - previous} and {@code rate = delta / interval};
 *       a counter null in either sample (absent on the server's version) gets null for both.</li>
 * </ul>
 * For a family without counters, the raw sample is copied into the metrics schema as is.
 */
public final class CounterDeltas implements Processor<String, IngestSample, String, GenericRecord> {

    public static final String FIRST = "first";
    public static final String COUNTER_DECREASED = "counter-decreased";
    public static final String RESET_CHANGED = "reset-changed";
    public static final String OUT_OF_ORDER = "out-of-order";

    private final MetricFamily family;
    private final String storeName;
    private final Duration idleTimeout;
    private final Schema metrics;
    private final int rawFieldCount;
    private final int sampledAtPos;
    private final String[] counterNames;
    private final int[] counterPos;
    private final boolean[] counterIsLong;
    private final int[] deltaPos;
    private final int[] ratePos;
    private final String[] resetNames;
    private final int[] resetPos;
    private final int intervalPos;
    private final int baselinePos;
    private ProcessorContext<String, GenericRecord> context;
    private KeyValueStore<String, CounterBaseline> store;

    /** Deltas for {@code family}, baselines in {@code storeName} (null for a family without counters). */
    public CounterDeltas(MetricFamily family, String storeName, Duration idleTimeout) {
        this.family = family;
        this.storeName = storeName;
        this.idleTimeout = idleTimeout;
        this.metrics = family.metricsSchema();
        Schema raw = family.rawSchema();
        this.rawFieldCount = raw.getFields().size();
        this.sampledAtPos = raw.getField(MetricFamily.SAMPLED_AT).pos();
        List<String> counters = family.counterFields();
        counterNames = counters.toArray(String[]::new);
        counterPos = new int[counterNames.length];
        counterIsLong = new boolean[counterNames.length];
        deltaPos = new int[counterNames.length];
        ratePos = new int[counterNames.length];
        for (int i = 0; i < counterNames.length; i++) {
            counterPos[i] = raw.getField(counterNames[i]).pos();
            counterIsLong[i] = MetricFamily.nonNull(raw.getField(counterNames[i]).schema()).getType() == Schema.Type.LONG;
            deltaPos[i] = metrics.getField(counterNames[i] + MetricFamily.DELTA_SUFFIX).pos();
            ratePos[i] = metrics.getField(counterNames[i] + MetricFamily.RATE_SUFFIX).pos();
        }
        resetNames = family.resetFields().toArray(String[]::new);
        resetPos = new int[resetNames.length];
        for (int i = 0; i < resetNames.length; i++) {
            resetPos[i] = raw.getField(resetNames[i]).pos();
        }
        intervalPos = family.isCumulative() ? metrics.getField(MetricFamily.INTERVAL_SECONDS).pos() : -1;
        baselinePos = family.isCumulative() ? metrics.getField(MetricFamily.BASELINE).pos() : -1;
    }

    @Override
    public void init(ProcessorContext<String, GenericRecord> context) {
        this.context = context;
        if (family.isCumulative()) {
            store = context.getStateStore(storeName);
            // Stream time: forgetting follows the data, so replaying a backlog forgets nothing it should not.
            Duration every = idleTimeout.dividedBy(4).compareTo(Duration.ofMinutes(10)) > 0
                    ? Duration.ofMinutes(10) : idleTimeout.dividedBy(4).isZero() ? Duration.ofSeconds(1) : idleTimeout.dividedBy(4);
            context.schedule(every, PunctuationType.STREAM_TIME, this::forgetIdleSeries);
        }
    }

    @Override
    public void process(Record<String, IngestSample> record) {
        GenericRecord raw = record.value().sample();
        GenericData.Record out = new GenericData.Record(metrics);
        for (int i = 0; i < rawFieldCount; i++) {
            out.put(i, raw.get(i));
        }
        if (family.isCumulative()) {
            derive(record.value().seriesKey(), raw, out, record.timestamp());
        }
        context.forward(record.withValue(out));
    }

    private void derive(String seriesKey, GenericRecord raw, GenericData.Record out, long seenAtMillis) {
        CounterBaseline previous = store.get(seriesKey);
        long sampledAt = (Long) raw.get(sampledAtPos);
        String baseline;
        if (previous == null) {
            baseline = FIRST;
        } else if (sampledAt <= previous.sampledAtMicros()) {
            out.put(baselinePos, OUT_OF_ORDER);
            return; // The baseline stays: the next in-order sample is compared with it.
        } else if (resetChanged(previous, raw)) {
            baseline = RESET_CHANGED;
        } else if (counterDecreased(previous, raw)) {
            baseline = COUNTER_DECREASED;
        } else {
            baseline = null;
            double intervalSeconds = (sampledAt - previous.sampledAtMicros()) / 1_000_000.0;
            out.put(intervalPos, intervalSeconds);
            for (int i = 0; i < counterNames.length; i++) {
                Object now = raw.get(counterPos[i]);
                Object before = previous.counters()[i];
                if (now == null || before == null) {
                    continue;
                }
                if (counterIsLong[i]) {
                    long delta = (Long) now - ((Number) before).longValue();
                    out.put(deltaPos[i], delta);
                    out.put(ratePos[i], delta / intervalSeconds);
                } else {
                    double delta = (Double) now - ((Number) before).doubleValue();
                    out.put(deltaPos[i], delta);
                    out.put(ratePos[i], delta / intervalSeconds);
                }
            }
        }
        out.put(baselinePos, baseline);
        store.put(seriesKey, baselineOf(raw, sampledAt, seenAtMillis));
    }

    private boolean resetChanged(CounterBaseline previous, GenericRecord raw) {
        for (int i = 0; i < resetNames.length; i++) {
            Object now = raw.get(resetPos[i]);
            Long before = previous.resets()[i];
            if (before == null ? now != null : !before.equals(now)) {
                return true;
            }
        }
        return false;
    }

    private boolean counterDecreased(CounterBaseline previous, GenericRecord raw) {
        for (int i = 0; i < counterNames.length; i++) {
            Object now = raw.get(counterPos[i]);
            Object before = previous.counters()[i];
            if (now != null && before != null && ((Number) now).doubleValue() < ((Number) before).doubleValue()) {
                return true;
            }
        }
        return false;
    }

    private CounterBaseline baselineOf(GenericRecord raw, long sampledAt, long seenAtMillis) {
        Object[] counters = new Object[counterNames.length];
        for (int i = 0; i < counterNames.length; i++) {
            counters[i] = raw.get(counterPos[i]);
        }
        Long[] resets = new Long[resetNames.length];
        for (int i = 0; i < resetNames.length; i++) {
            resets[i] = (Long) raw.get(resetPos[i]);
        }
        return new CounterBaseline(sampledAt, seenAtMillis, counters, resets);
    }

    private void forgetIdleSeries(long streamTime) {
        long before = streamTime - idleTimeout.toMillis();
        List<String> idle = new ArrayList<>();
        try (KeyValueIterator<String, CounterBaseline> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, CounterBaseline> entry = all.next();
                // A null value is a baseline of another schema version: useless, so forgotten too.
                if (entry.value == null || entry.value.seenAtMillis() < before) {
                    idle.add(entry.key);
                }
            }
        }
        idle.forEach(store::delete);
    }
}
