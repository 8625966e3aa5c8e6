package io.pganalytics.collector.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import org.junit.jupiter.api.Test;

class CatalogTest {

    private final Catalog catalog = Catalog.load();

    @Test
    void everyFamilyButCustomHasADefinition() {
        for (MetricFamily family : MetricFamilies.all()) {
            if (!family.name().equals("custom")) {
                assertThat(catalog.definition(family.name())).as(family.name()).isPresent();
            }
        }
    }

    @Test
    void everySupportedMajorGetsExactlyOneQueryPerFamily() {
        for (int major = 13; major <= 18; major++) {
            int version = major * 10000 + 1;
            for (MetricDefinition definition : catalog.definitions().values()) {
                if (definition.family().equals("io") && major < 16 || definition.extension() != null) {
                    continue;
                }
                assertThat(definition.sqlFor(version, null)).as("%s on %d", definition.family(), version).isPresent();
            }
        }
    }

    @Test
    void pgStatStatementsIsChosenByTheInstalledExtensionVersionNotTheServer() {
        MetricDefinition statements = catalog.definition("statements").orElseThrow();
        // An 18 server whose extension was never updated from 1.9 keeps blk_read_time.
        assertThat(statements.sqlFor(180000, "1.9").orElseThrow()).contains("s.blk_read_time").doesNotContain("jit_");
        assertThat(statements.sqlFor(180000, "1.12").orElseThrow()).contains("s.shared_blk_read_time", "parallel_workers_launched");
        assertThat(statements.sqlFor(170000, "1.11").orElseThrow()).contains("jit_deform_count").doesNotContain("wal_buffers_full");
        assertThat(statements.sqlFor(130000, "1.8").orElseThrow()).contains("true AS toplevel");
        assertThat(statements.sqlFor(160000, null)).as("not installed").isEmpty();
    }

    @Test
    void viewsSplitOrRenamedBetweenVersionsUseEachVersionsNames() {
        assertThat(catalog.definition("checkpointer").orElseThrow().sqlFor(160000, null).orElseThrow())
                .contains("checkpoints_timed AS num_timed", "FROM pg_stat_bgwriter");
        assertThat(catalog.definition("checkpointer").orElseThrow().sqlFor(180000, null).orElseThrow())
                .contains("num_done", "FROM pg_stat_checkpointer");
        assertThat(catalog.definition("wal").orElseThrow().sqlFor(180000, null).orElseThrow()).doesNotContain("wal_write_time");
        assertThat(catalog.definition("io").orElseThrow().sqlFor(150000, null)).isEmpty();
        assertThat(catalog.definition("io").orElseThrow().sqlFor(180000, null).orElseThrow()).contains("read_bytes").doesNotContain("op_bytes");
    }

    @Test
    void versionsCompareNumerically() {
        assertThat(MetricDefinition.compareVersions("1.10", "1.9")).isPositive();
        assertThat(MetricDefinition.compareVersions("1.9", "1.9")).isZero();
        assertThat(MetricDefinition.compareVersions("1.8", "1.11")).isNegative();
    }

    @Test
    void columnsMapToFieldsBySnakeCaseName() {
        assertThat(RowMapper.fieldName("blk_read_time_ms")).isEqualTo("blkReadTimeMs");
        assertThat(RowMapper.fieldName("n_tup_newpage_upd")).isEqualTo("nTupNewpageUpd");
        assertThat(RowMapper.fieldName("datid")).isEqualTo("datid");
    }
}
