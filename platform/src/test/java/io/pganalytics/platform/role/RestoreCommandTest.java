package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.platform.CommandRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The restore command's own rules, before any store is contacted: every mistake is one line and exit 2. */
class RestoreCommandTest {

    @TempDir
    Path dir;

    @Test
    void helpExplainsTheTargetsTheTimeRangeAndTheKeys() {
        CommandRun run = CommandRun.of("restore", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("--from=s3://BUCKET[/PREFIX]", "--to-kafka", "--to-db", "--from-time",
                "--to-time", "--topics", "--topic-prefix", "aws.secret.access.key", "PGA_", "Examples:");
    }

    @Test
    void aTargetIsRequiredAndOnlyOne() {
        assertThat(CommandRun.of("restore", "--from", "s3://b").exitCode()).isEqualTo(2);
        CommandRun both = CommandRun.of("restore", "--from", "s3://b", "--to-kafka", "--to-db");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void aLocationThatIsNotS3IsRefusedNamingTheFlag() {
        CommandRun run = CommandRun.of("restore", "--from", "http://bucket/x", "--to-kafka");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("pganalytics restore: --from: expected s3://bucket[/prefix], got 'http://bucket/x'");
    }

    @Test
    void anUnreadableTimeIsRefusedWithTheFormsItAccepts() {
        CommandRun run = CommandRun.of("restore", "--from", "s3://b", "--to-kafka", "--from-time", "yesterday");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--from-time").contains("2026-11-20T10:00:00Z");
    }

    @Test
    void anEmptyTimeRangeIsRefused() {
        CommandRun run = CommandRun.of("restore", "--from", "s3://b", "--to-kafka", "--from-time", "2026-11-21",
                "--to-time", "2026-11-20");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("must be before --to-time");
    }

    @Test
    void topicPrefixIsOnlyForKafka() {
        CommandRun run = CommandRun.of("restore", "--from", "s3://b", "--to-db", "--topic-prefix", "x.");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("pganalytics restore: --topic-prefix: only with --to-kafka");
    }

    @Test
    void aMissingSettingOfTheChosenTargetIsNamed() throws Exception {
        Path file = dir.resolve("restore.properties");
        Files.writeString(file, "schema.registry.url=http://127.0.0.1:1\n");
        CommandRun kafka = CommandRun.of("restore", "--from", "s3://b", "--to-kafka", "--config", file.toString());
        assertThat(kafka.exitCode()).isEqualTo(2);
        assertThat(kafka.err()).isEqualTo("pganalytics restore: kafka.bootstrap.servers: required by --to-kafka");
        CommandRun db = CommandRun.of("restore", "--from", "s3://b", "--to-db", "--config", file.toString());
        assertThat(db.exitCode()).isEqualTo(2);
        assertThat(db.err()).startsWith("pganalytics restore: connection.url: required by --to-db");
    }

    @Test
    void anUnknownKeyAndAHalfSetCredentialAreNamed() throws Exception {
        Path typo = dir.resolve("typo.properties");
        Files.writeString(typo, "schema.registry.url=http://r:8081\ns3.endpiont=http://x:9000\n");
        assertThat(CommandRun.of("restore", "--from", "s3://b", "--to-kafka", "--config", typo.toString()).err())
                .startsWith("pganalytics restore: s3.endpiont: unknown key");
        Path half = dir.resolve("half.properties");
        Files.writeString(half, "schema.registry.url=http://r:8081\nkafka.bootstrap.servers=k:9092\naws.access.key.id=AK\n");
        CommandRun run = CommandRun.of("restore", "--from", "s3://b", "--to-kafka", "--config", half.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("pganalytics restore: aws.secret.access.key: required when aws.access.key.id is set");
    }

    @Test
    void timesAreReadAsInstantsOrAsUtc() {
        RestoreCommand.TimeConverter times = new RestoreCommand.TimeConverter();
        assertThat(times.convert("2026-11-20T10:00:00Z")).isEqualTo(Instant.parse("2026-11-20T10:00:00Z"));
        assertThat(times.convert("2026-11-20T12:00:00+02:00")).isEqualTo(Instant.parse("2026-11-20T10:00:00Z"));
        assertThat(times.convert("2026-11-20T10:00")).isEqualTo(Instant.parse("2026-11-20T10:00:00Z"));
        assertThat(times.convert("2026-11-20")).isEqualTo(Instant.parse("2026-11-20T00:00:00Z"));
        assertThatThrownBy(() -> times.convert("20/11/2026")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void withoutATerminalProgressIsAPlainLineAtEveryTenth() {
        StringWriter err = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(err), false);
        bar.planned(100, 1000);
        for (int i = 1; i <= 100; i++) {
            bar.advanced(i, i * 10L, i * 5L);
        }
        String[] lines = err.toString().strip().split("\n");
        assertThat(lines[0]).isEqualTo("restore: 100 objects, 1000 records to read");
        assertThat(lines).hasSize(12).doesNotContain("\r"); // the first object, then every tenth
        assertThat(lines[lines.length - 1]).isEqualTo("restore: 100% 1000/1000 records read, 500 restored, 100/100 objects");
    }

    @Test
    void onATerminalProgressIsOneLineRedrawnInPlace() {
        StringWriter err = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(err), true);
        bar.planned(2, 20);
        bar.advanced(1, 10, 10);
        bar.advanced(2, 20, 20);
        String output = err.toString();
        assertThat(output).contains("\r[###############...............]  50%")
                .endsWith("\r[##############################] 100% 20/20 records read, 20 restored, 2/2 objects"
                        + System.lineSeparator());
    }
}
