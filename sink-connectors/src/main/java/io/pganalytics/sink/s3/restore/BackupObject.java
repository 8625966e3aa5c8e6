package io.pganalytics.sink.s3.restore;

import io.pganalytics.sink.s3.BackupFormat;
import java.util.Map;

/**
 * One object of a backup, as listed and described by its metadata.
 *
 * @param name          topic, partition and start offset, from the key
 * @param size          bytes
 * @param metadata      its S3 user metadata ({@link BackupFormat}'s {@code META_*} keys)
 */
record BackupObject(BackupFormat.ObjectName name, long size, Map<String, String> metadata) {

    String key() {
        return name.key();
    }

    String partitionName() {
        return name.topic() + "-" + name.partition();
    }

    long recordCount() {
        return number(BackupFormat.META_RECORD_COUNT);
    }

    long nextOffset() {
        return number(BackupFormat.META_NEXT_OFFSET);
    }

    /** Earliest record time, or Long.MIN_VALUE when no record had a timestamp. */
    long minTimestamp() {
        return metadata.containsKey(BackupFormat.META_MIN_TIMESTAMP) ? number(BackupFormat.META_MIN_TIMESTAMP)
                : Long.MIN_VALUE;
    }

    long maxTimestamp() {
        return metadata.containsKey(BackupFormat.META_MAX_TIMESTAMP) ? number(BackupFormat.META_MAX_TIMESTAMP)
                : Long.MIN_VALUE;
    }

    boolean hasTimestamps() {
        return metadata.containsKey(BackupFormat.META_MIN_TIMESTAMP);
    }

    private long number(String key) {
        String value = metadata.get(key);
        if (value == null) {
            throw new IllegalStateException(key() + ": metadata " + key + " missing");
        }
        return Long.parseLong(value.trim());
    }

    /** Null when the metadata is what the backup sink writes; else what is wrong with it. */
    String metadataProblem() {
        for (String required : new String[] {BackupFormat.META_RECORD_COUNT, BackupFormat.META_NEXT_OFFSET,
            BackupFormat.META_SHA256, BackupFormat.META_LAST_OFFSET}) {
            String value = metadata.get(required);
            if (value == null) {
                return key() + ": not a pgAnalytics backup object, or its metadata was lost (no " + required + ")";
            }
            if (!required.equals(BackupFormat.META_SHA256) && !value.trim().matches("\\d+")) {
                return key() + ": metadata " + required + " is not a number: '" + value + "'";
            }
        }
        return null;
    }
}
