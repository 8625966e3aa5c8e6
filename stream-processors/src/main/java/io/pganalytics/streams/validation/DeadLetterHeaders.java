package io.pganalytics.streams.validation;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The headers a record carries on {@code pga.dlq}: why it was rejected and where it came from, so
 * that an operator can find the original and a tool can replay it once fixed.
 */
public final class DeadLetterHeaders {

    /** The failed check, a stable code such as {@code undecodable} or {@code negative-counter}. */
    public static final String CHECK = "pga.dlq.check";
    /** A human-readable reason, naming the field and the value. */
    public static final String REASON = "pga.dlq.reason";
    public static final String SOURCE_TOPIC = "pga.dlq.source.topic";
    public static final String SOURCE_PARTITION = "pga.dlq.source.partition";
    public static final String SOURCE_OFFSET = "pga.dlq.source.offset";
    /** The stream-processing application that rejected the record. */
    public static final String PROCESSOR = "pga.dlq.processor";

    private DeadLetterHeaders() {
    }

    /**
     * Adds (replacing any earlier ones) the headers of a record rejected by {@code applicationId}
     * for {@code failure}, read from {@code source} when Streams knows it.
     */
    public static Headers annotate(Headers headers, CheckFailure failure, String applicationId,
            Optional<RecordMetadata> source) {
        put(headers, CHECK, failure.check());
        put(headers, REASON, failure.reason());
        put(headers, PROCESSOR, applicationId);
        source.ifPresent(meta -> {
            put(headers, SOURCE_TOPIC, meta.topic());
            put(headers, SOURCE_PARTITION, Integer.toString(meta.partition()));
            put(headers, SOURCE_OFFSET, Long.toString(meta.offset()));
        });
        return headers;
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key).add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
