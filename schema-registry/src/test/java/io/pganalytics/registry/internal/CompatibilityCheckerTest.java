package io.pganalytics.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which evolutions each compatibility level lets through, decided by Avro's reader/writer rules. */
class CompatibilityCheckerTest {

    @ParameterizedTest
    @EnumSource(CompatibilityLevel.class)
    void addingAFieldWithADefaultPassesEveryLevel(CompatibilityLevel level) {
        assertThat(check(level, Schemas.V2_ADDS_OPTIONAL, Schemas.V1)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(CompatibilityLevel.class)
    void theFirstVersionPassesEveryLevel(CompatibilityLevel level) {
        assertThat(check(level, Schemas.V1)).isEmpty();
    }

    @Test
    void addingARequiredFieldBreaksBackwardButNotForward() {
        assertThat(check(CompatibilityLevel.BACKWARD, Schemas.V2_ADDS_REQUIRED, Schemas.V1))
                .singleElement().asString()
                .contains("new schema cannot read data written with version 1", "READER_FIELD_MISSING_DEFAULT_VALUE");
        assertThat(check(CompatibilityLevel.FORWARD, Schemas.V2_ADDS_REQUIRED, Schemas.V1)).isEmpty();
        assertThat(check(CompatibilityLevel.FULL, Schemas.V2_ADDS_REQUIRED, Schemas.V1)).hasSize(1);
        assertThat(check(CompatibilityLevel.NONE, Schemas.V2_ADDS_REQUIRED, Schemas.V1)).isEmpty();
    }

    @Test
    void droppingAFieldWithoutDefaultBreaksForwardButNotBackward() {
        assertThat(check(CompatibilityLevel.BACKWARD, Schemas.V2_DROPS_HOST, Schemas.V1)).isEmpty();
        assertThat(check(CompatibilityLevel.FORWARD, Schemas.V2_DROPS_HOST, Schemas.V1))
                .singleElement().asString().contains("version 1 cannot read data written with the new schema");
        assertThat(check(CompatibilityLevel.FULL, Schemas.V2_DROPS_HOST, Schemas.V1)).hasSize(1);
    }

    @Test
    void onlyTransitiveLevelsLookPastTheLatestVersion() {
        // V3 reads V2 (host missing there, V3 has a default) but not V1 (host was a string there).
        assertThat(check(CompatibilityLevel.BACKWARD, Schemas.V3_HOST_AS_INT, Schemas.V1, Schemas.V2_DROPS_HOST))
                .isEmpty();
        assertThat(check(CompatibilityLevel.BACKWARD_TRANSITIVE, Schemas.V3_HOST_AS_INT, Schemas.V1,
                Schemas.V2_DROPS_HOST))
                .singleElement().asString().contains("version 1", "TYPE_MISMATCH");
        assertThat(check(CompatibilityLevel.FULL_TRANSITIVE, Schemas.V3_HOST_AS_INT, Schemas.V1,
                Schemas.V2_DROPS_HOST)).isNotEmpty();
    }

    @Test
    void anotherRecordNameIsIncompatibleUnlessNone() {
        assertThat(check(CompatibilityLevel.BACKWARD, Schemas.OTHER, Schemas.V1)).isNotEmpty();
        assertThat(check(CompatibilityLevel.NONE, Schemas.OTHER, Schemas.V1)).isEmpty();
    }

    /** The candidate against the existing versions, oldest first, numbered from 1. */
    private static List<String> check(CompatibilityLevel level, String candidate, String... existing) {
        List<CompatibilityChecker.Version> versions = new ArrayList<>();
        for (int i = 0; i < existing.length; i++) {
            versions.add(new CompatibilityChecker.Version(i + 1, new Schema.Parser().parse(existing[i])));
        }
        return CompatibilityChecker.incompatibilities(level, new Schema.Parser().parse(candidate), versions);
    }
}
