package io.pganalytics.sink.s3.restore;

import java.util.List;

/** Where a restore writes records: Kafka topics, or the metrics store through its sink task. */
interface RestoreTarget extends AutoCloseable {

    /** Writes the records (of one object, in offset order); may return before they are acknowledged. */
    void write(List<BackupEntry> entries);

    /** Waits for every write to be acknowledged and returns how many were; throws naming what failed. */
    long finish();

    @Override
    void close();
}
