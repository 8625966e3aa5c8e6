package io.pganalytics.collector.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.collector.targets.TargetStatus;
import io.pganalytics.schemas.fleet.TargetReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetReportsTest {

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    private static TargetStatus healthy(String id) {
        return new TargetStatus(id, true, 170000, null, Map.of("server", new TargetStatus.Family(T0, null, null, 0, T0)));
    }

    @Test
    void aTargetReportsItsLatestSuccessAndItsFirstFailingFamily() {
        Map<String, TargetStatus.Family> families = new LinkedHashMap<>();
        families.put("server", new TargetStatus.Family(T0.plusSeconds(5), null, null, 0, T0));
        families.put("statements", new TargetStatus.Family(T0, "pg_stat_statements is not installed", null, 3, T0));
        TargetReport report = TargetReports.report(new TargetStatus("db1", true, 170000, null, families));
        assertThat(report.getLastSuccessAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(report.getLastError()).hasToString("statements: pg_stat_statements is not installed");
    }

    @Test
    void aConnectionErrorWinsAndLongErrorsAreCut() {
        TargetReport report = TargetReports.report(new TargetStatus("db1", false, 0, "x".repeat(1000), Map.of()));
        assertThat(report.getConnected()).isFalse();
        assertThat(report.getLastError().length()).isEqualTo(TargetReports.ERROR_CHARS);
    }

    @Test
    void everyUnhealthyTargetIsKeptAndHealthyOnesFillTheBudget() {
        List<TargetStatus> statuses = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            statuses.add(healthy("healthy-" + i));
        }
        statuses.add(new TargetStatus("down-1", false, 0, "cannot connect: refused", Map.of()));
        TargetReports.Selection selection = TargetReports.of(statuses, 2000);
        assertThat(selection.reports().get(0).getTargetId()).hasToString("down-1");
        assertThat(selection.omitted()).isPositive();
        assertThat(selection.reports().size() + selection.omitted()).isEqualTo(1001);
        assertThat(TargetReports.of(statuses).omitted()).isZero();
    }
}
