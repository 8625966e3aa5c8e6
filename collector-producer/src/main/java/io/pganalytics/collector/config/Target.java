package io.pganalytics.collector.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One monitored PostgreSQL server: its id in the fleet, how to reach it, and what to read from it.
 *
 * @param id              stable name of the target, the second half of every record key
 * @param jdbcUrl         {@code jdbc:postgresql://host:port/database}
 * @param user            role to connect as (pg_monitor is enough)
 * @param password        never logged: {@link #toString()} hides it
 * @param preset          the target's preset; null for the collector's
 * @param intervalMillis  per-family interval overrides in ms for this target; 0 turns a family off
 * @param databases       databases the per-database families (tables, indexes) read; empty for every
 *                        database that accepts connections, up to {@code collector.databases.max}
 */
public record Target(String id, String jdbcUrl, String user, String password, Preset preset,
                     Map<String, Long> intervalMillis, List<String> databases) {

    public Target {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        intervalMillis = Map.copyOf(intervalMillis);
        databases = List.copyOf(databases);
    }

    /** A target read with the collector's preset and intervals. */
    public Target(String id, String jdbcUrl, String user, String password) {
        this(id, jdbcUrl, user, password, null, Map.of(), List.of());
    }

    /** This target with another preset. */
    public Target withPreset(Preset preset) {
        return new Target(id, jdbcUrl, user, password, preset, intervalMillis, databases);
    }

    /** This target with one family's interval overridden (0: off). */
    public Target withInterval(String family, long millis) {
        var intervals = new java.util.HashMap<>(intervalMillis);
        intervals.put(family, millis);
        return new Target(id, jdbcUrl, user, password, preset, intervals, databases);
    }

    @Override
    public String toString() {
        return "Target[id=" + id + ", jdbcUrl=" + jdbcUrl + ", user=" + user + ", password=" + (password == null ? "none" : "***") + "]";
    }
}
