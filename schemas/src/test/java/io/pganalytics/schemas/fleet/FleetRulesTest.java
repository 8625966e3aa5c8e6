package io.pganalytics.schemas.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.config.InvalidValue;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetRulesTest {

    private static FleetTarget.Builder target() {
        return FleetTarget.newBuilder().setTargetId("db1").setUrl("jdbc:postgresql://db1:5432/postgres").setPreset("standard")
                .setFamilyIntervalMillis(Map.of("tables", 0L, "statements", 60_000L)).setDatabases(List.of("app"))
                .setUpdatedAt(Instant.EPOCH);
    }

    @Test
    void aGoodTargetPasses() {
        assertThatCode(() -> FleetRules.checkTarget(target().build())).doesNotThrowAnyException();
        assertThatCode(() -> FleetRules.checkTarget(target().setPreset(null).build())).doesNotThrowAnyException();
    }

    @Test
    void eachBadFieldIsNamedByItsPathAndAllAreReportedAtOnce() {
        Map<String, Long> families = new LinkedHashMap<>();
        families.put("tables", 500L);
        families.put("no_such", 60_000L);
        InvalidValue invalid = org.junit.jupiter.api.Assertions.assertThrows(InvalidValue.class, () -> FleetRules.checkTarget(
                target().setTargetId("a/b").setUrl("postgres://db1").setPreset("fast").setFamilyIntervalMillis(families)
                        .setDatabases(List.of("app", " ")).build()));

        assertThat(invalid.problems()).extracting(InvalidValue.Problem::path).containsExactly("targetId", "url", "preset",
                "familyIntervalMillis.tables", "familyIntervalMillis.no_such", "databases");
        assertThat(invalid.problems()).extracting(InvalidValue.Problem::reason).containsExactly(
                "required, without '/', got 'a/b'",
                "expected jdbc:postgresql://host:port/db, got 'postgres://db1'",
                "expected minimal, standard or exhaustive, got 'fast'",
                "must be 0 (off) or at least 1000 ms, got 500",
                "unknown family (known: " + String.join(", ", FleetRules.overridableFamilies()) + ")",
                "an empty database name");
    }

    @Test
    void customMetricsHaveNoFamilyOverride() {
        assertThat(FleetRules.overridableFamilies()).contains("tables", "statements", "server").doesNotContain("custom");
        assertThatThrownBy(() -> FleetRules.checkFamilyIntervals(Map.of("custom", 1000L)))
                .hasMessageStartingWith("familyIntervalMillis.custom: unknown family");
    }

    @Test
    void aCollectorIdIsAKeyPart() {
        assertThatCode(() -> FleetRules.checkCollectorId("collector-eu-1")).doesNotThrowAnyException();
        assertThatThrownBy(() -> FleetRules.checkCollectorId(" ")).hasMessage("collectorId: required, without '/', got ' '");
        assertThatThrownBy(() -> FleetRules.checkCollectorId("eu/1")).isInstanceOf(InvalidValue.class);
    }
}
