package io.pganalytics.registry.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link StoreWriter} without Kafka for unit tests: each write goes through the topic's JSON format and is
 * applied at once, as the reader would apply it, and is remembered so a test can see what reached the "topic".
 */
final class InMemoryStoreWriter implements StoreWriter {

    /** A record as it would sit in the topic. */
    record Written(byte[] key, byte[] value) {
    }

    private final RegistryState state;
    private final List<Written> written = new ArrayList<>();

    InMemoryStoreWriter(RegistryState state) {
        this.state = state;
    }

    @Override
    public synchronized void write(List<StoreRecord> records, long plannedIn) {
        for (StoreRecord record : records) {
            written.add(new Written(record.keyBytes(), record.value()));
            state.apply(TopicFormat.parseKey(record.keyBytes()), record.value());
        }
    }

    @Override
    public long awaitCurrent() {
        // Every write is applied before write() returns, and this writer never loses the leadership: one term.
        return 0;
    }

    @Override
    public synchronized long appliedOffset() {
        return written.size();
    }

    synchronized List<Written> written() {
        return List.copyOf(written);
    }
}
