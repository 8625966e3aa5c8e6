package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.platform.CommandRun;
import io.pganalytics.registry.PasswordHash;
import io.pganalytics.registry.RegistryConfig;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryCommandTest {

    @TempDir
    Path dir;


    @Test
    void unknownKeyIsOneLineNamingIt() throws Exception {
        Path file = dir.resolve("registry.properties");
        Files.writeString(file, "kafkastore.bootstrap.servers=127.0.0.1:9092\nprot=8081\n");
        CommandRun run = CommandRun.of("registry", "--config", file.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("pganalytics registry: prot: unknown key");
    }

    @Test
    void hashPasswordPrintsAHashThatMatchesAndNeverThePassword() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("correct horse\n".getBytes(StandardCharsets.UTF_8)));
            CommandRun run = CommandRun.of("registry", "hash-password");
            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).startsWith("pbkdf2-sha256:").doesNotContain("correct horse");
            assertThat(PasswordHash.parse(run.out()).matches("correct horse".toCharArray())).isTrue();
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void envNamesFollowTheKeys() {
        assertThat(RegistryConfig.Keys.BOOTSTRAP_SERVERS.environmentVariable(RegistryConfig.FIELDS.environmentPrefix()))
                .isEqualTo("PGA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS");
    }
}
