package io.pganalytics.registry.internal;

/**
 * One record for the registry's topic, serialised as Confluent serialises it.
 *
 * @param value null for a tombstone (Confluent's permanent delete of that key)
 */
public record StoreRecord(StoreKey key, byte[] keyBytes, byte[] value) {

    public static StoreRecord of(StoreKey key, byte[] value) {
        return new StoreRecord(key, TopicFormat.serializeKey(key), value);
    }

    public static StoreRecord schema(SchemaValue value) {
        return of(value.key(), TopicFormat.serializeSchemaValue(value));
    }

    public static StoreRecord tombstone(StoreKey key) {
        return of(key, null);
    }
}
