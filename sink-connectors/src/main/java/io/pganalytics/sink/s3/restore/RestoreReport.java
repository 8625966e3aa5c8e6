package io.pganalytics.sink.s3.restore;

import java.util.Map;

/**
 * What a restore did.
 *
 * @param objects          objects read
 * @param recordsRead      records in them (equal to what their metadata says, or the restore fails)
 * @param recordsRestored  records in the time range, written to the target and acknowledged by it
 * @param restoredPerTopic records restored per original topic
 */
public record RestoreReport(int objects, long recordsRead, long recordsRestored, Map<String, Long> restoredPerTopic) {
}
