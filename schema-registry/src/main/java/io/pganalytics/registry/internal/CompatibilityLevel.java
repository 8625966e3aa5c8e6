package io.pganalytics.registry.internal;

import java.util.Locale;
import java.util.Optional;

/** How a new version of a subject must relate to the versions before it, with Confluent's names and meanings. */
public enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    /** Confluent's default, and ours. */
    public static final CompatibilityLevel DEFAULT = BACKWARD;

    private final boolean newReadsOld;
    private final boolean oldReadsNew;
    private final boolean transitive;

    CompatibilityLevel(boolean newReadsOld, boolean oldReadsNew, boolean transitive) {
        this.newReadsOld = newReadsOld;
        this.oldReadsNew = oldReadsNew;
        this.transitive = transitive;
    }

    /** True when consumers on the new schema must read data written with earlier ones (BACKWARD, FULL). */
    public boolean newReadsOld() {
        return newReadsOld;
    }

    /** True when consumers on earlier schemas must read data written with the new one (FORWARD, FULL). */
    public boolean oldReadsNew() {
        return oldReadsNew;
    }

    /** True when the new schema is checked against every earlier version, not only the latest. */
    public boolean transitive() {
        return transitive;
    }

    /** The level with this name in any case ({@code "backward"}, {@code "FULL_TRANSITIVE"}), or empty. */
    public static Optional<CompatibilityLevel> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(name.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException unknown) {
            return Optional.empty();
        }
    }
}
