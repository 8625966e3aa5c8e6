package io.pganalytics.streams.ingest.delta;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class CounterBaselineTest {

    private static final List<String> COUNTERS = List.of("xactCommit", "blkReadTimeMs", "sessions");
    private static final List<String> RESETS = List.of("statsReset");

    @Test
    void baselineSurvivesTheStoreWithLongsDoublesAndNulls() {
        Serde<CounterBaseline> serde = CounterBaseline.serde(COUNTERS, RESETS);
        CounterBaseline baseline = new CounterBaseline(1_795_334_410_190_646L, 1_795_334_410_190L,
                new Object[] {Long.MAX_VALUE, 2.5, null}, new Long[] {1_795_330_000_000_000L});

        byte[] bytes = serde.serializer().serialize("t", baseline);
        CounterBaseline read = serde.deserializer().deserialize("t", bytes);

        assertThat(read.sampledAtMicros()).isEqualTo(baseline.sampledAtMicros());
        assertThat(read.seenAtMillis()).isEqualTo(baseline.seenAtMillis());
        assertThat(read.counters()).containsExactly(Long.MAX_VALUE, 2.5, null);
        assertThat(read.resets()).containsExactly(1_795_330_000_000_000L);
        assertThat(bytes.length).as("compact: it is written to the changelog once per sample").isLessThan(64);
    }

    @Test
    void baselineOfAnotherSchemaVersionReadsAsAbsent() {
        CounterBaseline baseline = new CounterBaseline(1, 1, new Object[] {1L, 2.0, 3L}, new Long[] {null});
        byte[] bytes = CounterBaseline.serde(COUNTERS, RESETS).serializer().serialize("t", baseline);

        assertThat(CounterBaseline.serde(List.of("xactCommit", "blkReadTimeMs", "sessions", "sessionsFatal"), RESETS)
                .deserializer().deserialize("t", bytes)).isNull();
    }
}
