package io.pganalytics.collector.config;

import java.util.Locale;

/** What the collector sends of pg_stat_statements query texts. */
public enum QueryTextMode {
    /** The normalized text (constants replaced by $n), once per queryid, cut to the configured length. */
    NORMALIZED,
    /** No text at all: only queryids leave the server. */
    NONE;

    public static QueryTextMode parse(String key, String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": expected normalized or none, got '" + value + "'");
        }
    }
}
