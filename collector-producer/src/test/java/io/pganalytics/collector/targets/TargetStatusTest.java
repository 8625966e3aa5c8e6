package io.pganalytics.collector.targets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetStatusTest {

    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");
    static final TargetStatus.Family OK = new TargetStatus.Family(T0, null, null, 0, T0);

    @Test
    void aConnectedTargetWhoseJobsAllWorkIsHealthy() {
        assertThat(new TargetStatus("db1", true, 170000, null, Map.of("server", OK, "database", OK)).healthy()).isTrue();
    }

    @Test
    void aTargetThatCannotBeConnectedToIsUnhealthy() {
        assertThat(new TargetStatus("db1", false, 0, "cannot connect: refused", Map.of()).healthy()).isFalse();
        assertThat(new TargetStatus("db1", false, 0, null, Map.of()).healthy()).as("never connected yet").isFalse();
    }

    @Test
    void aConnectedTargetWithAFailingFamilyIsUnhealthy() {
        Map<String, TargetStatus.Family> families = new LinkedHashMap<>();
        families.put("server", OK);
        families.put("statements", new TargetStatus.Family(T0, "pg_stat_statements is not installed", null, 3, T0));
        assertThat(new TargetStatus("db1", true, 170000, null, families).healthy()).isFalse();
    }

    @Test
    void aFamilyTheServerDoesNotHaveIsANoteNotAFailure() {
        TargetStatus.Family io = new TargetStatus.Family(null, null, "io is not available on PostgreSQL 140000", 0, T0);
        assertThat(new TargetStatus("db1", true, 140000, null, Map.of("server", OK, "io", io)).healthy()).isTrue();
    }
}
