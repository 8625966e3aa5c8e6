package io.pganalytics.collector.config;

/** What the collector sends of pg_stat_statements query texts ({@code collector.query.text.mode}). */
public enum QueryTextMode {
    /** The normalized text (constants replaced by $n), once per queryid, cut to the configured length. */
    NORMALIZED,
    /** No text at all: only queryids leave the server. */
    NONE
}
