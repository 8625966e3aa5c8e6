package io.pganalytics.collector.spool;

/**
 * Told when a full spool dropped records Kafka had not acknowledged: {@code count} records of
 * {@code family}, exact. Called after the spool's lock is released, on the thread that appended (a
 * sampler) or on the producer's callback thread: record the fact or hand it on, and return quickly.
 */
@FunctionalInterface
public interface DropListener {

    void dropped(String family, long count);
}
