package io.pganalytics.streams.alert;

import io.pganalytics.schemas.alerts.Alert;
import io.pganalytics.schemas.alerts.AlertKind;
import io.pganalytics.schemas.alerts.AlertOperator;
import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.schemas.alerts.AlertState;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import io.pganalytics.streams.validation.SourceDecoder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Evaluates every rule of a sample's family on it, per series, and emits only changes: FIRING when
 * the condition has held for the rule's duration (by sampledAt), RESOLVED on the first sample where it
 * no longer holds. A wall-clock punctuator resolves and drops the states of deleted rules.
 *
 * <p>A sample not newer than the last one evaluated for a rule and series (a re-sent or out-of-order
 * sample) is not evaluated again: the alert's history follows sampledAt, not arrival order.
 */
final class EvaluateAlerts implements Processor<String, byte[], String, Object> {

    private static final char SEPARATOR = '\u0000';

    private final Map<String, SourceDecoder<GenericRecord>> decoders;
    private final Duration sweepEvery;
    private ProcessorContext<String, Object> context;
    private ReadOnlyKeyValueStore<String, AlertRule> rules;
    private KeyValueStore<String, byte[]> states;

    EvaluateAlerts(Map<String, SourceDecoder<GenericRecord>> decoders, Duration sweepEvery) {
        this.decoders = decoders;
        this.sweepEvery = sweepEvery;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.rules = context.getStateStore(AlertsTopology.RULES_STORE);
        this.states = context.getStateStore(AlertsTopology.STATES_STORE);
        context.schedule(sweepEvery, PunctuationType.WALL_CLOCK_TIME, this::resolveDeletedRules);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElseThrow();
        SourceDecoder.Decoded<GenericRecord> decoded = decoders.get(topic).decode(record.value());
        if (decoded.failure() != null) {
            DeadLetterHeaders.annotate(record.headers(), decoded.failure(), AlertsTopology.APPLICATION_ID, context.recordMetadata());
            context.forward(record, AlertsTopology.TO_DLQ);
            return;
        }
        GenericRecord sample = decoded.value();
        // The family by topic, not by the writer schema's properties: those are the registry's copy.
        MetricFamily metricFamily = MetricFamilies.byTopic(topic).orElseThrow();
        String family = metricFamily.name();
        String collectorId = sample.get(MetricFamily.COLLECTOR_ID).toString();
        String targetId = sample.get(MetricFamily.TARGET_ID).toString();
        long at = (Long) sample.get(MetricFamily.SAMPLED_AT);
        List<AlertRule> applicable = new ArrayList<>();
        try (KeyValueIterator<String, AlertRule> all = rules.all()) {
            all.forEachRemaining(entry -> {
                AlertRule rule = entry.value;
                if (rule.getFamily().equals(family)
                        && (rule.getCollectorId() == null || rule.getCollectorId().equals(collectorId))
                        && (rule.getTargetId() == null || rule.getTargetId().equals(targetId))) {
                    applicable.add(rule);
                }
            });
        }
        if (applicable.isEmpty()) {
            return;
        }
        Map<String, String> series = new HashMap<>();
        StringBuilder seriesKey = new StringBuilder(collectorId).append('/').append(targetId);
        Schema schema = sample.getSchema();
        for (String name : metricFamily.seriesFields()) {
            Schema.Field field = schema.getField(name);
            String text = String.valueOf(field == null ? null : sample.get(field.pos()));
            series.put(name, text);
            seriesKey.append(SEPARATOR).append(text);
        }
        for (AlertRule rule : applicable) {
            Schema.Field field = schema.getField(rule.getField());
            Object value = field == null ? null : sample.get(field.pos());
            if (value instanceof Number number) {
                evaluate(rule, collectorId, targetId, series, rule.getId() + SEPARATOR + seriesKey, number.doubleValue(), at);
            }
        }
    }

    private void evaluate(AlertRule rule, String collectorId, String targetId, Map<String, String> series, String key,
            double value, long at) {
        byte[] stored = states.get(key);
        ConditionState state;
        if (stored == null) {
            state = new ConditionState();
            state.collectorId = collectorId;
            state.targetId = targetId;
            state.series.putAll(series);
        } else {
            state = ConditionState.decode(stored);
            if (at <= state.lastAtMicros) {
                return;
            }
        }
        state.lastAtMicros = at;
        // What a RESOLVED record must name should the rule be deleted while firing.
        state.family = rule.getFamily();
        state.field = rule.getField();
        state.threshold = rule.getThreshold();
        Optional<Double> observed = observe(rule, state, value);
        boolean holds = observed.isPresent() && holds(rule, observed.get());
        if (holds) {
            if (state.holdingSinceMicros == ConditionState.NONE) {
                state.holdingSinceMicros = at;
            }
            if (!state.firing && at - state.holdingSinceMicros >= rule.getDurationSeconds() * 1_000_000) {
                state.firing = true;
                emit(rule, state, AlertState.FIRING, observed.get(), at);
            }
        } else {
            if (state.firing) {
                state.firing = false;
                emit(rule, state, AlertState.RESOLVED, observed.orElse(value), at);
            }
            state.holdingSinceMicros = ConditionState.NONE;
        }
        states.put(key, state.encode());
    }

    /** The quantity the rule compares: the value itself, or its z-score (empty while the window fills). */
    private static Optional<Double> observe(AlertRule rule, ConditionState state, double value) {
        if (rule.getKind() == AlertKind.THRESHOLD) {
            return Optional.of(value);
        }
        Optional<Double> z = Optional.empty();
        if (state.window.size() >= rule.getWindowSamples()) {
            double sum = 0;
            for (double v : state.window) {
                sum += v;
            }
            double mean = sum / state.window.size();
            double squares = 0;
            for (double v : state.window) {
                squares += (v - mean) * (v - mean);
            }
            double deviation = Math.sqrt(squares / state.window.size());
            z = Optional.of(deviation == 0 ? (value == mean ? 0.0 : Math.copySign(Double.POSITIVE_INFINITY, value - mean))
                    : (value - mean) / deviation);
        }
        state.window.addLast(value);
        while (state.window.size() > rule.getWindowSamples()) {
            state.window.removeFirst();
        }
        return z;
    }

    private static boolean holds(AlertRule rule, double observed) {
        double threshold = rule.getKind() == AlertKind.ANOMALY && rule.getOperator() == AlertOperator.BELOW
                ? -rule.getThreshold() : rule.getThreshold();
        return rule.getOperator() == AlertOperator.ABOVE ? observed > threshold : observed < threshold;
    }

    private void emit(AlertRule rule, ConditionState state, AlertState change, Double value, long atMicros) {
        String message = change == AlertState.FIRING
                ? "rule " + rule.getId() + ": " + AlertRules.describe(rule) + ", value " + value
                : "rule " + rule.getId() + " resolved: " + (value == null ? "rule deleted" : "value " + value);
        Alert alert = Alert.newBuilder()
                .setRuleId(rule.getId())
                .setFamily(rule.getFamily())
                .setField(rule.getField())
                .setCollectorId(state.collectorId)
                .setTargetId(state.targetId)
                .setSeries(new HashMap<>(state.series))
                .setState(change)
                .setValue(value)
                .setThreshold(rule.getThreshold())
                .setSince(micros(state.holdingSinceMicros == ConditionState.NONE ? atMicros : state.holdingSinceMicros))
                .setAt(micros(atMicros))
                .setMessage(message)
                .build();
        context.forward(new Record<String, Object>(state.collectorId + "/" + state.targetId, alert, Math.floorDiv(atMicros, 1000)),
                AlertsTopology.TO_ALERTS);
    }

    private static Instant micros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1_000);
    }

    /** Resolves the firing alerts of rules that no longer exist and forgets their states. */
    private void resolveDeletedRules(long now) {
        List<KeyValue<String, byte[]>> orphans = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = states.all()) {
            all.forEachRemaining(entry -> {
                String ruleId = entry.key.substring(0, entry.key.indexOf(SEPARATOR));
                if (rules.get(ruleId) == null) {
                    orphans.add(entry);
                }
            });
        }
        for (KeyValue<String, byte[]> orphan : orphans) {
            ConditionState state = ConditionState.decode(orphan.value);
            if (state.firing) {
                String ruleId = orphan.key.substring(0, orphan.key.indexOf(SEPARATOR));
                AlertRule gone = AlertRule.newBuilder().setId(ruleId).setFamily(state.family).setField(state.field)
                        .setKind(AlertKind.THRESHOLD).setOperator(AlertOperator.ABOVE).setThreshold(state.threshold).build();
                emit(gone, state, AlertState.RESOLVED, null, now * 1000);
            }
            states.delete(orphan.key);
        }
    }
}
