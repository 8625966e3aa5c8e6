package io.pganalytics.sink.s3.restore;

import org.apache.avro.Schema;

/**
 * One record read back from a backup.
 *
 * @param topic       original topic
 * @param partition   original partition
 * @param offset      original offset
 * @param timestampMs Kafka record timestamp, or null
 * @param key         record key, or null
 * @param valueSchema the value's writer schema, or null for a tombstone
 * @param value       the decoded value (generic Avro), or null for a tombstone
 */
public record BackupEntry(String topic, int partition, long offset, Long timestampMs, String key, Schema valueSchema,
                          Object value) {
}
