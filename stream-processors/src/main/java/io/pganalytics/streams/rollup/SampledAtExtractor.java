package io.pganalytics.streams.rollup;

import io.pganalytics.schemas.serde.WireFormat;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of a {@code pga.metrics.<family>} record: its {@code sampledAt}, read straight from the
 * Avro bytes without decoding the record.
 *
 * <p>Every family schema starts with {@code collectorId} (string), {@code targetId} (string) and
 * {@code sampledAt} (timestamp-micros), which {@code MetricFamily.of} enforces for every version a
 * writer may use, so the third field is found by skipping two length-prefixed strings. Kafka Streams
 * picks the next record across partitions by this time, and stream time (which closes windows)
 * advances by it. Bytes that cannot be read this way keep the record's own timestamp; the topology
 * dead-letters them as undecodable.
 */
public final class SampledAtExtractor implements TimestampExtractor {

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof byte[] bytes) {
            long micros = sampledAtMicros(bytes);
            if (micros != Long.MIN_VALUE) {
                return Math.floorDiv(micros, 1000);
            }
        }
        return record.timestamp() >= 0 ? record.timestamp() : Math.max(partitionTime, 0);
    }

    /** {@code sampledAt} in microseconds, or {@link Long#MIN_VALUE} when the bytes are not a family record. */
    static long sampledAtMicros(byte[] bytes) {
        int[] position = {WireFormat.HEADER_BYTES};
        if (bytes.length <= position[0] || bytes[0] != 0) {
            return Long.MIN_VALUE;
        }
        for (int string = 0; string < 2; string++) {
            long length = readLong(bytes, position);
            if (length == Long.MIN_VALUE || length < 0 || length > bytes.length - position[0]) {
                return Long.MIN_VALUE;
            }
            position[0] += (int) length;
        }
        return readLong(bytes, position);
    }

    /** Avro's zig-zag varint long at {@code position[0]}, advancing it; {@link Long#MIN_VALUE} when truncated. */
    private static long readLong(byte[] bytes, int[] position) {
        long raw = 0;
        int shift = 0;
        while (position[0] < bytes.length && shift < 64) {
            int b = bytes[position[0]++] & 0xff;
            raw |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
            shift += 7;
        }
        return Long.MIN_VALUE;
    }
}
