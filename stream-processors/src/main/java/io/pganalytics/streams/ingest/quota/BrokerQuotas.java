package io.pganalytics.streams.ingest.quota;

import java.util.Map;

/**
 * Where a collector's byte-rate quota is enforced: the Kafka broker, as a client quota on the
 * collector's producer client id, so that a collector flooding the raw topics is slowed down before
 * its records cost the stream processors anything.
 */
public interface BrokerQuotas extends AutoCloseable {

    /** The client id of a collector's producer, as {@code collector-producer} sets it. */
    static String producerClientId(String collectorId) {
        return "pga-collector-" + collectorId;
    }

    /** Sets the collector's producer byte rate, or removes it when {@code bytesPerSecond} is null. */
    void setProducerByteRate(String collectorId, Long bytesPerSecond);

    /** Sets (null: removes) the byte rates of many collectors; at start-up, for the whole table. */
    default void setProducerByteRates(Map<String, Long> bytesPerSecondByCollector) {
        bytesPerSecondByCollector.forEach(this::setProducerByteRate);
    }

    @Override
    default void close() {
    }
}
