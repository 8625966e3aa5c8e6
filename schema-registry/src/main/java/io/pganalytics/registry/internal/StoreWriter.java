package io.pganalytics.registry.internal;

import java.util.List;

/**
 * Where the registry writes its changes: all records of one call land together (one Kafka transaction) and the
 * call returns once {@link RegistryState} shows them (read-your-writes). {@link SchemasTopic} in production, a
 * direct apply in unit tests.
 */
public interface StoreWriter {

    void write(List<StoreRecord> records);

    /** The topic offset up to which the state has applied every record; a forwarding instance waits for it. */
    long appliedOffset();
}
