package io.pganalytics.registry.internal;

import java.util.Locale;
import java.util.Optional;

/** What writes a subject (or the whole registry) accepts, with Confluent's names and meanings. */
public enum Mode {
    /** Registrations and deletions as usual. */
    READWRITE,
    /** No registration, deletion or config change under the subject. */
    READONLY,
    /** As READONLY, and the subject's own mode cannot be changed either (Confluent's, kept for topic parity). */
    READONLY_OVERRIDE,
    /** Registrations bring their own id and version and skip the compatibility check (migrations). */
    IMPORT;

    /** The mode with this name in any case, or empty. */
    public static Optional<Mode> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(name.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException unknown) {
            return Optional.empty();
        }
    }

    public boolean readOnly() {
        return this == READONLY || this == READONLY_OVERRIDE;
    }
}
