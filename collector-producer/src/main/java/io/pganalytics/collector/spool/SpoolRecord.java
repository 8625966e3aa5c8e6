package io.pganalytics.collector.spool;

import java.util.Objects;

/**
 * One record waiting in the spool for Kafka: where it goes, its key, its value already serialized
 * (Confluent wire format), the family it counts against when dropped, and when it was sampled.
 */
public record SpoolRecord(String family, String topic, String key, byte[] value, long sampledAtMillis) {

    public SpoolRecord {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(value, "value");
    }

    /** Bytes this record takes in a segment file, framing included. */
    int encodedBytes() {
        return SegmentFormat.sizeOf(this);
    }
}
