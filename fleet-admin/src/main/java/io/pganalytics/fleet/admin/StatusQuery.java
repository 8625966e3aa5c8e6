package io.pganalytics.fleet.admin;

import io.pganalytics.config.InvalidValue;

/**
 * Which collectors {@link FleetAdmin#status} reports: those that sent a heartbeat in the last
 * {@code sinceMinutes}, all or one.
 *
 * @param sinceMinutes at least 1
 * @param collectorId  only this collector; null for all
 */
public record StatusQuery(long sinceMinutes, String collectorId) {

    /** The window {@code fleet status} uses unless told otherwise. */
    public static final long DEFAULT_SINCE_MINUTES = 10;

    public StatusQuery {
        if (sinceMinutes < 1) {
            throw new InvalidValue("sinceMinutes", "must be at least 1 minute, got " + sinceMinutes);
        }
    }
}
