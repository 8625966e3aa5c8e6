package io.pganalytics.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class InvalidValueTest {

    @Test
    void theMessageIsThePathThenTheReason() {
        InvalidValue invalid = new InvalidValue("collector.targets[2].url", "expected jdbc:postgresql://host:port/db");

        assertThat(invalid.getMessage()).isEqualTo("collector.targets[2].url: expected jdbc:postgresql://host:port/db");
        assertThat(invalid.path()).isEqualTo("collector.targets[2].url");
        assertThat(invalid.reason()).isEqualTo("expected jdbc:postgresql://host:port/db");
    }

    @Test
    void severalProblemsAreReportedTogetherAndCanBePlacedUnderAParent() {
        InvalidValue invalid = new InvalidValue(List.of(new InvalidValue.Problem("port", "must be 1 to 65535"),
                new InvalidValue.Problem("[0]", "unknown field"))).under("targets[3]");

        assertThat(invalid.problems()).extracting(InvalidValue.Problem::path)
                .containsExactly("targets[3].port", "targets[3][0]");
        assertThat(invalid.getMessage()).isEqualTo("targets[3].port: must be 1 to 65535; targets[3][0]: unknown field");
    }

    @Test
    void anInvalidValueNeedsAProblem() {
        assertThatThrownBy(() -> new InvalidValue(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
