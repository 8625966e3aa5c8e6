package io.pganalytics.streams.oracle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.rollups.Aggregate;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.streams.rollup.QuantileSketches;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Compares the rollups a topology emitted with {@link RollupOracle}'s: every window once, every aggregate exact. */
final class RollupComparison {

    private RollupComparison() {
    }

    static void compare(MetricFamily family, String resolution, List<Rollup> emitted, Map<RollupOracle.WindowId, Map<String, RollupOracle.Expected>> expected) {
        Map<RollupOracle.WindowId, Rollup> byWindow = new TreeMap<>();
        for (Rollup rollup : emitted) {
            assertThat(rollup.getResolution()).isEqualTo(resolution);
            StringBuilder series = new StringBuilder(rollup.getCollectorId() + "/" + rollup.getTargetId());
            family.seriesFields().forEach(field -> series.append('|').append(field).append('=').append(rollup.getSeries().get(field)));
            RollupOracle.WindowId id = new RollupOracle.WindowId(rollup.getWindowStart().toEpochMilli(), series.toString());
            assertThat(byWindow.put(id, rollup)).as("%s window %s emitted twice", resolution, id).isNull();
        }
        assertThat(byWindow.keySet()).as("%s windows emitted", resolution).containsExactlyElementsOf(expected.keySet());
        byWindow.forEach((id, rollup) -> {
            Map<String, RollupOracle.Expected> fields = expected.get(id);
            assertThat(rollup.getMetrics().keySet()).as("%s %s fields", resolution, id).containsExactlyInAnyOrderElementsOf(fields.keySet());
            fields.forEach((field, want) -> {
                Aggregate got = rollup.getMetrics().get(field);
                String what = resolution + " " + id + " " + field;
                assertThat(got.getCount()).as(what + " count").isEqualTo(want.count());
                assertThat(got.getMin()).as(what + " min").isEqualTo(want.min());
                assertThat(got.getMax()).as(what + " max").isEqualTo(want.max());
                assertThat(got.getSum()).as(what + " sum").isEqualTo(want.sum());
                assertThat(got.getMean()).as(what + " mean").isEqualTo(want.mean());
                assertThat(got.getLast()).as(what + " last").isEqualTo(want.last());
                assertQuantile(what + " p50", got.getP50(), want.quantile(0.50));
                assertQuantile(what + " p95", got.getP95(), want.quantile(0.95));
                assertQuantile(what + " p99", got.getP99(), want.quantile(0.99));
                assertThat(QuantileSketches.decode(got.getSketch()).getCount()).as(what + " sketch count").isEqualTo((double) want.count());
            });
        });
    }

    private static void assertQuantile(String what, double got, double exact) {
        assertThat(got).as(what).isCloseTo(exact, within(Math.abs(exact) * QuantileSketches.RELATIVE_ACCURACY + 1e-12));
    }

}
