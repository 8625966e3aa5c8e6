package io.pganalytics.streams.ingest.quota;

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

    @Override
    default void close() {
    }
}
