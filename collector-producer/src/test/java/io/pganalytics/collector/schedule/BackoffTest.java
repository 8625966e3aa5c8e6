package io.pganalytics.collector.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void theWaitDoublesWithEveryFailureUpToFiveMinutes() {
        assertThat(Backoff.delayMillis(10_000, 1)).isEqualTo(10_000);
        assertThat(Backoff.delayMillis(10_000, 2)).isEqualTo(20_000);
        assertThat(Backoff.delayMillis(10_000, 3)).isEqualTo(40_000);
        assertThat(Backoff.delayMillis(10_000, 6)).isEqualTo(300_000);
        assertThat(Backoff.delayMillis(10_000, 1_000)).isEqualTo(300_000);
    }

    @Test
    void aJobReadLessOftenThanFiveMinutesWaitsItsInterval() {
        assertThat(Backoff.delayMillis(600_000, 1)).isEqualTo(600_000);
        assertThat(Backoff.delayMillis(600_000, 5)).isEqualTo(600_000);
    }
}
