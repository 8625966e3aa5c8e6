package io.pganalytics.registry.internal;

/**
 * Where the registry writes its changes; a write returns once {@link RegistryState} shows it (read-your-writes).
 * {@link SchemasTopic} in production, a direct apply in unit tests.
 */
public interface StoreWriter {

    void write(SchemaValue value);

    void write(StoreKey.ConfigKey key, ConfigValue value);
}
