package io.pganalytics.registry.internal;

/**
 * The key of a record in the registry's topic; Confluent's key types, of which this registry acts on two.
 *
 * <p>Compaction keeps the last value per key, so the key says what a record replaces: a subject's version, or a
 * compatibility setting (global or per subject).
 */
public sealed interface StoreKey permits StoreKey.SchemaKey, StoreKey.ConfigKey, StoreKey.OtherKey {

    /** One version of a subject: {@code {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}}. */
    record SchemaKey(String subject, int version) implements StoreKey {
        public SchemaKey {
            if (subject == null || subject.isEmpty()) {
                throw new IllegalArgumentException("subject: required");
            }
            if (version < 1) {
                throw new IllegalArgumentException("version: expected >= 1, got " + version);
            }
        }
    }

    /**
     * A compatibility setting: {@code {"keytype":"CONFIG","subject":"s","magic":0}}, or without a subject for the
     * global one.
     */
    record ConfigKey(String subject) implements StoreKey {

        /** The key of the global setting. */
        public static ConfigKey global() {
            return new ConfigKey(null);
        }

        public boolean isGlobal() {
            return subject == null;
        }
    }

    /**
     * A key this registry reads past: Confluent's NOOP markers, modes, subject deletions, contexts and whatever a
     * newer Confluent writes next. Ignoring them keeps a topic shared with Confluent's registry readable.
     */
    record OtherKey(String keytype) implements StoreKey {
    }
}
