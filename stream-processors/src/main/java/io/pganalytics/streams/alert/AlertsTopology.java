package io.pganalytics.streams.alert;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.alerts.Alert;
import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.rollup.SampledAtExtractor;
import io.pganalytics.streams.validation.SourceDecoder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Alert rules from the compacted {@code pga.alert-rules} (a global store: every instance sees every
 * rule) evaluated on every sample of every {@code pga.metrics.<family>} → {@code pga.alerts}: one
 * FIRING record when a rule's condition has held for its duration, none while it keeps holding, one
 * RESOLVED record when it stops (or when the rule is deleted).
 *
 * <p>Samples rather than the 1-minute rollups: an alert then fires one sample interval after the
 * condition starts (plus its duration), where the rollups would add the window and its grace, at
 * least 90 s; and a z-score over samples sees the spike a 1-minute mean would smooth away.
 */
public final class AlertsTopology {

    /** The application id, and so the consumer group and the prefix of internal topics. */
    public static final String APPLICATION_ID = "pga-streams-alerts";
    /** The global store of rules by id. */
    public static final String RULES_STORE = "alert-rules";
    /** Per rule and series: the condition's state and, for anomalies, the rolling window. */
    public static final String STATES_STORE = "alert-states";
    /** How often states of deleted rules are resolved and dropped, unless the role says otherwise. */
    public static final Duration DEFAULT_SWEEP_EVERY = Duration.ofSeconds(10);

    static final String RULES_SOURCE = "alert-rules-source";
    static final String LOAD_RULES = "load-alert-rules";
    static final String METRICS_SOURCE = "alert-metrics";
    static final String EVALUATE = "evaluate-alerts";
    static final String TO_ALERTS = "to-alerts";
    static final String TO_DLQ = "to-dlq";

    private AlertsTopology() {
    }

    public static Topology build(Map<String, ?> serdeConfig) {
        return build(serdeConfig, DEFAULT_SWEEP_EVERY, MetricFamilies.all());
    }

    /** The topology over {@code families}, sweeping states of deleted rules every {@code sweepEvery} of wall-clock time. */
    public static Topology build(Map<String, ?> serdeConfig, Duration sweepEvery, List<MetricFamily> families) {
        var client = AvroSerdeConfig.from(serdeConfig).newClient();
        AvroSerde<AlertRule> rules = AvroSerde.forValues(serdeConfig);
        AvroSerde<Alert> alerts = AvroSerde.forValues(serdeConfig);
        SourceDecoder<AlertRule> ruleDecoder = new SourceDecoder<>(new AvroDeserializer<>(client, true), Topics.ALERT_RULES);
        Map<String, SourceDecoder<GenericRecord>> decoders = new java.util.HashMap<>();
        for (MetricFamily family : families) {
            decoders.put(family.metricsTopic(), new SourceDecoder<>(new AvroDeserializer<>(client, false), family.metricsTopic()));
        }

        Topology topology = new Topology();
        // Global stores restore from their topic, not from a changelog: logging must be off.
        topology.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RULES_STORE), Serdes.String(), rules)
                        .withLoggingDisabled(),
                RULES_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.ALERT_RULES, LOAD_RULES,
                () -> new LoadAlertRules(ruleDecoder));
        topology.addSource(AutoOffsetReset.earliest(), METRICS_SOURCE, new SampledAtExtractor(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer(), families.stream().map(MetricFamily::metricsTopic).toArray(String[]::new));
        topology.addProcessor(EVALUATE, () -> new EvaluateAlerts(decoders, sweepEvery), METRICS_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STATES_STORE), Serdes.String(),
                Serdes.ByteArray()), EVALUATE);
        topology.addSink(TO_ALERTS, Topics.ALERTS, Serdes.String().serializer(), alerts.serializer(), EVALUATE);
        topology.addSink(TO_DLQ, Topics.DLQ, Serdes.String().serializer(), Serdes.ByteArray().serializer(), EVALUATE);
        return topology;
    }
}
