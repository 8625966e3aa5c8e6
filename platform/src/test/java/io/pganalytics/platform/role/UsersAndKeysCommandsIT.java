package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.platform.CommandRun;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.testkit.EmbeddedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pganalytics users} and {@code pganalytics keys} as an operator runs them, against a real control-plane
 * database; what they did is checked through the same accounts service the API signs people in with.
 */
@EmbeddedStack(postgres = true, databases = "pganalytics_users")
class UsersAndKeysCommandsIT {

    @Test
    void anOperatorManagesUsersAndRotatesTheSigningKeysFromTheCommandLine(EmbeddedPostgres postgres, @TempDir Path dir)
            throws Exception {
        String url = postgres.jdbcUrl("pganalytics_users");
        String keys = SecretBox.generateKey("cli");
        Path config = Files.writeString(dir.resolve("api.properties"), "control.database.url=" + url + "\n"
                + "control.database.user=" + postgres.user() + "\n" + "fleet.secret.keys=" + keys + "\n"
                + "api.port=8080\nkafka.bootstrap.servers=unused:9092\n");
        ControlPlaneConfig control = new ControlPlaneConfig(url, postgres.user(), null, 2, null, null, keys, false);
        ControlPlanes.migrate(control);

        CommandRun added = CommandRun.of("users", "add", "alice", "--role", "user", "--generate-password", "--config", config.toString());
        assertThat(added.exitCode()).as(added.err()).isZero();
        Matcher password = Pattern.compile("password \\(shown once\\): (\\S+)").matcher(added.out());
        assertThat(password.find()).as(added.out()).isTrue();
        Path file = Files.writeString(dir.resolve("bob.password"), "the second user's long password\n");
        assertThat(CommandRun.of("users", "add", "bob", "--role", "viewer", "--password-file", file.toString(),
                "--config", config.toString()).exitCode()).isZero();

        try (Accounts accounts = ControlPlanes.openAccounts(control)) {
            assertThat(accounts.authenticate("alice", password.group(1)).role()).isEqualTo("user");
            assertThat(accounts.authenticate("bob", "the second user's long password").role()).isEqualTo("viewer");
        }
        CommandRun list = CommandRun.of("users", "list", "--config", config.toString());
        assertThat(list.out()).contains("alice").contains("bob").doesNotContain(password.group(1)).doesNotContain("argon2");

        assertThat(CommandRun.of("users", "set-role", "bob", "admin", "--config", config.toString()).exitCode()).isZero();
        assertThat(CommandRun.of("users", "disable", "alice", "--config", config.toString()).out()).contains("disabled alice");
        CommandRun reset = CommandRun.of("users", "reset-password", "bob", "--generate-password", "--config", config.toString());
        Matcher newPassword = Pattern.compile("password \\(shown once\\): (\\S+)").matcher(reset.out());
        assertThat(newPassword.find()).as(reset.out()).isTrue();
        try (Accounts accounts = ControlPlanes.openAccounts(control)) {
            assertThat(accounts.user("alice").orElseThrow().disabled()).isTrue();
            assertThat(accounts.authenticate("bob", newPassword.group(1)).role()).isEqualTo("admin");
        }

        // bad input: one line naming what is wrong, exit code 2, nothing written
        CommandRun weak = CommandRun.of("users", "add", "carol", "--role", "viewer", "--password-env", "PATH", "--config", config.toString());
        CommandRun badRole = CommandRun.of("users", "add", "carol", "--role", "root", "--generate-password", "--config", config.toString());
        CommandRun duplicate = CommandRun.of("users", "add", "bob", "--role", "viewer", "--generate-password", "--config", config.toString());
        assertThat(badRole.exitCode()).isEqualTo(2);
        assertThat(badRole.err()).contains("role").contains("admin, user, viewer, auditor");
        assertThat(duplicate.exitCode()).isNotZero();
        assertThat(duplicate.err()).contains("exists");
        assertThat(weak.exitCode()).as(weak.err()).isIn(0, 2); // PATH may be long enough to pass the policy; either way one line
        CommandRun noDatabase = CommandRun.of("users", "list");
        assertThat(noDatabase.exitCode()).isEqualTo(2);
        assertThat(noDatabase.err()).contains("control.database.url");

        // keys: the first is made on demand, a rotation puts a new one in front, a retirement drops the old
        CommandRun first = CommandRun.of("keys", "list", "--config", config.toString());
        assertThat(first.out()).containsPattern("k-\\d{8}-\\S+ +EdDSA .*\\(signs\\)");
        CommandRun rotated = CommandRun.of("keys", "rotate", "--config", config.toString());
        assertThat(rotated.exitCode()).as(rotated.err()).isZero();
        assertThat(CommandRun.of("keys", "list", "--config", config.toString()).out().lines().count()).isEqualTo(2);
        assertThat(CommandRun.of("keys", "retire", "--older-than", "0m", "--config", config.toString()).out())
                .contains("retired 1 signing key(s)");
        assertThat(CommandRun.of("keys", "retire", "--older-than", "soon", "--config", config.toString()).exitCode()).isEqualTo(2);

        CommandRun unlock = CommandRun.of("users", "unlock", "bob", "--config", config.toString());
        assertThat(unlock.out()).contains("bob is not locked");
    }
}
