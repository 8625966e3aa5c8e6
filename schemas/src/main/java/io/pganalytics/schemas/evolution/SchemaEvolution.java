package io.pganalytics.schemas.evolution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

/**
 * Avro's reader/writer compatibility rules, phrased for people: each problem names the record and
 * field it is about, e.g. {@code DatabaseSample.xactCommit: type changed from long to string}.
 */
public final class SchemaEvolution {

    private SchemaEvolution() {
    }

    /**
     * What stops {@code reader} from reading data written with {@code writer} (BACKWARD when the
     * reader is the newer schema); empty when it can.
     */
    public static List<String> problemsReading(Schema writer, Schema reader) {
        var result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getResult();
        List<String> problems = new ArrayList<>();
        for (Incompatibility incompatibility : result.getIncompatibilities()) {
            problems.add(describe(reader, incompatibility));
        }
        return problems;
    }

    /**
     * The problems of {@code current} against every released version (BACKWARD_TRANSITIVE), each
     * suffixed with the version it breaks, e.g. {@code ", incompatible with released v1"}.
     */
    public static List<String> problemsAgainstReleased(Schema current, List<Released> released) {
        List<String> problems = new ArrayList<>();
        for (Released version : released) {
            for (String problem : problemsReading(version.schema(), current)) {
                problems.add(problem + ", incompatible with released " + version.label());
            }
        }
        return problems;
    }

    /**
     * The build-time rule: every schema in {@code currentDir} ({@code *.avsc}) must be able to read data
     * written with each released version kept under {@code releasedDir/<full name>/v<N>.avsc}, and no
     * released schema may disappear. Returns one line per problem, empty when the rule holds.
     */
    public static List<String> checkReleased(Path currentDir, Path releasedDir) throws IOException {
        Map<String, Schema> current = new TreeMap<>();
        try (Stream<Path> files = Files.list(currentDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList()) {
                Schema schema = new Schema.Parser().parse(file.toFile());
                current.put(schema.getFullName(), schema);
            }
        }
        List<String> problems = new ArrayList<>();
        if (!Files.isDirectory(releasedDir)) {
            return problems;
        }
        try (Stream<Path> dirs = Files.list(releasedDir)) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                String fullName = dir.getFileName().toString();
                List<Released> released = releasedVersions(dir);
                Schema schema = current.get(fullName);
                if (released.isEmpty()) {
                    continue;
                }
                if (schema == null) {
                    problems.add(fullName + ": released as " + released.get(released.size() - 1).label()
                            + " but no longer in " + currentDir + "; released schemas cannot be removed");
                    continue;
                }
                problems.addAll(problemsAgainstReleased(schema, released));
            }
        }
        return problems;
    }

    private static List<Released> releasedVersions(Path dir) throws IOException {
        List<Released> versions = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("v\\d+\\.avsc"))
                    .sorted(Comparator.comparingInt(SchemaEvolution::versionNumber)).toList()) {
                // A fresh parser per file: each version defines the same names.
                Schema schema = new Schema.Parser().parse(file.toFile());
                versions.add(new Released(file.getFileName().toString().replace(".avsc", ""), schema));
            }
        }
        return versions;
    }

    private static int versionNumber(Path file) {
        String name = file.getFileName().toString();
        return Integer.parseInt(name.substring(1, name.length() - ".avsc".length()));
    }

    /** A schema version that has shipped, e.g. {@code v1}, as kept under {@code src/released/avro}. */
    public record Released(String label, Schema schema) {
    }

    private static String describe(Schema reader, Incompatibility incompatibility) {
        String where = pathOf(reader, incompatibility.getLocation());
        Schema readerPart = incompatibility.getReaderFragment();
        Schema writerPart = incompatibility.getWriterFragment();
        String what = switch (incompatibility.getType()) {
            case TYPE_MISMATCH -> "type changed from " + typeName(writerPart) + " to " + typeName(readerPart);
            case READER_FIELD_MISSING_DEFAULT_VALUE -> "field " + incompatibility.getMessage()
                    + " was added without a default value";
            case NAME_MISMATCH -> "name changed from " + writerPart.getFullName() + " to " + readerPart.getFullName();
            case MISSING_ENUM_SYMBOLS -> "enum symbols removed without a default: " + incompatibility.getMessage();
            case MISSING_UNION_BRANCH -> "union no longer accepts " + incompatibility.getMessage();
            case FIXED_SIZE_MISMATCH -> "fixed size changed: " + incompatibility.getMessage();
            default -> incompatibility.getType() + ": " + incompatibility.getMessage();
        };
        return where + ": " + what;
    }

    private static String typeName(Schema schema) {
        if (schema == null) {
            return "?";
        }
        LogicalType logical = schema.getLogicalType();
        String base = switch (schema.getType()) {
            case RECORD, ENUM, FIXED -> schema.getName();
            case UNION -> schema.getTypes().stream().map(SchemaEvolution::typeName).toList().toString();
            case ARRAY -> "array<" + typeName(schema.getElementType()) + ">";
            case MAP -> "map<" + typeName(schema.getValueType()) + ">";
            default -> schema.getType().getName();
        };
        return logical == null ? base : base + "(" + logical.getName() + ")";
    }

    /**
     * Turns Avro's JSON-pointer location ({@code /fields/7/type}) into names ({@code DatabaseSample.xactCommit}),
     * walking the reader schema, since a field's position means nothing to the person who renamed it.
     */
    static String pathOf(Schema reader, String location) {
        StringBuilder path = new StringBuilder(reader.getName());
        Schema at = reader;
        String[] steps = location == null ? new String[0] : location.split("/");
        for (int i = 0; i < steps.length; i++) {
            String step = steps[i];
            if (step.isEmpty() || at == null) {
                continue;
            }
            if (step.equals("fields") && i + 1 < steps.length && at.getType() == Schema.Type.RECORD) {
                Schema.Field field = at.getFields().get(Integer.parseInt(steps[++i]));
                path.append('.').append(field.name());
                at = field.schema();
                if (i + 1 < steps.length && steps[i + 1].equals("type")) {
                    i++;
                }
            } else if (step.equals("items") && at.getType() == Schema.Type.ARRAY) {
                path.append("[]");
                at = at.getElementType();
            } else if (step.equals("values") && at.getType() == Schema.Type.MAP) {
                path.append("{}");
                at = at.getValueType();
            } else if (at.getType() == Schema.Type.UNION && step.chars().allMatch(Character::isDigit)) {
                at = at.getTypes().get(Integer.parseInt(step));
            }
        }
        return path.toString();
    }
}
