package io.pganalytics.sink.timescale;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The metrics store on plain PostgreSQL: each table is range-partitioned by day (UTC) on its time column. Partitions
 * are created ahead of time by {@link #maintain}, and on demand for a day that has none (late data, a restore);
 * retention drops whole partitions, which costs nothing like a {@code DELETE}. The natural key includes the time
 * column, so the primary key is enforced across partitions.
 */
final class PostgresStore implements MetricsStore {

    private static final DateTimeFormatter SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd");

    private final int aheadDays;
    private final int retentionDays;
    /** Partitions known to exist, by table: saves a catalog round trip per batch. */
    private final Set<String> known = new HashSet<>();

    PostgresStore(TimescaleSinkConfig config) {
        this.aheadDays = config.partitionsAheadDays();
        this.retentionDays = config.retentionDays();
    }

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public void createTable(Connection c, TableLayout table) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + table.name() + " " + table.columnsDdl()
                    + " PARTITION BY RANGE (\"" + table.timeColumn() + "\")");
        }
    }

    /** The partition of one day: {@code database_metrics_p20261122}. */
    static String partitionName(TableLayout table, LocalDate day) {
        String suffix = "_p" + SUFFIX.format(day);
        String base = table.name();
        // Identifiers are cut at 63 bytes; keep the date, which is what tells partitions apart.
        return (base.length() + suffix.length() > 63 ? base.substring(0, 63 - suffix.length()) : base) + suffix;
    }

    @Override
    public Set<LocalDate> unpreparedDays(TableLayout table, Set<LocalDate> days) {
        Set<LocalDate> missing = new HashSet<>();
        for (LocalDate day : days) {
            if (!known.contains(partitionName(table, day))) {
                missing.add(day);
            }
        }
        return missing;
    }

    @Override
    public void prepareDays(Connection c, TableLayout table, Set<LocalDate> days) throws SQLException {
        for (LocalDate day : days) {
            String partition = partitionName(table, day);
            if (known.contains(partition)) {
                continue;
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS " + partition + " PARTITION OF " + table.name()
                        + " FOR VALUES FROM ('" + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
            }
            known.add(partition);
        }
    }

    @Override
    public String maintain(Connection c, TableLayout table, LocalDate today) throws SQLException {
        Set<LocalDate> ahead = new HashSet<>();
        for (int d = 0; d <= aheadDays; d++) {
            ahead.add(today.plusDays(d));
        }
        prepareDays(c, table, ahead);
        if (retentionDays <= 0) {
            return "partitions until " + today.plusDays(aheadDays) + ", no retention";
        }
        LocalDate oldestKept = today.minusDays(retentionDays);
        List<String> dropped = new ArrayList<>();
        for (String partition : partitions(c, table)) {
            LocalDate day = dayOf(table, partition);
            if (day != null && day.isBefore(oldestKept)) {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TABLE IF EXISTS " + partition);
                }
                known.remove(partition);
                dropped.add(partition);
            }
        }
        return "partitions until " + today.plusDays(aheadDays) + ", dropped " + dropped.size() + " older than "
                + oldestKept;
    }

    private static List<String> partitions(Connection c, TableLayout table) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement(
                "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = to_regclass(?)")) {
            q.setString(1, table.name());
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    private static LocalDate dayOf(TableLayout table, String partition) {
        int p = partition.lastIndexOf("_p");
        if (p < 0 || !partition.startsWith(partitionName(table, LocalDate.EPOCH).substring(0, p))) {
            return null; // a partition an operator attached by hand: not ours to drop
        }
        try {
            return LocalDate.parse(partition.substring(p + 2), SUFFIX);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
