package io.pganalytics.collector.spool;

/**
 * Told when a full spool dropped records Kafka had not acknowledged: {@code count} records of
 * {@code family}, exact. Called with the spool's lock held, from the thread that appended or from
 * Kafka's callback thread: record the fact and return, never block or append to the spool.
 */
@FunctionalInterface
public interface DropListener {

    void dropped(String family, long count);
}
