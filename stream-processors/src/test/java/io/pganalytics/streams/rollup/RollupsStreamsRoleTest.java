package io.pganalytics.streams.rollup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RollupsStreamsRoleTest {

    @Test
    void graceDefaultsToThirtySecondsAndIsReadInSeconds() {
        assertThat(RollupsStreamsRole.fromProperties(Map.of()).grace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(RollupsStreamsRole.fromProperties(Map.of(RollupsStreamsRole.GRACE_SECONDS, " 90 ")).grace())
                .isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void badGraceIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> RollupsStreamsRole.fromProperties(Map.of(RollupsStreamsRole.GRACE_SECONDS, "30s")))
                .hasMessage("streams.rollups.grace.seconds: expected a whole number of seconds, got '30s'");
        assertThatThrownBy(() -> RollupsStreamsRole.fromProperties(Map.of(RollupsStreamsRole.GRACE_SECONDS, "-1")))
                .hasMessage("streams.rollups.grace.seconds: must not be negative, got -1");
    }
}
