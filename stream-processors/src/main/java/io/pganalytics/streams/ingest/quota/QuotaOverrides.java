package io.pganalytics.streams.ingest.quota;

import io.pganalytics.schemas.fleet.Quota;
import io.pganalytics.streams.validation.SourceDecoder;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store of quota overrides in step with the compacted {@code pga.quotas} (the
 * bytes as they are on the topic, so a restore from the topic gives the same store) and applies each
 * override's byte rate on the broker, at start-up for the whole table and then on every change.
 *
 * <p>A value that cannot be decoded is stored but ignored by the quota gate (defaults apply); it is
 * logged here once, since a global processor cannot write dead letters.
 */
public final class QuotaOverrides implements Processor<String, byte[], Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(QuotaOverrides.class);

    private final String storeName;
    private final SourceDecoder<Quota> decoder;
    private final Supplier<BrokerQuotas> brokerQuotasFactory;
    private KeyValueStore<String, byte[]> store;
    private BrokerQuotas brokerQuotas;

    public QuotaOverrides(String storeName, SourceDecoder<Quota> decoder, Supplier<BrokerQuotas> brokerQuotasFactory) {
        this.storeName = storeName;
        this.decoder = decoder;
        this.brokerQuotasFactory = brokerQuotasFactory;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
        brokerQuotas = brokerQuotasFactory.get();
        Map<String, Long> rates = new HashMap<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            // Overrides written while no instance ran were restored into the store without passing process().
            all.forEachRemaining(entry -> {
                Quota quota = decode(entry.key, entry.value);
                if (quota != null) {
                    rates.put(entry.key, quota.getProducerByteRate());
                }
            });
        }
        brokerQuotas.setProducerByteRates(rates);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            LOG.warn("{} record without a key ignored: quotas are keyed by collectorId", storeName);
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            store.put(record.key(), record.value());
        }
        apply(record.key(), record.value());
    }

    private void apply(String collectorId, byte[] value) {
        if (value == null) {
            brokerQuotas.setProducerByteRate(collectorId, null);
            return;
        }
        Quota quota = decode(collectorId, value);
        if (quota != null) {
            brokerQuotas.setProducerByteRate(collectorId, quota.getProducerByteRate());
        }
    }

    private Quota decode(String collectorId, byte[] value) {
        SourceDecoder.Decoded<Quota> decoded = decoder.decode(value);
        if (decoded.failure() != null) {
            LOG.warn("quota override of collector {} ignored, defaults apply: {}", collectorId, decoded.failure().reason());
            return null;
        }
        return decoded.value();
    }

    @Override
    public void close() {
        if (brokerQuotas != null) {
            brokerQuotas.close();
        }
    }
}
