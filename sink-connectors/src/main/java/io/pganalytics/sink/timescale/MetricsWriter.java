package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.sql.SQLException;
import java.util.List;

/**
 * How decoded samples reach the metrics store: the seam between the task and the SQL, so that a COPY-based writer
 * can replace the INSERT-based one without touching decoding, error routing or retries.
 *
 * <p>Implementations must be idempotent (a sample already stored is skipped) and all-or-nothing per call.
 */
interface MetricsWriter extends AutoCloseable {

    /** Connects if needed and creates the table if it is missing. */
    void open() throws SQLException;

    /**
     * Stores the samples in one transaction and returns how many rows were new (the rest were already stored).
     * On failure nothing of the call is stored; the writer reconnects on the next call if the connection broke.
     */
    int write(List<DatabaseSample> samples) throws SQLException;

    /** Closes the connection; never throws. */
    @Override
    void close();
}
