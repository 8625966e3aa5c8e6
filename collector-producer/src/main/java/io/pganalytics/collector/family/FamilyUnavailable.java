package io.pganalytics.collector.family;

import java.sql.SQLException;

/**
 * A family that cannot be read on this target as it is (an extension missing or not preloaded, a
 * server version without the view): reported in the target's status and retried later, never a
 * crash. {@link #notOnThisVersion()} marks the expected case of a view the server's version does not
 * have (pg_stat_io before 16), which is a note in the status rather than a failure.
 */
public final class FamilyUnavailable extends SQLException {

    private final boolean notOnThisVersion;

    public FamilyUnavailable(String reason) {
        this(reason, false);
    }

    public FamilyUnavailable(String reason, boolean notOnThisVersion) {
        super(reason);
        this.notOnThisVersion = notOnThisVersion;
    }

    public boolean notOnThisVersion() {
        return notOnThisVersion;
    }
}
