package io.pganalytics.streams.alert;

import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.streams.validation.SourceDecoder;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store of rules in step with {@code pga.alert-rules}: a rule replaces the one with
 * its id, a tombstone deletes it, and a rule that cannot apply is refused with one log line (a
 * global store has no dead-letter path: it must load the same on every instance).
 */
final class LoadAlertRules implements Processor<String, byte[], Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(LoadAlertRules.class);

    private final SourceDecoder<AlertRule> decoder;
    private KeyValueStore<String, AlertRule> rules;

    LoadAlertRules(SourceDecoder<AlertRule> decoder) {
        this.decoder = decoder;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        rules = context.getStateStore(AlertsTopology.RULES_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            LOG.warn("alert rule without a key ignored");
            return;
        }
        if (record.value() == null) {
            rules.delete(record.key());
            LOG.info("alert rule {} deleted", record.key());
            return;
        }
        SourceDecoder.Decoded<AlertRule> decoded = decoder.decode(record.value());
        Optional<String> problem = decoded.failure() != null ? Optional.of(decoded.failure().reason())
                : AlertRules.problem(record.key(), decoded.value());
        if (problem.isPresent()) {
            LOG.warn("alert rule {} refused: {}", record.key(), problem.get());
            return;
        }
        rules.put(record.key(), decoded.value());
        LOG.info("alert rule {} loaded: {}", record.key(), AlertRules.describe(decoded.value()));
    }
}
