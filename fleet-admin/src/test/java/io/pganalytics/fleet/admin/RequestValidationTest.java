package io.pganalytics.fleet.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.secret.SecretBox;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the service refuses before anything is written, each problem named by its field. */
class RequestValidationTest {

    private static final String URL = "jdbc:postgresql://db1:5432/postgres";

    private static TargetSpec target(String id, String url, String preset, Map<String, Long> families, List<String> databases) {
        return new TargetSpec(id, url, "monitor", null, preset, families, databases, true);
    }

    @Test
    void aGoodTargetIsKeptWithItsPresetLowerCasedAndItsPasswordHidden() {
        TargetSpec spec = new TargetSpec("db1", URL, "monitor", "s3cret", " Standard", Map.of("tables", 0L), List.of("app"), true);

        assertThat(spec.preset()).isEqualTo("standard");
        assertThat(spec.familyIntervalMillis()).containsExactly(Map.entry("tables", 0L));
        assertThat(spec.toString()).doesNotContain("s3cret").contains("password=***");
    }

    @Test
    void everyBadFieldOfATargetIsReportedAtOnceByItsPath() {
        Map<String, Long> families = new LinkedHashMap<>();
        families.put("tables", 500L);
        families.put("no_such", 1000L);
        InvalidValue invalid = assertThrows(InvalidValue.class,
                () -> new TargetSpec("a/b", "postgres://db1", null, "", "fast", families, List.of(""), true));

        assertThat(invalid.problems()).extracting(InvalidValue.Problem::path).containsExactly("targetId", "url", "preset",
                "familyIntervalMillis.tables", "familyIntervalMillis.no_such", "databases", "password");
        assertThat(invalid.getMessage()).startsWith("targetId: required, without '/', got 'a/b'; "
                + "url: expected jdbc:postgresql://host:port/db, got 'postgres://db1'; "
                + "preset: expected minimal, standard or exhaustive, got 'fast'; "
                + "familyIntervalMillis.tables: must be 0 (off) or at least 1000 ms, got 500; "
                + "familyIntervalMillis.no_such: unknown family (known: ");
    }

    @Test
    void aTargetNeedsAnIdAndAUrl() {
        InvalidValue invalid = assertThrows(InvalidValue.class, () -> target(null, null, null, null, null));
        assertThat(invalid.problems()).extracting(InvalidValue.Problem::path).containsExactly("targetId", "url");
    }

    @Test
    void aDesiredStateIsParsedFromWordsAndNormalized() {
        DesiredStateSpec spec = DesiredStateSpec.of("c1", "Stopped", "debug", Map.of("statements", 60_000L));
        assertThat(spec.state()).isEqualTo(DesiredState.STOPPED);
        assertThat(spec.logLevel()).isEqualTo("DEBUG");
        assertThat(DesiredStateSpec.of("c1", null, null, null)).isEqualTo(new DesiredStateSpec("c1", DesiredState.RUNNING, null, Map.of()));
    }

    @Test
    void aBadDesiredStateNamesEveryBadField() {
        InvalidValue invalid = assertThrows(InvalidValue.class,
                () -> DesiredStateSpec.of("c/1", "paused", "loud", Map.of("tables", 10L)));
        assertThat(invalid.problems()).extracting(InvalidValue.Problem::path)
                .containsExactly("state", "collectorId", "logLevel", "familyIntervalMillis.tables");
        assertThat(invalid.problems().get(0).reason()).isEqualTo("expected running or stopped, got 'paused'");
        assertThat(invalid.problems().get(2).reason()).isEqualTo("expected TRACE, DEBUG, INFO, WARN or ERROR, got 'loud'");

        assertThatThrownBy(() -> DesiredStateSpec.of("c1", "running", "verbose", Map.of()))
                .hasMessage("logLevel: expected TRACE, DEBUG, INFO, WARN or ERROR, got 'verbose'");
        assertThatThrownBy(() -> new DesiredStateSpec("c1", null, null, Map.of())).hasMessage("state: required: running or stopped");
    }

    @Test
    void aCommandIsNamedAsPeopleTypeItAndItsTimeoutCannotBeNegative() {
        CommandRequest request = CommandRequest.of("c1", "collect-now", Duration.ofSeconds(30));
        assertThat(request.command()).isEqualTo(CommandType.COLLECT_NOW);
        assertThat(request.commandName()).isEqualTo("collect-now");

        assertThatThrownBy(() -> CommandRequest.of("c1", "explode", Duration.ZERO))
                .hasMessage("command: expected stop, resume, restart, reconfigure or collect-now, got 'explode'");
        assertThatThrownBy(() -> CommandRequest.of("c1", "stop", Duration.ofSeconds(-1)))
                .hasMessage("timeout: expected 0 or more seconds, got -1");
        assertThatThrownBy(() -> new CommandRequest("c1", CommandType.UNKNOWN, Duration.ZERO))
                .isInstanceOf(InvalidValue.class).hasMessageStartingWith("command: ");
        InvalidValue both = assertThrows(InvalidValue.class, () -> CommandRequest.of("", "explode", Duration.ofSeconds(-5)));
        assertThat(both.problems()).extracting(InvalidValue.Problem::path).containsExactly("command", "collectorId", "timeout");
    }

    @Test
    void aStatusQueryLooksBackAtLeastAMinute() {
        assertThatThrownBy(() -> new StatusQuery(0, null)).hasMessage("sinceMinutes: must be at least 1 minute, got 0");
        assertThat(new StatusQuery(StatusQuery.DEFAULT_SINCE_MINUTES, "c1").collectorId()).isEqualTo("c1");
    }

    @Test
    void anActorNamesWhoInWhichRoleAndFromWhere() {
        Actor cli = Actor.cli("alice", "web1");
        assertThat(cli).isEqualTo(new Actor("alice", Actor.CLI_ROLE, "cli@web1", "cli", null, null));
        assertThat(cli.method()).as("what the audit trail records as its sign-in method").isEqualTo("cli");
        assertThat(cli.toString()).isEqualTo("alice (role cli, from cli@web1)");
        assertThatThrownBy(() -> new Actor(" ", "admin", "10.0.0.1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an actor needs a name");
    }

    @Test
    void aPasswordWithoutKeysIsRefusedBeforeAnythingIsWritten() {
        // Nothing listens on port 1: the refusal must come before the database or Kafka is contacted.
        try (FleetAdmin admin = ControlPlanes.open(new ControlPlaneConfig("jdbc:postgresql://127.0.0.1:1/c", null, null, 1, "127.0.0.1:1",
                "http://127.0.0.1:1", null, false), "test")) {
            TargetSpec spec = new TargetSpec("db1", URL, "monitor", "s3cret", null, Map.of(), List.of(), true);
            assertThatThrownBy(() -> admin.putTarget(Actor.cli("alice", "web1"), spec)).isInstanceOf(InvalidValue.class)
                    .hasMessageStartingWith(SecretBox.KEYS + ": required to encrypt the password")
                    .hasMessageNotContaining("s3cret");
            assertThatThrownBy(() -> admin.removeTarget(Actor.cli("alice", "web1"), "a/b"))
                    .hasMessage("targetId: required, without '/', got 'a/b'");
        }
    }
}
