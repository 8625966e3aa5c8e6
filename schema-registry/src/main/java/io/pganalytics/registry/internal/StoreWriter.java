package io.pganalytics.registry.internal;

import java.util.List;

/**
 * Where the registry writes its changes: all records of one call land together (one Kafka transaction) and the
 * call returns once {@link RegistryState} shows them (read-your-writes). {@link SchemasTopic} in production, a
 * direct apply in unit tests.
 */
public interface StoreWriter {

    /**
     * Writes the records together and returns once the state shows them.
     *
     * @param plannedIn what {@link #awaitCurrent()} answered before the records were planned: the write is refused
     *                  when this instance lost the leadership since, even if it has taken it back, because another
     *                  instance may have written in between and the plan may rest on a state that no longer holds
     * @throws SchemasTopic.NotLeaderException when nothing was written because this instance may not write, or no
     *                                         longer writes in the term the records were planned in
     */
    void write(List<StoreRecord> records, long plannedIn);

    /**
     * Returns once the state shows every write this writer made (or, for a new leader, everything the topic held
     * when it took over), so that the next write is planned on all of them; answers the leadership term this holds
     * for, to hand to {@link #write}.
     *
     * @throws SchemasTopic.NotLeaderException when this instance may not write
     */
    long awaitCurrent();

    /** The topic offset up to which the state has applied every record; a forwarding instance waits for it. */
    long appliedOffset();
}
