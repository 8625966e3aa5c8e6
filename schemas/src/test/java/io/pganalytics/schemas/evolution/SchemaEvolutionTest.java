package io.pganalytics.schemas.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaEvolutionTest {

    private static final Path CURRENT = Path.of("src/main/avro");
    private static final Path RELEASED = Path.of("src/released/avro");

    /** The build's evolution rule: this test is what makes an incompatible .avsc fail ./mvnw verify. */
    @Test
    void everyCurrentSchemaReadsAllItsReleasedVersions() throws IOException {
        assertThat(Files.isDirectory(RELEASED.resolve("io.pganalytics.schemas.metrics.DatabaseSample"))).isTrue();
        List<String> problems = SchemaEvolution.checkReleased(CURRENT, RELEASED);
        assertThat(problems)
                .withFailMessage(() -> "schemas are not BACKWARD_TRANSITIVE compatible with their released versions"
                        + " (see schemas/README.md, 'Evolving a schema'):\n  " + String.join("\n  ", problems))
                .isEmpty();
    }

    @Test
    void changingAFieldTypeIsReportedWithRecordFieldAndVersion(@TempDir Path dir) throws IOException {
        Path current = Files.createDirectories(dir.resolve("current"));
        Path released = dir.resolve("released");
        Path v1 = Files.createDirectories(released.resolve("io.pganalytics.schemas.metrics.DatabaseSample"));
        Files.copy(RELEASED.resolve("io.pganalytics.schemas.metrics.DatabaseSample/v1.avsc"), v1.resolve("v1.avsc"));
        String broken = Files.readString(CURRENT.resolve("DatabaseSample.avsc"))
                .replace("{\"name\": \"xactCommit\", \"type\": \"long\",", "{\"name\": \"xactCommit\", \"type\": \"string\",");
        Files.writeString(current.resolve("DatabaseSample.avsc"), broken);

        assertThat(SchemaEvolution.checkReleased(current, released))
                .containsExactly("DatabaseSample.xactCommit: type changed from long to string, incompatible with released v1");
    }

    @Test
    void aNewFieldWithoutDefaultBreaksOnlyTheVersionsThatLackIt(@TempDir Path dir) throws IOException {
        Schema v1 = record("{\"name\":\"a\",\"type\":\"long\"}");
        Schema v2 = record("{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}");
        Schema current = record("{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null},"
                + "{\"name\":\"c\",\"type\":\"int\"}");

        List<String> problems = SchemaEvolution.problemsAgainstReleased(current,
                List.of(new SchemaEvolution.Released("v1", v1), new SchemaEvolution.Released("v2", v2)));

        assertThat(problems).containsExactly(
                "Sample.c: field c was added without a default value, incompatible with released v1",
                "Sample.c: field c was added without a default value, incompatible with released v2");
    }

    @Test
    void addingAnOptionalFieldAndWideningIntToLongAreCompatible() {
        Schema v1 = record("{\"name\":\"a\",\"type\":\"int\"}");
        Schema current = record("{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}");
        assertThat(SchemaEvolution.problemsReading(v1, current)).isEmpty();
    }

    @Test
    void nestedFieldsAreNamedByPath() {
        Schema v1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Outer\",\"fields\":[{\"name\":\"inner\",\"type\":"
                + "{\"type\":\"record\",\"name\":\"Inner\",\"fields\":[{\"name\":\"x\",\"type\":\"long\"}]}}]}");
        Schema current = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Outer\",\"fields\":[{\"name\":\"inner\",\"type\":"
                + "{\"type\":\"record\",\"name\":\"Inner\",\"fields\":[{\"name\":\"x\",\"type\":\"boolean\"}]}}]}");
        assertThat(SchemaEvolution.problemsReading(v1, current)).containsExactly("Outer.inner.x: type changed from long to boolean");
    }

    @Test
    void removingAReleasedSchemaIsReported(@TempDir Path dir) throws IOException {
        Path current = Files.createDirectories(dir.resolve("current"));
        Path released = Files.createDirectories(dir.resolve("released/io.pganalytics.schemas.fleet.Heartbeat"));
        Files.copy(RELEASED.resolve("io.pganalytics.schemas.fleet.Heartbeat/v1.avsc"), released.resolve("v1.avsc"));
        assertThat(SchemaEvolution.checkReleased(current, dir.resolve("released")))
                .singleElement().asString().startsWith("io.pganalytics.schemas.fleet.Heartbeat: released as v1 but no longer in");
    }

    private static Schema record(String fields) {
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Sample\",\"fields\":[" + fields + "]}");
    }
}
