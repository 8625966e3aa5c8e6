package io.pganalytics.streams.validation;

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
}
