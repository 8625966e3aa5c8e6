package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.platform.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CollectorCommandTest {

    @TempDir
    Path dir;

    private static String[] run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setErr(new PrintWriter(err));
        commandLine.setOut(new PrintWriter(new StringWriter()));
        return new String[] {Integer.toString(commandLine.execute(args)), err.toString().strip()};
    }

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
        String[] result = run("collector", "--config", file.toString());
        assertThat(result[0]).isEqualTo("2");
        assertThat(result[1]).isEqualTo("pganalytics collector: collector.targets[0].url: "
                + "expected jdbc:postgresql://host:port/db, got 'postgres://db1'");
    }

    @Test
    void missingFileIsNamed() {
        String[] result = run("collector", "--config", dir.resolve("nope.properties").toString());
        assertThat(result[0]).isEqualTo("2");
        assertThat(result[1]).contains("--config: no such file");
    }
}
