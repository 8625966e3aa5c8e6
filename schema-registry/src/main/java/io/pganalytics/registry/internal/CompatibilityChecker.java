package io.pganalytics.registry.internal;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Decides whether a candidate schema may become the next version of a subject, using Avro's own reader/writer
 * rules ({@link SchemaCompatibility}) the way Confluent's registry applies them: BACKWARD means the new schema
 * reads what the old one wrote, FORWARD the reverse, FULL both; non-transitive levels look at the latest version
 * only, transitive ones at every live version.
 */
public final class CompatibilityChecker {

    private CompatibilityChecker() {
    }

    /** A live version of the subject: its number (for messages) and its schema. */
    public record Version(int number, Schema schema) {
    }

    /**
     * The reasons the candidate breaks the level, newest version first, or an empty list when it does not.
     *
     * @param existingOldestFirst the subject's live versions, oldest first
     */
    public static List<String> incompatibilities(CompatibilityLevel level, Schema candidate,
                                                 List<Version> existingOldestFirst) {
        if (level == CompatibilityLevel.NONE || existingOldestFirst.isEmpty()) {
            return List.of();
        }
        List<Version> checked = level.transitive() ? existingOldestFirst
                : existingOldestFirst.subList(existingOldestFirst.size() - 1, existingOldestFirst.size());
        List<String> problems = new ArrayList<>();
        for (int i = checked.size() - 1; i >= 0; i--) {
            Version existing = checked.get(i);
            if (level.newReadsOld()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, existing.schema()),
                        "the new schema cannot read data written with version " + existing.number(), problems);
            }
            if (level.oldReadsNew()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(existing.schema(), candidate),
                        "version " + existing.number() + " cannot read data written with the new schema", problems);
            }
        }
        return problems;
    }

    private static void describe(SchemaPairCompatibility result, String direction, List<String> problems) {
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            problems.add(direction + " (" + incompatibility.getType() + " at '" + incompatibility.getLocation()
                    + "': " + incompatibility.getMessage() + ")");
        }
    }
}
