package io.pganalytics.collector.status;

import io.pganalytics.collector.targets.TargetStatus;
import io.pganalytics.schemas.fleet.TargetReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The heartbeat's view of the owned targets: one {@link TargetReport} each, unhealthy ones
 * ({@link TargetStatus#healthy()}) first,
 * healthy ones while the heartbeat stays under a size cap, so that a collector with thousands of
 * targets still sends a record Kafka accepts and an operator sees every problem.
 */
public final class TargetReports {

    /** Errors are cut to this many characters: enough for the reason, not for a stack of them. */
    static final int ERROR_CHARS = 200;
    /** Budget of the target list in bytes, well under Kafka's default 1 MB message limit. */
    static final int BUDGET_BYTES = 384 * 1024;

    private TargetReports() {
    }

    /** The reports, and how many healthy targets did not fit. */
    public record Selection(List<TargetReport> reports, int omitted) {
    }

    public static Selection of(List<TargetStatus> statuses) {
        return of(statuses, BUDGET_BYTES);
    }

    static Selection of(List<TargetStatus> statuses, int budgetBytes) {
        List<TargetReport> unhealthy = new ArrayList<>();
        List<TargetReport> healthy = new ArrayList<>();
        for (TargetStatus status : statuses) {
            (status.healthy() ? healthy : unhealthy).add(report(status));
        }
        Comparator<TargetReport> byId = Comparator.comparing(r -> r.getTargetId().toString());
        unhealthy.sort(byId);
        healthy.sort(byId);
        List<TargetReport> chosen = new ArrayList<>(unhealthy);
        int used = unhealthy.stream().mapToInt(TargetReports::sizeOf).sum();
        int omitted = 0;
        for (TargetReport report : healthy) {
            int size = sizeOf(report);
            if (used + size > budgetBytes) {
                omitted++;
                continue;
            }
            used += size;
            chosen.add(report);
        }
        return new Selection(chosen, omitted);
    }

    static TargetReport report(TargetStatus status) {
        Instant lastSuccess = null;
        String familyError = null;
        for (Map.Entry<String, TargetStatus.Family> family : status.families().entrySet()) {
            TargetStatus.Family state = family.getValue();
            if (state == null) {
                continue;
            }
            if (state.lastSuccessAt() != null && (lastSuccess == null || state.lastSuccessAt().isAfter(lastSuccess))) {
                lastSuccess = state.lastSuccessAt();
            }
            if (familyError == null && state.error() != null) {
                familyError = family.getKey() + ": " + state.error();
            }
        }
        String error = status.error() != null ? status.error() : familyError;
        return TargetReport.newBuilder()
                .setTargetId(status.targetId())
                .setConnected(status.connected())
                .setLastSuccessAt(lastSuccess)
                .setLastError(error == null ? null : cut(error))
                .setLastCycleMillis(status.lastCycleMillis() < 0 ? null : status.lastCycleMillis())
                .build();
    }

    private static String cut(String error) {
        return error.length() <= ERROR_CHARS ? error : error.substring(0, ERROR_CHARS - 1) + "…";
    }

    /** Roughly what the report costs in Avro binary: strings plus a few varints and union tags. */
    private static int sizeOf(TargetReport report) {
        CharSequence error = report.getLastError();
        return report.getTargetId().length() + (error == null ? 0 : error.length()) + 24;
    }
}
