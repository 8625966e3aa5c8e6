package io.pganalytics.sink.s3.restore;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.sink.s3.S3BackupSinkConfig;
import java.net.URI;
import java.time.Instant;
import java.util.List;

/**
 * What to restore: a backup location, the topics, a time range of Kafka record timestamps ({@code from} inclusive,
 * {@code to} exclusive, either open), and where to.
 *
 * @param bucket      the bucket
 * @param prefix      the backup sink's {@code s3.prefix}, normalized
 * @param topics      topics to restore; empty for every topic of the backup (for {@link Target#DATABASE}: every
 *                    {@code pga.metrics.*} topic)
 * @param from        first record time restored, or null
 * @param to          records at or after this time are not restored, or null
 * @param target      where records go
 * @param topicPrefix for {@link Target#KAFKA}: prepended to each record's original topic (empty for the same topic)
 */
public record RestoreRequest(String bucket, String prefix, List<String> topics, Instant from, Instant to,
                             Target target, String topicPrefix) {

    /**
     * Where restored records go. {@code CONTROL_PLANE}: the change streams of the control plane replayed into an empty
     * control-plane database as it was at {@code to} (point-in-time recovery); the time is the changes' commit time,
     * not the records' Kafka time, so every object is read.
     */
    public enum Target { KAFKA, DATABASE, CONTROL_PLANE }

    public RestoreRequest {
        topics = List.copyOf(topics);
        topicPrefix = topicPrefix == null ? "" : topicPrefix;
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidValue("--from-time", from + " must be before --to-time " + to);
        }
    }

    /** Parses {@code s3://bucket[/prefix]}. */
    public static String[] parseLocation(String location) {
        URI uri;
        try {
            uri = URI.create(location.trim());
        } catch (IllegalArgumentException e) {
            throw new InvalidValue("--from", "expected s3://bucket[/prefix], got '" + location + "'");
        }
        if (!"s3".equals(uri.getScheme()) || uri.getHost() == null || uri.getHost().isBlank()) {
            throw new InvalidValue("--from", "expected s3://bucket[/prefix], got '" + location + "'");
        }
        return new String[] {uri.getHost(), S3BackupSinkConfig.normalizePrefix(uri.getPath())};
    }

    /** Whether a record time falls in the range; a record without a timestamp only when the range is open. */
    public boolean inRange(Long timestampMs) {
        if (target == Target.CONTROL_PLANE) {
            return true; // the target selects by commit time
        }
        if (timestampMs == null) {
            return from == null && to == null;
        }
        return (from == null || timestampMs >= from.toEpochMilli()) && (to == null || timestampMs < to.toEpochMilli());
    }

    /** Whether records between these times (inclusive) may fall in the range. */
    public boolean overlaps(long minMs, long maxMs) {
        if (target == Target.CONTROL_PLANE) {
            return true;
        }
        return (from == null || maxMs >= from.toEpochMilli()) && (to == null || minMs < to.toEpochMilli());
    }

    /** {@code s3://bucket/prefix}, for messages. */
    public String location() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
