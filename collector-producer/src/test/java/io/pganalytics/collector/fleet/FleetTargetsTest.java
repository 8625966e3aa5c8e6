package io.pganalytics.collector.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.collector.config.Preset;
import io.pganalytics.collector.config.Target;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.secret.SecretBox;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetTargetsTest {

    private static final SecretBox KEYS = SecretBox.parse(SecretBox.generateKey("k1"));

    private static FleetTarget.Builder record() {
        return FleetTarget.newBuilder().setTargetId("db1").setUrl("jdbc:postgresql://db1:5432/postgres").setUser("monitor")
                .setEncryptedPassword(KEYS.encrypt("pw")).setPreset("exhaustive").setFamilyIntervalMillis(Map.of("tables", 0L))
                .setDatabases(List.of("app")).setUpdatedAt(Instant.EPOCH);
    }

    @Test
    void aRecordBecomesATargetWithItsPasswordDecrypted() {
        Target target = FleetTargets.toTarget(record().build(), KEYS);
        assertThat(target).isEqualTo(new Target("db1", "jdbc:postgresql://db1:5432/postgres", "monitor", "pw",
                Preset.EXHAUSTIVE, Map.of("tables", 0L), List.of("app")));
        assertThat(target.toString()).doesNotContain("pw,").contains("password=***");
    }

    @Test
    void aPasswordThatCannotBeDecryptedIsNamedWithoutTheSecret() {
        FleetTarget record = record().build();
        assertThatThrownBy(() -> FleetTargets.toTarget(record, SecretBox.parse(SecretBox.generateKey("k2"))))
                .hasMessage("password: encrypted with key 'k1', which fleet.secret.keys does not have (it has k2)");
        assertThatThrownBy(() -> FleetTargets.toTarget(record, null))
                .hasMessage("password: encrypted with key 'k1', but fleet.secret.keys is not set");
        assertThat(FleetTargets.toTarget(record().setEncryptedPassword(null).build(), null).password()).isNull();
    }

    @Test
    void aPasswordBoundToItsTargetDecryptsAndOneCopiedFromAnotherTargetIsRefused() {
        FleetTarget bound = record().setEncryptedPassword(KEYS.encrypt("pw", "target:db1")).build();
        assertThat(FleetTargets.toTarget(bound, KEYS).password()).isEqualTo("pw");

        FleetTarget copied = record().setEncryptedPassword(KEYS.encrypt("other-pw", "target:db2")).build();
        assertThatThrownBy(() -> FleetTargets.toTarget(copied, KEYS)).isInstanceOf(InvalidValue.class)
                .hasMessageStartingWith("password: ")
                .hasMessageNotContaining("other-pw");
        // v1, bound to nothing: written before binding, still readable
        assertThat(FleetTargets.toTarget(record().build(), KEYS).password()).isEqualTo("pw");
    }

    @Test
    void aTargetOfAnotherGroupIsNotForThisCollectorAndOneWithoutAGroupIsForEveryGroup() {
        FleetTarget ofEu = record().setGroup("eu").build();
        assertThat(FleetTargets.forGroup(ofEu, "eu")).isTrue();
        assertThat(FleetTargets.forGroup(ofEu, "us")).isFalse();
        assertThatThrownBy(() -> FleetTargets.toTarget(ofEu, KEYS, "us")).isInstanceOf(InvalidValue.class)
                .hasMessage("group: assigned to fleet group 'eu', this collector is in 'us'");
        assertThat(FleetTargets.toTarget(ofEu, KEYS, "eu").id()).isEqualTo("db1");

        FleetTarget ofAny = record().setGroup(null).build();
        assertThat(FleetTargets.forGroup(ofAny, "us")).isTrue();
        assertThat(FleetTargets.toTarget(ofAny, KEYS, "us").id()).isEqualTo("db1");
    }

    @Test
    void aRecordBreakingTheContractsRulesIsRefusedNamingItsField() {
        // The rules themselves are FleetRules' (schemas), the ones fleet-admin checks before writing.
        assertThatThrownBy(() -> FleetTargets.toTarget(record().setPreset("fast").build(), KEYS)).isInstanceOf(InvalidValue.class)
                .hasMessage("preset: expected minimal, standard or exhaustive, got 'fast'");
        assertThatThrownBy(() -> FleetTargets.toTarget(record().setUrl("mysql://x").build(), KEYS))
                .hasMessage("url: expected jdbc:postgresql://host:port/db, got 'mysql://x'");
        assertThatThrownBy(() -> FleetTargets.toTarget(record().setFamilyIntervalMillis(Map.of("tables", 10L)).build(), KEYS))
                .hasMessage("familyIntervalMillis.tables: must be 0 (off) or at least 1000 ms, got 10");
        assertThatThrownBy(() -> FleetTargets.toTarget(record().setFamilyIntervalMillis(Map.of("custom", 1000L)).build(), KEYS))
                .hasMessageStartingWith("familyIntervalMillis.custom: unknown family");
        assertThatThrownBy(() -> FleetTargets.toTarget(record().setTargetId("a/b").build(), KEYS)).hasMessageStartingWith("targetId:");
    }

    @Test
    void thePresetsTheContractNamesAreTheOnesThisCollectorKnows() {
        assertThat(Arrays.stream(Preset.values()).map(Preset::configName).toList()).isEqualTo(FleetVocabulary.PRESETS);
    }

    @Test
    void logLevelsAreTheFiveUsualOnes() {
        assertThat(io.pganalytics.collector.status.LogLevels.parse(" debug ")).isEqualTo("DEBUG");
        assertThatThrownBy(() -> io.pganalytics.collector.status.LogLevels.parse("verbose"))
                .hasMessage("log level: expected TRACE, DEBUG, INFO, WARN or ERROR, got 'verbose'");
    }
}
