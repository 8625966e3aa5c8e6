package io.pganalytics.collector.config;

import java.util.Objects;

/**
 * One monitored PostgreSQL server: its id in the fleet and how to reach it.
 *
 * @param id       stable name of the target, the second half of every record key
 * @param jdbcUrl  {@code jdbc:postgresql://host:port/database}
 * @param user     role to connect as (pg_monitor is enough)
 * @param password never logged: {@link #toString()} hides it
 */
public record Target(String id, String jdbcUrl, String user, String password) {

    public Target {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    }

    @Override
    public String toString() {
        return "Target[id=" + id + ", jdbcUrl=" + jdbcUrl + ", user=" + user + ", password=" + (password == null ? "none" : "***") + "]";
    }
}
