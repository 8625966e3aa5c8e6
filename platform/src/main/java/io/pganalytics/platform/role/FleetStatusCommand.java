package io.pganalytics.platform.role;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.FleetAdmin;
import io.pganalytics.fleet.admin.StatusQuery;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.fleet.TargetReport;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics fleet status}: each collector's latest heartbeat ({@link FleetAdmin#status}), as a table:
 * its state, targets, spool and drops, and with {@code --targets} every reported target.
 */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shows each collector's latest heartbeat (pga.fleet.heartbeats): state, owned targets and how",
            "many are healthy, skipped cycles, spool and dropped samples, and how long ago it reported.",
            "With --targets, every target each collector reported, unhealthy ones first."})
final class FleetStatusCommand implements Callable<Integer> {

    @Mixin
    FleetConnection connection;

    @Option(names = "--since", paramLabel = "MINUTES", defaultValue = "" + StatusQuery.DEFAULT_SINCE_MINUTES,
            description = "Only collectors that reported in the last MINUTES minutes (default: ${DEFAULT-VALUE}).")
    long sinceMinutes;

    @Option(names = "--collector", paramLabel = "ID", description = "Only this collector.")
    String collector;

    @Option(names = "--targets", description = "Also list every target each collector reported.")
    boolean targets;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<Heartbeat> heartbeats;
        try {
            StatusQuery query = new StatusQuery(sinceMinutes, collector);
            try (FleetAdmin admin = connection.settings().open(null)) {
                heartbeats = admin.status(query);
            }
        } catch (InvalidValue e) {
            throw FleetCommand.invalid(e);
        }
        Instant now = Instant.now();
        PrintWriter out = spec.commandLine().getOut();
        if (heartbeats.isEmpty()) {
            out.println("no heartbeat in the last " + sinceMinutes + " minutes" + (collector == null ? "" : " from " + collector));
            out.flush();
            return collector == null ? 0 : 1;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"COLLECTOR", "STATE", "HOST", "VERSION", "UPTIME", "TARGETS", "HEALTHY", "SKIPPED", "SPOOL",
            "DROPPED", "LAST SHUTDOWN", "REPORTED"});
        for (Heartbeat h : heartbeats) {
            long dropped = h.getDroppedByFamily().values().stream().mapToLong(Long::longValue).sum();
            rows.add(new String[] {h.getCollectorId().toString(), h.getState().toString(), h.getHostname().toString(),
                h.getVersion().toString(), duration(h.getUptimeMillis()), Integer.toString(h.getTargetsConfigured()),
                Integer.toString(h.getTargetsHealthy()), Long.toString(h.getCyclesSkipped()),
                h.getSpoolPendingRecords() + " pending, " + mb(h.getSpoolUsedBytes()) + "/" + mb(h.getSpoolCapacityBytes()) + " MB",
                Long.toString(dropped), h.getPreviousShutdown() == null ? "-" : h.getPreviousShutdown().toString(),
                duration(Duration.between(h.getSentAt(), now).toMillis()) + " ago"});
        }
        table(out, rows);
        if (targets) {
            for (Heartbeat h : heartbeats) {
                out.println();
                out.println(h.getCollectorId() + ": " + h.getTargets().size() + " targets reported"
                        + (h.getTargetsOmitted() > 0 ? ", " + h.getTargetsOmitted() + " healthy ones left out of the heartbeat" : ""));
                List<String[]> targetRows = new ArrayList<>();
                targetRows.add(new String[] {"TARGET", "CONNECTED", "LAST SUCCESS", "CYCLE MS", "ERROR"});
                for (TargetReport t : h.getTargets()) {
                    targetRows.add(new String[] {t.getTargetId().toString(), Boolean.toString(t.getConnected()),
                        t.getLastSuccessAt() == null ? "never" : duration(Duration.between(t.getLastSuccessAt(), now).toMillis()) + " ago",
                        t.getLastCycleMillis() == null ? "-" : t.getLastCycleMillis().toString(),
                        t.getLastError() == null ? "-" : t.getLastError().toString()});
                }
                table(out, targetRows);
            }
        }
        out.flush();
        return 0;
    }

    private static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    static String duration(long millis) {
        long seconds = Math.max(0, millis) / 1000;
        if (seconds < 120) {
            return seconds + "s";
        }
        if (seconds < 7200) {
            return seconds / 60 + "m";
        }
        return seconds / 3600 + "h" + (seconds % 3600) / 60 + "m";
    }

    /** Rows as aligned columns, the first row the header. */
    static void table(PrintWriter out, List<String[]> rows) {
        int[] widths = new int[rows.get(0).length];
        rows.forEach(r -> {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        });
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
