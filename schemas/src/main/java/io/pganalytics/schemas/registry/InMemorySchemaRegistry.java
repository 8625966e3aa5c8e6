package io.pganalytics.schemas.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import io.pganalytics.schemas.evolution.SchemaEvolution;
import org.apache.avro.Schema;

/**
 * An in-memory registry for tests that need no server ({@code schema.registry.url=mock://<scope>}):
 * global ids from 1, one id per distinct schema, versions per subject. {@link #register} does not
 * enforce compatibility; {@link #testCompatibility} answers as a registry at level BACKWARD would.
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {

    static final String URL_PREFIX = "mock://";
    private static final Map<String, InMemorySchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final Map<Schema, Integer> ids = new LinkedHashMap<>();
    private final List<Schema> schemasById = new ArrayList<>();
    private final Map<String, List<Schema>> subjects = new LinkedHashMap<>();

    /** The registry shared by every client of a scope in this JVM. */
    public static InMemorySchemaRegistry scope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistry());
    }

    /** Forgets a scope, so the next test starts empty. */
    public static void drop(String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        int id = ids.computeIfAbsent(schema, s -> {
            schemasById.add(s);
            return schemasById.size();
        });
        List<Schema> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(schema)) {
            versions.add(schema);
        }
        return id;
    }

    @Override
    public synchronized Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        List<Schema> versions = subjects.getOrDefault(subject, List.of());
        int index = versions.indexOf(schema);
        return index < 0 ? Optional.empty()
                : Optional.of(new RegisteredSchema(subject, ids.get(schema), index + 1, schema));
    }

    @Override
    public Optional<Integer> idOf(String subject, Schema schema) {
        return lookup(subject, schema).map(RegisteredSchema::id);
    }

    @Override
    public synchronized Schema schemaById(int id) {
        if (id < 1 || id > schemasById.size()) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return schemasById.get(id - 1);
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return version(subject, "latest");
    }

    @Override
    public synchronized RegisteredSchema version(String subject, String version) {
        List<Schema> versions = subjects.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        int number = "latest".equals(version) ? versions.size() : Integer.parseInt(version);
        if (number < 1 || number > versions.size()) {
            throw new SchemaRegistryException(404, SchemaRegistryException.VERSION_NOT_FOUND, "Version " + version + " not found.");
        }
        Schema schema = versions.get(number - 1);
        return new RegisteredSchema(subject, ids.get(schema), number, schema);
    }

    @Override
    public CompatibilityResult testCompatibility(String subject, String version, Schema schema, boolean verbose) {
        Schema existing;
        try {
            existing = version(subject, version).schema();
        } catch (SchemaRegistryException e) {
            // As Confluent: checking against "latest" of a subject that does not exist yet is compatible.
            if (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND && "latest".equals(version)) {
                return new CompatibilityResult(true, List.of());
            }
            throw e;
        }
        List<String> problems = SchemaEvolution.problemsReading(existing, schema);
        return new CompatibilityResult(problems.isEmpty(), verbose ? problems : List.of());
    }

    @Override
    public synchronized List<String> subjects() {
        return List.copyOf(subjects.keySet());
    }

    @Override
    public synchronized List<Integer> versions(String subject) {
        List<Schema> versions = subjects.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        List<Integer> numbers = new ArrayList<>();
        for (int i = 1; i <= versions.size(); i++) {
            numbers.add(i);
        }
        return numbers;
    }
}
