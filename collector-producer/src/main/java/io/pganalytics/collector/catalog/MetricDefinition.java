package io.pganalytics.collector.catalog;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How one metric family is read: one SQL text per range of server versions (and, for families
 * that read an extension, per range of the installed extension's version), as written in
 * {@code src/main/resources/catalog/<family>.yaml}.
 *
 * @param family      the metric family, as in {@code MetricFamilies}
 * @param scope       {@code server}: read once per target; {@code database}: once in each database
 * @param extension   the extension whose installed version gates the queries, or null
 * @param description one line for people
 * @param queries     the SQL texts, each with the versions it applies to; ranges do not overlap
 */
public record MetricDefinition(String family, Scope scope, String extension, String description, List<Query> queries) {

    /** Where a family's query runs. */
    public enum Scope {
        /** Once per target, on the connection to its configured database. */
        SERVER,
        /** Once in each monitored database of the target: per-database catalogs such as pg_stat_user_tables. */
        DATABASE
    }

    /**
     * One SQL text and the versions it is for; bounds are inclusive and null means open.
     *
     * @param minServerVersion    lowest {@code server_version_num}
     * @param maxServerVersion    highest {@code server_version_num}
     * @param minExtensionVersion lowest extension version (e.g. {@code 1.11})
     * @param maxExtensionVersion highest extension version
     * @param sql                 one SELECT; its column names, snake_case, are the schema's fields
     */
    public record Query(Integer minServerVersion, Integer maxServerVersion, String minExtensionVersion,
                        String maxExtensionVersion, String sql) {

        boolean matches(int serverVersion, String extensionVersion) {
            if (minServerVersion != null && serverVersion < minServerVersion) {
                return false;
            }
            if (maxServerVersion != null && serverVersion > maxServerVersion) {
                return false;
            }
            if (minExtensionVersion != null && compareVersions(extensionVersion, minExtensionVersion) < 0) {
                return false;
            }
            return maxExtensionVersion == null || compareVersions(extensionVersion, maxExtensionVersion) <= 0;
        }

        String range() {
            String server = (minServerVersion == null ? "any" : minServerVersion) + ".."
                    + (maxServerVersion == null ? "any" : maxServerVersion);
            if (minExtensionVersion == null && maxExtensionVersion == null) {
                return "server " + server;
            }
            return "server " + server + ", extension " + (minExtensionVersion == null ? "any" : minExtensionVersion)
                    + ".." + (maxExtensionVersion == null ? "any" : maxExtensionVersion);
        }
    }

    public MetricDefinition {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(scope, "scope");
        queries = List.copyOf(queries);
    }

    /** The SQL for a server and installed extension version (null when no extension gates it). */
    public Optional<String> sqlFor(int serverVersion, String extensionVersion) {
        if (extension != null && extensionVersion == null) {
            return Optional.empty();
        }
        return queries.stream().filter(q -> q.matches(serverVersion, extensionVersion)).map(Query::sql).findFirst();
    }

    /**
     * Compares dotted version numbers numerically ({@code 1.10} is after {@code 1.9}); a missing
     * part counts as 0.
     */
    public static int compareVersions(String a, String b) {
        String[] left = a.split("\\.");
        String[] right = b.split("\\.");
        for (int i = 0; i < Math.max(left.length, right.length); i++) {
            int l = i < left.length ? Integer.parseInt(left[i].replaceAll("\\D.*", "0")) : 0;
            int r = i < right.length ? Integer.parseInt(right[i].replaceAll("\\D.*", "0")) : 0;
            if (l != r) {
                return Integer.compare(l, r);
            }
        }
        return 0;
    }
}
