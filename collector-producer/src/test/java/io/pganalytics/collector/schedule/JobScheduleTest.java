package io.pganalytics.collector.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobScheduleTest {

    static final long NOW = 1_700_000_000_000L;
    final JobSchedule schedule = new JobSchedule();

    @Test
    void aNewJobIsDueAtOnceAndASuccessfulOneAnIntervalAfterItsReadStarted() {
        schedule.add("database", 10_000);
        assertThat(schedule.due(NOW, 0)).containsExactly("database");
        schedule.succeeded("database", NOW, Instant.ofEpochMilli(NOW + 40));
        assertThat(schedule.job("database").nextDueMillis()).isEqualTo(NOW + 10_000);
        assertThat(schedule.job("database").lastSuccessAt()).isEqualTo(Instant.ofEpochMilli(NOW + 40));
        assertThat(schedule.due(NOW + 9_000, 0)).isEmpty();
        assertThat(schedule.due(NOW + 9_000, 5_000)).as("within the slack").containsExactly("database");
    }

    @Test
    void aFailingJobBacksOffAndASuccessClearsItsFailures() {
        schedule.add("statements", 10_000);
        schedule.failed("statements", "pg_stat_statements is not installed", NOW);
        schedule.failed("statements", "pg_stat_statements is not installed", NOW);
        assertThat(schedule.job("statements").failures()).isEqualTo(2);
        assertThat(schedule.job("statements").nextDueMillis()).isEqualTo(NOW + 20_000);
        schedule.succeeded("statements", NOW + 20_000, Instant.ofEpochMilli(NOW + 20_000));
        assertThat(schedule.job("statements").error()).isNull();
        assertThat(schedule.job("statements").failures()).isZero();
    }

    @Test
    void aDeferredJobWaitsOneIntervalWithoutCountingAFailure() {
        schedule.add("locks", 10_000);
        schedule.defer("locks", "not read: database timed out first", NOW);
        assertThat(schedule.job("locks").error()).isEqualTo("not read: database timed out first");
        assertThat(schedule.job("locks").failures()).isZero();
        assertThat(schedule.job("locks").nextDueMillis()).isEqualTo(NOW + 10_000);
    }

    @Test
    void aJobOfATargetThatCannotBeConnectedToWaitsForTheConnectionsNextAttempt() {
        schedule.add("server", 10_000);
        schedule.waitForConnection("server", "cannot connect: refused", NOW + 40_000);
        assertThat(schedule.job("server").nextDueMillis()).isEqualTo(NOW + 40_000);
        assertThat(schedule.job("server").failures()).isEqualTo(1);
    }

    @Test
    void aFamilyTheServerLacksIsANoteLookedAtAgainAfterAnHour() {
        schedule.add("io", 30_000);
        schedule.notOnThisVersion("io", "io is not available on PostgreSQL 140000", NOW);
        assertThat(schedule.job("io").error()).isNull();
        assertThat(schedule.job("io").note()).contains("not available");
        assertThat(schedule.job("io").nextDueMillis()).isEqualTo(NOW + JobSchedule.NOT_ON_VERSION_RETRY_MILLIS);
    }

    @Test
    void aRescheduledJobIsReadNoLaterThanOneNewIntervalFromNow() {
        schedule.add("tables", 300_000);
        schedule.succeeded("tables", NOW, Instant.ofEpochMilli(NOW));
        schedule.reschedule("tables", 20_000, NOW + 1_000);
        assertThat(schedule.job("tables").nextDueMillis()).isEqualTo(NOW + 21_000);
        assertThat(schedule.intervals()).containsEntry("tables", 20_000L);
    }
}
