package io.pganalytics.collector.targets;

import io.pganalytics.collector.family.Collected;

/** Where a target's cycle hands what it read, and says how many of its reads failed. */
public interface CycleSink {

    /** What one read of one job of {@code targetId} produced: samples, and for statements new query texts. */
    void accept(String targetId, Collected collected);

    /** {@code reads} reads of a cycle failed (each is counted as a failed sample). */
    void failed(int reads);
}
