package io.pganalytics.collector.status;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.spool.Spool;
import io.pganalytics.collector.targets.TargetStatus;
import java.util.List;
import java.util.Set;

/**
 * What the collector's reports (its heartbeat, {@code /metrics}) read of the collector they describe;
 * the collector implements it, so that this package needs nothing else of it.
 */
public interface CollectorState {

    /** The configuration in force (it changes when the fleet reconfigures the collector). */
    CollectorConfig config();

    /** The log level set remotely, or null for the configured one. */
    String logLevel();

    /** Whether sampling is stopped by the fleet. */
    boolean paused();

    /** Whether the collector is archived (unregistered): it samples nothing and is in no fleet group. */
    boolean archived();

    /** The targets monitored now. */
    Set<String> targetIds();

    /** Every target's status, sorted by target id. */
    List<TargetStatus> status();

    long samplesProduced();

    long samplesFailed();

    long queryTextsProduced();

    long cyclesRun();

    long cyclesSkipped();

    long cyclesOverdue();

    /** Bytes the samples producer holds in memory now: what a kill -9 would lose beyond the spool. */
    long bufferUsedBytes();

    /** The spool samples wait in for Kafka. */
    Spool spool();
}
