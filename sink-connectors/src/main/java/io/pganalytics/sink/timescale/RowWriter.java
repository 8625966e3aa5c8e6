package io.pganalytics.sink.timescale;

import io.pganalytics.sink.timescale.RecordRows.Row;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** The seam between the task (batching, offsets, retries, dead letters) and the SQL ({@link MetricsStoreWriter}). */
interface RowWriter extends AutoCloseable {

    /** What one {@link #write} did. */
    record WriteResult(int inserted, int alreadyStored, boolean conflictFallback) {
    }

    /** Connects, finds out which store this is, prepares the offsets table. */
    void open() throws SQLException;

    /** The next offsets stored for these partitions; partitions never written are absent. */
    Map<TopicPartition, Long> storedOffsets(Collection<TopicPartition> partitions) throws SQLException;

    /**
     * Stores the rows and (when the task owns its offsets) the offsets in one transaction; all or nothing.
     * {@code ignoreConflicts} writes through staging + {@code ON CONFLICT DO NOTHING} instead of plain COPY.
     */
    WriteResult write(List<Row> rows, Map<TopicPartition, Long> nextOffsets, boolean ignoreConflicts) throws SQLException;

    /** Closes the pool; never throws. */
    @Override
    void close();
}
