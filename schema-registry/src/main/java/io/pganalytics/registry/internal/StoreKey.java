package io.pganalytics.registry.internal;

/**
 * The key of a record in the registry's topic; Confluent's key types, of which this registry acts on five.
 *
 * <p>Compaction keeps the last value per key, so the key says what a record replaces: a subject's version, a
 * compatibility setting, a mode, or the soft deletion of a subject.
 */
public sealed interface StoreKey permits StoreKey.SchemaKey, StoreKey.ConfigKey, StoreKey.ModeKey,
        StoreKey.DeleteSubjectKey, StoreKey.ClearSubjectKey, StoreKey.OtherKey {

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

    /** A mode: {@code {"keytype":"MODE","subject":"s","magic":0}}, or without a subject for the global one. */
    record ModeKey(String subject) implements StoreKey {

        public static ModeKey global() {
            return new ModeKey(null);
        }

        public boolean isGlobal() {
            return subject == null;
        }
    }

    /**
     * Confluent's soft deletion of a whole subject: {@code {"keytype":"DELETE_SUBJECT","subject":"s","magic":0}}
     * with value {@code {"subject":"s","version":N}}, hiding every version up to N.
     */
    record DeleteSubjectKey(String subject) implements StoreKey {
    }

    /** Confluent's CLEAR_SUBJECT: removes every version up to the value's version (read, never written here). */
    record ClearSubjectKey(String subject) implements StoreKey {
    }

    /**
     * A key this registry reads past: Confluent's NOOP markers, contexts and whatever a newer Confluent writes
     * next. Ignoring them keeps a topic shared with Confluent's registry readable.
     */
    record OtherKey(String keytype) implements StoreKey {
    }
}
