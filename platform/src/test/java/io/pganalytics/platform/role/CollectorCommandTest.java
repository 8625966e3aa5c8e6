package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.platform.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorCommandTest {

    @TempDir
    Path dir;


    @Test
    void badConfigurationIsOneLineNamingTheKey() throws Exception {
        Path file = dir.resolve("collector.properties");
        Files.writeString(file, """
                collector.id=c1
                kafka.bootstrap.servers=127.0.0.1:9092
                schema.registry.url=http://127.0.0.1:8081
                collector.targets[0].id=db1
                collector.targets[0].url=postgres://db1
                """);
        CommandRun result = CommandRun.of("collector", "--config", file.toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("pganalytics collector: collector.targets[0].url: "
                + "expected jdbc:postgresql://host:port/db, got 'postgres://db1'");
    }

    @Test
    void missingFileIsNamed() {
        CommandRun result = CommandRun.of("collector", "--config", dir.resolve("nope.properties").toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--config: no such file");
    }
}
