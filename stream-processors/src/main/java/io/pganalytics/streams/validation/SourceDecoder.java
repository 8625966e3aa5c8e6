package io.pganalytics.streams.validation;

import io.pganalytics.schemas.registry.SchemaRegistryException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Decodes the raw bytes of a source topic inside a topology, telling a bad record (dead-lettered)
 * apart from an unreachable registry (rethrown).
 *
 * <p>Topologies read raw bytes and decode here rather than through a deserialization exception
 * handler, so that a malformed record goes to {@code pga.dlq} in the same exactly-once transaction
 * as everything else, with the same headers as a record that failed a check. A registry that cannot
 * be reached is not the record's fault: the error is rethrown, the task fails and is retried, and
 * nothing is dead-lettered by mistake.
 */
public final class SourceDecoder<T> {

    private final Deserializer<T> deserializer;
    private final String topic;

    /** Decodes {@code topic}'s values with {@code deserializer}, which wraps registry errors as {@code AvroDeserializer} does. */
    public SourceDecoder(Deserializer<T> deserializer, String topic) {
        this.deserializer = deserializer;
        this.topic = topic;
    }

    /** The decoded value, or the {@code undecodable} failure that sends the record to the dead letters. */
    public Decoded<T> decode(byte[] value) {
        if (value == null) {
            return new Decoded<>(null, CheckFailure.undecodable("null value"));
        }
        try {
            return new Decoded<>(deserializer.deserialize(topic, value), null);
        } catch (SerializationException e) {
            if (e.getCause() instanceof SchemaRegistryException registry
                    && (registry.httpStatus() < 0 || registry.httpStatus() >= 500)) {
                throw e;
            }
            return new Decoded<>(null, CheckFailure.undecodable(e.getMessage()));
        }
    }

    /**
     * A decoded value, or why there is none.
     *
     * @param value   the decoded value; null when {@code failure} is set
     * @param failure why the bytes could not be decoded; null when they could
     */
    public record Decoded<T>(T value, CheckFailure failure) {
    }
}
