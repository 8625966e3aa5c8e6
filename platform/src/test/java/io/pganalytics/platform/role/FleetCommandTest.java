package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.platform.CommandRun;
import io.pganalytics.schemas.secret.SecretBox;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet command's own rules, before Kafka is contacted: every mistake is one line naming the option, exit 2. */
class FleetCommandTest {

    private static final String[] CONNECTION = {"--database-url", "jdbc:postgresql://127.0.0.1:1/pganalytics_control", "--bootstrap-servers",
        "127.0.0.1:1", "--schema-registry-url", "http://127.0.0.1:1"};

    @TempDir
    Path dir;

    /** {@code args} followed by the connection options. */
    private static String[] with(String[] connection, String... args) {
        String[] all = new String[args.length + connection.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(connection, 0, all, args.length, connection.length);
        return all;
    }

    @Test
    void helpNamesTheSubcommandsTheConnectionKeysAndExamples() {
        CommandRun run = CommandRun.of("fleet", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("targets", "config", "command", "keygen", "fleet.secret.keys", "PGA_", "Examples:");
        CommandRun put = CommandRun.of("fleet", "targets", "put", "--help");
        assertThat(put.out()).contains("--id", "--url", "--password-file", "--password-env", "FAMILY=MS", "--databases",
                "--disabled", "--config");
        CommandRun command = CommandRun.of("fleet", "command", "--help");
        assertThat(command.out()).contains("collect-now", "--wait", "Exit code");
    }

    @Test
    void aTargetWithABadUrlPresetOrFamilyIsRefusedNamingTheOption() {
        CommandRun url = CommandRun.of(with(CONNECTION, "fleet", "targets", "put", "--id", "db1", "--url", "postgres://db1"));
        assertThat(url.exitCode()).isEqualTo(2);
        assertThat(url.err()).isEqualTo("pganalytics fleet targets put: --url: expected jdbc:postgresql://host:port/db, got 'postgres://db1'");

        CommandRun preset = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--preset", "fast");
        assertThat(preset.exitCode()).isEqualTo(2);
        assertThat(preset.err()).isEqualTo("pganalytics fleet targets put: --preset: expected minimal, standard or exhaustive, got 'fast'");

        CommandRun family = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--family", "no_such=60000");
        assertThat(family.exitCode()).isEqualTo(2);
        assertThat(family.err()).startsWith("pganalytics fleet targets put: --family no_such: unknown family (known: ");

        CommandRun fast = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--family", "tables=500");
        assertThat(fast.err()).endsWith("--family tables: must be 0 (off) or at least 1000 ms, got 500");

        CommandRun notANumber = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--family", "tables=often");
        assertThat(notANumber.exitCode()).isEqualTo(2);
        assertThat(notANumber.err()).contains("--family").contains("often");

        CommandRun slash = CommandRun.of("fleet", "targets", "put", "--id", "a/b", "--url", "jdbc:postgresql://db1/postgres");
        assertThat(slash.err()).endsWith("--id: required, without '/', got 'a/b'");
    }

    @Test
    void aPasswordNeedsOneSourceThatExistsAndTheKeysToEncryptIt() throws Exception {
        CommandRun both = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--password-file", "x", "--password-env", "Y");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");

        CommandRun unset = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--password-env", "PGA_TEST_SURELY_UNSET_VARIABLE");
        assertThat(unset.err()).isEqualTo("pganalytics fleet targets put: --password-env: variable PGA_TEST_SURELY_UNSET_VARIABLE is not set");

        CommandRun missing = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--password-file", dir.resolve("nope").toString());
        assertThat(missing.err()).startsWith("pganalytics fleet targets put: --password-file: cannot read ");

        Path file = dir.resolve("pw");
        Files.writeString(file, "s3cret\n");
        CommandRun noKeys = CommandRun.of(with(CONNECTION, "fleet", "targets", "put", "--id", "db1", "--url",
                "jdbc:postgresql://db1/postgres", "--password-file", file.toString()));
        assertThat(noKeys.exitCode()).isEqualTo(2);
        assertThat(noKeys.err()).startsWith("pganalytics fleet targets put: fleet.secret.keys: required with --password-file or --password-env")
                .doesNotContain("s3cret");

        Path config = dir.resolve("fleet.properties");
        Files.writeString(config, "control.database.url=jdbc:postgresql://127.0.0.1:1/c\nkafka.bootstrap.servers=127.0.0.1:1\n"
                + "schema.registry.url=http://127.0.0.1:1\nfleet.secret.keys=k1:short\n");
        CommandRun badKey = CommandRun.of("fleet", "targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1/postgres",
                "--password-file", file.toString(), "--config", config.toString());
        assertThat(badKey.exitCode()).isEqualTo(2);
        assertThat(badKey.err()).startsWith("pganalytics fleet targets put: fleet.secret.keys[0] (key id 'k1'):");
    }

    @Test
    void connectionSettingsAreRequiredAndNamed() {
        CommandRun run = CommandRun.of("fleet", "targets", "remove", "--id", "db1");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("control.database.url: required").contains("kafka.bootstrap.servers: required");
        CommandRun registry = CommandRun.of("fleet", "targets", "list", "--bootstrap-servers", "127.0.0.1:1", "--database-url",
                "jdbc:postgresql://127.0.0.1:1/c");
        assertThat(registry.err()).startsWith("pganalytics fleet targets list: schema.registry.url: required");
        CommandRun database = CommandRun.of("fleet", "targets", "list", "--bootstrap-servers", "127.0.0.1:1", "--schema-registry-url",
                "http://127.0.0.1:1");
        assertThat(database.err()).isEqualTo("pganalytics fleet targets list: control.database.url: required (--database-url, --config or "
                + "PGA_CONTROL_DATABASE_URL)");
    }

    @Test
    void aBadStateLogLevelOrCommandIsRefused() {
        CommandRun state = CommandRun.of("fleet", "config", "set", "--collector", "c1", "--state", "paused");
        assertThat(state.exitCode()).isEqualTo(2);
        assertThat(state.err()).isEqualTo("pganalytics fleet config set: --state: expected running or stopped, got 'paused'");
        CommandRun level = CommandRun.of("fleet", "config", "set", "--collector", "c1", "--log-level", "loud");
        assertThat(level.err()).isEqualTo("pganalytics fleet config set: --log-level: expected TRACE, DEBUG, INFO, WARN or ERROR, got 'loud'");
        CommandRun command = CommandRun.of("fleet", "command", "--collector", "c1", "explode");
        assertThat(command.exitCode()).isEqualTo(2);
        assertThat(command.err()).isEqualTo("pganalytics fleet command: COMMAND: expected stop, resume, restart, reconfigure or collect-now, got 'explode'");
        assertThat(CommandRun.of("fleet", "command", "stop").exitCode()).as("--collector is required").isEqualTo(2);
    }

    @Test
    void everyMistakeOfOneCommandIsReportedAtOnceNamingItsOption() {
        CommandRun put = CommandRun.of("fleet", "targets", "put", "--id", "a/b", "--url", "postgres://db1", "--family", "tables=500");
        assertThat(put.exitCode()).isEqualTo(2);
        assertThat(put.err()).isEqualTo("pganalytics fleet targets put: --id: required, without '/', got 'a/b'; "
                + "--url: expected jdbc:postgresql://host:port/db, got 'postgres://db1'; "
                + "--family tables: must be 0 (off) or at least 1000 ms, got 500");

        CommandRun wait = CommandRun.of("fleet", "command", "--collector", "c1", "stop", "--wait", "-1");
        assertThat(wait.exitCode()).isEqualTo(2);
        assertThat(wait.err()).isEqualTo("pganalytics fleet command: --wait: expected 0 or more seconds, got -1");

        CommandRun since = CommandRun.of("fleet", "status", "--since", "0");
        assertThat(since.exitCode()).isEqualTo(2);
        assertThat(since.err()).isEqualTo("pganalytics fleet status: --since: must be at least 1 minute, got 0");

        // Refused by the service before it contacts the database or Kafka (nothing listens on port 1).
        CommandRun remove = CommandRun.of(with(CONNECTION, "fleet", "targets", "remove", "--id", "a/b"));
        assertThat(remove.exitCode()).isEqualTo(2);
        assertThat(remove.err()).isEqualTo("pganalytics fleet targets remove: --id: required, without '/', got 'a/b'");
    }

    @Test
    void keygenPrintsAKeyTheCollectorsAccept() {
        CommandRun run = CommandRun.of("fleet", "keygen", "--key-id", "k2026");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("k2026:");
        assertThat(SecretBox.parse(run.out()).encryptingKeyId()).isEqualTo("k2026");
        assertThat(CommandRun.of("fleet", "keygen", "--key-id", "bad id").exitCode()).isEqualTo(2);
    }
}
