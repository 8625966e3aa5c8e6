package io.pganalytics.sink.s3.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RestoreRequestTest {

    private static final Instant FROM = Instant.parse("2026-11-20T10:00:00Z");
    private static final Instant TO = Instant.parse("2026-11-20T11:00:00Z");

    @Test
    void theLocationIsABucketAndAnOptionalPrefix() {
        assertThat(RestoreRequest.parseLocation("s3://pganalytics-backup")).containsExactly("pganalytics-backup", "");
        assertThat(RestoreRequest.parseLocation("s3://b/backups/prod/")).containsExactly("b", "backups/prod");
        assertThatThrownBy(() -> RestoreRequest.parseLocation("b/prefix")).hasMessageStartingWith("--from: expected");
    }

    @Test
    void theRangeIncludesItsStartAndExcludesItsEnd() {
        RestoreRequest request = request(FROM, TO);
        assertThat(request.inRange(FROM.toEpochMilli())).isTrue();
        assertThat(request.inRange(TO.toEpochMilli() - 1)).isTrue();
        assertThat(request.inRange(TO.toEpochMilli())).isFalse();
        assertThat(request.inRange(FROM.toEpochMilli() - 1)).isFalse();
        assertThat(request.inRange(null)).as("a record without a timestamp, with a range").isFalse();
        assertThat(request(null, null).inRange(null)).isTrue();
        assertThat(request(FROM, null).inRange(Long.MAX_VALUE)).isTrue();
    }

    @Test
    void anObjectOverlapsTheRangeWhenAnyOfItsTimesMayFallInIt() {
        RestoreRequest request = request(FROM, TO);
        assertThat(request.overlaps(FROM.toEpochMilli() - 10, FROM.toEpochMilli())).isTrue();
        assertThat(request.overlaps(FROM.toEpochMilli() - 10, FROM.toEpochMilli() - 1)).isFalse();
        assertThat(request.overlaps(TO.toEpochMilli(), TO.toEpochMilli() + 10)).isFalse();
        assertThat(request.overlaps(TO.toEpochMilli() - 1, TO.toEpochMilli() + 10)).isTrue();
    }

    @Test
    void anEmptyRangeIsRefused() {
        assertThatThrownBy(() -> request(TO, FROM)).hasMessageContaining("must be before --to-time");
        assertThatThrownBy(() -> request(FROM, FROM)).hasMessageContaining("must be before --to-time");
    }

    @Test
    void theDatabaseGetsTheBackupsMetricsTopicsAndARequestedTopicMustBeInTheBackup() {
        List<String> inBackup = List.of("pga.raw.database", "pga.metrics.database", "pga.fleet.heartbeats");
        List<String> problems = new ArrayList<>();
        RestoreRequest toDb = new RestoreRequest("b", "", List.of(), null, null, RestoreRequest.Target.DATABASE, "");
        assertThat(Restore.selectTopics(toDb, inBackup, problems)).containsExactly("pga.metrics.database");
        RestoreRequest toKafka = new RestoreRequest("b", "", List.of(), null, null, RestoreRequest.Target.KAFKA, "");
        assertThat(Restore.selectTopics(toKafka, inBackup, problems)).isEqualTo(inBackup);
        assertThat(problems).isEmpty();

        RestoreRequest missing = new RestoreRequest("b", "p", List.of("pga.metrics.tables"), null, null,
                RestoreRequest.Target.KAFKA, "");
        Restore.selectTopics(missing, inBackup, problems);
        assertThat(problems).singleElement().asString()
                .startsWith("--topics: pga.metrics.tables has no objects under s3://b/p (topics there: ");
    }

    private static RestoreRequest request(Instant from, Instant to) {
        return new RestoreRequest("b", "", List.of(), from, to, RestoreRequest.Target.KAFKA, "");
    }
}
