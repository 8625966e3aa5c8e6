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
    public synchronized void write(SchemaValue value) {
        byte[] key = TopicFormat.serializeKey(value.key());
        byte[] bytes = TopicFormat.serializeSchemaValue(value);
        written.add(new Written(key, bytes));
        StoreKey.SchemaKey parsedKey = (StoreKey.SchemaKey) TopicFormat.parseKey(key);
        state.applySchema(parsedKey, TopicFormat.parseSchemaValue(parsedKey, bytes));
    }

    @Override
    public synchronized void write(StoreKey.ConfigKey key, ConfigValue value) {
        byte[] keyBytes = TopicFormat.serializeKey(key);
        byte[] bytes = TopicFormat.serializeConfigValue(value);
        written.add(new Written(keyBytes, bytes));
        StoreKey.ConfigKey parsedKey = (StoreKey.ConfigKey) TopicFormat.parseKey(keyBytes);
        state.applyConfig(parsedKey, TopicFormat.parseConfigValue(parsedKey, bytes));
    }

    synchronized List<Written> written() {
        return List.copyOf(written);
    }
}
